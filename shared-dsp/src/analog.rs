//! Analog prototypes of the EQ band types, in closed form.
//!
//! Every band is a product of first- and second-order analog sections with s
//! normalised to the band frequency (s = j·f/f0). These are the responses
//! the digital bands of [`crate::matched`] are designed to reproduce, and the
//! reference the tests compare the measured digital responses with.
//!
//! With A = 10^(gain_db/40) (so A² is the linear gain):
//! - bell: (s² + s·A/Q + 1)/(s² + s/(A·Q) + 1), `gain_db` at f0, 0 dB far away
//!   (the RBJ cookbook convention for Q);
//! - low shelf, 12 dB/oct: A·(s² + s·√A/Q + A)/(A·s² + s·√A/Q + 1), `gain_db`
//!   at DC, 0 dB at high frequencies, `gain_db/2` at f0; 6 dB/oct:
//!   (s + A)/(s + 1/A);
//! - high shelf: the mirror image (s → 1/s), 0 dB at DC, `gain_db` at high
//!   frequencies; tilt shelf: a high shelf scaled by 1/A, so −gain/2 at DC and
//!   +gain/2 at high frequencies, 0 dB at f0;
//! - low cut / high cut: Butterworth high/low-pass of order slope/6 (a
//!   12 dB/oct cut uses the band's Q instead of 1/√2);
//! - notch (s² + 1)/(s² + s/Q + 1), band pass (s/Q)/(s² + s/Q + 1) (0 dB at
//!   f0), all pass (s² − s/Q + 1)/(s² + s/Q + 1).

use crate::response::{complex_div, FrequencyResponse};

/// Lowest band frequency, Hz.
pub const MIN_FREQ_HZ: f32 = 10.0;
/// Highest band frequency, Hz (digital bands are further kept below Nyquist).
pub const MAX_FREQ_HZ: f32 = 30_000.0;
/// Largest boost or cut, dB.
pub const MAX_GAIN_DB: f32 = 30.0;
/// Lowest Q (very wide).
pub const MIN_Q: f32 = 0.025;
/// Highest Q (very narrow).
pub const MAX_Q: f32 = 40.0;
/// Most sections a band can have: a 96 dB/oct cut is eight second-order
/// sections; an odd order adds one first-order section.
pub const MAX_SECTIONS: usize = 9;

/// The shape of an EQ band.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BandType {
    /// Peaking bell: `gain_db` at the frequency, width set by Q.
    #[default]
    Bell,
    /// Low shelf: `gain_db` below the frequency.
    LowShelf,
    /// High shelf: `gain_db` above the frequency.
    HighShelf,
    /// High-pass (removes lows), Butterworth of the slope's order.
    LowCut,
    /// Low-pass (removes highs), Butterworth of the slope's order.
    HighCut,
    /// Notch: silence at the frequency, width set by Q.
    Notch,
    /// Band pass: 0 dB at the frequency, width set by Q.
    BandPass,
    /// Tilt: −gain/2 at the lows, +gain/2 at the highs, pivoting at the
    /// frequency.
    TiltShelf,
    /// All pass: unity magnitude, phase turning by 2π around the frequency.
    AllPass,
}

/// Slope of cuts and shelves, in dB per octave. Cuts take every slope;
/// shelves use 6 dB/oct (first order) or 12 dB/oct (second order, every
/// steeper slope currently behaves as 12); bell, notch, band pass and all pass
/// ignore it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Slope {
    /// 6 dB/oct, first order.
    Db6,
    /// 12 dB/oct, second order.
    #[default]
    Db12,
    /// 18 dB/oct, third order.
    Db18,
    /// 24 dB/oct, fourth order.
    Db24,
    /// 36 dB/oct, sixth order.
    Db36,
    /// 48 dB/oct, eighth order.
    Db48,
    /// 72 dB/oct, twelfth order.
    Db72,
    /// 96 dB/oct, sixteenth order.
    Db96,
}

impl Slope {
    /// Every slope, shallowest first.
    pub const ALL: [Slope; 8] = [
        Slope::Db6,
        Slope::Db12,
        Slope::Db18,
        Slope::Db24,
        Slope::Db36,
        Slope::Db48,
        Slope::Db72,
        Slope::Db96,
    ];

    /// Filter order: the slope in dB/oct divided by 6 (1 ..= 16).
    pub fn order(self) -> usize {
        match self {
            Slope::Db6 => 1,
            Slope::Db12 => 2,
            Slope::Db18 => 3,
            Slope::Db24 => 4,
            Slope::Db36 => 6,
            Slope::Db48 => 8,
            Slope::Db72 => 12,
            Slope::Db96 => 16,
        }
    }
}

/// Physical parameters of one EQ band.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandParams {
    /// Shape.
    pub kind: BandType,
    /// Band frequency in Hz, [`MIN_FREQ_HZ`] ..= [`MAX_FREQ_HZ`]; default
    /// 1 kHz.
    pub freq_hz: f32,
    /// Gain in dB, ±[`MAX_GAIN_DB`]; default 0. Used by bell, shelves, tilt.
    pub gain_db: f32,
    /// Quality factor, [`MIN_Q`] ..= [`MAX_Q`]; default 1/√2.
    pub q: f32,
    /// Slope of cuts and shelves; default 12 dB/oct.
    pub slope: Slope,
}

impl Default for BandParams {
    /// A 0 dB bell at 1 kHz, Q 1/√2, 12 dB/oct.
    fn default() -> Self {
        Self {
            kind: BandType::Bell,
            freq_hz: 1_000.0,
            gain_db: 0.0,
            q: core::f32::consts::FRAC_1_SQRT_2,
            slope: Slope::Db12,
        }
    }
}

impl BandParams {
    /// The parameters clamped to their ranges; a NaN field takes its
    /// default.
    pub fn sanitised(&self) -> Self {
        let d = Self::default();
        let pick = |v: f32, default: f32, lo: f32, hi: f32| {
            if v.is_nan() {
                default
            } else {
                v.clamp(lo, hi)
            }
        };
        Self {
            kind: self.kind,
            freq_hz: pick(self.freq_hz, d.freq_hz, MIN_FREQ_HZ, MAX_FREQ_HZ),
            gain_db: pick(self.gain_db, d.gain_db, -MAX_GAIN_DB, MAX_GAIN_DB),
            q: pick(self.q, d.q, MIN_Q, MAX_Q),
            slope: self.slope,
        }
    }
}

/// One analog section, s normalised to the band frequency.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AnalogSection {
    /// (n2·s² + n1·s + n0) / (s² + (wp/qp)·s + wp²): poles of natural
    /// frequency `wp` (relative to the band frequency) and quality `qp`.
    Second {
        /// Coefficient of s² in the numerator.
        n2: f64,
        /// Coefficient of s in the numerator.
        n1: f64,
        /// Constant of the numerator.
        n0: f64,
        /// Pole frequency relative to the band frequency, > 0.
        wp: f64,
        /// Pole quality factor, > 0.
        qp: f64,
    },
    /// (n1·s + n0) / (s + wp).
    First {
        /// Coefficient of s in the numerator.
        n1: f64,
        /// Constant of the numerator.
        n0: f64,
        /// Pole frequency relative to the band frequency, > 0.
        wp: f64,
    },
}

impl AnalogSection {
    /// Complex response at s = j·w (`w` = frequency / band frequency, ≥ 0).
    pub fn response(&self, w: f64) -> (f64, f64) {
        match *self {
            AnalogSection::Second { n2, n1, n0, wp, qp } => {
                complex_div((n0 - n2 * w * w, n1 * w), (wp * wp - w * w, wp / qp * w))
            }
            AnalogSection::First { n1, n0, wp } => complex_div((n0, n1 * w), (wp, w)),
        }
    }

    /// Magnitude at s = j·w.
    pub fn magnitude(&self, w: f64) -> f64 {
        let (re, im) = self.response(w);
        re.hypot(im)
    }
}

/// Q of pair `k` (1 ..= order/2) of a Butterworth filter of `order`:
/// 1/(2·sin((2k − 1)·π/(2·order))).
pub fn butterworth_q(order: usize, k: usize) -> f64 {
    let angle = (2 * k - 1) as f64 * core::f64::consts::PI / (2 * order) as f64;
    0.5 / angle.sin()
}

/// The analog prototype of a band: a product of up to [`MAX_SECTIONS`]
/// sections.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AnalogPrototype {
    kind: BandType,
    freq_hz: f64,
    sections: [AnalogSection; MAX_SECTIONS],
    len: usize,
}

impl AnalogPrototype {
    /// The prototype of `params` (sanitised first).
    pub fn new(params: &BandParams) -> Self {
        let p = params.sanitised();
        Self::with_frequency(&p, f64::from(p.freq_hz))
    }

    /// The prototype of `params` (sanitised) placed at `freq_hz` instead of
    /// `params.freq_hz`: for digital designs that keep the frequency below
    /// Nyquist.
    pub fn with_frequency(params: &BandParams, freq_hz: f64) -> Self {
        let p = params.sanitised();
        let a = 10f64.powf(f64::from(p.gain_db) / 40.0);
        let sa = a.sqrt();
        let q = f64::from(p.q);
        let idle = AnalogSection::First {
            n1: 1.0,
            n0: 1.0,
            wp: 1.0,
        };
        let mut out = Self {
            kind: p.kind,
            freq_hz,
            sections: [idle; MAX_SECTIONS],
            len: 0,
        };
        let second = |n2, n1, n0, wp, qp| AnalogSection::Second { n2, n1, n0, wp, qp };
        let first_order = p.slope == Slope::Db6;
        match p.kind {
            BandType::Bell => out.push(second(1.0, a / q, 1.0, 1.0, a * q)),
            BandType::LowShelf if first_order => out.push(AnalogSection::First {
                n1: 1.0,
                n0: a,
                wp: 1.0 / a,
            }),
            // Denominator divided by A: poles at f0/√A with quality Q.
            BandType::LowShelf => out.push(second(1.0, sa / q, a, 1.0 / sa, q)),
            BandType::HighShelf if first_order => out.push(AnalogSection::First {
                n1: a * a,
                n0: a,
                wp: a,
            }),
            BandType::HighShelf => out.push(second(a * a, a * sa / q, a, sa, q)),
            BandType::TiltShelf if first_order => out.push(AnalogSection::First {
                n1: a,
                n0: 1.0,
                wp: a,
            }),
            BandType::TiltShelf => out.push(second(a, sa / q, 1.0, sa, q)),
            BandType::LowCut | BandType::HighCut => {
                let high_pass = p.kind == BandType::LowCut;
                let order = p.slope.order();
                for k in 1..=order / 2 {
                    let qk = if order == 2 {
                        q
                    } else {
                        butterworth_q(order, k)
                    };
                    out.push(if high_pass {
                        second(1.0, 0.0, 0.0, 1.0, qk)
                    } else {
                        second(0.0, 0.0, 1.0, 1.0, qk)
                    });
                }
                if order % 2 == 1 {
                    let (n1, n0) = if high_pass { (1.0, 0.0) } else { (0.0, 1.0) };
                    out.push(AnalogSection::First { n1, n0, wp: 1.0 });
                }
            }
            BandType::Notch => out.push(second(1.0, 0.0, 1.0, 1.0, q)),
            BandType::BandPass => out.push(second(0.0, 1.0 / q, 0.0, 1.0, q)),
            BandType::AllPass => out.push(second(1.0, -1.0 / q, 1.0, 1.0, q)),
        }
        out
    }

    fn push(&mut self, section: AnalogSection) {
        if self.len < MAX_SECTIONS {
            self.sections[self.len] = section;
            self.len += 1;
        }
    }

    /// Band type.
    pub fn kind(&self) -> BandType {
        self.kind
    }

    /// Band frequency in Hz (where s = j).
    pub fn freq_hz(&self) -> f64 {
        self.freq_hz
    }

    /// The sections whose product is the response.
    pub fn sections(&self) -> &[AnalogSection] {
        &self.sections[..self.len]
    }

    /// Complex response at `freq_hz` (Hz, ≥ 0).
    pub fn response_at(&self, freq_hz: f64) -> (f64, f64) {
        let w = freq_hz / self.freq_hz;
        self.sections().iter().fold((1.0, 0.0), |acc, s| {
            let (re, im) = s.response(w);
            (acc.0 * re - acc.1 * im, acc.0 * im + acc.1 * re)
        })
    }

    /// Magnitude in dB at `freq_hz` (Hz, ≥ 0).
    pub fn magnitude_db_at(&self, freq_hz: f64) -> f64 {
        let (re, im) = self.response_at(freq_hz);
        10.0 * (re * re + im * im).log10()
    }
}

impl FrequencyResponse for AnalogPrototype {
    /// The analog response at `freq_hz`; `sample_rate` is ignored.
    fn response_complex(&self, freq_hz: f32, _sample_rate: f32) -> (f64, f64) {
        self.response_at(f64::from(freq_hz))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BQ: f32 = core::f32::consts::FRAC_1_SQRT_2;

    fn band(kind: BandType, gain_db: f32, q: f32, slope: Slope) -> AnalogPrototype {
        AnalogPrototype::new(&BandParams {
            kind,
            freq_hz: 1_000.0,
            gain_db,
            q,
            slope,
        })
    }

    #[test]
    fn gains_at_dc_centre_and_high_frequencies() {
        for g in [-30.0f32, -7.5, 0.0, 4.0, 30.0] {
            let g64 = f64::from(g);
            for q in [0.3f32, BQ, 4.0] {
                let bell = band(BandType::Bell, g, q, Slope::Db12);
                assert!((bell.magnitude_db_at(1_000.0) - g64).abs() < 1e-9);
                assert!(bell.magnitude_db_at(0.0).abs() < 1e-9);
                assert!(bell.magnitude_db_at(1e9).abs() < 1e-6);
                for slope in [Slope::Db6, Slope::Db12] {
                    let ls = band(BandType::LowShelf, g, q, slope);
                    assert!((ls.magnitude_db_at(0.0) - g64).abs() < 1e-9);
                    assert!((ls.magnitude_db_at(1_000.0) - g64 / 2.0).abs() < 1e-9);
                    assert!(ls.magnitude_db_at(1e12).abs() < 1e-6);
                    let hs = band(BandType::HighShelf, g, q, slope);
                    assert!(hs.magnitude_db_at(0.0).abs() < 1e-9);
                    assert!((hs.magnitude_db_at(1_000.0) - g64 / 2.0).abs() < 1e-9);
                    assert!((hs.magnitude_db_at(1e12) - g64).abs() < 1e-6);
                    let tilt = band(BandType::TiltShelf, g, q, slope);
                    assert!((tilt.magnitude_db_at(0.0) + g64 / 2.0).abs() < 1e-9);
                    assert!(tilt.magnitude_db_at(1_000.0).abs() < 1e-9);
                    assert!((tilt.magnitude_db_at(1e12) - g64 / 2.0).abs() < 1e-6);
                }
            }
        }
    }

    #[test]
    fn cuts_are_butterworth() {
        for slope in Slope::ALL {
            let n = slope.order() as i32;
            let hp = band(BandType::LowCut, 0.0, BQ, slope);
            let lp = band(BandType::HighCut, 0.0, BQ, slope);
            for r in [0.1f64, 0.5, 1.0, 2.0, 10.0] {
                // |H|² = 1/(1 + r^(2n)) for the low-pass, r → 1/r for the
                // high-pass.
                let lp_db = -10.0 * (1.0 + r.powi(2 * n)).log10();
                let hp_db = -10.0 * (1.0 + r.powi(-2 * n)).log10();
                assert!((lp.magnitude_db_at(1_000.0 * r) - lp_db).abs() < 1e-6);
                assert!((hp.magnitude_db_at(1_000.0 * r) - hp_db).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn notch_band_pass_all_pass() {
        for q in [0.1f32, 1.0, 30.0] {
            let notch = band(BandType::Notch, 0.0, q, Slope::Db12);
            assert!(notch.magnitude_db_at(1_000.0) < -200.0);
            let bp = band(BandType::BandPass, 0.0, q, Slope::Db12);
            assert!(bp.magnitude_db_at(1_000.0).abs() < 1e-9);
            let ap = band(BandType::AllPass, 0.0, q, Slope::Db12);
            for f in [10.0, 700.0, 1_000.0, 5_000.0] {
                assert!(ap.magnitude_db_at(f).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn nan_and_out_of_range_parameters_are_sanitised() {
        let p = BandParams {
            kind: BandType::Bell,
            freq_hz: f32::NAN,
            gain_db: 1e9,
            q: -3.0,
            slope: Slope::Db12,
        }
        .sanitised();
        assert_eq!(p.freq_hz, 1_000.0);
        assert_eq!(p.gain_db, MAX_GAIN_DB);
        assert_eq!(p.q, MIN_Q);
    }
}
