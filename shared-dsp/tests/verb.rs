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
    let c = BiquadCoefs::bandpass(FS, centre_hz, core::f32::consts::SQRT_2);
    let (mut a, mut b) = (Biquad::new(c), Biquad::new(c));
    x.iter().map(|&v| b.process(a.process(v))).collect()
}

/// RT60 in seconds by Schroeder's backward integration (M. R. Schroeder,
/// "New method of measuring reverberation time", JASA 37, 1965): the energy
/// decay curve EDC(t) = Σ_{n ≥ t} h[n]², in dB re its start, fitted by least
/// squares between −5 and −35 dB (T30) and extrapolated to −60 dB.
fn t30(h: &[f32]) -> f64 {
    let mut edc = vec![0.0f64; h.len()];
    let mut acc = 0.0f64;
    for (e, &v) in edc.iter_mut().zip(h).rev() {
        acc += f64::from(v) * f64::from(v);
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
        let t = i as f64 / f64::from(FS);
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
