//! Glasswork Comp's kernel against closed-form expectations: the static
//! curve of Giannoulis, Massberg and Reiss (JAES 2012, eq. (4)), the 63 %
//! times of attack and release, the lookahead latency, 1:1 transparency,
//! block-size independence, the sidechain, and bad input.
//!
//! Levels are measured on square waves: `|x|` is constant, so peak and RMS
//! detectors both read exactly the square's amplitude and the output's
//! amplitude at every sample is the input's times the gain applied there.

use glass_dsp::compressor::{Compressor, CompressorParams, StereoMode, Style, Topology, MAX_RATIO};
use glass_dsp::gain_computer::GainComputer;

fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

fn gain(db: f64) -> f32 {
    10f64.powf(db / 20.0) as f32
}

/// Square wave of amplitude `amp`, period 64 samples.
fn square(n: usize, amp: f32) -> Vec<f32> {
    (0..n)
        .map(|i| if (i / 32) % 2 == 0 { amp } else { -amp })
        .collect()
}

fn compressor(fs: f32, channels: usize, p: &CompressorParams) -> Compressor {
    let mut c = Compressor::new();
    c.set_params(p);
    c.prepare(fs, 4096, channels);
    c
}

/// Runs `input` (planar) through `comp` in blocks of `block`.
fn run(comp: &mut Compressor, input: &[Vec<f32>], block: usize) -> Vec<Vec<f32>> {
    run_sc(comp, input, None, block)
}

fn run_sc(
    comp: &mut Compressor,
    input: &[Vec<f32>],
    key: Option<&[Vec<f32>]>,
    block: usize,
) -> Vec<Vec<f32>> {
    let mut out = input.to_vec();
    let len = out[0].len();
    let mut s = 0;
    while s < len {
        let e = (s + block).min(len);
        let mut slices: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[s..e]).collect();
        match key {
            Some(k) => {
                let ks: Vec<&[f32]> = k.iter().map(|c| &c[s..e]).collect();
                comp.process_with_sidechain(&mut slices, Some(&ks));
            }
            None => comp.process(&mut slices),
        }
        s = e;
    }
    out
}

/// Eq. (4) of the paper, written out independently in f64.
fn paper(x: f64, t: f64, r: f64, w: f64) -> f64 {
    let r = if r >= f64::from(MAX_RATIO) {
        f64::INFINITY
    } else {
        r
    };
    if 2.0 * (x - t) < -w {
        x
    } else if w > 0.0 && 2.0 * (x - t).abs() <= w {
        // (At W = 0 this region is the single point x = T, where both
        // straight pieces give T.)
        x + (1.0 / r - 1.0) * (x - t + w / 2.0).powi(2) / (2.0 * w)
    } else {
        t + (x - t) / r
    }
}

const CURVES: [(f32, f32, f32); 5] = [
    (-18.0, 4.0, 0.0),
    (-30.0, 2.0, 12.0),
    (-10.0, MAX_RATIO, 24.0),
    (-40.0, 10.0, 6.0),
    (-24.0, 1.5, 3.0),
];

#[test]
fn static_curve_matches_the_paper_within_0_1_db() {
    let fs = 48_000.0;
    let mut worst = 0.0f64;
    for style in [Style::Clean, Style::Opto] {
        for blend in [0.0f32, 0.5, 1.0] {
            for (t, r, w) in CURVES {
                let p = CompressorParams {
                    threshold_db: t,
                    ratio: r,
                    knee_db: w,
                    attack_ms: 1.0,
                    release_ms: 20.0,
                    detector_blend: blend,
                    style,
                    ..CompressorParams::default()
                };
                let mut comp = compressor(fs, 1, &p);
                for level in (-60..=0).step_by(2) {
                    comp.reset();
                    let x = square(9600, gain(f64::from(level)));
                    let y = run(&mut comp, &[x], 512);
                    let out_db = db(f64::from(y[0][9599].abs()));
                    let want = paper(level.into(), t.into(), r.into(), w.into());
                    let err = (out_db - want).abs();
                    worst = worst.max(err);
                    assert!(
                        err < 0.1,
                        "{style:?} blend {blend} T {t} R {r} W {w}: {level} dB in -> \
                         {out_db:.4} dB out, formula {want:.4}"
                    );
                }
            }
        }
    }
    println!("static curve: worst error {worst:.2e} dB");
    assert!(worst < 0.01, "worst error {worst} dB");
}

#[test]
fn punchy_applies_the_static_curve_too() {
    // Punchy's saturation changes the waveform, so its curve is checked on
    // the gain reduction the kernel applies.
    let fs = 48_000.0;
    for (t, r, w) in CURVES {
        let p = CompressorParams {
            threshold_db: t,
            ratio: r,
            knee_db: w,
            attack_ms: 1.0,
            release_ms: 20.0,
            style: Style::Punchy,
            ..CompressorParams::default()
        };
        let mut comp = compressor(fs, 1, &p);
        for level in (-60..=0).step_by(3) {
            comp.reset();
            run(&mut comp, &[square(9600, gain(f64::from(level)))], 256);
            let got = f64::from(comp.reduction_db(0));
            let want = f64::from(level) - paper(level.into(), t.into(), r.into(), w.into());
            assert!(
                (got - want).abs() < 0.1,
                "T {t} R {r} W {w} at {level} dB: reduction {got} vs {want}"
            );
        }
    }
}

#[test]
fn feedback_static_curve_has_the_set_slope() {
    // A feedback compressor applying (R − 1)·E(o) to its output o settles
    // where x = o + (R − 1)·E(o): above the knee o = T + (x − T)/R.
    let fs = 48_000.0;
    for (t, r, w) in [
        (-20.0f32, 4.0f32, 0.0f32),
        (-30.0, 2.0, 12.0),
        (-12.0, 8.0, 6.0),
    ] {
        let p = CompressorParams {
            threshold_db: t,
            ratio: r,
            knee_db: w,
            attack_ms: 5.0,
            release_ms: 50.0,
            topology: Topology::Feedback,
            ..CompressorParams::default()
        };
        let gc = GainComputer::new(t, r, w);
        let mut comp = compressor(fs, 1, &p);
        for level in (-60..=0).step_by(3) {
            comp.reset();
            let y = run(&mut comp, &[square(24_000, gain(f64::from(level)))], 333);
            let out_db = db(f64::from(y[0][23_999].abs()));
            let x = f64::from(level);
            // Independent root of the loop equation by bisection.
            let excess = |o: f64| {
                let d = o - f64::from(t);
                let h = f64::from(w) / 2.0;
                if d <= -h {
                    0.0
                } else if d >= h {
                    d
                } else {
                    (d + h).powi(2) / (2.0 * f64::from(w))
                }
            };
            let (mut lo, mut hi) = (-200.0f64, x);
            for _ in 0..100 {
                let mid = 0.5 * (lo + hi);
                if mid + f64::from(r - 1.0) * excess(mid) > x {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            assert!(
                (out_db - lo).abs() < 0.1,
                "T {t} R {r} W {w}: {level} dB -> {out_db} dB, loop root {lo}"
            );
            assert!((f64::from(gc.feedback_output_db(level as f32, 1e9)) - lo).abs() < 1e-3);
            if (x - f64::from(t)) / f64::from(r) >= f64::from(w) / 2.0 {
                let above = f64::from(t) + (x - f64::from(t)) / f64::from(r);
                assert!((out_db - above).abs() < 0.1);
            }
        }
    }
}

/// Time (s) at which `v` (sampled at `fs`, starting at t = 0 with the first
/// sample after the step) first crosses `level`, interpolated linearly.
fn crossing(v: &[f64], level: f64, rising: bool, fs: f64) -> f64 {
    let mut prev = if rising { 0.0 } else { v[0].max(level) };
    for (k, &x) in v.iter().enumerate() {
        let crossed = if rising { x >= level } else { x <= level };
        if crossed {
            let frac = if x == prev {
                0.0
            } else {
                (level - prev) / (x - prev)
            };
            return (k as f64 + frac) / fs;
        }
        prev = x;
    }
    f64::INFINITY
}

#[test]
fn attack_and_release_reach_63_percent_at_the_set_times() {
    // Square wave from −40 dB (below the −20 dB threshold) to 0 dB and back,
    // ∞:1 hard knee: the reduction steps between 0 and 20 dB.
    let mut worst = (0.0f64, 0.0f64);
    let one_minus_e = 1.0 - (-1.0f64).exp();
    for fs in [44_100.0f32, 48_000.0, 96_000.0] {
        for (attack, release) in [
            (1.0f32, 10.0f32),
            (10.0, 100.0),
            (100.0, 1000.0),
            (300.0, 5000.0),
        ] {
            for style in [Style::Clean, Style::Punchy] {
                let p = CompressorParams {
                    threshold_db: -20.0,
                    ratio: MAX_RATIO,
                    knee_db: 0.0,
                    attack_ms: attack,
                    release_ms: release,
                    style,
                    ..CompressorParams::default()
                };
                let mut comp = compressor(fs, 1, &p);
                let n_on = (attack * 1e-3 * fs * 12.0) as usize + 64;
                let n_off = (release * 1e-3 * fs * 3.0) as usize;
                let quiet = gain(-40.0);
                let mut x = square(4800, quiet);
                x.extend(square(n_on, 1.0));
                x.extend(square(n_off, quiet));
                // Per-sample gain. Clean: measured on the output. Punchy's
                // saturation reshapes the output, so its gain is read from
                // the kernel after every sample.
                let g: Vec<f64> = if style == Style::Clean {
                    let y = run(&mut comp, std::slice::from_ref(&x), 1024);
                    y[0].iter()
                        .zip(&x)
                        .map(|(o, i)| f64::from(o.abs()) / f64::from(i.abs()))
                        .collect()
                } else {
                    x.iter()
                        .map(|&v| {
                            comp.process(&mut [&mut [v][..]]);
                            10f64.powf(-f64::from(comp.reduction_db(0)) / 20.0)
                        })
                        .collect()
                };
                let on = &g[4800..4800 + n_on];
                let off = &g[4800 + n_on..];
                let (t_a, t_r) = match style {
                    // Clean: 63 % of the step in dB.
                    Style::Clean => {
                        let red = |v: &[f64]| v.iter().map(|g| -db(*g)).collect::<Vec<_>>();
                        let full = 20.0;
                        (
                            crossing(&red(on), one_minus_e * full, true, fs.into()),
                            crossing(&red(off), (1.0 - one_minus_e) * full, false, fs.into()),
                        )
                    }
                    // Punchy: 63 % of the step in linear gain (1 → 0.1).
                    _ => {
                        let drop: Vec<f64> = on.iter().map(|g| 1.0 - g).collect();
                        let rise: Vec<f64> = off.iter().map(|g| g - 0.1).collect();
                        (
                            crossing(&drop, one_minus_e * 0.9, true, fs.into()),
                            crossing(&rise, one_minus_e * 0.9, true, fs.into()),
                        )
                    }
                };
                let ea = (t_a * 1e3 / f64::from(attack) - 1.0).abs();
                let er = (t_r * 1e3 / f64::from(release) - 1.0).abs();
                worst = (worst.0.max(ea), worst.1.max(er));
                assert!(
                    ea < 0.05,
                    "{style:?} {fs} Hz attack {attack} ms: 63 % at {:.4} ms",
                    t_a * 1e3
                );
                assert!(
                    er < 0.05,
                    "{style:?} {fs} Hz release {release} ms: 63 % at {:.4} ms",
                    t_r * 1e3
                );
            }
        }
    }
    println!(
        "63 % times: worst attack error {:.3} %, worst release error {:.3} %",
        worst.0 * 100.0,
        worst.1 * 100.0
    );
}

#[test]
fn hold_delays_the_release() {
    let fs = 48_000.0;
    let (hold, release) = (40.0f32, 50.0f32);
    let p = CompressorParams {
        threshold_db: -20.0,
        ratio: MAX_RATIO,
        knee_db: 0.0,
        attack_ms: 1.0,
        release_ms: release,
        hold_ms: hold,
        ..CompressorParams::default()
    };
    let mut comp = compressor(fs, 1, &p);
    let mut x = square(9600, 1.0);
    x.extend(square(19_200, gain(-40.0)));
    let y = run(&mut comp, std::slice::from_ref(&x), 100);
    let red: Vec<f64> = y[0][9600..]
        .iter()
        .zip(&x[9600..])
        .map(|(o, i)| -db(f64::from(o.abs()) / f64::from(i.abs())))
        .collect();
    // Flat for the hold time, then 36.8 % of the step after hold + release.
    let hold_n = (hold * 1e-3 * fs) as usize;
    assert!(red[..hold_n].iter().all(|r| (r - 20.0).abs() < 1e-3));
    let t = crossing(&red, 20.0 * (-1.0f64).exp(), false, fs.into()) * 1e3;
    let want = f64::from(hold + release);
    assert!((t / want - 1.0).abs() < 0.02, "{t} ms vs {want} ms");
}

#[test]
fn lookahead_delay_equals_the_reported_latency() {
    for fs in [44_100.0f32, 48_000.0, 96_000.0, 192_000.0] {
        for ms in [0.0f32, 0.5, 1.0, 5.0, 20.0] {
            let p = CompressorParams {
                lookahead_ms: ms,
                ..CompressorParams::default()
            };
            let mut comp = compressor(fs, 2, &p);
            let latency = comp.latency();
            assert_eq!(latency, comp.latency_for(&p));
            assert_eq!(latency, (ms * 1e-3 * fs).round() as usize);
            // A quiet impulse (no compression) comes out exactly there.
            let mut x = vec![0.0f32; 8192];
            x[100] = 0.01;
            let y = run(&mut comp, &[x.clone(), x.clone()], 77);
            for ch in &y {
                let peak = ch
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                    .map(|(i, _)| i);
                assert_eq!(peak, Some(100 + latency), "{fs} Hz {ms} ms");
                assert_eq!(ch[100 + latency], 0.01);
            }
        }
    }
}

#[test]
fn lookahead_reduces_the_gain_before_the_transient_arrives() {
    let fs = 48_000.0;
    let p = CompressorParams {
        threshold_db: -20.0,
        ratio: MAX_RATIO,
        knee_db: 0.0,
        attack_ms: 1.0,
        lookahead_ms: 5.0,
        ..CompressorParams::default()
    };
    let mut comp = compressor(fs, 1, &p);
    let latency = comp.latency();
    let mut x = square(4800, gain(-40.0));
    x.extend(square(4800, 1.0));
    let y = run(&mut comp, std::slice::from_ref(&x), 64);
    // The first loud sample leaves the output `latency` samples later, when
    // the attack has already run for 5 ms = 5 time constants.
    let first = f64::from(y[0][4800 + latency].abs());
    let reduction = -db(first);
    let want = 20.0 * (1.0 - (-5.0f64).exp());
    assert!((reduction - want).abs() < 0.2, "{reduction} dB vs {want}");
}

#[test]
fn unity_ratio_with_full_mix_passes_the_input_exactly() {
    let fs = 48_000.0;
    let mut seed = 7u32;
    let mut noise = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed >> 8) as f32 / 8_388_608.0 - 1.0
    };
    let x: Vec<Vec<f32>> = (0..2)
        .map(|_| (0..20_000).map(|_| 2.0 * noise()).collect())
        .collect();
    for style in [Style::Clean, Style::Opto, Style::Punchy] {
        for topology in [Topology::FeedForward, Topology::Feedback] {
            for (threshold_db, knee_db, attack_ms, blend) in [
                (-60.0f32, 0.0f32, 0.01f32, 0.0f32),
                (-20.0, 24.0, 10.0, 1.0),
                (-40.0, 6.0, 300.0, 0.5),
            ] {
                let p = CompressorParams {
                    ratio: 1.0,
                    mix: 1.0,
                    threshold_db,
                    knee_db,
                    attack_ms,
                    detector_blend: blend,
                    auto_makeup: true,
                    auto_release: true,
                    style,
                    topology,
                    stereo_link: 0.5,
                    ..CompressorParams::default()
                };
                let mut comp = compressor(fs, 2, &p);
                let y = run(&mut comp, &x, 333);
                assert_eq!(y, x, "{style:?} {topology:?} T {threshold_db}");
            }
        }
    }
}

#[test]
fn mix_zero_and_bypass_give_the_delayed_input() {
    let fs = 48_000.0;
    let x: Vec<f32> = (0..9600).map(|i| (i as f32 * 0.03).sin()).collect();
    for (mix, bypass) in [(0.0f32, false), (1.0, true)] {
        let p = CompressorParams {
            threshold_db: -40.0,
            mix,
            bypass,
            lookahead_ms: 2.0,
            makeup_db: 12.0,
            ..CompressorParams::default()
        };
        let mut comp = compressor(fs, 1, &p);
        let l = comp.latency();
        let y = run(&mut comp, std::slice::from_ref(&x), 100);
        for i in l..x.len() {
            assert_eq!(y[0][i], x[i - l], "mix {mix} bypass {bypass} at {i}");
        }
    }
}

fn mixed_signal(n: usize, seed: u32) -> Vec<Vec<f32>> {
    let mut s = seed.max(1);
    let mut noise = move || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        (s >> 8) as f32 / 8_388_608.0 - 1.0
    };
    (0..2)
        .map(|c| {
            (0..n)
                .map(|i| {
                    let env = if (i / 2400) % 3 == 0 { 1.0 } else { 0.1 };
                    env * (0.6 * ((i as f32) * 0.02 * (1.0 + c as f32)).sin() + 0.4 * noise())
                })
                .collect()
        })
        .collect()
}

#[test]
fn output_does_not_depend_on_the_block_size() {
    let fs = 44_100.0;
    let x = mixed_signal(30_000, 3);
    let key = mixed_signal(30_000, 9);
    let settings = [
        CompressorParams::default(),
        CompressorParams {
            style: Style::Opto,
            auto_release: true,
            detector_blend: 0.7,
            sc_hpf_hz: 150.0,
            lookahead_ms: 3.0,
            hold_ms: 20.0,
            ..CompressorParams::default()
        },
        CompressorParams {
            style: Style::Punchy,
            topology: Topology::Feedback,
            stereo_mode: StereoMode::MidSide,
            stereo_link: 0.3,
            external_sidechain: true,
            sc_lpf_hz: 2000.0,
            sc_listen: false,
            mix: 0.6,
            ..CompressorParams::default()
        },
    ];
    for p in settings {
        let mut reference = None;
        for block in [1usize, 7, 64, 65, 999, 4096] {
            let mut comp = compressor(fs, 2, &p);
            // A parameter change mid-stream, at a block-dependent moment:
            // it takes effect at the next grid point either way.
            let half = 15_000 / block * block;
            let mut first: Vec<Vec<f32>> = x.iter().map(|c| c[..half].to_vec()).collect();
            let k1: Vec<Vec<f32>> = key.iter().map(|c| c[..half].to_vec()).collect();
            first = run_sc(&mut comp, &first, Some(&k1), block);
            comp.set_params(&CompressorParams {
                threshold_db: -30.0,
                sc_listen: p.style == Style::Punchy,
                ..p
            });
            let rest: Vec<Vec<f32>> = x.iter().map(|c| c[half..].to_vec()).collect();
            let k2: Vec<Vec<f32>> = key.iter().map(|c| c[half..].to_vec()).collect();
            let second = run_sc(&mut comp, &rest, Some(&k2), block);
            let out: Vec<Vec<f32>> = first
                .into_iter()
                .zip(second)
                .map(|(mut a, b)| {
                    a.extend(b);
                    a
                })
                .collect();
            // Only compare from the latest possible change point on: the
            // change lands on the grid point after `half`, which differs by
            // block; before the earliest `half` all must agree.
            match &reference {
                None => reference = Some(out),
                Some(r) => {
                    let earliest = 15_000 / 4096 * 4096;
                    for c in 0..2 {
                        assert_eq!(r[c][..earliest], out[c][..earliest], "{p:?} block {block}");
                    }
                }
            }
        }
    }
}

#[test]
fn output_is_bit_identical_across_block_sizes_with_automation_on_the_grid() {
    let fs = 48_000.0;
    let x = mixed_signal(24_576, 5);
    for style in [Style::Clean, Style::Opto, Style::Punchy] {
        let p = CompressorParams {
            style,
            auto_release: true,
            ..CompressorParams::default()
        };
        let mut reference: Option<Vec<Vec<f32>>> = None;
        for block in [1usize, 7, 64, 65, 999, 4096] {
            let mut comp = compressor(fs, 2, &p);
            // Change settings every 4096 samples (a grid point), feeding the
            // host blocks up to there.
            let mut out = vec![Vec::new(), Vec::new()];
            for (k, piece) in (0..6).map(|k| (k, k * 4096..(k + 1) * 4096)) {
                comp.set_params(&CompressorParams {
                    threshold_db: -10.0 - 6.0 * k as f32,
                    ratio: 2.0 + k as f32,
                    makeup_db: k as f32,
                    ..p
                });
                let chunk: Vec<Vec<f32>> = x.iter().map(|c| c[piece.clone()].to_vec()).collect();
                let y = run(&mut comp, &chunk, block);
                for c in 0..2 {
                    out[c].extend_from_slice(&y[c]);
                }
            }
            match &reference {
                None => reference = Some(out),
                Some(r) => assert_eq!(r, &out, "{style:?} block {block}"),
            }
        }
    }
}

#[test]
fn external_sidechain_drives_the_gain_and_absent_or_silent_means_none() {
    let fs = 48_000.0;
    let p = CompressorParams {
        threshold_db: -30.0,
        ratio: MAX_RATIO,
        knee_db: 0.0,
        attack_ms: 1.0,
        external_sidechain: true,
        ..CompressorParams::default()
    };
    let quiet = square(9600, gain(-40.0));
    let loud_key = square(9600, gain(-10.0));
    // Key 20 dB over the threshold: the quiet main input loses 20 dB.
    let mut comp = compressor(fs, 2, &p);
    let y = run_sc(
        &mut comp,
        &[quiet.clone(), quiet.clone()],
        Some(std::slice::from_ref(&loud_key)),
        256,
    );
    let red = -db(f64::from(y[0][9599].abs()) / f64::from(quiet[9599].abs()));
    assert!((red - 20.0).abs() < 0.05, "{red}");
    // A silent key, or none at all: no reduction (the main input alone
    // would not be compressed either at −40 dB, so use a loud one).
    let loud = square(9600, 1.0);
    for key in [Some(vec![vec![0.0f32; 9600]; 2]), None] {
        let mut comp = compressor(fs, 2, &p);
        let y = run_sc(
            &mut comp,
            &[loud.clone(), loud.clone()],
            key.as_deref(),
            256,
        );
        if key.is_some() {
            assert_eq!(y[0], loud, "silent key must not compress");
        } else {
            // No key given: the input itself is the key.
            assert!(y[0][9599].abs() < 0.05);
        }
    }
    // NaN in the key never sticks.
    let mut bad_key = loud_key.clone();
    for v in &mut bad_key[1000..1100] {
        *v = f32::NAN;
    }
    let mut comp = compressor(fs, 2, &p);
    let y = run_sc(
        &mut comp,
        &[quiet.clone(), quiet.clone()],
        Some(&[bad_key]),
        100,
    );
    assert!(y.iter().flatten().all(|v| v.is_finite()));
    let red = -db(f64::from(y[0][9599].abs()) / f64::from(quiet[9599].abs()));
    assert!((red - 20.0).abs() < 0.05, "{red}");
}

#[test]
fn sidechain_filters_shape_what_the_detector_hears() {
    let fs = 48_000.0;
    // 50 Hz at −6 dB: with a 500 Hz key high-pass the detector hears
    // about 40 dB less (12 dB/oct, 3.3 octaves), so no compression.
    let x: Vec<f32> = (0..48_000)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 50.0 * i as f32 / fs).sin())
        .collect();
    let reduction = |hpf: f32| {
        let p = CompressorParams {
            threshold_db: -20.0,
            sc_hpf_hz: hpf,
            ..CompressorParams::default()
        };
        let mut comp = compressor(fs, 1, &p);
        run(&mut comp, std::slice::from_ref(&x), 512);
        comp.reduction_db(0)
    };
    assert!(reduction(20.0) > 5.0);
    assert!(reduction(500.0) < 0.01);
    // Listen outputs the filtered key.
    let p = CompressorParams {
        sc_hpf_hz: 2000.0,
        sc_listen: true,
        ..CompressorParams::default()
    };
    let mut comp = compressor(fs, 1, &p);
    let y = run(&mut comp, std::slice::from_ref(&x), 512);
    let tail_peak = y[0][24_000..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    // 50 Hz through a 2 kHz 12 dB/oct high-pass: about −64 dB.
    assert!(tail_peak < 0.5 * gain(-55.0), "{tail_peak}");
}

#[test]
fn mid_side_mode_compresses_mid_and_side_separately() {
    let fs = 48_000.0;
    // Loud side (L = −R), no mid; link 0: only the side loses level.
    let s = square(19_200, 0.5);
    let l = s.clone();
    let r: Vec<f32> = s.iter().map(|v| -v).collect();
    let p = CompressorParams {
        threshold_db: -20.0,
        ratio: MAX_RATIO,
        knee_db: 0.0,
        attack_ms: 1.0,
        stereo_mode: StereoMode::MidSide,
        stereo_link: 0.0,
        ..CompressorParams::default()
    };
    let mut comp = compressor(fs, 2, &p);
    // Add a quiet mid to both.
    let mid = 0.01f32;
    let y = run(
        &mut comp,
        &[
            l.iter().map(|v| v + mid).collect(),
            r.iter().map(|v| v + mid).collect(),
        ],
        256,
    );
    let (yl, yr) = (y[0][19_199], y[1][19_199]);
    let (m, sd) = (0.5 * (yl + yr), 0.5 * (yl - yr));
    assert!((m - mid).abs() < 1e-5, "mid {m}");
    assert!((db(f64::from(sd.abs())) + 20.0).abs() < 0.05, "side {sd}");
}

#[test]
fn bad_input_and_extreme_settings_stay_finite_and_recover() {
    for fs in [22_050.0f32, 48_000.0, 192_000.0] {
        for style in [Style::Clean, Style::Opto, Style::Punchy] {
            for topology in [Topology::FeedForward, Topology::Feedback] {
                let p = CompressorParams {
                    threshold_db: -60.0,
                    ratio: f32::INFINITY,
                    knee_db: 0.0,
                    attack_ms: 0.01,
                    release_ms: 1.0,
                    lookahead_ms: 20.0,
                    detector_blend: 0.5,
                    makeup_db: 24.0,
                    auto_makeup: true,
                    output_db: 6.0,
                    style,
                    topology,
                    ..CompressorParams::default()
                };
                let mut comp = compressor(fs, 2, &p);
                let mut x = mixed_signal(20_000, 11);
                for c in &mut x {
                    for (i, v) in c[5000..5100].iter_mut().enumerate() {
                        *v = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30][i % 4];
                    }
                }
                let y = run(&mut comp, &x, 61);
                for c in &y {
                    assert!(
                        c.iter().all(|v| v.is_finite()),
                        "{fs} {style:?} {topology:?}"
                    );
                    // Bounded: at most the input peak (1e30 counts as a
                    // sample) would need no more than makeup + output gain;
                    // with 60 dB of range the quiet parts get at most that.
                    let late = c[12_000..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
                    assert!(late < gain(30.0), "{fs} {style:?} {topology:?}: {late}");
                }
                // Garbage settings fall back to sane values.
                comp.set_params(&CompressorParams {
                    threshold_db: f32::NAN,
                    ratio: -3.0,
                    attack_ms: f32::NEG_INFINITY,
                    release_ms: f32::NAN,
                    lookahead_ms: 1e9,
                    rms_window_ms: -1.0,
                    mix: f32::NAN,
                    sc_hpf_hz: f32::INFINITY,
                    ..p
                });
                let y = run(&mut comp, &mixed_signal(4800, 2), 4096);
                assert!(y.iter().flatten().all(|v| v.is_finite()));
            }
        }
    }
}

#[test]
fn parameter_jumps_glide_instead_of_clicking() {
    // A 40 dB threshold jump with a 0.01 ms attack: the reduction follows
    // the 20 ms ramp, never more than a sliver per sample.
    let fs = 48_000.0;
    let p = CompressorParams {
        threshold_db: 0.0,
        ratio: MAX_RATIO,
        knee_db: 0.0,
        attack_ms: 0.01,
        release_ms: 1.0,
        ..CompressorParams::default()
    };
    let mut comp = compressor(fs, 1, &p);
    let x = square(9600, 0.5);
    run(&mut comp, std::slice::from_ref(&x), 128);
    comp.set_params(&CompressorParams {
        threshold_db: -40.0,
        ..p
    });
    let y = run(&mut comp, std::slice::from_ref(&x), 128);
    let red: Vec<f64> = y[0]
        .iter()
        .zip(&x)
        .map(|(o, i)| -db(f64::from(o.abs()) / f64::from(i.abs())))
        .collect();
    // 34 dB over 960 samples: 0.035 dB per sample on the ramp.
    let steepest = red
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f64::max);
    assert!(steepest < 0.1, "{steepest} dB in one sample");
    assert!((red[9599] - 33.98).abs() < 0.05, "{}", red[9599]);
}

/// Drum-like test signal: 10 ms bursts every 250 ms over a quieter bed.
fn drums(n: usize, fs: f32) -> Vec<f32> {
    let period = (0.25 * fs) as usize;
    (0..n)
        .map(|i| {
            let t = (i % period) as f32 / fs;
            let hit = (-t * 40.0).exp();
            let bed = 0.1;
            (hit * 0.9 + bed) * (2.0 * std::f32::consts::PI * 180.0 * i as f32 / fs).sin()
        })
        .collect()
}

#[test]
fn styles_really_differ() {
    let fs = 48_000.0;
    let x = drums(48_000 * 2, fs);
    let out = |style| {
        let p = CompressorParams {
            threshold_db: -24.0,
            ratio: 6.0,
            attack_ms: 5.0,
            release_ms: 80.0,
            style,
            ..CompressorParams::default()
        };
        let mut comp = compressor(fs, 1, &p);
        run(&mut comp, std::slice::from_ref(&x), 256).remove(0)
    };
    let (clean, opto, punchy) = (out(Style::Clean), out(Style::Opto), out(Style::Punchy));
    let diff_db = |a: &[f32], b: &[f32]| {
        let e: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum();
        let s: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum();
        10.0 * (e / s).log10()
    };
    // Each pair differs by more than −30 dB of residual (far above rounding).
    for (name, a, b) in [
        ("clean/opto", &clean, &opto),
        ("clean/punchy", &clean, &punchy),
        ("opto/punchy", &opto, &punchy),
    ] {
        let d = diff_db(a, b);
        assert!(d > -30.0, "{name}: residual {d:.1} dB");
    }
    // Punchy lets the onset through: the first 2 ms of a hit are louder than
    // clean's (its linear-domain attack is slower in dB at first).
    let onset = |y: &[f32]| y[12_000..12_096].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(onset(&punchy) > onset(&clean) * 1.05);
}

#[test]
fn opto_and_auto_release_are_program_dependent() {
    // Release time after a short burst versus after two seconds of
    // compression: program-dependent styles recover slower after the long one.
    let fs = 48_000.0;
    let release_time = |p: &CompressorParams, burst_s: f32| {
        let mut comp = compressor(fs, 1, p);
        let n = (burst_s * fs) as usize;
        let mut x = square(n, 1.0);
        x.extend(square(48_000 * 4, gain(-60.0)));
        let y = run(&mut comp, std::slice::from_ref(&x), 256);
        let red: Vec<f64> = y[0][n..]
            .iter()
            .zip(&x[n..])
            .map(|(o, i)| -db(f64::from(o.abs()) / f64::from(i.abs())))
            .collect();
        crossing(&red, red[0] * (-1.0f64).exp(), false, fs.into())
    };
    let base = CompressorParams {
        threshold_db: -20.0,
        ratio: MAX_RATIO,
        knee_db: 0.0,
        attack_ms: 1.0,
        release_ms: 100.0,
        ..CompressorParams::default()
    };
    // Clean without auto: the same release either way.
    let (s, l) = (release_time(&base, 0.05), release_time(&base, 2.0));
    assert!((s - l).abs() < 0.002, "{s} {l}");
    assert!((s - 0.1).abs() < 0.005);
    for p in [
        CompressorParams {
            style: Style::Opto,
            ..base
        },
        CompressorParams {
            auto_release: true,
            ..base
        },
    ] {
        let (s, l) = (release_time(&p, 0.05), release_time(&p, 2.0));
        assert!(
            l > 2.0 * s,
            "{:?} auto {}: short {s} s, long {l} s",
            p.style,
            p.auto_release
        );
    }
}

#[test]
fn vector_and_baseline_builds_give_identical_output() {
    let fs = 48_000.0;
    let x = mixed_signal(20_000, 13);
    for style in [Style::Clean, Style::Opto, Style::Punchy] {
        for topology in [Topology::FeedForward, Topology::Feedback] {
            let p = CompressorParams {
                style,
                topology,
                detector_blend: 0.3,
                stereo_link: 0.6,
                sc_hpf_hz: 80.0,
                lookahead_ms: 1.0,
                mix: 0.8,
                ..CompressorParams::default()
            };
            let mut wide = compressor(fs, 2, &p);
            let mut base = compressor(fs, 2, &p);
            base.set_vector_path(false);
            assert_eq!(
                run(&mut wide, &x, 300),
                run(&mut base, &x, 300),
                "{style:?} {topology:?}"
            );
        }
    }
}

/// Amplitude of the component at `cycles_per_sample` in `x` (one DFT bin;
/// `x` holds a whole number of periods).
fn tone_amplitude(x: &[f32], cycles_per_sample: f64) -> f64 {
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (n, &v) in x.iter().enumerate() {
        let ph = 2.0 * std::f64::consts::PI * cycles_per_sample * n as f64;
        re += f64::from(v) * ph.cos();
        im -= f64::from(v) * ph.sin();
    }
    2.0 * (re * re + im * im).sqrt() / x.len() as f64
}

#[test]
fn punchy_saturation_is_gentle_and_grows_with_the_reduction() {
    // A steady 1 kHz sine into an RMS detector with a long window: the gain
    // barely moves within a cycle, so Clean adds almost no harmonics, and
    // Punchy's saturation shows as a third harmonic that rises with the
    // gain reduction but stays gentle.
    let fs = 48_000.0;
    let f = 1000.0 / 48_000.0;
    let x: Vec<f32> = (0..96_000)
        .map(|n| 0.5 * (2.0 * std::f64::consts::PI * f * n as f64).sin() as f32)
        .collect();
    let h3_dbc = |style, threshold_db| {
        let p = CompressorParams {
            threshold_db,
            ratio: MAX_RATIO,
            detector_blend: 1.0,
            rms_window_ms: 100.0,
            attack_ms: 50.0,
            release_ms: 500.0,
            style,
            ..CompressorParams::default()
        };
        let mut comp = compressor(fs, 1, &p);
        let y = run(&mut comp, std::slice::from_ref(&x), 512);
        let tail = &y[0][48_000..];
        20.0 * (tone_amplitude(tail, 3.0 * f) / tone_amplitude(tail, f)).log10()
    };
    // The sine reads −9 dB RMS: thresholds −15 and −27 dB give 6 and 18 dB
    // of reduction.
    let (clean, light, heavy) = (
        h3_dbc(Style::Clean, -27.0),
        h3_dbc(Style::Punchy, -15.0),
        h3_dbc(Style::Punchy, -27.0),
    );
    println!("H3: clean {clean:.1} dBc, punchy 6 dB GR {light:.1} dBc, 18 dB GR {heavy:.1} dBc");
    assert!(clean < -80.0, "clean adds {clean} dBc");
    assert!(heavy > clean + 40.0, "punchy {heavy} vs clean {clean}");
    assert!(
        heavy > light + 3.0,
        "more reduction, more colour: {light} -> {heavy}"
    );
    assert!(heavy < -20.0, "gentle: {heavy} dBc");
}
