//! Criterion benchmarks of the echo kernel: one second of 48 kHz stereo per
//! iteration (96 000 samples), every mode and character.
//!
//! Run with `cargo bench -p glass-dsp --bench echo`. The time per iteration
//! divided into one second is the real-time factor on one core; divided by
//! 96 000 it is the cost per sample. After the measurements a summary line
//! per case prints ns/sample and the real-time factor.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use glass_dsp::denormal::FlushDenormals;
use glass_dsp::echo::{Character, Echo, EchoMode, EchoParams};
use std::time::Instant;

const FS: f32 = 48_000.0;
const BLOCK: usize = 512;

/// A plucked-note programme with gaps, so the loop has both sound and decay.
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

fn cases() -> Vec<(&'static str, EchoParams)> {
    let clean = EchoParams {
        mix: 0.4,
        feedback: 0.6,
        ..EchoParams::default()
    };
    let mut v = vec![("stereo_clean", clean)];
    for (name, mode) in [
        ("pingpong_clean", EchoMode::PingPong),
        ("dual_clean", EchoMode::Dual),
        ("multitap8_clean", EchoMode::MultiTap),
    ] {
        v.push((
            name,
            EchoParams {
                mode,
                taps: 8,
                ..clean
            },
        ));
    }
    v.push((
        "stereo_tape_wow",
        EchoParams {
            character: Character::Tape,
            wow: 0.4,
            ..clean
        },
    ));
    v.push((
        "stereo_analog",
        EchoParams {
            character: Character::Analog,
            ..clean
        },
    ));
    v.push((
        "stereo_clean_filters",
        EchoParams {
            hpf_hz: 120.0,
            lpf_hz: 6_000.0,
            ..clean
        },
    ));
    v.push((
        "stereo_everything",
        EchoParams {
            character: Character::Tape,
            wow: 0.5,
            hpf_hz: 120.0,
            lpf_hz: 6_000.0,
            diffusion: 0.6,
            ducking: 0.5,
            ..clean
        },
    ));
    v.push((
        "multitap8_tape_everything",
        EchoParams {
            mode: EchoMode::MultiTap,
            taps: 8,
            character: Character::Tape,
            wow: 0.5,
            hpf_hz: 120.0,
            lpf_hz: 6_000.0,
            diffusion: 0.6,
            ducking: 0.5,
            ..clean
        },
    ));
    v
}

fn run(echo: &mut Echo, l: &mut [f32], r: &mut [f32]) {
    let _ftz = FlushDenormals::new();
    for (a, b) in l.chunks_mut(BLOCK).zip(r.chunks_mut(BLOCK)) {
        echo.process(&mut [a, b]);
    }
}

fn bench_echo(c: &mut Criterion) {
    let (l, r) = programme();
    let mut group = c.benchmark_group("echo_48k_stereo_1s");
    group.throughput(Throughput::Elements(2 * l.len() as u64));
    for (name, p) in cases() {
        let mut echo = Echo::new();
        echo.set_params(&p);
        echo.prepare(FS, BLOCK, 2);
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || (l.clone(), r.clone()),
                |(a, b)| run(&mut echo, a, b),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();

    // Summary: best of 20 one-second runs per case.
    println!("\ncase                          ns/sample   x real time");
    for (name, p) in cases() {
        let mut echo = Echo::new();
        echo.set_params(&p);
        echo.prepare(FS, BLOCK, 2);
        let mut best = f64::INFINITY;
        for _ in 0..20 {
            let (mut a, mut b) = (l.clone(), r.clone());
            let t = Instant::now();
            run(&mut echo, &mut a, &mut b);
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

criterion_group!(benches, bench_echo);
criterion_main!(benches);
