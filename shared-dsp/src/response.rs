//! Frequency responses of linear kernels in closed form.
//!
//! Every linear kernel exposes its complex response; magnitude, phase and
//! dB follow from it in one place. The same function serves the tests
//! (compared with the FFT of a measured impulse response) and the editors
//! (drawn as the curve), so what is drawn is what is heard.

/// A linear filter whose response can be evaluated at any frequency.
pub trait FrequencyResponse {
    /// Complex response H(e^{jω}) at `freq_hz` for the filter running at
    /// `sample_rate` (both Hz), as (real, imaginary), evaluated in f64.
    fn response_complex(&self, freq_hz: f32, sample_rate: f32) -> (f64, f64);

    /// (linear magnitude ≥ 0, phase in radians in (−π, π]) at `freq_hz`.
    fn response(&self, freq_hz: f32, sample_rate: f32) -> (f32, f32) {
        let (re, im) = self.response_complex(freq_hz, sample_rate);
        (re.hypot(im) as f32, im.atan2(re) as f32)
    }

    /// Magnitude at `freq_hz` in dB (−inf at an exact zero).
    fn magnitude_db(&self, freq_hz: f32, sample_rate: f32) -> f32 {
        let (re, im) = self.response_complex(freq_hz, sample_rate);
        (10.0 * (re * re + im * im).log10()) as f32
    }
}

/// The quotient `n / d` of two complex numbers given as (re, im).
#[inline]
pub fn complex_div(n: (f64, f64), d: (f64, f64)) -> (f64, f64) {
    let den = d.0 * d.0 + d.1 * d.1;
    ((n.0 * d.0 + n.1 * d.1) / den, (n.1 * d.0 - n.0 * d.1) / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Gain(f64);
    impl FrequencyResponse for Gain {
        fn response_complex(&self, _: f32, _: f32) -> (f64, f64) {
            (0.0, self.0)
        }
    }

    #[test]
    fn magnitude_phase_and_db_follow_from_the_complex_response() {
        let (m, p) = Gain(2.0).response(1000.0, 48_000.0);
        assert!((m - 2.0).abs() < 1e-6);
        assert!((p - std::f32::consts::FRAC_PI_2).abs() < 1e-6);
        assert!((Gain(10.0).magnitude_db(1.0, 2.0) - 20.0).abs() < 1e-5);
    }

    #[test]
    fn complex_division_inverts_multiplication() {
        let (a, b) = ((1.5, -2.0), (0.3, 0.7));
        let prod = (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0);
        let q = complex_div(prod, b);
        assert!((q.0 - a.0).abs() < 1e-12 && (q.1 - a.1).abs() < 1e-12);
    }
}
