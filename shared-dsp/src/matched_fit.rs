//! Least-squares refinement of a matched section near Nyquist: one analog
//! second-order section realised by two digital ones.
//!
//! The three-point matched design of [`crate::matched`] is exact at DC, the
//! band frequency and Nyquist, but a single digital second-order section
//! cannot follow a wide analog bell or shelf in between once the band
//! approaches Nyquist: measured up to 2.3 dB off (bell at 16 kHz, Q 0.3,
//! ±30 dB, 44.1 kHz), 23 dB for a Q-40 shelf. Even the best possible single
//! section (a minimax fit of all five free coefficients) stays 0.17–0.7 dB
//! off for bells of Q 0.7–6 at ±30 dB near 10–16 kHz, so a second section is
//! unavoidable there. Options measured (worst error 20 Hz–20 kHz over bells
//! and shelves of Q 0.025–40, ±30 dB, centred 10 Hz–16 kHz, at 44.1 kHz):
//!
//! - a second-order correction fitted to the residual of the matched section:
//!   0.4–4 dB (the residual is not second-order-shaped);
//! - a free fourth-order fit (Sanathanan–Koerner iterations on all nine
//!   coefficients of N(p)/D(p)): ~0.02 dB where it converges, but the free
//!   denominator wanders (non-realisable, sign-changing) for narrow low bands
//!   and needs iterations and a quartic root finder for each of N and D;
//! - 2× oversampling of the whole EQ: doubles the per-band cost and adds
//!   two halfband filters, against a speed target that one section per band
//!   already barely meets;
//! - **this design**: the fourth-order fit with both denominators fixed. The
//!   first is the matched section's own impulse-invariant pole pair (exact
//!   pole frequency and damping, so narrow bands stay exact); the second, a
//!   free pole pair, converged in every fourth-order fit to two real poles at
//!   p ≈ 1.02 and p ≈ 1.45 (p = sin²(ω/2); negative real z-plane poles at
//!   −0.75 and −0.28, shaping only the last octave below Nyquist) for every
//!   band type, frequency, gain and Q, so it is fixed there. With both
//!   denominators known, the numerator N(p) (degree 4) is linear in the
//!   data: one weighted least-squares solve, no iteration. Measured by
//!   `tests/eq_bands.rs` (impulse responses, 20 Hz–20 kHz): bells within
//!   0.022 dB at 44.1 kHz and 0.019 dB at 48 kHz, 12 dB/oct shelves and
//!   tilt within 0.058 / 0.061 dB (Q-40 shelves near Nyquist; 0.03 dB
//!   below Q 6), 6 dB/oct shelves within 0.018 / 0.015 dB.
//!
//! The fit minimises Σ wᵢ²·(|H(pᵢ)|²/Tᵢ − 1)² (relative error of the
//! squared magnitude, ≈ 0.23·error in dB) over a grid: 32 log-spaced points
//! from 20 Hz (or half the band frequency) to 20 kHz (or 0.46·fs), four
//! points up to 0.4995·fs at a tenth of the weight (the response above
//! 20 kHz stays near the prototype instead of wandering: without the last
//! point a Q-40 shelf resonating at 23.7 kHz rose 23 dB above the
//! prototype's peak at 24 kHz; with it 0.24 dB), nine points across each
//! resonance of Q > 1 (pole or zero pair), where a log grid would step over
//! a Q-40 peak, and DC at triple weight. N is then factored (Aberth
//! iteration, see [`crate::poly`]) into one
//! quadratic per section; each section is realised as an SVF like the
//! matched ones. A section whose zeros lie below its poles is fitted as its
//! inverse (as in the matched design), so fitted factors then become poles:
//! any that would sit on the unit circle makes the fit fail.
//!
//! Design cost (measured): about 1.4 µs for a band that keeps one section
//! (matched design plus its error on the grid), 3.9 µs with the fit (one
//! sine per grid point, ≤ 55; a 55 × 5 QR solve; a quartic's roots). A band uses the fit only where the matched
//! section misses the prototype by more than [`SINGLE_SECTION_DB`] on the
//! grid (wide or high bands); elsewhere it keeps one section.

use crate::analog::AnalogSection;
use crate::matched::{Poles, Warped2};
use crate::poly::{least_squares, polynomial_roots, MAX_ROWS};
use core::f64::consts::PI;
use realfft::num_complex::Complex;

/// Largest error (dB, on the fit grid up to 20 kHz) at which a band keeps
/// the single matched section.
pub const SINGLE_SECTION_DB: f64 = 0.02;

/// Roots in p = sin²(ω/2) of the fixed second denominator (see the module
/// notes).
const NYQUIST_ROOTS: [f64; 2] = [1.02, 1.45];

/// Upper end of the fully weighted grid, Hz (further limited to 0.46·fs).
const AUDIBLE_HZ: f64 = 20_000.0;
/// Lower end of the grid, Hz (or half the band frequency if lower).
const LOWEST_HZ: f64 = 20.0;
/// Log-spaced grid points.
const LOG_POINTS: usize = 32;
/// Points above the audible grid up to 0.49·fs, and their weight.
const HIGH_POINTS: usize = 4;
const HIGH_WEIGHT: f64 = 0.1;
/// Offsets across a resonance of quality Q: f_r·(1 + u/(2Q)).
const RESONANCE_OFFSETS: [f64; 9] = [-2.0, -1.0, -0.5, -0.2, 0.0, 0.2, 0.5, 1.0, 2.0];
const DC_WEIGHT: f64 = 3.0;

/// A quadratic Q0 + Q1·t + Q2·t² in t = tan²(ω/2): |F(e^{jω})|²·(1 + t)²
/// for a second-order polynomial F in z⁻¹ (|F|² is a quadratic in
/// p = t/(1 + t)).
#[derive(Clone, Copy, Debug)]
struct TQuad([f64; 3]);

impl TQuad {
    /// The quadratic with roots `a`, `b` in p (both real, or a conjugate
    /// pair): (p − a)(p − b)·(1 + t)² = ((1 − a)t − a)((1 − b)t − b),
    /// written without cancellation for roots near 0 or 1.
    fn from_roots(a: Complex<f64>, b: Complex<f64>) -> Self {
        let one = Complex::new(1.0, 0.0);
        let q2 = (one - a) * (one - b);
        let q1 = -(a * (one - b) + b * (one - a));
        let q0 = a * b;
        Self([q0.re, q1.re, q2.re])
    }

    fn scaled(self, s: f64) -> Self {
        Self(self.0.map(|v| v * s))
    }

    fn at(&self, t: f64) -> f64 {
        self.0[0] + t * (self.0[1] + t * self.0[2])
    }

    /// Non-negative for every t ≥ 0 (a realisable squared magnitude).
    fn non_negative(&self) -> bool {
        let [q0, q1, q2] = self.0;
        q0 >= 0.0 && q2 >= 0.0 && q1 >= -2.0 * (q0 * q2).sqrt()
    }
}

/// The section num(t)/den(t) (both non-negative on t ≥ 0, den positive) as a
/// pre-warped analog section: den ∝ (1 − T)² + k²·T, num ∝
/// (n0 − n2·T)² + n1²·T with T = t/g². The numerator is the minimum-phase
/// choice (n0, n1, n2 ≥ 0).
fn realise(num: TQuad, den: TQuad) -> Option<Warped2> {
    let [q0, q1, q2] = den.0;
    if !(q0 > 0.0 && q2 > 0.0) {
        return None;
    }
    let root = (q0 * q2).sqrt();
    let g = (q0 / q2).sqrt().sqrt();
    let k2 = 2.0 + q1 / root;
    realise_over(num, den, g, k2.max(0.0).sqrt())
}

/// As [`realise`] with the denominator's (g, k) given exactly.
fn realise_over(num: TQuad, den: TQuad, g: f64, k: f64) -> Option<Warped2> {
    let [p0, p1, p2] = num.0;
    let [q0, _, q2] = den.0;
    let n0 = (p0 / q0).max(0.0).sqrt();
    let n2 = (p2 / q2).max(0.0).sqrt();
    let n1 = (2.0 * n0 * n2 + p1 / (q0 * q2).sqrt()).max(0.0).sqrt();
    let w = Warped2 { g, k, n2, n1, n0 };
    let finite = [g, k, n2, n1, n0].iter().all(|v| v.is_finite());
    (finite && g > 0.0 && k > 0.0).then_some(w)
}

/// The fit grid: frequency (Hz) and weight of each point.
struct Grid {
    freq: [f64; MAX_ROWS],
    weight: [f64; MAX_ROWS],
    len: usize,
    /// Points below this index lie at or below the audible limit.
    audible: [bool; MAX_ROWS],
}

impl Grid {
    fn new(f0: f64, fs: f64, resonances: &[(f64, f64)]) -> Self {
        let mut grid = Self {
            freq: [0.0; MAX_ROWS],
            weight: [0.0; MAX_ROWS],
            len: 0,
            audible: [false; MAX_ROWS],
        };
        let top = 0.4995 * fs;
        let hi = AUDIBLE_HZ.min(0.46 * fs);
        let lo = LOWEST_HZ.min(0.5 * f0);
        grid.push(0.0, DC_WEIGHT, hi);
        for i in 0..LOG_POINTS {
            let f = lo * (hi / lo).powf(i as f64 / (LOG_POINTS - 1) as f64);
            grid.push(f, 1.0, hi);
        }
        if top > 1.01 * hi {
            for i in 1..=HIGH_POINTS {
                grid.push(
                    hi * (top / hi).powf(i as f64 / HIGH_POINTS as f64),
                    HIGH_WEIGHT,
                    hi,
                );
            }
        }
        for &(fr, q) in resonances {
            if q > 1.0 {
                for u in RESONANCE_OFFSETS {
                    let f = fr * (1.0 + u / (2.0 * q));
                    if f > lo && f < top {
                        grid.push(f, 1.0, hi);
                    }
                }
            }
        }
        grid
    }

    /// Adds a point; points above `hi` get [`HIGH_WEIGHT`] whatever `weight`
    /// says.
    fn push(&mut self, f: f64, weight: f64, hi: f64) {
        if self.len < MAX_ROWS {
            let audible = f <= hi * (1.0 + 1e-12);
            self.freq[self.len] = f;
            self.weight[self.len] = if audible { weight } else { HIGH_WEIGHT };
            self.audible[self.len] = audible;
            self.len += 1;
        }
    }
}

/// The result of refining one matched section.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Refined {
    /// The matched section is within [`SINGLE_SECTION_DB`] (or the fit did
    /// not improve on it).
    One(Warped2),
    /// The two fitted sections.
    Two([Warped2; 2]),
}

/// Refines `matched` (the three-point matched design of `section`, a
/// second-order analog section with s normalised to the band frequency
/// `f0` Hz, at `fs` Hz): keeps it if it is accurate enough, else fits two
/// sections as described in the module notes. Sections with zeros at DC or
/// on the unit circle (cuts, band pass, notch) are not fitted.
pub(crate) fn refine(section: AnalogSection, matched: Warped2, f0: f64, fs: f64) -> Refined {
    let AnalogSection::Second { n2, n1, n0, wp, qp } = section else {
        return Refined::One(matched);
    };
    if !(n2 > 0.0 && n1 > 0.0 && n0 > 0.0 && f0 > 0.0 && fs > 0.0) {
        return Refined::One(matched);
    }
    let wz = (n0 / n2).sqrt();
    let qz = wz * n2 / n1;
    let grid = Grid::new(f0, fs, &[(wp * f0, qp), (wz * f0, qz)]);
    // Per point: p, t and the analog target |H|².
    let mut p = [0.0f64; MAX_ROWS];
    let mut t = [0.0f64; MAX_ROWS];
    let mut target = [0.0f64; MAX_ROWS];
    let mut worst_matched = 0.0f64;
    for i in 0..grid.len {
        let s = (PI * grid.freq[i] / fs).sin();
        p[i] = s * s;
        t[i] = p[i] / (1.0 - p[i]);
        target[i] = section.magnitude(grid.freq[i] / f0).powi(2);
        if grid.audible[i] {
            let err = (matched.magnitude_sq_at(t[i]) / target[i]).ln().abs();
            worst_matched = worst_matched.max(err);
        }
    }
    let to_db = 10.0 / core::f64::consts::LN_10;
    // (A NaN error keeps the matched section too.)
    if worst_matched.is_nan() || worst_matched * to_db <= SINGLE_SECTION_DB {
        return Refined::One(matched);
    }
    let Some(fitted) = fit(section, f0, fs, &grid, &p, &t, &target) else {
        return Refined::One(matched);
    };
    let mut worst_fit = 0.0f64;
    for i in 0..grid.len {
        if grid.audible[i] {
            let h = fitted[0].magnitude_sq_at(t[i]) * fitted[1].magnitude_sq_at(t[i]);
            worst_fit = worst_fit.max((h / target[i]).ln().abs());
        }
    }
    if worst_fit < worst_matched {
        Refined::Two(fitted)
    } else {
        Refined::One(matched)
    }
}

/// The two-section fit of `section` on `grid` (see the module notes).
fn fit(
    section: AnalogSection,
    f0: f64,
    fs: f64,
    grid: &Grid,
    p: &[f64],
    t: &[f64],
    target: &[f64],
) -> Option<[Warped2; 2]> {
    let AnalogSection::Second { n2, n1, n0, wp, qp } = section else {
        return None;
    };
    let w0 = 2.0 * PI * f0 / fs;
    let wz = (n0 / n2).sqrt();
    let qz = wz * n2 / n1;
    // As in the matched design: zeros below the poles (or equally high and
    // less damped) → fit the inverse, whose fixed poles are then the zeros.
    let inverted = wz < wp || (wz == wp && 1.0 / qz < 1.0 / qp);
    let fixed = if inverted {
        Poles::impulse_invariant(wz * w0, qz)
    } else {
        Poles::impulse_invariant(wp * w0, qp)
    };
    let (g1, k1) = fixed.warped();
    // D1 in t-form: dc²·((1 − T)² + k1²·T), T = t/g1².
    let d1 = TQuad([
        fixed.dc * fixed.dc,
        (k1 * k1 - 2.0) * fixed.dc * fixed.nyquist,
        fixed.nyquist * fixed.nyquist,
    ]);
    let [r1, r2] = NYQUIST_ROOTS;
    let d2 =
        TQuad::from_roots(Complex::new(r1, 0.0), Complex::new(r2, 0.0)).scaled(1.0 / (r1 * r2));
    // Weighted rows: wᵢ/(Tᵢ·D(pᵢ))·[1, p, p², p³, p⁴] = wᵢ.
    let mut rows = [[0.0f64; 5]; MAX_ROWS];
    let mut rhs = [0.0f64; MAX_ROWS];
    for i in 0..grid.len {
        let goal = if inverted { 1.0 / target[i] } else { target[i] };
        let one_plus_t2 = (1.0 + t[i]) * (1.0 + t[i]);
        let den = d1.at(t[i]) * d2.at(t[i]) / (one_plus_t2 * one_plus_t2);
        let scale = grid.weight[i] / (goal * den);
        let mut pk = 1.0;
        for v in rows[i].iter_mut() {
            *v = scale * pk;
            pk *= p[i];
        }
        rhs[i] = grid.weight[i];
    }
    let c = least_squares(&mut rows[..grid.len], &mut rhs[..grid.len])?;
    // Factor N = c4·Π(p − ρ): two roots near the other analog pair, two
    // near the fixed Nyquist poles (paired by `split`).
    if c[4] == 0.0 || !c.iter().all(|v| v.is_finite()) {
        return None;
    }
    let roots = polynomial_roots(&c)?;
    let (pair_a, pair_b) = split(roots, inverted)?;
    let fa = TQuad::from_roots(pair_a[0], pair_a[1]);
    let fb = TQuad::from_roots(pair_b[0], pair_b[1]);
    // N(p)·(1 + t)⁴ = c4·fa(t)·fb(t). Section B gets unity gain at DC:
    // its factor scaled to d2's value there.
    if fb.0[0] == 0.0 {
        return None;
    }
    let sb = d2.0[0] / fb.0[0];
    let sa = c[4] / sb;
    let (fa, fb) = (fa.scaled(sa), fb.scaled(sb));
    if !(fa.non_negative() && fb.non_negative()) {
        return None;
    }
    let (a, b) = if inverted {
        // |H|² = D1·D2/N: the fitted factors are the poles.
        (realise(d1, fa)?, realise(d2, fb)?)
    } else {
        (realise_over(fa, d1, g1, k1)?, realise(fb, d2)?)
    };
    Some([a, b])
}

/// Two roots of a quadratic factor (both real, or a conjugate pair).
type RootPair = [Complex<f64>; 2];

/// Splits the four roots of N into the pair for the fixed matched poles and
/// the pair for the fixed Nyquist poles (the one nearest [`NYQUIST_ROOTS`]).
/// Each pair must be real or conjugate. Real roots inside (0, 1) are zeros
/// on the unit circle: in pairs they are merged into a double root (the fit
/// dips slightly below zero between them); a lone one, or any when the
/// factors are poles (`as_poles`), fails.
fn split(mut z: [Complex<f64>; 4], as_poles: bool) -> Option<(RootPair, RootPair)> {
    for v in &mut z {
        if v.im.abs() <= 1e-9 * v.norm() {
            v.im = 0.0;
        }
    }
    let valid = |a: Complex<f64>, b: Complex<f64>| {
        (a.im == 0.0 && b.im == 0.0) || (a - b.conj()).norm() <= 1e-6 * a.norm()
    };
    let nyquist_cost = |a: Complex<f64>, b: Complex<f64>| {
        let [r1, r2] = NYQUIST_ROOTS;
        let d = |x: Complex<f64>, r: f64| (x - r).norm() / r;
        (d(a, r1) + d(b, r2)).min(d(a, r2) + d(b, r1))
    };
    let pairings = [[0, 1, 2, 3], [0, 2, 1, 3], [0, 3, 1, 2]];
    let mut best: Option<(f64, RootPair, RootPair)> = None;
    for [i, j, k, l] in pairings {
        let (x, y) = ([z[i], z[j]], [z[k], z[l]]);
        if !(valid(x[0], x[1]) && valid(y[0], y[1])) {
            continue;
        }
        for (a, b) in [(x, y), (y, x)] {
            let cost = nyquist_cost(b[0], b[1]);
            if best.as_ref().is_none_or(|(c, _, _)| cost < *c) {
                best = Some((cost, a, b));
            }
        }
    }
    let (_, mut a, mut b) = best?;
    for pair in [&mut a, &mut b] {
        let inside = |v: Complex<f64>| v.im == 0.0 && v.re > 0.0 && v.re < 1.0;
        match (inside(pair[0]), inside(pair[1])) {
            (false, false) => {}
            (true, true) if !as_poles => {
                let mid = 0.5 * (pair[0].re + pair[1].re);
                *pair = [Complex::new(mid, 0.0); 2];
            }
            _ => return None,
        }
        if pair[0].im != 0.0 {
            // Exact conjugates, so the quadratic's coefficients are real.
            pair[1] = pair[0].conj();
        }
    }
    Some((a, b))
}
