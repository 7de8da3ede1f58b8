//! Criterion benchmarks of the effect kernels: one second of 48 kHz stereo
//! per iteration, so the reported time per iteration divided into one second
//! is the real-time factor on one core.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use glass_dsp::limiter::{DetectorOversampling, Limiter, LimiterParams};
use std::hint::black_box;

const FS: f32 = 48_000.0;
const BLOCK: usize = 512;

/// Dense test programme: two detuned saws and noise, hot enough that the
/// limiter works all the time (about 6 dB of gain reduction).
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
        let a = (t * 110.0).fract() * 2.0 - 1.0;
        let b = (t * 165.3).fract() * 2.0 - 1.0;
        let nz = noise();
        l.push(0.9 * a + 0.5 * b + 0.3 * nz);
        r.push(0.5 * a + 0.9 * b - 0.3 * nz);
    }
    (l, r)
}

fn bench_limiter(c: &mut Criterion) {
    let (l, r) = programme();
    let mut group = c.benchmark_group("limiter_48k_stereo_1s");
    group.throughput(Throughput::Elements(l.len() as u64));
    let cases = [
        ("default_true_peak_4x", LimiterParams::default()),
        (
            "true_peak_8x",
            LimiterParams {
                oversampling: DetectorOversampling::X8,
                ..LimiterParams::default()
            },
        ),
        (
            "true_peak_16x",
            LimiterParams {
                oversampling: DetectorOversampling::X16,
                ..LimiterParams::default()
            },
        ),
        (
            "sample_peak",
            LimiterParams {
                true_peak: false,
                ..LimiterParams::default()
            },
        ),
    ];
    for (name, params) in cases {
        let params = LimiterParams {
            input_gain_db: 6.0,
            ..params
        };
        let mut lim = Limiter::new();
        lim.set_params(&params);
        lim.prepare(FS, BLOCK, 2);
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || (l.clone(), r.clone()),
                |(bl, br)| {
                    for (cl, cr) in bl.chunks_mut(BLOCK).zip(br.chunks_mut(BLOCK)) {
                        lim.process(&mut [cl, cr]);
                    }
                    black_box(&bl[0]);
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn bench_detector(c: &mut Criterion) {
    use glass_dsp::oversampler::PolyphaseUpsampler;
    use glass_dsp::true_peak::{true_peak_design, TruePeakDetector};
    let (l, _) = programme();
    let mut group = c.benchmark_group("true_peak_48k_mono_1s");
    group.throughput(Throughput::Elements(l.len() as u64));
    for factor in [4usize, 8] {
        let mut det = TruePeakDetector::new(factor);
        det.set_refine_threshold(0.5);
        group.bench_function(format!("detector_{factor}x"), |b| {
            b.iter(|| {
                let mut m = 0.0f32;
                for &x in &l {
                    m = m.max(det.process(x));
                }
                black_box(m)
            })
        });
        let mut up = PolyphaseUpsampler::new(factor, true_peak_design());
        let mut out = [0.0f32; 16];
        group.bench_function(format!("interpolator_{factor}x"), |b| {
            b.iter(|| {
                for &x in &l {
                    up.process_sample(x, &mut out);
                }
                black_box(out[1])
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_limiter, bench_detector);
criterion_main!(benches);
