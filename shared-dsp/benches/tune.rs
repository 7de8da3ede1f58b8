//! Criterion benchmarks of the Tune kernel: one second of a synthetic
//! voice at 48 kHz (a glottal pulse train through /a/ formants, a phrase
//! of notes with vibrato and short gaps), mono and stereo, hard and
//! natural correction.
//!
//! Run with `cargo bench -p glass-dsp --bench tune`. After the criterion
//! measurements a summary prints, per case, ns per sample (per channel
//! sample) and the real-time factor (seconds of audio processed per second
//! on one core).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use glass_dsp::denormal::FlushDenormals;
use glass_dsp::tuner::{TuneParams, Tuner};
use std::f64::consts::{PI, TAU};
use std::time::Instant;

const FS: f64 = 48_000.0;
const BLOCK: usize = 512;

/// One second of a sung phrase: four notes (A3, C4, E4, G3), +25 cents,
/// 5.5 Hz ±30 cents vibrato, 40 ms gaps; band-limited pulses through a
/// glottal low-pass, radiation and five /a/ formants.
fn voice() -> Vec<f32> {
    let n = FS as usize;
    let notes = [57.0, 60.0, 64.0, 55.0];
    let mut src = vec![0.0f64; n];
    let mut phase = 0.0f64;
    for (i, s) in src.iter_mut().enumerate() {
        let t = i as f64 / FS;
        let k = ((t / 0.25) as usize).min(3);
        let local = t - k as f64 * 0.25;
        if local > 0.21 {
            phase = 0.0;
            continue;
        }
        let midi = notes[k] + 0.25 + 0.30 * (TAU * 5.5 * t).sin();
        let f0 = 440.0 * ((midi - 69.0) / 12.0).exp2();
        phase = (phase + f0 / FS).fract();
        let env = (local / 0.02).min(1.0).min((0.21 - local) / 0.02);
        let hmax = (0.45 * FS / f0) as usize;
        let mut acc = 0.0;
        for h in 1..=hmax {
            acc += (TAU * h as f64 * phase).cos();
        }
        *s = env * acc;
    }
    let g = (-TAU * 200.0 / FS).exp();
    let formants = [
        (730.0, 80.0),
        (1090.0, 90.0),
        (2440.0, 120.0),
        (3400.0, 150.0),
        (4500.0, 200.0),
    ];
    let mut coefs: Vec<(f64, f64, f64)> = formants
        .iter()
        .map(|&(f, b)| {
            let r = (-PI * b / FS).exp();
            let a1 = 2.0 * r * (TAU * f / FS).cos();
            let a2 = -r * r;
            (a1, a2, 1.0 - a1 - a2)
        })
        .collect();
    let mut state = vec![(0.0f64, 0.0f64); formants.len()];
    let (mut l1, mut l2, mut prev) = (0.0, 0.0, 0.0);
    let mut out: Vec<f64> = src
        .iter()
        .map(|&x| {
            l1 = (1.0 - g) * x + g * l1;
            l2 = (1.0 - g) * l1 + g * l2;
            let mut v = l2 - prev;
            prev = l2;
            for ((a1, a2, b0), (y1, y2)) in coefs.iter_mut().zip(state.iter_mut()) {
                let y = *b0 * v + *a1 * *y1 + *a2 * *y2;
                *y2 = *y1;
                *y1 = y;
                v = y;
            }
            v
        })
        .collect();
    let peak = out.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for v in &mut out {
        *v *= 0.5 / peak;
    }
    out.iter().map(|&v| v as f32).collect()
}

fn cases() -> Vec<(&'static str, TuneParams)> {
    vec![
        (
            "hard",
            TuneParams {
                retune_ms: 0.0,
                ..TuneParams::default()
            },
        ),
        ("default", TuneParams::default()),
        (
            "natural_formant",
            TuneParams {
                retune_ms: 120.0,
                humanize: 0.5,
                keep_vibrato: 0.5,
                formant_semitones: 2.0,
                ..TuneParams::default()
            },
        ),
    ]
}

fn run(tuner: &mut Tuner, chans: &mut [Vec<f32>]) {
    let _ftz = FlushDenormals::new();
    let len = chans[0].len();
    let mut pos = 0;
    while pos < len {
        let end = (pos + BLOCK).min(len);
        match chans {
            [m] => tuner.process(&mut [&mut m[pos..end]]),
            [l, r] => tuner.process(&mut [&mut l[pos..end], &mut r[pos..end]]),
            _ => unreachable!(),
        }
        pos = end;
    }
}

/// Time this thread has spent on a CPU, ns (Linux `schedstat`): unlike the
/// wall clock it does not count time the thread waited for a CPU on a busy
/// machine. `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn input(channels: usize) -> Vec<Vec<f32>> {
    let v = voice();
    if channels == 1 {
        vec![v]
    } else {
        // Right channel: the same voice 3 dB lower.
        let r = v.iter().map(|x| x * 0.708).collect();
        vec![v, r]
    }
}

fn bench_tune(c: &mut Criterion) {
    for channels in [1usize, 2] {
        let x = input(channels);
        let name = if channels == 1 { "mono" } else { "stereo" };
        let mut group = c.benchmark_group(format!("tune_48k_{name}_1s"));
        group.throughput(Throughput::Elements((channels * x[0].len()) as u64));
        for (case, p) in cases() {
            let mut tuner = Tuner::new();
            tuner.set_params(&p);
            tuner.prepare(FS as f32, BLOCK, channels);
            group.bench_function(case, |b| {
                b.iter_batched_ref(
                    || x.clone(),
                    |chans| run(&mut tuner, chans),
                    BatchSize::LargeInput,
                )
            });
        }
        group.finish();
    }

    // Summary per case: 40 one-second runs; the mean on-CPU time where the
    // system reports it (Linux schedstat, which does not count time spent
    // waiting for a CPU on a busy machine, but only updates every few
    // milliseconds, hence a total over many runs), and the best wall-clock
    // time.
    println!("\n40 one-second runs per case: mean on-CPU time (schedstat), best wall-clock time");
    println!(
        "case                   cpu ns/sample  cpu x real time   wall ns/sample  wall x real time"
    );
    for channels in [1usize, 2] {
        let x = input(channels);
        for (case, p) in cases() {
            let mut tuner = Tuner::new();
            tuner.set_params(&p);
            tuner.prepare(FS as f32, BLOCK, channels);
            let runs = 40;
            let mut best = f64::INFINITY;
            let cpu0 = thread_cpu_ns();
            for _ in 0..runs {
                let mut chans = x.clone();
                tuner.reset();
                let t = Instant::now();
                run(&mut tuner, &mut chans);
                best = best.min(t.elapsed().as_secs_f64());
                std::hint::black_box(&chans);
            }
            // The clones are included; they cost well under 1 % of a run.
            let cpu = match (cpu0, thread_cpu_ns()) {
                (Some(a), Some(b)) => (b - a) as f64 * 1e-9 / runs as f64,
                _ => f64::NAN,
            };
            let frames = x[0].len() as f64;
            println!(
                "{:<22} {:>13.2} {:>16.0} {:>16.2} {:>17.0}",
                format!("{}_{case}", if channels == 1 { "mono" } else { "stereo" }),
                cpu * 1e9 / frames,
                frames / FS / cpu,
                best * 1e9 / frames,
                frames / FS / best
            );
        }
    }
}

criterion_group!(benches, bench_tune);
criterion_main!(benches);
