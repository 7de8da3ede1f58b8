//! Throughput of the Glasswork EQ kernel over one second of 48 kHz stereo
//! white noise (96 000 samples per iteration), in 512-sample host blocks.
//!
//! Run with `cargo bench -p glass-dsp --bench eq`. The real-time factor is
//! 1 s / time per iteration. Targets (issue 3): zero latency, one active bell
//! ≥ 2000x (≤ 500 µs), eight ≥ 600x (≤ 1.67 ms).
//!
//! - `zero_latency/bells/N`: N static bells spread from 100 Hz to 10 kHz
//!   (±6 dB, Q 1); the cost per band is the slope between N = 1, 8 and 24,
//!   `bells/0` the kernel's own overhead (no band).
//! - `zero_latency/eight_bells_swept`: every band's frequency moves each
//!   host block, so each is redesigned every control period (32 samples)
//!   and ramps per sample.
//! - `linear_phase/eight_bells/L`: the same eight bells as FIR of each
//!   length (the FIR designed once; the cost is the convolution).

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use glass_dsp::analog::{BandParams, BandType, Slope};
use glass_dsp::eq::{Eq, EqBandSettings, EqParams, PhaseMode};
use glass_dsp::linear_phase::FirLength;

const FS: f32 = 48_000.0;
const LEN: usize = 48_000;
const HOST: usize = 512;

/// Deterministic white noise in [−1, 1) (xorshift32), one buffer per channel.
fn stereo_noise() -> Vec<Vec<f32>> {
    let mut s = 0x1234_5678u32;
    (0..2)
        .map(|_| {
            (0..LEN)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 17;
                    s ^= s << 5;
                    (s >> 8) as f32 * (2.0 / 16_777_216.0) - 1.0
                })
                .collect()
        })
        .collect()
}

/// `n` bells spread from 100 Hz to 10 kHz, ±6 dB, Q 1.
fn bells(n: usize, phase: PhaseMode, fir_length: FirLength) -> EqParams {
    let mut p = EqParams {
        phase,
        fir_length,
        ..EqParams::default()
    };
    for i in 0..n {
        p.bands[i] = EqBandSettings {
            enabled: true,
            band: BandParams {
                kind: BandType::Bell,
                freq_hz: 100.0 * 100f32.powf(i as f32 / n.max(2).saturating_sub(1) as f32),
                gain_db: if i % 2 == 0 { 6.0 } else { -6.0 },
                q: 1.0,
                slope: Slope::Db12,
            },
            ..EqBandSettings::default()
        };
    }
    p
}

fn kernel(p: &EqParams) -> Eq {
    let mut eq = Eq::new();
    eq.set_params(p);
    eq.prepare(FS, HOST, 2);
    eq
}

fn run(eq: &mut Eq, bufs: &mut [Vec<f32>], sweep: Option<&EqParams>) {
    let mut pos = 0;
    let mut block = 0usize;
    while pos < LEN {
        let end = (pos + HOST).min(LEN);
        if let Some(base) = sweep {
            let mut p = *base;
            for (i, b) in p.bands.iter_mut().enumerate().filter(|(_, b)| b.enabled) {
                b.band.freq_hz = 200.0 * (1.0 + ((block + i) % 50) as f32 * 0.1);
            }
            eq.set_params(&p);
        }
        let (l, r) = bufs.split_at_mut(1);
        eq.process(&mut [&mut l[0][pos..end], &mut r[0][pos..end]]);
        pos = end;
        block += 1;
    }
}

fn bench(c: &mut Criterion) {
    let noise = stereo_noise();
    let mut group = c.benchmark_group("zero_latency");
    group.throughput(Throughput::Elements((2 * LEN) as u64));
    for n in [0usize, 1, 8, 24] {
        let mut eq = kernel(&bells(n, PhaseMode::ZeroLatency, FirLength::default()));
        group.bench_with_input(BenchmarkId::new("bells", n), &n, |b, _| {
            b.iter_batched_ref(
                || noise.clone(),
                |bufs| run(&mut eq, bufs, None),
                BatchSize::LargeInput,
            )
        });
    }
    let swept = bells(8, PhaseMode::ZeroLatency, FirLength::default());
    let mut eq = kernel(&swept);
    group.bench_function("eight_bells_swept", |b| {
        b.iter_batched_ref(
            || noise.clone(),
            |bufs| run(&mut eq, bufs, Some(&swept)),
            BatchSize::LargeInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("linear_phase");
    group.throughput(Throughput::Elements((2 * LEN) as u64));
    for length in FirLength::ALL {
        let mut eq = kernel(&bells(8, PhaseMode::Linear, length));
        group.bench_with_input(
            BenchmarkId::new("eight_bells", length.taps_at_48k()),
            &length,
            |b, _| {
                b.iter_batched_ref(
                    || noise.clone(),
                    |bufs| run(&mut eq, bufs, None),
                    BatchSize::LargeInput,
                )
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
