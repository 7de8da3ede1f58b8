//! Criterion benchmarks of the reverb kernel: one second of 48 kHz stereo
//! per iteration (96 000 samples), at default settings and per character.
//!
//! Run with `cargo bench -p glass-dsp --bench verb`. The time per iteration
//! divided into one second is the real-time factor on one core (the issue's
//! target is 640x at default settings). After the measurements a summary
//! line per case prints ns/sample and the real-time factor.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use glass_dsp::denormal::FlushDenormals;
use glass_dsp::reverb::{Character, Reverb, ReverbParams};
use std::time::Instant;

const FS: f32 = 48_000.0;
const BLOCK: usize = 512;

/// A plucked-note programme with gaps, so the tail has both sound and decay.
fn programme() -> (Vec<f32>, Vec<f32>) {
    let n = FS as usize;
    let mut seed = 0x2545_f491_u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as f32 / u32::MAX as f32 - 0.5
    };
    let (mut l, mut r) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let t = i as f32 / FS;
        let env = (-(t * 4.0).fract() * 9.0).exp();
        let tone = (t * 2.0 * std::f32::consts::PI * 330.0).sin();
        let nz = noise();
        l.push(env * (0.5 * tone + 0.1 * nz));
        r.push(env * (0.4 * tone - 0.1 * nz));
    }
    (l, r)
}

fn cases() -> Vec<(String, ReverbParams)> {
    let mut v = vec![("default".to_string(), ReverbParams::default())];
    for ch in Character::ALL {
        v.push((format!("{ch:?}").to_lowercase(), ch.preset()));
    }
    v.push((
        "ducking_and_cuts".to_string(),
        ReverbParams {
            ducking_db: 12.0,
            low_cut_hz: 150.0,
            high_cut_hz: 8_000.0,
            ..ReverbParams::default()
        },
    ));
    v
}

fn run(verb: &mut Reverb, l: &mut [f32], r: &mut [f32]) {
    let _ftz = FlushDenormals::new();
    for (a, b) in l.chunks_mut(BLOCK).zip(r.chunks_mut(BLOCK)) {
        verb.process(&mut [a, b]);
    }
}

fn fresh(p: &ReverbParams) -> Reverb {
    let mut verb = Reverb::new();
    verb.set_params(p);
    verb.prepare(FS, BLOCK, 2);
    verb
}

fn bench_verb(c: &mut Criterion) {
    let (l, r) = programme();
    let mut group = c.benchmark_group("verb_48k_stereo_1s");
    group.throughput(Throughput::Elements(2 * l.len() as u64));
    for (name, p) in cases() {
        let mut verb = fresh(&p);
        group.bench_function(name.as_str(), |b| {
            b.iter_batched_ref(
                || (l.clone(), r.clone()),
                |(a, b)| run(&mut verb, a, b),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();

    // Summary: best of 20 one-second runs per case.
    println!("\ncase                          ns/sample   x real time");
    for (name, p) in cases() {
        let mut verb = fresh(&p);
        let mut best = f64::INFINITY;
        for _ in 0..20 {
            let (mut a, mut b) = (l.clone(), r.clone());
            let t = Instant::now();
            run(&mut verb, &mut a, &mut b);
            best = best.min(t.elapsed().as_secs_f64());
            std::hint::black_box((&a, &b));
        }
        println!(
            "{name:<28} {:>9.2} {:>12.0}",
            best * 1e9 / (2.0 * l.len() as f64),
            1.0 / best
        );
    }
}

criterion_group!(benches, bench_verb);
criterion_main!(benches);
