//! Windowed-sinc FIR design.
//!
//! The Kaiser window lets one number (beta) trade stop-band rejection for
//! transition width, which is exactly the knob an oversampler needs (Kaiser,
//! "Nonrecursive digital filter design using the I0-sinh window function",
//! 1974; Oppenheim & Schafer 7.6.1 give the beta/attenuation relation used in
//! [`kaiser_beta`]). Coefficients are computed in f64 and rounded once.

use std::f64::consts::PI;

/// Zeroth-order modified Bessel function of the first kind, by its power
/// series. Converges quickly for the arguments a Kaiser window uses (< 30).
pub fn bessel_i0(x: f64) -> f64 {
    let half = 0.5 * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..200 {
        let f = half / k as f64;
        term *= f * f;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// Kaiser window beta for a stop-band attenuation of `attenuation_db` (dB,
/// positive, e.g. 100.0), per Kaiser's empirical formula.
pub fn kaiser_beta(attenuation_db: f64) -> f64 {
    let a = attenuation_db;
    if a > 50.0 {
        0.1102 * (a - 8.7)
    } else if a >= 21.0 {
        0.5842 * (a - 21.0).powf(0.4) + 0.07886 * (a - 21.0)
    } else {
        0.0
    }
}

/// A linear-phase low-pass FIR of `len` taps (odd lengths have an integer
/// group delay of `(len - 1) / 2` samples), cut off at `cutoff` cycles per
/// sample (0 < cutoff < 0.5; the −6 dB point), Kaiser-windowed with `beta`,
/// scaled to a DC gain of `gain`.
///
/// Returns the coefficients in f64 so callers can split them into polyphase
/// branches before rounding.
pub fn lowpass_kaiser(len: usize, cutoff: f64, beta: f64, gain: f64) -> Vec<f64> {
    if len == 0 {
        return Vec::new();
    }
    let cutoff = cutoff.clamp(1e-6, 0.5);
    let centre = (len as f64 - 1.0) * 0.5;
    let norm = bessel_i0(beta);
    let mut h: Vec<f64> = (0..len)
        .map(|i| {
            let t = i as f64 - centre;
            let sinc = if t.abs() < 1e-12 {
                2.0 * cutoff
            } else {
                (2.0 * PI * cutoff * t).sin() / (PI * t)
            };
            let r = if centre > 0.0 { t / centre } else { 0.0 };
            let w = bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / norm;
            sinc * w
        })
        .collect();
    let dc: f64 = h.iter().sum();
    if dc.abs() > 1e-300 {
        for c in &mut h {
            *c *= gain / dc;
        }
    }
    h
}

/// Magnitude of an FIR's frequency response at `freq` cycles per sample.
pub fn fir_magnitude(h: &[f64], freq: f64) -> f64 {
    let w = 2.0 * PI * freq;
    let (mut re, mut im) = (0.0, 0.0);
    for (i, &c) in h.iter().enumerate() {
        re += c * (w * i as f64).cos();
        im -= c * (w * i as f64).sin();
    }
    (re * re + im * im).sqrt()
}

/// Dot product of two equal-length slices, accumulated in four independent
/// lanes so the compiler can vectorise it (a single running sum cannot be
/// reordered under IEEE rules). Lengths need not be a multiple of four.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bessel_matches_known_values() {
        // I0(0) = 1, I0(1) = 1.2660658777520082, I0(5) = 27.239871823604442.
        assert!((bessel_i0(0.0) - 1.0).abs() < 1e-15);
        assert!((bessel_i0(1.0) - 1.266_065_877_752_008_2).abs() < 1e-13);
        assert!((bessel_i0(5.0) - 27.239_871_823_604_442).abs() < 1e-10);
    }

    #[test]
    fn kaiser_lowpass_meets_its_attenuation() {
        // Transition width (cycles/sample) ≈ (A − 8) / (2.285 · 2π · (len − 1)).
        let a = 100.0;
        let len = 255;
        let h = lowpass_kaiser(len, 0.125, kaiser_beta(a), 1.0);
        let width = (a - 8.0) / (2.285 * 2.0 * PI * (len as f64 - 1.0));
        // Pass band flat to within 0.001 dB, stop band at least A − 3 dB down.
        for i in 0..50 {
            let f = (0.125 - width) * i as f64 / 50.0;
            let db = 20.0 * fir_magnitude(&h, f).log10();
            assert!(db.abs() < 1e-3, "passband {f}: {db} dB");
        }
        for i in 0..50 {
            let f = 0.125 + width + (0.5 - 0.125 - width) * i as f64 / 50.0;
            let db = 20.0 * fir_magnitude(&h, f).log10();
            assert!(db < -(a - 3.0), "stopband {f}: {db} dB");
        }
        // Symmetric (linear phase) and −6 dB at the cutoff.
        for i in 0..len {
            assert!((h[i] - h[len - 1 - i]).abs() < 1e-15);
        }
        let cut = 20.0 * fir_magnitude(&h, 0.125).log10();
        assert!((cut + 6.02).abs() < 0.05, "{cut}");
    }

    #[test]
    fn dot_matches_naive_sum_at_odd_lengths() {
        for n in [0usize, 1, 3, 7, 8, 9, 25, 64, 131] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let naive: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            assert!((dot(&a, &b) as f64 - naive).abs() < 1e-5, "n = {n}");
        }
    }
}
