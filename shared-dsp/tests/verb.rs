//! Glasswork Verb's late reverberation against closed-form expectations:
//! the measured RT60 (Schroeder backward integration, T30) equals the set
//! decay per band, freeze keeps the energy constant, the two outputs are
//! decorrelated, bad input and extreme settings stay stable, and the output
//! does not depend on the host's block size.
//!
//! Run with `cargo test -p glass-dsp --test verb -- --nocapture` to see the
//! measured figures.

use glass_dsp::biquad::{Biquad, BiquadCoefs};
use glass_dsp::fdn::{Fdn, FdnParams};
use glass_dsp::reverb::{Character, Reverb, ReverbParams};

const FS: f32 = 48_000.0;

/// Impulse response of a fresh network (left input, both outputs), rendered
/// in host blocks of `block` samples.
fn fdn_ir(p: &FdnParams, len: usize, block: usize) -> (Vec<f32>, Vec<f32>) {
    let mut fdn = Fdn::new();
    fdn.prepare(FS);
    fdn.set_params(p);
    fdn.reset();
    let mut x = vec![0.0f32; len];
    x[0] = 1.0;
    let zeros = vec![0.0f32; len];
    let (mut l, mut r) = (vec![0.0f32; len], vec![0.0f32; len]);
    let mut pos = 0;
    while pos < len {
        let n = block.min(len - pos);
        let (a, b) = (&mut l[pos..pos + n], &mut r[pos..pos + n]);
        fdn.process(&x[pos..pos + n], &zeros[pos..pos + n], a, b);
        pos += n;
    }
    (l, r)
}

/// The signal through an octave band-pass at `centre_hz`: two cascaded
/// band-pass biquads at Q = √2 (the Q of a one-octave bandwidth).
fn octave_band(x: &[f32], centre_hz: f32) -> Vec<f32> {
    octave_band_at(x, centre_hz, FS)
}

/// [`octave_band`] at sample rate `fs` in Hz.
fn octave_band_at(x: &[f32], centre_hz: f32, fs: f32) -> Vec<f32> {
    let c = BiquadCoefs::bandpass(fs, centre_hz, core::f32::consts::SQRT_2);
    let (mut a, mut b) = (Biquad::new(c), Biquad::new(c));
    x.iter().map(|&v| b.process(a.process(v))).collect()
}

/// RT60 in seconds by Schroeder's backward integration (M. R. Schroeder,
/// "New method of measuring reverberation time", JASA 37, 1965): the energy
/// decay curve EDC(t) = Σ_{n ≥ t} h[n]², in dB re its start, fitted by least
/// squares between −5 and −35 dB (T30) and extrapolated to −60 dB.
fn t30(h: &[f32]) -> f64 {
    t30_of_energy(FS, h.iter().map(|&v| f64::from(v) * f64::from(v)))
}

/// T30 of the summed energy of several responses (ISO 3382-2's averaging
/// of the decay over source/receiver positions, here the two outputs).
fn t30_pair(a: &[f32], b: &[f32]) -> f64 {
    t30_pair_at(a, b, FS)
}

/// [`t30_pair`] of responses at sample rate `fs` in Hz.
fn t30_pair_at(a: &[f32], b: &[f32], fs: f32) -> f64 {
    t30_of_energy(
        fs,
        a.iter()
            .zip(b)
            .map(|(&x, &y)| f64::from(x) * f64::from(x) + f64::from(y) * f64::from(y)),
    )
}

/// T30 from the squared impulse response at sample rate `fs` in Hz.
fn t30_of_energy(fs: f32, energy: impl DoubleEndedIterator<Item = f64> + ExactSizeIterator) -> f64 {
    let mut edc = vec![0.0f64; energy.len()];
    let mut acc = 0.0f64;
    for (e, v) in edc.iter_mut().rev().zip(energy.rev()) {
        acc += v;
        *e = acc;
    }
    let total = edc[0];
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0f64, 0.0, 0.0, 0.0, 0.0);
    for (i, &e) in edc.iter().enumerate() {
        let db = 10.0 * (e / total).log10();
        if db > -5.0 {
            continue;
        }
        if db < -35.0 {
            break;
        }
        let t = i as f64 / f64::from(fs);
        n += 1.0;
        sx += t;
        sy += db;
        sxx += t * t;
        sxy += t * db;
    }
    let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    -60.0 / slope
}

fn fdn_params(decay_s: f32) -> FdnParams {
    FdnParams {
        decay_s,
        ..FdnParams::default()
    }
}

#[test]
fn fdn_rt60_matches_the_set_decay_in_the_mid_octaves() {
    for decay in [0.5f32, 2.0, 8.0] {
        let len = (2.0 * decay * FS) as usize + 4_800;
        let (l, r) = fdn_ir(&fdn_params(decay), len, 512);
        for centre in [500.0f32, 1_000.0, 2_000.0] {
            for (side, h) in [("L", &l), ("R", &r)] {
                let rt = t30(&octave_band(h, centre));
                let err = (rt / f64::from(decay) - 1.0) * 100.0;
                eprintln!("fdn decay {decay} s, {centre} Hz {side}: T30 {rt:.3} s ({err:+.2} %)");
                assert!(err.abs() < 5.0, "{decay} s at {centre} Hz {side}: {rt} s");
            }
        }
    }
}

#[test]
fn fdn_band_multipliers_are_honoured() {
    let decay = 2.0f32;
    let p = FdnParams {
        decay_s: decay,
        low_multiplier: 1.8,
        high_multiplier: 0.4,
        low_crossover_hz: 300.0,
        high_crossover_hz: 3_000.0,
        ..FdnParams::default()
    };
    let len = (2.0 * decay * 1.8 * FS) as usize;
    let (l, _) = fdn_ir(&p, len, 512);
    // Octaves two or more octaves from the crossovers, and the mid band.
    for centre in [63.0f32, 1_000.0, 12_000.0] {
        let want = f64::from(p.band_decay_s(centre));
        let rt = t30(&octave_band(&l, centre));
        let err = (rt / want - 1.0) * 100.0;
        eprintln!("fdn multipliers, {centre} Hz: T30 {rt:.3} s, set {want:.3} s ({err:+.2} %)");
        assert!(err.abs() < 10.0, "{centre} Hz: {rt} s vs {want} s");
    }
}

/// Renders `l`/`r` through a fresh kernel in host blocks of `block`.
fn render(p: &ReverbParams, l: &[f32], r: &[f32], block: usize) -> (Vec<f32>, Vec<f32>) {
    let mut verb = Reverb::new();
    verb.set_params(p);
    verb.prepare(FS, block, 2);
    let (mut l, mut r) = (l.to_vec(), r.to_vec());
    for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        verb.process(&mut [a, b]);
    }
    (l, r)
}

fn impulse(len: usize) -> Vec<f32> {
    let mut x = vec![0.0; len];
    x[0] = 1.0;
    x
}

/// Deterministic white noise in [−1, 1) (a 32-bit LCG's top bits).
fn noise(len: usize, seed: u32) -> Vec<f32> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

/// Wet only, everything else at its default.
fn wet(decay_s: f32) -> ReverbParams {
    ReverbParams {
        decay_s,
        mix: 1.0,
        ..ReverbParams::default()
    }
}

/// Mean square of `x` in dB.
fn energy_db(x: &[f32]) -> f64 {
    let e = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64;
    10.0 * e.log10()
}

/// Decay and size pairs for the RT60 test: every size at every decay where
/// the longest line (66 ms × size) loses at most 5 dB per pass, so the
/// network has built up before the T30 fit range starts at −5 dB. Shorter
/// decays in larger rooms decay over their own build-up (the early
/// reflections, then the lines' first arrivals), and Schroeder's T30 of such
/// a response reads short; the characters pair short decays with small
/// sizes.
fn rt60_cases() -> Vec<(f32, f32)> {
    let mut cases = Vec::new();
    for decay in [0.5f32, 1.0, 2.0, 5.0, 12.0, 30.0] {
        for size in [0.25f32, 0.5, 1.0, 2.0] {
            let first_pass_db = 60.0 * 0.066 * size / decay;
            if first_pass_db <= 5.0 && (decay < 30.0 || size >= 1.0) {
                cases.push((decay, size));
            }
        }
    }
    cases
}

#[test]
fn rt60_matches_the_set_decay_in_the_mid_octaves() {
    // Asserted on the decay averaged over both outputs (the energy sum, as
    // ISO 3382-2 averages positions); each output's own T30 is printed too.
    let (mut worst, mut worst_single) = (0.0f64, 0.0f64);
    for (decay, size) in rt60_cases() {
        let len = (2.0 * decay * FS) as usize + 9_600;
        let p = ReverbParams { size, ..wet(decay) };
        let (l, r) = render(&p, &impulse(len), &vec![0.0; len], 256);
        let mut errs = Vec::new();
        let pct = |rt: f64| (rt / f64::from(decay) - 1.0) * 100.0;
        for centre in [500.0f32, 1_000.0, 2_000.0] {
            let (bl, br) = (octave_band(&l, centre), octave_band(&r, centre));
            let rt = t30_pair(&bl, &br);
            let err = pct(rt);
            let (el, er) = (pct(t30(&bl)), pct(t30(&br)));
            assert!(
                err.abs() < 5.0,
                "{decay} s size {size} at {centre} Hz: {rt} s"
            );
            worst = worst.max(err.abs());
            worst_single = worst_single.max(el.abs()).max(er.abs());
            errs.push(format!("{centre} Hz {err:+.2} (L {el:+.2}, R {er:+.2})"));
        }
        eprintln!(
            "verb decay {decay} s size {size}: T30 error % {}",
            errs.join(", ")
        );
    }
    eprintln!("verb RT60: worst error {worst:.2} % (L+R), {worst_single:.2} % (one output)");
}

#[test]
fn band_multipliers_are_honoured() {
    for (low, high) in [(2.0f32, 0.5f32), (0.5, 0.25), (3.0, 1.5)] {
        let p = ReverbParams {
            low_multiplier: low,
            high_multiplier: high,
            low_crossover_hz: 300.0,
            high_crossover_hz: 3_000.0,
            ..wet(2.0)
        };
        let len = (2.0 * 2.0 * low.max(high).max(1.0) * FS) as usize + 9_600;
        let (l, r) = render(&p, &impulse(len), &vec![0.0; len], 256);
        // Two octaves or more from the crossovers; both outputs' decay.
        for (centre, mult) in [(63.0f32, low), (12_000.0, high)] {
            let want = f64::from(p.decay_s * mult);
            let rt = t30_pair(&octave_band(&l, centre), &octave_band(&r, centre));
            let err = (rt / want - 1.0) * 100.0;
            eprintln!(
                "verb multiplier ×{mult} at {centre} Hz: T30 {rt:.3} s, set {want:.3} s ({err:+.2} %)"
            );
            assert!(
                err.abs() < 10.0,
                "×{mult} at {centre} Hz: {rt} s vs {want} s"
            );
        }
    }
}

#[test]
fn characters_decay_as_their_presets_say() {
    for ch in Character::ALL {
        let p = ReverbParams {
            mix: 1.0,
            ..ch.preset()
        };
        let len = (2.0 * p.decay_s * FS) as usize + 9_600;
        let (l, _) = render(&p, &impulse(len), &vec![0.0; len], 256);
        let rt = t30(&octave_band(&l, 1_000.0));
        let err = (rt / f64::from(p.decay_s) - 1.0) * 100.0;
        eprintln!(
            "{ch:?}: set {} s, T30 at 1 kHz {rt:.3} s ({err:+.2} %)",
            p.decay_s
        );
        assert!(err.abs() < 5.0, "{ch:?}: {rt} s vs {} s", p.decay_s);
    }
    // They really differ: no two share size and decay.
    for (i, a) in Character::ALL.iter().enumerate() {
        for b in &Character::ALL[i + 1..] {
            let (pa, pb) = (a.preset(), b.preset());
            assert!(
                pa.size != pb.size && pa.decay_s != pb.decay_s,
                "{a:?} vs {b:?}"
            );
        }
    }
}

#[test]
fn freeze_holds_the_energy_without_growth() {
    let p = ReverbParams {
        decay_s: 30.0,
        ..wet(30.0)
    };
    let mut verb = Reverb::new();
    verb.set_params(&p);
    verb.prepare(FS, 512, 2);
    let block = 512;
    // Half a second of noise, then freeze and silence.
    let burst = noise(FS as usize / 2, 7);
    let burst_r = noise(FS as usize / 2, 8);
    for (a, b) in burst.chunks(block).zip(burst_r.chunks(block)) {
        let (mut a, mut b) = (a.to_vec(), b.to_vec());
        verb.process(&mut [&mut a, &mut b]);
    }
    verb.set_params(&ReverbParams { freeze: true, ..p });
    let seconds = 11;
    let total = seconds * FS as usize;
    let (mut l, mut r) = (vec![0.0f32; total], vec![0.0f32; total]);
    for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        verb.process(&mut [a, b]);
    }
    // Skip the first second (fades and the early taps), then 10 s in
    // windows of 250 ms.
    let win = FS as usize / 4;
    let levels: Vec<f64> = l[FS as usize..]
        .chunks(win)
        .zip(r[FS as usize..].chunks(win))
        .map(|(a, b)| 0.5 * (energy_db(a) + energy_db(b)))
        .collect();
    let first = levels[0];
    let (min, max) = levels
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let drift = levels[levels.len() - 1] - first;
    eprintln!(
        "freeze over 10 s: start {first:.2} dB, range {:.3}..{:.3} dB re start, end {drift:+.3} dB",
        min - first,
        max - first
    );
    assert!(
        max - first < 1.0 && first - min < 1.0,
        "{min} {max} {first}"
    );
    assert!(drift.abs() < 1.0 && drift < 0.1, "drift {drift}");
    assert!(l.iter().chain(&r).all(|v| v.is_finite()));
}

#[test]
fn left_and_right_are_decorrelated_at_full_width() {
    let len = 2 * FS as usize;
    let x = impulse(len);
    let (l, r) = render(&wet(2.0), &x, &x, 256);
    // The tail from 100 ms to 1.5 s.
    let (a, b) = (&l[4_800..72_000], &r[4_800..72_000]);
    let dot = |x: &[f32], y: &[f32]| -> f64 {
        x.iter()
            .zip(y)
            .map(|(&p, &q)| f64::from(p) * f64::from(q))
            .sum()
    };
    let rho = dot(a, b) / (dot(a, a) * dot(b, b)).sqrt();
    eprintln!("L/R normalised cross-correlation at full width: {rho:+.4}");
    assert!(rho.abs() < 0.3, "rho {rho}");
    // At zero width the wet is mono: correlation 1.
    let (l0, r0) = render(
        &ReverbParams {
            width: 0.0,
            ..wet(2.0)
        },
        &x,
        &x,
        256,
    );
    let (a, b) = (&l0[4_800..72_000], &r0[4_800..72_000]);
    let rho0 = dot(a, b) / (dot(a, a) * dot(b, b)).sqrt();
    eprintln!("at zero width: {rho0:+.6}");
    assert!(rho0 > 0.999_99);
}

#[test]
fn output_is_identical_at_any_block_size() {
    let len = 30_000;
    let (xl, xr) = (noise(len, 1), noise(len, 2));
    let p = ReverbParams {
        ducking_db: 12.0,
        ..wet(1.5)
    };
    let reference = render(&p, &xl, &xr, 1);
    for block in [7usize, 32, 64, 65, 999, 4096] {
        let out = render(&p, &xl, &xr, block);
        assert!(out == reference, "block {block} differs");
    }
}

#[test]
fn non_finite_input_never_enters_the_loop() {
    let len = 48_000;
    let mut x = noise(len, 3);
    let mut clean = x.clone();
    for i in (1_000..len).step_by(4_999) {
        x[i] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][i % 3];
        clean[i] = 0.0;
    }
    let p = ReverbParams {
        mix: 0.5,
        ..wet(3.0)
    };
    let (l, r) = render(&p, &x, &x, 128);
    let (cl, cr) = render(&p, &clean, &clean, 128);
    // A non-finite sample counts as silence on both paths (dry and wet).
    assert!(l == cl && r == cr);
    assert!(l.iter().chain(&r).all(|v| v.is_finite()));
}

#[test]
fn stable_at_parameter_extremes() {
    let x = noise(24_000, 5);
    let silence = vec![0.0f32; 72_000];
    let mut worst_peak = 0.0f32;
    for decay in [0.1f32, 30.0] {
        for size in [0.1f32, 2.0] {
            for (low, high) in [(0.1f32, 4.0f32), (4.0, 0.1)] {
                for (depth, rate) in [(0.0f32, 0.01f32), (2.0, 10.0)] {
                    for (lx, hx) in [(20.0f32, 500.0f32), (2_000.0, 20_000.0)] {
                        let p = ReverbParams {
                            decay_s: decay,
                            size,
                            low_multiplier: low,
                            high_multiplier: high,
                            mod_depth_ms: depth,
                            mod_rate_hz: rate,
                            low_crossover_hz: lx,
                            high_crossover_hz: hx,
                            diffusion: 1.0,
                            pre_delay_ms: 500.0,
                            ..wet(decay)
                        };
                        let mut verb = Reverb::new();
                        verb.set_params(&p);
                        verb.prepare(FS, 512, 2);
                        let (mut a, mut b) = (x.clone(), x.clone());
                        verb.process(&mut [&mut a, &mut b]);
                        let (mut c, mut d) = (silence.clone(), silence.clone());
                        verb.process(&mut [&mut c, &mut d]);
                        let peak = a.iter().chain(&b).chain(&c).chain(&d).fold(0.0f32, |m, v| {
                            assert!(v.is_finite());
                            m.max(v.abs())
                        });
                        worst_peak = worst_peak.max(peak);
                        // Lossy loop: the wet cannot exceed a few times the
                        // input's peak (16 lines, unit-norm mixing).
                        assert!(peak < 8.0, "{p:?}: peak {peak}");
                        if decay == 0.1 && low.max(high) <= 4.0 {
                            // 0.4 s longest band: 2 s of silence is > 250 dB.
                            let tail = &c[c.len() - 4_800..];
                            assert!(tail.iter().all(|v| v.abs() < 1e-6), "{p:?}");
                        }
                    }
                }
            }
        }
    }
    eprintln!("extremes: largest wet peak {worst_peak:.3} for a unit-peak input");
}

#[test]
fn freeze_toggled_repeatedly_stays_bounded() {
    let p = wet(30.0);
    let mut verb = Reverb::new();
    verb.set_params(&p);
    verb.prepare(FS, 333, 2);
    let x = noise(333, 9);
    let mut peak = 0.0f32;
    for i in 0..600 {
        verb.set_params(&ReverbParams {
            freeze: (i / 3) % 2 == 0,
            size: if i % 50 < 25 { 0.5 } else { 1.5 },
            ..p
        });
        let (mut a, mut b) = (x.clone(), x.clone());
        verb.process(&mut [&mut a, &mut b]);
        for v in a.iter().chain(&b) {
            assert!(v.is_finite());
            peak = peak.max(v.abs());
        }
    }
    eprintln!("freeze toggled 300 times over 4 s: peak {peak:.3}");
    assert!(peak < 8.0, "peak {peak}");
}

#[test]
fn tail_length_covers_the_decay() {
    let p = wet(1.0);
    let tail = Reverb::tail_samples(&p, FS).expect("finite");
    // 90 dB at 60 dB per second plus pre-delay, early taps and a line.
    let expected = ((1.5 + (10.0 + 66.7 + 66.0) * 1e-3) * FS as f64).ceil() as usize;
    assert_eq!(tail, expected);
    let len = tail + 4_800;
    let (l, _) = render(&p, &impulse(len), &vec![0.0; len], 256);
    let peak = l.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let end = l[tail - 4_800..tail]
        .iter()
        .fold(0.0f32, |m, v| m.max(v.abs()));
    let below = 20.0 * f64::from(end / peak).log10();
    eprintln!("tail {tail} samples: last 100 ms peak {below:.1} dB re peak");
    assert!(below < -75.0, "{below} dB");
    assert_eq!(
        Reverb::tail_samples(&ReverbParams { freeze: true, ..p }, FS),
        None
    );
}

/// Normalised echo density (J. S. Abel and P. Huang, "A simple, robust
/// measure of reverberation echo density", AES 121st Convention, 2006): the
/// fraction of samples in a window lying more than one standard deviation
/// from zero, divided by that fraction for Gaussian noise, erfc(1/√2) =
/// 0.3173. Sparse early echoes read near 0; a noise-like tail reads 1.
fn echo_density(window: &[f32]) -> f64 {
    let n = window.len() as f64;
    let sigma = (window
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum::<f64>()
        / n)
        .sqrt();
    let outside = window
        .iter()
        .filter(|&&v| f64::from(v).abs() > sigma)
        .count() as f64;
    outside / n / 0.317_310_507_862_914_1
}

#[test]
fn echo_density_is_noise_like_within_100_ms() {
    // Wet only at default diffusion and pre-delay; 20 ms windows.
    let len = FS as usize;
    let (l, r) = render(&wet(2.0), &impulse(len), &vec![0.0; len], 256);
    let win = (0.02 * FS) as usize;
    let at = |h: &[f32], ms: f32| {
        let start = (ms * 1e-3 * FS) as usize;
        echo_density(&h[start..start + win])
    };
    let early = at(&l, 10.0);
    eprintln!("echo density, 20 ms windows: at 10 ms {early:.3}");
    // The measure tells sparse from dense: the early taps alone read low.
    assert!(early < 0.5, "{early}");
    for ms in [100.0f32, 150.0, 200.0, 300.0, 500.0] {
        let (dl, dr) = (at(&l, ms), at(&r, ms));
        eprintln!("echo density at {ms} ms: L {dl:.3}, R {dr:.3}");
        // Gaussian noise gives 1 with a spread of about ±0.05 over 960
        // samples; a sparse response reads well below.
        assert!(dl > 0.9 && dr > 0.9, "{ms} ms: {dl} {dr}");
    }
}

#[test]
fn rt60_holds_at_other_sample_rates() {
    for fs in [44_100.0f32, 96_000.0] {
        let decay = 2.0f32;
        let len = (2.0 * decay * fs) as usize + 9_600;
        let mut verb = Reverb::new();
        verb.set_params(&wet(decay));
        verb.prepare(fs, 512, 2);
        let (mut l, mut r) = (impulse(len), vec![0.0f32; len]);
        for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
            verb.process(&mut [a, b]);
        }
        for centre in [500.0f32, 1_000.0, 2_000.0] {
            let rt = t30_pair_at(
                &octave_band_at(&l, centre, fs),
                &octave_band_at(&r, centre, fs),
                fs,
            );
            let err = (rt / f64::from(decay) - 1.0) * 100.0;
            eprintln!("{fs} Hz, decay {decay} s, {centre} Hz: T30 {rt:.3} s ({err:+.2} %)");
            assert!(err.abs() < 5.0, "{fs} Hz {centre} Hz: {rt} s");
        }
    }
}
