//! Criterion benchmarks of the compressor kernel: one second of 48 kHz
//! stereo per iteration, per style, with and without lookahead. The time per
//! iteration divided into one second is the real-time factor on one core;
//! after the run a summary prints ns per sample and that factor.
//!
//! ```text
//! cargo bench -p glass-dsp --bench comp
//! ```

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use glass_dsp::compressor::{Compressor, CompressorParams, Style, Topology};
use std::hint::black_box;
use std::time::Instant;

const FS: f32 = 48_000.0;
const BLOCK: usize = 512;

/// Drums, bass and noise at a level the default settings compress by 3 to
/// 10 dB, so every stage of the gain path is busy.
fn programme() -> (Vec<f32>, Vec<f32>) {
    let n = FS as usize;
    let mut seed = 0x2545_f491_u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as f32 / u32::MAX as f32 - 0.5
    };
    let mut l = Vec::with_capacity(n);
    let mut r = Vec::with_capacity(n);
    for i in 0..n {
        let t = i as f32 / FS;
        let beat = (t * 2.0).fract();
        let kick = (-beat * 30.0).exp() * (t * 2.0 * std::f32::consts::PI * 55.0).sin();
        let bass = 0.3 * ((t * 110.0).fract() * 2.0 - 1.0);
        let nz = noise();
        l.push(0.8 * kick + bass + 0.2 * nz);
        r.push(0.8 * kick + bass - 0.2 * nz);
    }
    (l, r)
}

/// (name, settings, AVX2 path allowed)
fn cases() -> Vec<(String, CompressorParams, bool)> {
    let mut out = Vec::new();
    for (style_name, style) in [
        ("clean", Style::Clean),
        ("opto", Style::Opto),
        ("punchy", Style::Punchy),
    ] {
        for lookahead_ms in [0.0f32, 5.0] {
            out.push((
                format!("{style_name}_lookahead_{lookahead_ms}ms"),
                CompressorParams {
                    style,
                    lookahead_ms,
                    ..CompressorParams::default()
                },
                true,
            ));
        }
    }
    out.push((
        "clean_rms_feedback_sc_filters".to_owned(),
        CompressorParams {
            detector_blend: 1.0,
            topology: Topology::Feedback,
            sc_hpf_hz: 100.0,
            sc_lpf_hz: 8000.0,
            ..CompressorParams::default()
        },
        true,
    ));
    // The same defaults on the baseline (SSE2) build of the inner loops.
    for lookahead_ms in [0.0f32, 5.0] {
        out.push((
            format!("clean_lookahead_{lookahead_ms}ms_baseline_sse2"),
            CompressorParams {
                lookahead_ms,
                ..CompressorParams::default()
            },
            false,
        ));
    }
    out
}

fn run(comp: &mut Compressor, l: &mut [f32], r: &mut [f32]) {
    for (cl, cr) in l.chunks_mut(BLOCK).zip(r.chunks_mut(BLOCK)) {
        comp.process(&mut [cl, cr]);
    }
}

fn bench_comp(c: &mut Criterion) {
    let (l, r) = programme();
    let mut group = c.benchmark_group("comp_48k_stereo_1s");
    group.throughput(Throughput::Elements(l.len() as u64));
    let mut summary = Vec::new();
    for (name, params, wide) in cases() {
        let mut comp = Compressor::new();
        comp.set_params(&params);
        comp.prepare(FS, BLOCK, 2);
        comp.set_vector_path(wide);
        group.bench_function(&name, |b| {
            b.iter_batched_ref(
                || (l.clone(), r.clone()),
                |(bl, br)| {
                    run(&mut comp, bl, br);
                    black_box(&bl[0]);
                },
                BatchSize::LargeInput,
            )
        });
        // Own measurement for the summary line: best of 20 seconds.
        let mut best = f64::INFINITY;
        for _ in 0..20 {
            let (mut bl, mut br) = (l.clone(), r.clone());
            let start = Instant::now();
            run(&mut comp, &mut bl, &mut br);
            best = best.min(start.elapsed().as_secs_f64());
            black_box(&bl[0]);
        }
        summary.push((name, best));
    }
    group.finish();
    println!("\ncompressor, 1 s of 48 kHz stereo (best of 20):");
    for (name, secs) in summary {
        println!(
            "  {name:<40} {:>6.2} ns/sample-frame  {:>7.0}x real time",
            secs * 1e9 / f64::from(FS),
            1.0 / secs
        );
    }
}

criterion_group!(benches, bench_comp);
criterion_main!(benches);
