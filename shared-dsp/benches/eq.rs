//! Throughput of Glasswork EQ bands over one second of 48 kHz stereo white
//! noise (96 000 samples per iteration), zero-latency (matched) mode.
//!
//! Run with `cargo bench -p glass-dsp --bench eq`. The real-time factor is
//! 1 s / time per iteration; the targets of issue 3 are ≥ 2000x for one bell
//! (≤ 500 µs) and ≥ 600x for eight (≤ 1.67 ms). `eight_bells_swept` moves
//! every band's frequency each 64-sample host block, so coefficients are
//! redesigned on every control period and ramped per sample.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use glass_dsp::analog::{BandParams, BandType, Slope};
use glass_dsp::eq_band::EqBand;

const FS: f32 = 48_000.0;
const CHANNELS: usize = 2;
const LEN: usize = 48_000;

/// Deterministic white noise in [−1, 1) (xorshift32), one buffer per channel.
fn stereo_noise() -> Vec<Vec<f32>> {
    let mut s = 0x1234_5678u32;
    (0..CHANNELS)
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
fn bells(n: usize) -> Vec<EqBand> {
    (0..n)
        .map(|i| {
            let mut band = EqBand::new();
            band.set_params(&BandParams {
                kind: BandType::Bell,
                freq_hz: 100.0 * 100f32.powf(i as f32 / n.max(2).saturating_sub(1) as f32),
                gain_db: if i % 2 == 0 { 6.0 } else { -6.0 },
                q: 1.0,
                slope: Slope::Db12,
            });
            band.prepare(FS, 4096, CHANNELS);
            band
        })
        .collect()
}

fn process(bands: &mut [EqBand], bufs: &mut [Vec<f32>], host: usize, sweep: bool) {
    let mut pos = 0;
    let mut block = 0usize;
    while pos < LEN {
        let end = (pos + host).min(LEN);
        let (l, r) = bufs.split_at_mut(1);
        let mut chans = [&mut l[0][pos..end], &mut r[0][pos..end]];
        for (i, band) in bands.iter_mut().enumerate() {
            if sweep {
                let mut p = band.current_params();
                p.freq_hz = 200.0 * (1.0 + ((block + i) % 50) as f32 * 0.1);
                band.set_params(&p);
            }
            band.process(&mut chans);
        }
        pos = end;
        block += 1;
    }
}

fn eq(c: &mut Criterion) {
    let noise = stereo_noise();
    let mut group = c.benchmark_group("eq_stereo_second_48k");
    group.throughput(Throughput::Elements((CHANNELS * LEN) as u64));
    for (name, n, sweep) in [
        ("one_bell", 1, false),
        ("eight_bells", 8, false),
        ("eight_bells_swept", 8, true),
    ] {
        let mut bands = bells(n);
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || noise.clone(),
                |bufs| process(&mut bands, bufs, 512, sweep),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, eq);
criterion_main!(benches);
