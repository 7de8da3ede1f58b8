//! Throughput of the basic building blocks over one second of 48 kHz stereo
//! white noise (96 000 samples per iteration).
//!
//! Run with `cargo bench -p glass-dsp --bench basics`. Criterion reports the
//! time per iteration; ns/sample = time / 96 000 and the real-time factor is
//! 1 s / time. `baseline_gain` (one multiply per sample) is the floor that
//! memory traffic alone costs.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use glass_dsp::biquad::{Biquad, BiquadCoefs};
use glass_dsp::control::CONTROL_BLOCK;
use glass_dsp::delay_line::DelayLine;
use glass_dsp::svf::{Svf, SvfMode};
use std::hint::black_box;

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

fn basics(c: &mut Criterion) {
    let noise = stereo_noise();
    let mut group = c.benchmark_group("stereo_second_48k");
    group.throughput(Throughput::Elements((CHANNELS * LEN) as u64));

    group.bench_function("baseline_gain", |b| {
        b.iter_batched_ref(
            || noise.clone(),
            |bufs| {
                for buf in bufs.iter_mut() {
                    for v in buf.iter_mut() {
                        *v *= black_box(0.5);
                    }
                }
            },
            BatchSize::LargeInput,
        )
    });

    let coefs = BiquadCoefs::peaking(FS, 1_000.0, 1.0, 6.0);
    let mut biquads = vec![Biquad::new(coefs); CHANNELS];
    group.bench_function("biquad_process_block", |b| {
        b.iter_batched_ref(
            || noise.clone(),
            |bufs| {
                for (filter, buf) in biquads.iter_mut().zip(bufs.iter_mut()) {
                    filter.process_block(buf);
                }
            },
            BatchSize::LargeInput,
        )
    });

    let mut svfs = vec![Svf::new(); CHANNELS];
    for svf in &mut svfs {
        svf.set(FS, 1_000.0, 1.0, SvfMode::Bell, 6.0);
    }
    group.bench_function("svf_process_block", |b| {
        b.iter_batched_ref(
            || noise.clone(),
            |bufs| {
                for (svf, buf) in svfs.iter_mut().zip(bufs.iter_mut()) {
                    svf.process_block(buf);
                }
            },
            BatchSize::LargeInput,
        )
    });

    // Cutoff swept every control block, as an auto-filter would.
    let cutoffs: Vec<f32> = (0..LEN / CONTROL_BLOCK + 1)
        .map(|i| 200.0 * 50f32.powf((i as f32 * 0.01).sin() * 0.5 + 0.5))
        .collect();
    group.bench_function("svf_set_every_32", |b| {
        b.iter_batched_ref(
            || noise.clone(),
            |bufs| {
                for (svf, buf) in svfs.iter_mut().zip(bufs.iter_mut()) {
                    for (chunk, &f) in buf.chunks_mut(CONTROL_BLOCK).zip(&cutoffs) {
                        svf.set(FS, f, 2.0, SvfMode::Lowpass, 0.0);
                        svf.process_block(chunk);
                    }
                }
            },
            BatchSize::LargeInput,
        )
    });

    // A chorus-like read: 10 ms ± 2 ms at 0.5 Hz, fractional every sample.
    let delays: Vec<f32> = (0..LEN)
        .map(|n| 480.0 + 96.0 * (2.0 * std::f32::consts::PI * 0.5 * n as f32 / FS).sin())
        .collect();
    let mut lines: Vec<DelayLine> = (0..CHANNELS)
        .map(|_| {
            let mut line = DelayLine::new();
            line.prepare(1_024);
            line
        })
        .collect();
    group.bench_function("delay_line_push_read_cubic", |b| {
        b.iter_batched_ref(
            || noise.clone(),
            |bufs| {
                for (line, buf) in lines.iter_mut().zip(bufs.iter_mut()) {
                    for (v, &d) in buf.iter_mut().zip(&delays) {
                        line.push(*v);
                        *v = line.read_cubic(d);
                    }
                }
            },
            BatchSize::LargeInput,
        )
    });

    group.finish();
}

criterion_group!(benches, basics);
criterion_main!(benches);
