//! Second-order sections on two lanes (left/right, or mid/side), run sample
//! by sample through every band of an EQ in one loop.
//!
//! Each section is the state-space form of a trapezoidal SVF
//! ([`SvfCoefs::state_space`]): the states are the SVF's integrator states,
//! so coefficients may change between any two samples without a click, as
//! with [`crate::svf::Svf`], and coefficient ramps stay stable.
//!
//! Speed: one section's recursion is latency-bound (about 12 cycles per
//! sample through its two states), so running each section over a whole
//! block leaves the FPU mostly idle. Running all sections of all bands for
//! one sample before the next lets the processor overlap the independent
//! recursions, and the two lanes share each SIMD instruction (SSE2 on
//! x86-64: both lanes of every coefficient and state in one register). The
//! arithmetic is f64 (states, coefficients, and the signal between sections;
//! f32 only at the cascade's input and output), which keeps low, narrow bands
//! exact.
//!
//! Coefficients can differ per lane: a band placed on the left channel only
//! runs with pass-through coefficients on the right lane (d = 1, c = 0).
//! During a control period a section may ramp linearly, per sample, from its
//! current coefficients to a target reached at the period's end; each band
//! also has a dry/wet mix (input + wet·(output − input)), ramped the same
//! way, used to fade a band in and out around a change of type.

use crate::svf::SvfCoefs;
use crate::util::is_finite_block;

/// Sections per band (a 96 dB/oct cut uses eight).
pub const MAX_BAND_SECTIONS: usize = 8;

/// Two f64 lanes (SSE2 register on x86-64, a pair elsewhere).
#[cfg(target_arch = "x86_64")]
mod lanes {
    use core::arch::x86_64::{
        __m128d, _mm_add_pd, _mm_fmadd_pd, _mm_mul_pd, _mm_set1_pd, _mm_setr_pd, _mm_storeu_pd,
        _mm_sub_pd,
    };

    /// Two f64 values processed together.
    #[derive(Clone, Copy, Debug)]
    pub struct F2(__m128d);

    impl F2 {
        #[inline(always)]
        pub fn new(a: f64, b: f64) -> Self {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            Self(unsafe { _mm_setr_pd(a, b) })
        }
        #[inline(always)]
        pub fn splat(v: f64) -> Self {
            // SAFETY: as above.
            Self(unsafe { _mm_set1_pd(v) })
        }
        #[inline(always)]
        pub fn to_array(self) -> [f64; 2] {
            let mut out = [0.0f64; 2];
            // SAFETY: `out` holds two f64; SSE2 is baseline.
            unsafe { _mm_storeu_pd(out.as_mut_ptr(), self.0) };
            out
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            // SAFETY: as above.
            Self(unsafe { _mm_add_pd(self.0, o.0) })
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            // SAFETY: as above.
            Self(unsafe { _mm_sub_pd(self.0, o.0) })
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            // SAFETY: as above.
            Self(unsafe { _mm_mul_pd(self.0, o.0) })
        }
        /// self·b + c: fused when `FMA` (only instantiated inside
        /// functions compiled with the `fma` target feature, after a runtime
        /// check), else a multiply and an add.
        #[inline(always)]
        pub fn mul_add<const FMA: bool>(self, b: Self, c: Self) -> Self {
            if FMA {
                // SAFETY: FMA = true is only used under
                // `#[target_feature(enable = "fma")]` (see `run_fma`), entered
                // after `is_x86_feature_detected!("fma")`.
                Self(unsafe { _mm_fmadd_pd(self.0, b.0, c.0) })
            } else {
                self.mul(b).add(c)
            }
        }
    }
}

/// Two f64 lanes (portable fallback).
#[cfg(not(target_arch = "x86_64"))]
mod lanes {
    /// Two f64 values processed together.
    #[derive(Clone, Copy, Debug)]
    pub struct F2([f64; 2]);

    impl F2 {
        #[inline(always)]
        pub fn new(a: f64, b: f64) -> Self {
            Self([a, b])
        }
        #[inline(always)]
        pub fn splat(v: f64) -> Self {
            Self([v, v])
        }
        #[inline(always)]
        pub fn to_array(self) -> [f64; 2] {
            self.0
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            Self([self.0[0] + o.0[0], self.0[1] + o.0[1]])
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            Self([self.0[0] - o.0[0], self.0[1] - o.0[1]])
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            Self([self.0[0] * o.0[0], self.0[1] * o.0[1]])
        }
        /// self·b + c (never fused here).
        #[inline(always)]
        pub fn mul_add<const FMA: bool>(self, b: Self, c: Self) -> Self {
            self.mul(b).add(c)
        }
    }
}

use lanes::F2;

impl Default for F2 {
    fn default() -> Self {
        F2::splat(0.0)
    }
}

/// State-space coefficients [d, c1, c2, a11, b1, b2] of one lane (see
/// [`SvfCoefs::state_space`]).
pub type LaneCoefs = [f64; 6];

/// Pass-through: y = x, states held at zero.
pub const IDENTITY: LaneCoefs = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0];

/// The lane coefficients of `svf`.
pub fn lane_coefs(svf: &SvfCoefs) -> LaneCoefs {
    svf.state_space()
}

/// `to`'s dynamics (a11, b1, b2) with a pass-through output mix: the state
/// follows the input as `to` would, the output is the input. A section
/// switched on starts here and ramps its mix to `to`; one switched off ramps
/// to here before it stops.
pub fn pass_through_mix(to: &LaneCoefs) -> LaneCoefs {
    [1.0, 0.0, 0.0, to[3], to[4], to[5]]
}

#[derive(Clone, Copy, Debug, Default)]
struct Coefs([F2; 6]);

impl Coefs {
    fn from_lanes(l: &LaneCoefs, r: &LaneCoefs) -> Self {
        Self(core::array::from_fn(|i| F2::new(l[i], r[i])))
    }
}

/// One second-order section on two lanes.
#[derive(Clone, Copy, Debug, Default)]
struct Section {
    cur: Coefs,
    s1: F2,
    s2: F2,
    /// Per-sample increment while ramping, and the ramp's end point.
    step: Coefs,
    target: Coefs,
}

impl Section {
    #[inline(always)]
    fn tick<const FMA: bool>(&mut self, x: F2) -> F2 {
        let [d, c1, c2, a11, b1, b2] = self.cur.0;
        let v = x.sub(self.s2);
        // The state terms first: only d·x and one add (or one fused
        // multiply-add) lie on the path from one section's output to the
        // next.
        let y = d.mul_add::<FMA>(x, c2.mul_add::<FMA>(self.s2, c1.mul(self.s1)));
        let s1 = b1.mul_add::<FMA>(v, a11.mul(self.s1));
        self.s2 = b2.mul_add::<FMA>(v, b1.mul_add::<FMA>(self.s1, self.s2));
        self.s1 = s1;
        y
    }

    #[inline(always)]
    fn advance_ramp(&mut self) {
        for (c, s) in self.cur.0.iter_mut().zip(self.step.0) {
            *c = c.add(s);
        }
    }

    fn states_finite(&self) -> bool {
        let [a, b] = self.s1.to_array();
        let [c, d] = self.s2.to_array();
        (a + b + c + d).is_finite()
    }
}

/// One band's sections on two lanes, with its dry/wet mix.
#[derive(Clone, Debug)]
pub struct BandLanes {
    sections: [Section; MAX_BAND_SECTIONS],
    count: usize,
    wet: F2,
    wet_step: F2,
    wet_target: F2,
    /// The wet mix is not 1 on both lanes, or is ramping.
    mixing: bool,
    /// Samples left in the current ramp (0: settled).
    ramp_left: usize,
}

impl Default for BandLanes {
    fn default() -> Self {
        Self::new()
    }
}

impl BandLanes {
    /// No sections (pass-through), fully wet.
    pub fn new() -> Self {
        Self {
            sections: [Section::default(); MAX_BAND_SECTIONS],
            count: 0,
            wet: F2::splat(1.0),
            wet_step: F2::splat(0.0),
            wet_target: F2::splat(1.0),
            mixing: false,
            ramp_left: 0,
        }
    }

    /// Clears every state (coefficients kept).
    pub fn reset_states(&mut self) {
        for s in &mut self.sections {
            s.s1 = F2::splat(0.0);
            s.s2 = F2::splat(0.0);
        }
    }

    /// Clears the state of section `i` (< [`MAX_BAND_SECTIONS`]).
    pub fn reset_section(&mut self, i: usize) {
        if let Some(s) = self.sections.get_mut(i) {
            s.s1 = F2::splat(0.0);
            s.s2 = F2::splat(0.0);
        }
    }

    /// Sets the number of sections in use (≤ [`MAX_BAND_SECTIONS`]).
    pub fn set_count(&mut self, count: usize) {
        self.count = count.min(MAX_BAND_SECTIONS);
    }

    /// Sets section `i`'s coefficients at once (left and right lane), ending
    /// any ramp it was in.
    pub fn set(&mut self, i: usize, left: &LaneCoefs, right: &LaneCoefs) {
        if let Some(s) = self.sections.get_mut(i) {
            s.cur = Coefs::from_lanes(left, right);
            s.target = s.cur;
            s.step = Coefs::default();
        }
    }

    /// Ramps section `i` from its current coefficients to `left`/`right`
    /// over the next `len` samples (≥ 1), landing on the target exactly
    /// after the last. Sections and mix of one band ramping at once share
    /// the latest `len`: call this at a control grid point for every section
    /// that moves.
    pub fn ramp(&mut self, i: usize, left: &LaneCoefs, right: &LaneCoefs, len: usize) {
        let len = len.max(1);
        if let Some(s) = self.sections.get_mut(i) {
            s.target = Coefs::from_lanes(left, right);
            let inv = F2::splat(1.0 / len as f64);
            for k in 0..6 {
                s.step.0[k] = s.target.0[k].sub(s.cur.0[k]).mul(inv);
            }
            self.ramp_left = len;
        }
    }

    /// Sets the dry/wet mix at once (1 = the band, 0 = pass-through).
    pub fn set_wet(&mut self, left: f64, right: f64) {
        self.wet = F2::new(left, right);
        self.wet_target = self.wet;
        self.wet_step = F2::splat(0.0);
        self.mixing = !(left == 1.0 && right == 1.0);
    }

    /// Ramps the dry/wet mix to `left`/`right` over `len` samples (the
    /// same ramp length as the coefficients' if both ramp).
    pub fn ramp_wet(&mut self, left: f64, right: f64, len: usize) {
        let len = len.max(1);
        self.wet_target = F2::new(left, right);
        self.wet_step = self
            .wet_target
            .sub(self.wet)
            .mul(F2::splat(1.0 / len as f64));
        self.ramp_left = len;
        self.mixing = true;
    }

    /// The dry/wet mix now (left, right).
    pub fn wet(&self) -> [f64; 2] {
        self.wet.to_array()
    }

    /// Ends the ramp: coefficients and mix land on their targets exactly.
    fn finish_ramp(&mut self) {
        for s in &mut self.sections[..self.count] {
            s.cur = s.target;
            s.step = Coefs::default();
        }
        self.wet = self.wet_target;
        self.wet_step = F2::splat(0.0);
        let [l, r] = self.wet.to_array();
        self.mixing = !(l == 1.0 && r == 1.0);
        self.ramp_left = 0;
    }

    /// Clears any state left non-finite (by NaN or infinite input): the band
    /// recovers from the next sample on.
    pub fn recover(&mut self) {
        for s in &mut self.sections[..self.count] {
            if !s.states_finite() {
                s.s1 = F2::splat(0.0);
                s.s2 = F2::splat(0.0);
            }
        }
    }
}

/// Runs `left` and `right` (the shorter sets the length) through `bands`
/// in order, sample by sample. Ramps advance per sample; each lands exactly
/// on its target after its last sample. Non-finite states are cleared at the
/// end (see [`BandLanes::recover`]); call this per control period so the
/// output does not depend on the host's block size.
pub fn process(bands: &mut [BandLanes], left: &mut [f32], right: &mut [f32]) {
    let n = left.len().min(right.len());
    let mut pos = 0;
    while pos < n {
        // Up to the end of the shortest ramp under way.
        let len = bands
            .iter()
            .filter(|b| b.ramp_left > 0)
            .map(|b| b.ramp_left)
            .min()
            .unwrap_or(n - pos)
            .min(n - pos);
        let (l, r) = (&mut left[pos..pos + len], &mut right[pos..pos + len]);
        let ramping = bands.iter().any(|b| b.ramp_left > 0);
        let mixing = bands.iter().any(|b| b.mixing);
        if has_fma() {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the CPU has FMA (checked at run time).
            unsafe {
                run_fma(bands, l, r, ramping, mixing)
            };
        } else {
            match (ramping, mixing) {
                (false, false) => run::<false, false, false>(bands, l, r),
                (false, true) => run::<false, true, false>(bands, l, r),
                (true, _) => run::<true, true, false>(bands, l, r),
            }
        }
        for b in bands.iter_mut() {
            if b.ramp_left > 0 {
                b.ramp_left -= len;
                if b.ramp_left == 0 {
                    b.finish_ramp();
                }
            }
        }
        pos += len;
    }
    if !(is_finite_block(&left[..n]) && is_finite_block(&right[..n])) {
        for b in bands.iter_mut() {
            b.recover();
        }
    }
}

/// Whether fused multiply-adds are available (x86-64 with FMA: AMD since
/// 2012, Intel since 2013). The two paths round differently, by < 1e-16
/// relative per operation; a machine always takes the same one, so output
/// stays independent of the host's block size.
#[inline]
fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`run`] with fused multiply-adds.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn run_fma(
    bands: &mut [BandLanes],
    left: &mut [f32],
    right: &mut [f32],
    ramping: bool,
    mixing: bool,
) {
    match (ramping, mixing) {
        (false, false) => run::<false, false, true>(bands, left, right),
        (false, true) => run::<false, true, true>(bands, left, right),
        (true, _) => run::<true, true, true>(bands, left, right),
    }
}

#[inline(always)]
fn run<const RAMP: bool, const MIX: bool, const FMA: bool>(
    bands: &mut [BandLanes],
    left: &mut [f32],
    right: &mut [f32],
) {
    for (l, r) in left.iter_mut().zip(right.iter_mut()) {
        let mut x = F2::new(f64::from(*l), f64::from(*r));
        for band in bands.iter_mut() {
            let ramp = RAMP && band.ramp_left > 0;
            let dry = x;
            for s in &mut band.sections[..band.count] {
                if ramp {
                    s.advance_ramp();
                }
                x = s.tick::<FMA>(x);
            }
            if MIX && band.mixing {
                if ramp {
                    band.wet = band.wet.add(band.wet_step);
                }
                x = dry.add(band.wet.mul(x.sub(dry)));
            }
        }
        let [a, b] = x.to_array();
        *l = a as f32;
        *r = b as f32;
    }
}
