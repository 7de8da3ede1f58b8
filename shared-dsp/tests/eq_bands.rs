//! Glasswork EQ bands against their analog prototypes and under abuse.
//!
//! Every magnitude here is measured: the FFT of the impulse response that
//! [`EqBand::process`] produces, compared with closed forms (the analog
//! prototype of `glass_dsp::analog`, the Butterworth magnitude
//! 1/(1 + (f/fc)^(2n))) and with the band's own `response()`.

use glass_dsp::analog::{AnalogPrototype, AnalogSection, BandParams, BandType, Slope};
use glass_dsp::cascade::{self, BandLanes, LaneCoefs};
use glass_dsp::control::CONTROL_BLOCK;
use glass_dsp::eq_band::EqBand;
use glass_dsp::matched::MatchedCoefs;
use glass_dsp::response::FrequencyResponse;
use realfft::num_complex::Complex;
use realfft::RealFftPlanner;

/// Butterworth Q, 1/√2.
const BQ: f32 = core::f32::consts::FRAC_1_SQRT_2;
const RATES: [f32; 2] = [44_100.0, 48_000.0];
const IR_LEN: usize = 1 << 17;

fn params(kind: BandType, freq_hz: f32, gain_db: f32, q: f32, slope: Slope) -> BandParams {
    BandParams {
        kind,
        freq_hz,
        gain_db,
        q,
        slope,
    }
}

fn band(p: &BandParams, fs: f32) -> EqBand {
    let mut b = EqBand::new();
    b.set_params(p);
    b.prepare(fs, 4096, 1);
    b
}

fn impulse_response(band: &mut EqBand, len: usize) -> Vec<f32> {
    band.reset();
    let mut ir = vec![0.0f32; len];
    ir[0] = 1.0;
    band.process(&mut [&mut ir[..]]);
    ir
}

fn spectrum(x: &[f32]) -> Vec<Complex<f64>> {
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(x.len());
    let mut input: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let mut out = fft.make_output_vec();
    fft.process(&mut input, &mut out)
        .expect("buffer lengths come from the plan");
    out
}

/// FFT bins nearest to `points` log-spaced frequencies from `lo` to `hi` Hz,
/// as (bin, exact bin frequency).
fn log_bins(fs: f32, n: usize, lo: f64, hi: f64, points: usize) -> Vec<(usize, f64)> {
    let df = f64::from(fs) / n as f64;
    let mut bins: Vec<(usize, f64)> = (0..points)
        .map(|i| {
            let f = lo * (hi / lo).powf(i as f64 / (points - 1) as f64);
            let k = (f / df).round() as usize;
            (k, k as f64 * df)
        })
        .collect();
    bins.dedup_by_key(|b| b.0);
    bins
}

fn db(c: Complex<f64>) -> f64 {
    20.0 * c.norm().log10()
}

/// Slowest decay time constant (s) of the analog prototype's poles: the
/// digital bands approximate minimum-phase prototypes, so their poles decay
/// alike (the fitted Nyquist poles decay within a few samples).
fn slowest_decay_s(proto: &AnalogPrototype) -> f64 {
    let w0 = 2.0 * core::f64::consts::PI * proto.freq_hz();
    proto
        .sections()
        .iter()
        .map(|s| match *s {
            AnalogSection::Second { wp, qp, .. } => {
                let zeta = 0.5 / qp;
                let rate = if zeta < 1.0 {
                    zeta * wp * w0
                } else {
                    wp * w0 * (zeta - (zeta * zeta - 1.0).sqrt())
                };
                1.0 / rate
            }
            AnalogSection::First { wp, .. } => 1.0 / (wp * w0),
        })
        .fold(0.0, f64::max)
}

/// Impulse-response length that leaves less than e^−12 (−104 dB) of the
/// slowest pole's envelope beyond its end: the FFT then equals the response
/// to within 0.001 dB even at the peak of a Q-225 pole pair.
fn ir_len(p: &BandParams, fs: f32) -> usize {
    let tau = slowest_decay_s(&AnalogPrototype::new(p));
    ((12.0 * tau * f64::from(fs)) as usize)
        .next_power_of_two()
        .max(1 << 16)
}

/// Bins to check: `points` log-spaced from `lo` to `hi` Hz, plus bins every
/// quarter bandwidth within ±3 bandwidths of each resonance (pole or zero
/// pair of Q > 1) in that range, where a log grid would step over a narrow
/// peak.
fn check_bins(
    p: &BandParams,
    fs: f32,
    n: usize,
    lo: f64,
    hi: f64,
    points: usize,
) -> Vec<(usize, f64)> {
    let mut bins = log_bins(fs, n, lo, hi, points);
    let proto = AnalogPrototype::new(p);
    let df = f64::from(fs) / n as f64;
    for s in proto.sections() {
        if let AnalogSection::Second { n2, n1, n0, wp, qp } = *s {
            let mut res = vec![(wp, qp)];
            if n2 > 0.0 && n1 > 0.0 {
                let wz = (n0 / n2).sqrt();
                res.push((wz, wz * n2 / n1));
            }
            for (w, q) in res {
                if q <= 1.0 {
                    continue;
                }
                let fr = w * proto.freq_hz();
                for i in -12..=12 {
                    let f = fr * (1.0 + f64::from(i) * 0.25 / (2.0 * q));
                    if f >= lo && f <= hi {
                        let k = (f / df).round() as usize;
                        bins.push((k, k as f64 * df));
                    }
                }
            }
        }
    }
    bins
}

/// Worst |measured − analog| in dB (and where) from `lo` to `hi` Hz.
fn worst_vs_analog_between(p: &BandParams, fs: f32, lo: f64, hi: f64) -> (f64, f64) {
    let n = ir_len(p, fs);
    let mut b = band(p, fs);
    let spec = spectrum(&impulse_response(&mut b, n));
    let proto = AnalogPrototype::new(p);
    let mut worst = (0.0f64, 0.0f64);
    for (k, f) in check_bins(p, fs, n, lo, hi, 600) {
        let err = (db(spec[k]) - proto.magnitude_db_at(f)).abs();
        if err.is_nan() || err > worst.0 {
            worst = (err, f);
        }
    }
    worst
}

/// Every bell and shelf type across the ranges: Q 0.025 to 40,
/// ±30 dB, centred 20 Hz to 16 kHz.
fn accuracy_cases() -> Vec<BandParams> {
    let freqs = [
        20.0f32, 100.0, 1_000.0, 5_000.0, 10_000.0, 12_000.0, 14_000.0, 16_000.0,
    ];
    let gains = [-30.0f32, -18.0, -6.0, -1.0, 3.0, 12.0, 30.0];
    let bell_qs = [0.025f32, 0.1, 0.3, BQ, 2.0, 6.0, 40.0];
    let shelf_qs = [0.025f32, 0.3, BQ, 1.5, 6.0, 40.0];
    let mut out = Vec::new();
    for f in freqs {
        for g in gains {
            for q in bell_qs {
                out.push(params(BandType::Bell, f, g, q, Slope::Db12));
            }
            for kind in [BandType::LowShelf, BandType::HighShelf, BandType::TiltShelf] {
                for q in shelf_qs {
                    out.push(params(kind, f, g, q, Slope::Db12));
                }
                out.push(params(kind, f, g, BQ, Slope::Db6));
            }
        }
    }
    out
}

/// The accuracy target: in zero-latency mode the measured magnitude
/// (FFT of the impulse response) matches the analog prototype within 0.1 dB
/// from 20 Hz to 20 kHz at 44.1 and 48 kHz, for bells and shelves (and the
/// tilt shelf) centred up to 16 kHz, every Q from 0.025 to 40 and gain to
/// ±30 dB. Worst errors are printed per type and rate.
#[test]
fn bells_and_shelves_match_the_analog_prototype_within_a_tenth_of_a_db() {
    let cases = accuracy_cases();
    let mut failures = Vec::new();
    for fs in RATES {
        let mut worst: Vec<(String, f64, String)> = Vec::new();
        for p in &cases {
            let (err, at) = worst_vs_analog_between(p, fs, 20.0, 20_000.0);
            let label = format!(
                "{} Hz {:+} dB Q {} (at {at:.0} Hz)",
                p.freq_hz, p.gain_db, p.q
            );
            if err.is_nan() || err >= 0.1 {
                failures.push(format!(
                    "{:?} {:?} fs {fs}: {label}: {err:.4} dB",
                    p.kind, p.slope
                ));
            }
            let key = format!("{:?} {:?}", p.kind, p.slope);
            match worst.iter_mut().find(|w| w.0 == key) {
                Some(w) if err > w.1 => *w = (key, err, label),
                Some(_) => {}
                None => worst.push((key, err, label)),
            }
        }
        for (key, err, label) in worst {
            println!("{key} at {fs} Hz: worst {err:.4} dB, {label}");
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Above 20 kHz the fit has a tenth of the weight: up to Nyquist the
/// response stays within 1 dB of the prototype for Q up to 6. A Q-40 shelf
/// whose resonance lies between 20 kHz and Nyquist (e.g. 10 kHz ±30 dB at
/// 48 kHz: a Q-40 pair at 23.7 kHz) is not followed there, but never rises
/// above the prototype's largest gain (no spike is added).
#[test]
fn above_twenty_khz_the_response_stays_near_the_prototype() {
    let mut worst = (0.0f64, String::new());
    let mut worst_excess = (f64::NEG_INFINITY, String::new());
    for fs in RATES {
        for p in accuracy_cases() {
            let n = ir_len(&p, fs);
            let mut b = band(&p, fs);
            let spec = spectrum(&impulse_response(&mut b, n));
            let proto = AnalogPrototype::new(&p);
            let peak = (0..=4000)
                .map(|i| proto.magnitude_db_at(1.0 * 1e5f64.powf(f64::from(i) / 4000.0)))
                .fold(f64::NEG_INFINITY, f64::max);
            let nyquist = 0.4999 * f64::from(fs);
            for (k, f) in check_bins(&p, fs, n, 20_000.0, nyquist, 100) {
                let label = format!("{p:?} fs {fs} at {f:.0} Hz");
                let measured = db(spec[k]);
                if p.q <= 6.0 {
                    let err = (measured - proto.magnitude_db_at(f)).abs();
                    if err > worst.0 {
                        worst = (err, label.clone());
                    }
                }
                if measured - peak > worst_excess.0 {
                    worst_excess = (measured - peak, label);
                }
            }
        }
    }
    println!(
        "20 kHz to Nyquist, Q ≤ 6: worst {:.3} dB ({})",
        worst.0, worst.1
    );
    println!(
        "20 kHz to Nyquist, above the prototype's peak gain by at most {:.3} dB ({})",
        worst_excess.0, worst_excess.1
    );
    assert!(worst.0 < 1.0, "{worst:?}");
    assert!(worst_excess.0 < 0.5, "{worst_excess:?}");
}

#[test]
fn cut_slopes_match_the_butterworth_magnitude() {
    // |H|² = 1/(1 + (f/fc)^(2n)) for the low-pass, f/fc → fc/f for the
    // high-pass. Down to −30 dB (passband and knee) the measured magnitude
    // is within 0.1 dB for even-order low cuts up to 5 kHz, within 4 dB for
    // every cut; deeper in the stopband within 15 % of the expected
    // attenuation in dB. The matched sections are exact at DC, fc and
    // Nyquist and drift between fc and Nyquist, which high cuts expose.
    let mut worst_knee = 0.0f64;
    let mut worst_even_low_cut = 0.0f64;
    let mut worst_stop_ratio = 0.0f64;
    for fs in RATES {
        for kind in [BandType::LowCut, BandType::HighCut] {
            for slope in Slope::ALL {
                let n = slope.order() as i32;
                let mut knee = (0.0f64, String::new());
                let mut stop = (0.0f64, String::new());
                let mut even_low = (0.0f64, String::new());
                for fc in [30.0f32, 200.0, 1_000.0, 5_000.0, 12_000.0] {
                    let p = params(kind, fc, 0.0, core::f32::consts::FRAC_1_SQRT_2, slope);
                    let mut b = band(&p, fs);
                    let spec = spectrum(&impulse_response(&mut b, IR_LEN));
                    for (k, f) in log_bins(fs, IR_LEN, 20.0, 20_000.0, 400) {
                        let r = f / f64::from(fc);
                        let r = if kind == BandType::LowCut { 1.0 / r } else { r };
                        let want = -10.0 * (1.0 + r.powi(2 * n)).log10();
                        if want < -120.0 {
                            // Below the f32 noise floor of the measurement.
                            continue;
                        }
                        let err = (db(spec[k]) - want).abs();
                        let at = format!("fc {fc} Hz at {f:.0} Hz, {want:.1} dB");
                        if want >= -30.0 {
                            if fc <= 5_000.0 && err > even_low.0 {
                                even_low = (err, at.clone());
                            }
                            if err > knee.0 {
                                knee = (err, at);
                            }
                        } else if err / -want > stop.0 {
                            stop = (err / -want, format!("{err:.2} dB, {at}"));
                        }
                    }
                }
                println!(
                    "{kind:?} {slope:?} at {fs} Hz: to −30 dB worst {:.4} dB ({}); stopband worst {:.1} % ({})",
                    knee.0,
                    knee.1,
                    100.0 * stop.0,
                    stop.1
                );
                worst_knee = worst_knee.max(knee.0);
                if kind == BandType::LowCut && slope.order() % 2 == 0 {
                    worst_even_low_cut = worst_even_low_cut.max(even_low.0);
                }
                worst_stop_ratio = worst_stop_ratio.max(stop.0);
            }
        }
    }
    // Even-order low cuts up to 5 kHz meet 0.1 dB to −30 dB; high cuts
    // (near Nyquist) and odd orders do not yet (printed above).
    assert!(
        worst_even_low_cut < 0.1,
        "even-order low cuts: worst error to −30 dB {worst_even_low_cut} dB"
    );
    assert!(worst_knee < 4.0, "worst error to −30 dB: {worst_knee} dB");
    assert!(
        worst_stop_ratio < 0.15,
        "worst stopband error: {:.1} % of the attenuation",
        100.0 * worst_stop_ratio
    );
}

fn every_band(fs: f32) -> Vec<BandParams> {
    let kinds = [
        BandType::Bell,
        BandType::LowShelf,
        BandType::HighShelf,
        BandType::LowCut,
        BandType::HighCut,
        BandType::Notch,
        BandType::BandPass,
        BandType::TiltShelf,
        BandType::AllPass,
    ];
    let mut out = Vec::new();
    for kind in kinds {
        for slope in Slope::ALL {
            for (f, g, q) in [
                (40.0f32, 9.0f32, BQ),
                (3_000.0, -15.0, 4.0),
                (0.45 * fs, 24.0, 0.4),
            ] {
                out.push(params(kind, f, g, q, slope));
            }
        }
    }
    out
}

#[test]
fn response_equals_the_measured_response() {
    // What the editor draws (response()) is what is heard (the FFT of the
    // impulse response), at every type, slope and rate.
    let mut worst = 0.0f64;
    for fs in [44_100.0f32, 48_000.0, 96_000.0, 192_000.0] {
        // 1.4 s or more: a 96 dB/oct cut at 40 Hz rings that long.
        let n = ((fs * 1.4) as usize).next_power_of_two();
        for p in every_band(fs) {
            let mut b = band(&p, fs);
            let spec = spectrum(&impulse_response(&mut b, n));
            for (k, f) in log_bins(fs, n, 10.0, f64::from(fs) * 0.5, 300) {
                let (mag, _) = b.response(f as f32, fs);
                let model = f64::from(mag);
                let measured = spec[k].norm();
                // Within 0.01 dB, or within 1e-5 absolute (−100 dB): the f32
                // rounding between sections of the measured impulse response
                // sets that floor in deep stopbands and at 40 Hz / 192 kHz
                // corners (worst relative error printed).
                let err = (20.0 * (measured / model).log10()).abs();
                let abs_err = (measured - model).abs();
                assert!(
                    err < 1e-2 || abs_err < 1e-5,
                    "{p:?} fs {fs} at {f} Hz: {err} dB ({abs_err} absolute)"
                );
                if model >= 1e-3 {
                    worst = worst.max(err);
                }
            }
        }
    }
    println!("response() vs measured, down to −60 dB: worst {worst:.2e} dB");
}

/// A band designed anew every sample, switching sections on and off as
/// `EqBand` does but per sample: a section that appears starts from silence
/// with a pass-through output mix and blends its mix in over one control
/// period; one that disappears blends its mix out over one period.
#[derive(Default)]
struct PerSampleReference {
    lanes: BandLanes,
    /// Per slot: (samples since it appeared, samples since it was dropped
    /// or None, last designed coefficients).
    slots: Vec<(usize, Option<usize>, LaneCoefs)>,
}

impl PerSampleReference {
    /// Starts with `design` running (as a band does after `reset`).
    fn new(design: &MatchedCoefs) -> Self {
        let mut r = Self::default();
        for (i, svf) in design.second_order().iter().enumerate() {
            let to = cascade::lane_coefs(svf);
            r.slots.push((CONTROL_BLOCK, None, to));
            r.lanes.set(i, &to, &to);
        }
        r
    }

    fn process(&mut self, design: &MatchedCoefs, x: f32) -> f32 {
        let sections = design.second_order();
        let lerp = |a: &LaneCoefs, b: &LaneCoefs, t: f64| -> LaneCoefs {
            core::array::from_fn(|i| a[i] + (b[i] - a[i]) * t)
        };
        let period = CONTROL_BLOCK as f64;
        for (i, svf) in sections.iter().enumerate() {
            let to = cascade::lane_coefs(svf);
            if i >= self.slots.len() {
                self.slots.push((0, None, to));
                self.lanes.reset_section(i);
            } else if self.slots[i].1.is_some() {
                self.slots[i] = (0, None, to);
                self.lanes.reset_section(i);
            }
            let age = self.slots[i].0;
            self.slots[i].0 += 1;
            self.slots[i].2 = to;
            let t = ((age + 1) as f64 / period).min(1.0);
            let eff = lerp(&cascade::pass_through_mix(&to), &to, t);
            self.lanes.set(i, &eff, &eff);
        }
        for i in sections.len()..self.slots.len() {
            let gone = self.slots[i].1.unwrap_or(0);
            self.slots[i].1 = Some(gone + 1);
            let last = self.slots[i].2;
            let t = ((gone + 1) as f64 / period).min(1.0);
            let eff = lerp(&last, &cascade::pass_through_mix(&last), t);
            self.lanes.set(i, &eff, &eff);
        }
        while self.slots.len() > sections.len()
            && self
                .slots
                .last()
                .is_some_and(|s| s.1.is_some_and(|g| g > CONTROL_BLOCK))
        {
            self.slots.pop();
        }
        self.lanes.set_count(self.slots.len());
        let (mut l, mut r) = ([x], [0.0f32]);
        cascade::process(core::slice::from_mut(&mut self.lanes), &mut l, &mut r);
        l[0]
    }
}

/// 20 Hz·1000^((1 − cos 2π·10t)/2) at sample `n`.
fn sweep_hz(n: usize, fs: f32) -> f64 {
    let t = n as f64 / f64::from(fs);
    20.0 * 1000f64.powf(0.5 * (1.0 - (2.0 * core::f64::consts::PI * 10.0 * t).cos()))
}

/// A band whose frequency target follows 20 Hz·1000^((1 − cos 2π·10t)/2),
/// 20 Hz to 20 kHz and back ten times a second, set every `host` samples.
fn swept(p: BandParams, fs: f32, host: usize, input: &[f32]) -> Vec<f32> {
    let mut b = band(&p, fs);
    let mut out = input.to_vec();
    for (i, chunk) in out.chunks_mut(host).enumerate() {
        b.set_params(&BandParams {
            freq_hz: sweep_hz(i * host, fs) as f32,
            ..p
        });
        b.process(&mut [chunk]);
    }
    out
}

#[test]
fn a_ten_hertz_sweep_neither_blows_up_nor_clicks() {
    // Bound on clicks: the band's per-block coefficient steps are compared
    // with the same glide recomputed every sample (the smoothest a
    // time-varying filter of this trajectory can be), with sections switched
    // on and off as the band does (see `PerSampleReference`). The
    // difference is the zipper noise the grid adds; it must stay 70 dB
    // below the input.
    let fs = 48_000.0f32;
    let len = 48_000;
    let amp = 0.5f32;
    let input: Vec<f32> = (0..len)
        .map(|n| amp * (2.0 * core::f32::consts::PI * 440.0 * n as f32 / fs).sin())
        .collect();
    for p in [
        params(BandType::Bell, 20.0, 12.0, 2.0, Slope::Db12),
        params(BandType::Bell, 20.0, -30.0, 8.0, Slope::Db12),
        params(BandType::HighShelf, 20.0, 18.0, BQ, Slope::Db12),
        params(BandType::LowCut, 20.0, 0.0, BQ, Slope::Db48),
        params(BandType::HighCut, 20.0, 0.0, BQ, Slope::Db24),
        params(BandType::LowShelf, 20.0, -18.0, BQ, Slope::Db6),
    ] {
        let host = 64;
        let out = swept(p, fs, host, &input);
        // Reference: the same trajectory (the band's parameters at the end of
        // each control period), interpolated in log-frequency per sample and
        // designed every sample.
        let mut b = band(&p, fs);
        let mut trajectory = Vec::new();
        let mut dummy = [0.0f32; CONTROL_BLOCK];
        for pos in (0..len).step_by(CONTROL_BLOCK) {
            if pos % host == 0 {
                b.set_params(&BandParams {
                    freq_hz: sweep_hz(pos, fs) as f32,
                    ..p
                });
            }
            b.process(&mut [&mut dummy[..1]]);
            trajectory.push(b.current_params());
            b.process(&mut [&mut dummy[1..]]);
        }
        let mut reference = PerSampleReference::new(&MatchedCoefs::design(&trajectory[0], fs));
        let mut ref_out = input.clone();
        let last = trajectory.len() - 1;
        for (n, v) in ref_out.iter_mut().enumerate() {
            let k = n / CONTROL_BLOCK;
            let x = ((n % CONTROL_BLOCK) + 1) as f32 / CONTROL_BLOCK as f32;
            let (a, bb) = (trajectory[k.saturating_sub(1)], trajectory[k.min(last)]);
            let q = BandParams {
                freq_hz: a.freq_hz * (bb.freq_hz / a.freq_hz).powf(x),
                ..a
            };
            *v = reference.process(&MatchedCoefs::design(&q, fs), *v);
        }
        let peak = out.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        // A click or zipper step is broadband; a slightly different smooth
        // trajectory is not. The second difference of (band − reference)
        // keeps the first and suppresses the second (a 440 Hz difference by
        // (2·sin(π·440/fs))² = 3.3e-3, −50 dB).
        let diff: Vec<f32> = out.iter().zip(&ref_out).map(|(a, b)| a - b).collect();
        let zipper = diff
            .windows(3)
            .fold(0.0f32, |m, w| m.max((w[0] - 2.0 * w[1] + w[2]).abs()));
        let zipper_db = 20.0 * (zipper / amp).log10();
        println!(
            "{:?} {:?}: peak {peak:.3}, zipper (2nd difference vs per-sample design) {zipper_db:.1} dB re input",
            p.kind, p.slope
        );
        assert!(out.iter().all(|v| v.is_finite()));
        // Never blows up: within the largest steady-state gain (+18 dB)
        // plus 6 dB of transient.
        assert!(peak < amp * 10f32.powf(24.0 / 20.0), "{p:?}: peak {peak}");
        assert!(zipper_db < -70.0, "{p:?}: zipper {zipper_db} dB");
    }
}

/// Energy of quarter `k` (0 ..= 3) of the impulse response.
fn window_energy(ir: &[f32], k: usize) -> f64 {
    let q = ir.len() / 4;
    ir[k * q..(k + 1) * q]
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum()
}

/// Energy of the impulse response's last quarter: an unstable or undamped
/// filter keeps it from decaying.
fn tail_energy(ir: &[f32]) -> f64 {
    ir[ir.len() * 3 / 4..]
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum()
}

#[test]
fn bands_at_and_above_nyquist_and_extreme_q_stay_stable() {
    let fs = 22_050.0f32;
    let kinds = [
        BandType::Bell,
        BandType::LowShelf,
        BandType::HighShelf,
        BandType::LowCut,
        BandType::HighCut,
        BandType::Notch,
        BandType::BandPass,
        BandType::TiltShelf,
        BandType::AllPass,
    ];
    for kind in kinds {
        for slope in Slope::ALL {
            for f in [10.0f32, 11_025.0, 15_000.0, 30_000.0, 1e9] {
                for q in [0.025f32, 40.0, 0.0, 1e9] {
                    for g in [-30.0f32, 30.0] {
                        let p = params(kind, f, g, q, slope);
                        let mut b = band(&p, fs);
                        let ir = impulse_response(&mut b, 1 << 16);
                        assert!(ir.iter().all(|v| v.is_finite()), "{p:?}");
                        // A Q-40 bell at +30 dB and 10 Hz rings for seconds
                        // (pole Q 225, τ = 2Q/ω0 ≈ 7 s): a stable filter's
                        // energy still decays from window to window.
                        let (early, late) = (window_energy(&ir, 1), window_energy(&ir, 3));
                        assert!(late <= early * 1.000_001 + 1e-30, "{p:?}: {early} → {late}");
                    }
                }
            }
        }
    }
}

#[test]
fn twenty_four_bells_at_plus_thirty_db_stay_within_their_l1_bound() {
    // For any input, |y| ≤ Σ|h|·max|x| (the l1 norm of the impulse response).
    let fs = 48_000.0f32;
    let mut bands: Vec<EqBand> = (0..24)
        .map(|i| {
            let f = 20.0 * 1000f32.powf(i as f32 / 23.0);
            let mut b = band(&params(BandType::Bell, f, 30.0, 1.0, Slope::Db12), fs);
            b.prepare(fs, 4096, 1);
            b
        })
        .collect();
    let mut ir = vec![0.0f32; 1 << 17];
    ir[0] = 1.0;
    for b in &mut bands {
        b.process(&mut [&mut ir[..]]);
    }
    assert!(ir.iter().all(|v| v.is_finite()));
    assert!(tail_energy(&ir) < 1e-6);
    let l1: f64 = ir.iter().map(|&v| f64::from(v).abs()).sum();
    for b in &mut bands {
        b.reset();
    }
    let mut s = 0x9e37_79b9u32;
    let mut x: Vec<f32> = (0..48_000)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s >> 8) as f32 / 16_777_216.0 * 2e-3 - 1e-3
        })
        .collect();
    let in_peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    for b in &mut bands {
        b.process(&mut [&mut x[..]]);
    }
    let out_peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    println!(
        "24 bells +30 dB: l1 gain {l1:.1}, peak gain {:.1}",
        out_peak / in_peak
    );
    assert!(x.iter().all(|v| v.is_finite()));
    assert!(f64::from(out_peak) <= l1 * f64::from(in_peak) * 1.001);
}

#[test]
fn nan_input_never_leaves_a_stuck_nan() {
    for p in every_band(48_000.0) {
        let mut b = band(&p, 48_000.0);
        let mut block = vec![0.1f32; 100];
        block[17] = f32::NAN;
        block[50] = f32::INFINITY;
        b.process(&mut [&mut block[..]]);
        // From the next control grid point on, the output is finite again.
        let mut after = vec![0.1f32; 4 * CONTROL_BLOCK];
        b.process(&mut [&mut after[..]]);
        assert!(
            after[CONTROL_BLOCK..].iter().all(|v| v.is_finite()),
            "{p:?}"
        );
    }
}

#[test]
fn output_does_not_depend_on_host_block_size() {
    let fs = 48_000.0f32;
    let p = params(BandType::Bell, 300.0, 9.0, 1.5, Slope::Db12);
    let moved = params(BandType::Bell, 5_000.0, -6.0, 0.5, Slope::Db12);
    let input: Vec<f32> = (0..8192)
        .map(|n| ((n * 7919) % 2000) as f32 / 1000.0 - 1.0)
        .collect();
    let run = |host: usize| {
        let mut b = band(&p, fs);
        b.set_params(&moved);
        let mut out = input.clone();
        for chunk in out.chunks_mut(host) {
            b.process(&mut [chunk]);
        }
        out
    };
    let expected = run(4096);
    for host in [1usize, 7, 64, 65, 999] {
        assert_eq!(run(host), expected, "host block {host}");
    }
}

#[test]
fn stereo_pass_equals_two_mono_bands() {
    // The paired stereo loop must be bit-identical to filtering each channel
    // alone, static and while sweeping (ramped coefficients).
    let fs = 48_000.0f32;
    let p = params(BandType::LowCut, 80.0, 0.0, BQ, Slope::Db36);
    let moved = params(BandType::LowCut, 2_000.0, 0.0, BQ, Slope::Db36);
    let left: Vec<f32> = (0..4000)
        .map(|n| ((n * 7919) % 2000) as f32 / 1000.0 - 1.0)
        .collect();
    let right: Vec<f32> = (0..4000)
        .map(|n| ((n * 104_729) % 3000) as f32 / 1500.0 - 1.0)
        .collect();
    let mut stereo = EqBand::new();
    stereo.set_params(&p);
    stereo.prepare(fs, 4096, 2);
    let (mut l, mut r) = (left.clone(), right.clone());
    let mut monos: Vec<EqBand> = (0..2).map(|_| band(&p, fs)).collect();
    let (mut ml, mut mr) = (left.clone(), right.clone());
    for (i, ((a, b), (c, d))) in l
        .chunks_mut(100)
        .zip(r.chunks_mut(100))
        .zip(ml.chunks_mut(100).zip(mr.chunks_mut(100)))
        .enumerate()
    {
        if i == 10 {
            stereo.set_params(&moved);
            monos.iter_mut().for_each(|m| m.set_params(&moved));
        }
        stereo.process(&mut [a, b]);
        monos[0].process(&mut [c]);
        monos[1].process(&mut [d]);
    }
    assert_eq!(l, ml);
    assert_eq!(r, mr);
    assert_ne!(l, left, "the band must have filtered");
}

#[test]
fn sweeps_at_the_extreme_rates_stay_bounded() {
    // At 22.05 kHz the 20 Hz–20 kHz sweep runs past Nyquist (the band is
    // held at 0.49·fs); at 192 kHz the corners are tiny fractions of fs.
    // Never non-finite, never above the shape's largest steady-state gain
    // plus 12 dB of transient (a swept 96 dB/oct Butterworth overshoots by
    // ~6.4 dB: its impulse response's l1 norm exceeds 2); host blocks of 1
    // and 512 samples.
    for fs in [22_050.0f32, 192_000.0] {
        let len = fs as usize / 2;
        let amp = 0.5f32;
        let input: Vec<f32> = (0..len)
            .map(|n| amp * (2.0 * core::f32::consts::PI * 440.0 * n as f32 / fs).sin())
            .collect();
        for p in [
            params(BandType::Bell, 20.0, 12.0, 40.0, Slope::Db12),
            params(BandType::Bell, 20.0, 18.0, 0.025, Slope::Db12),
            params(BandType::HighShelf, 20.0, 18.0, 4.0, Slope::Db12),
            params(BandType::LowCut, 20.0, 0.0, BQ, Slope::Db96),
            params(BandType::HighCut, 20.0, 0.0, BQ, Slope::Db18),
            params(BandType::Notch, 20.0, 0.0, 40.0, Slope::Db12),
        ] {
            // Largest steady-state gain of the shape, wherever it sits: the
            // maximum of the analog magnitude over six decades around f0
            // (a Q-4 shelf overshoots its +18 dB).
            let proto = AnalogPrototype::new(&p);
            let max_gain = (0..=6000)
                .map(|i| proto.magnitude_db_at(20.0 * 10f64.powf(i as f64 / 1000.0 - 3.0)))
                .fold(f64::NEG_INFINITY, f64::max);
            let bound = amp * 10f32.powf((max_gain as f32 + 12.0) / 20.0);
            for host in [1usize, 512] {
                let out = swept(p, fs, host, &input);
                let peak = out.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                println!(
                    "{:?} Q {} fs {fs} host {host}: peak {peak:.3}, bound {bound:.3} (max gain {max_gain:.1} dB + 12 dB)",
                    p.kind, p.q
                );
                assert!(out.iter().all(|v| v.is_finite()), "{p:?} fs {fs}");
                assert!(peak < bound, "{p:?} fs {fs} host {host}: peak {peak}");
            }
        }
    }
}
