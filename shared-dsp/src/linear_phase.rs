//! Linear-phase realisation of the EQ: FIR filters designed from the bands'
//! magnitude response, run by uniformly partitioned FFT convolution.
//!
//! Design: the magnitude of the zero-latency bands (the matched IIR
//! designs, so both modes have the same curve) is sampled at the L/2 + 1
//! bins of an L-point FFT, taken as a zero-phase spectrum and transformed
//! back (f64): a real, even impulse response. It is shifted to its centre,
//! windowed (Blackman: −58 dB sidelobes, so truncating a long zero-phase
//! response does not ripple the passband) and cut to 2C + 1 taps,
//! symmetric about tap C: linear phase, delay C.
//!
//! With mid/side bands the stereo EQ is a 2 × 2 matrix of filters: at each
//! frequency L_out = ½(H_M + H_S)·H_L·L + ½(H_M − H_S)·H_R·R and alike for
//! R_out (all magnitudes real, so the product of the two stages is one
//! real matrix per frequency). Four FIRs then, sharing the two inputs'
//! spectra; two without mid/side bands.
//!
//! Convolution: uniformly partitioned overlap-save (partitions of
//! [`PARTITION`] samples, FFT size 2·[`PARTITION`], f32), with a
//! frequency-domain delay line of the inputs' spectra. Block processing
//! delays by one partition, so the FIR is centred at C = L/2 − [`PARTITION`]
//! and the total latency is exactly L/2 samples: the FIR spans
//! L − 2·[`PARTITION`] + 1 taps of the selected length L.
//!
//! Updates: a new FIR is designed on the control grid, a slice at a time
//! (magnitude at up to [`BINS_PER_TICK`] bins per control period, then the
//! inverse FFT and the partitions' FFTs), never allocating; when it is ready
//! the convolution crossfades from the old filters to the new ones over one
//! partition. Changing the length (or entering linear phase) designs at
//! once and restarts the convolution (the latency changes anyway).

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Samples per convolution partition.
pub const PARTITION: usize = 256;

/// Magnitude samples taken per control period while a design is under way
/// (24 two-section bands: about 35 µs per period).
pub const BINS_PER_TICK: usize = 128;

/// Partition spectra transformed per control period.
const PARTITIONS_PER_TICK: usize = 16;

/// FIR length of the linear-phase mode, in taps at 48 kHz (scaled with the
/// sample rate: twice as many at 96 kHz).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FirLength {
    /// 4096 taps (85 ms at 48 kHz; latency 43 ms).
    Taps4096,
    /// 8192 taps.
    #[default]
    Taps8192,
    /// 16 384 taps.
    Taps16384,
    /// 32 768 taps.
    Taps32768,
}

impl FirLength {
    /// Every length, shortest first.
    pub const ALL: [FirLength; 4] = [
        FirLength::Taps4096,
        FirLength::Taps8192,
        FirLength::Taps16384,
        FirLength::Taps32768,
    ];

    /// Taps at 48 kHz.
    pub fn taps_at_48k(self) -> usize {
        match self {
            FirLength::Taps4096 => 4096,
            FirLength::Taps8192 => 8192,
            FirLength::Taps16384 => 16_384,
            FirLength::Taps32768 => 32_768,
        }
    }

    /// Taps L at `sample_rate` Hz: the 48 kHz length scaled with the rate,
    /// rounded to a multiple of 2·[`PARTITION`] (at least 4·[`PARTITION`]).
    /// The latency is L/2.
    pub fn taps(self, sample_rate: f32) -> usize {
        let scale = if sample_rate.is_finite() && sample_rate > 0.0 {
            f64::from(sample_rate) / 48_000.0
        } else {
            1.0
        };
        let unit = 2 * PARTITION;
        let n = (self.taps_at_48k() as f64 * scale / unit as f64).round() as usize;
        n.max(2) * unit
    }

    fn index(self) -> usize {
        match self {
            FirLength::Taps4096 => 0,
            FirLength::Taps8192 => 1,
            FirLength::Taps16384 => 2,
            FirLength::Taps32768 => 3,
        }
    }
}

/// Filters: left→left, right→left, left→right, right→right.
const FILTERS: usize = 4;

/// Where a design in progress stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Idle,
    /// Next bin to sample.
    Sampling(usize),
    /// Next filter to transform, and its next partition.
    Partitions(usize, usize),
    /// Designed, waiting for the next partition boundary to crossfade.
    Ready,
}

/// The linear-phase convolution engine for two channels.
pub struct LinearPhase {
    sample_rate: f32,
    length: FirLength,
    taps: usize,
    partitions: usize,
    max_partitions: usize,
    // Design.
    design_inv: Vec<Arc<dyn ComplexToReal<f64>>>,
    design_spectrum: Vec<Complex<f64>>,
    design_time: Vec<f64>,
    design_scratch: Vec<Complex<f64>>,
    /// Magnitudes per bin: H_L, H_R, H_M, H_S.
    mags: Vec<[f64; 4]>,
    /// tan(ω/2) of each bin of the current length.
    tans: Vec<f64>,
    /// The windowed FIR of the filter being partitioned.
    fir: Vec<f64>,
    stage: Stage,
    /// A new design was asked for while one was under way.
    again: bool,
    /// Mid/side in the design under way / in the filters in use.
    cross_next: bool,
    cross: bool,
    /// A design is in use (else the next update designs at once).
    taps_ready: bool,
    // Convolution.
    fwd: Arc<dyn RealToComplex<f32>>,
    inv: Arc<dyn ComplexToReal<f32>>,
    scratch: Vec<Complex<f32>>,
    /// Two sets of filter spectra: [set][filter][partition][bin].
    spectra: Vec<Complex<f32>>,
    active: usize,
    /// Crossfade to the other set at the next partition.
    swap_pending: bool,
    /// Input spectra, per channel, circular over partitions.
    fdl: Vec<Complex<f32>>,
    fdl_pos: usize,
    /// The last 2·PARTITION input samples per channel.
    input: [Vec<f32>; 2],
    fill: usize,
    /// One partition of output per channel, read while the next fills.
    output: [Vec<f32>; 2],
    time: Vec<f32>,
    acc: Vec<Complex<f32>>,
    acc_new: Vec<Complex<f32>>,
    time_new: Vec<f32>,
    /// Dry delay (latency) for the solo path, per channel.
    dry: [Vec<f32>; 2],
    dry_pos: usize,
}

impl core::fmt::Debug for LinearPhase {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LinearPhase")
            .field("sample_rate", &self.sample_rate)
            .field("taps", &self.taps)
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
}

impl Clone for LinearPhase {
    fn clone(&self) -> Self {
        let mut c = Self::new();
        c.prepare(self.sample_rate, 0);
        c.set_length(self.length);
        c
    }
}

impl Default for LinearPhase {
    fn default() -> Self {
        Self::new()
    }
}

impl LinearPhase {
    /// An engine for 48 kHz with no storage yet (cheap); call
    /// [`prepare`](Self::prepare).
    pub fn new() -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let fwd = planner.plan_fft_forward(2 * PARTITION);
        let inv = planner.plan_fft_inverse(2 * PARTITION);
        let scratch_len = fwd.get_scratch_len().max(inv.get_scratch_len());
        Self {
            sample_rate: 48_000.0,
            length: FirLength::default(),
            taps: 0,
            partitions: 0,
            max_partitions: 0,
            design_inv: Vec::new(),
            design_spectrum: Vec::new(),
            design_time: Vec::new(),
            design_scratch: Vec::new(),
            mags: Vec::new(),
            tans: Vec::new(),
            fir: Vec::new(),
            stage: Stage::Idle,
            again: false,
            cross_next: false,
            cross: false,
            taps_ready: false,
            fwd,
            inv,
            scratch: vec![Complex::new(0.0, 0.0); scratch_len],
            spectra: Vec::new(),
            active: 0,
            swap_pending: false,
            fdl: Vec::new(),
            fdl_pos: 0,
            input: [Vec::new(), Vec::new()],
            fill: 0,
            output: [vec![0.0; PARTITION], vec![0.0; PARTITION]],
            time: vec![0.0; 2 * PARTITION],
            acc: vec![Complex::new(0.0, 0.0); PARTITION + 1],
            acc_new: vec![Complex::new(0.0, 0.0); PARTITION + 1],
            time_new: vec![0.0; 2 * PARTITION],
            dry: [Vec::new(), Vec::new()],
            dry_pos: 0,
        }
    }

    /// Allocates for the longest FIR at `sample_rate` Hz (every length can
    /// then be selected without allocating) and clears the state.
    /// `_max_block` is accepted for the common kernel signature.
    pub fn prepare(&mut self, sample_rate: f32, _max_block: usize) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            self.sample_rate = sample_rate;
        }
        let mut planner = RealFftPlanner::<f64>::new();
        self.design_inv = FirLength::ALL
            .iter()
            .map(|l| planner.plan_fft_inverse(l.taps(self.sample_rate)))
            .collect();
        let max_taps = FirLength::Taps32768.taps(self.sample_rate);
        let scratch = self
            .design_inv
            .iter()
            .map(|p| p.get_scratch_len())
            .max()
            .unwrap_or(0);
        self.design_spectrum = vec![Complex::new(0.0, 0.0); max_taps / 2 + 1];
        self.design_time = vec![0.0; max_taps];
        self.design_scratch = vec![Complex::new(0.0, 0.0); scratch];
        self.mags = vec![[1.0; 4]; max_taps / 2 + 1];
        self.tans = vec![0.0; max_taps / 2 + 1];
        self.fir = vec![0.0; max_taps];
        self.max_partitions = max_taps / PARTITION - 1;
        let bins = PARTITION + 1;
        self.spectra = vec![Complex::new(0.0, 0.0); 2 * FILTERS * self.max_partitions * bins];
        self.fdl = vec![Complex::new(0.0, 0.0); 2 * self.max_partitions * bins];
        self.input = [vec![0.0; 2 * PARTITION], vec![0.0; 2 * PARTITION]];
        self.dry = [vec![0.0; max_taps / 2], vec![0.0; max_taps / 2]];
        self.set_length_now(self.length);
        self.reset();
    }

    fn set_length_now(&mut self, length: FirLength) {
        self.length = length;
        let taps = length.taps(self.sample_rate);
        self.taps = taps;
        self.partitions = (taps / PARTITION - 1).min(self.max_partitions);
        for (b, t) in self.tans.iter_mut().enumerate().take(taps / 2 + 1) {
            *t = if b == taps / 2 {
                f64::INFINITY
            } else {
                (core::f64::consts::PI * b as f64 / taps as f64).tan()
            };
        }
    }

    /// Selects the FIR length. A change restarts the convolution (cleared
    /// state) and designs anew at the next [`update`](Self::update).
    pub fn set_length(&mut self, length: FirLength) {
        if length != self.length || self.taps == 0 {
            self.set_length_now(length);
            self.reset();
        }
    }

    /// Latency in samples: half the FIR length.
    pub fn latency(&self) -> usize {
        self.taps / 2
    }

    /// FIR length L in taps at the prepared rate.
    pub fn taps(&self) -> usize {
        self.taps
    }

    /// Clears the signal state; the next [`update`](Self::update) designs at
    /// once.
    pub fn reset(&mut self) {
        self.fdl
            .iter_mut()
            .for_each(|v| *v = Complex::new(0.0, 0.0));
        self.fdl_pos = 0;
        for ch in 0..2 {
            self.input[ch].iter_mut().for_each(|v| *v = 0.0);
            self.output[ch].iter_mut().for_each(|v| *v = 0.0);
            self.dry[ch].iter_mut().for_each(|v| *v = 0.0);
        }
        self.fill = 0;
        self.dry_pos = 0;
        self.stage = Stage::Idle;
        self.again = false;
        self.swap_pending = false;
        // Until designed: pass-through (a unit impulse at the centre).
        self.spectra
            .iter_mut()
            .for_each(|v| *v = Complex::new(0.0, 0.0));
        self.cross = false;
        self.taps_ready = false;
    }

    /// Filters designed: all four with mid/side bands, else the diagonal.
    fn filter_list(&self) -> &'static [usize] {
        if self.cross_next {
            &[0, 1, 2, 3]
        } else {
            &[0, 3]
        }
    }

    /// Advances the design on the control grid. `changed` says the bands'
    /// response changed since the last call (a new design is started, or
    /// queued behind the one under way); `now` finishes a design at once
    /// (after `reset` or a length change, also when nothing is designed
    /// yet). `magnitude(freq_hz, tan_half)` gives [H_L, H_R, H_M, H_S] at a
    /// frequency (tan_half = tan(π·freq/fs), computed once per bin).
    pub fn update(&mut self, changed: bool, now: bool, magnitude: impl Fn(f32, f64) -> [f64; 4]) {
        if self.taps == 0 {
            return;
        }
        let immediate = now || !self.taps_ready;
        if changed || !self.taps_ready {
            if self.stage == Stage::Idle || immediate {
                self.stage = Stage::Sampling(0);
                self.again = false;
            } else {
                self.again = true;
            }
        }
        loop {
            match self.stage {
                Stage::Idle => return,
                Stage::Sampling(k) => {
                    let bins = self.taps / 2 + 1;
                    let end = if immediate {
                        bins
                    } else {
                        (k + BINS_PER_TICK).min(bins)
                    };
                    let df = self.sample_rate / self.taps as f32;
                    for b in k..end {
                        self.mags[b] = magnitude(b as f32 * df, self.tans[b]);
                    }
                    if end == bins {
                        self.cross_next = self.mags[..bins].iter().any(|m| m[2] != m[3]);
                        self.stage = Stage::Partitions(0, 0);
                    } else {
                        self.stage = Stage::Sampling(end);
                    }
                }
                Stage::Partitions(idx, p) => {
                    if self.swap_pending {
                        // The inactive set still waits to be swapped in.
                        return;
                    }
                    let list = self.filter_list();
                    let Some(&f) = list.get(idx) else {
                        self.stage = Stage::Ready;
                        continue;
                    };
                    if p == 0 {
                        self.design_fir(f);
                    }
                    let end = if immediate {
                        self.partitions
                    } else {
                        (p + PARTITIONS_PER_TICK).min(self.partitions)
                    };
                    for q in p..end {
                        self.transform_partition(f, q);
                    }
                    self.stage = if end == self.partitions {
                        Stage::Partitions(idx + 1, 0)
                    } else {
                        Stage::Partitions(idx, end)
                    };
                }
                Stage::Ready => {
                    if immediate {
                        // Nothing to crossfade from: take it.
                        self.active = 1 - self.active;
                        self.cross = self.cross_next;
                        self.swap_pending = false;
                        self.taps_ready = true;
                    } else {
                        self.swap_pending = true;
                    }
                    self.stage = if self.again {
                        self.again = false;
                        Stage::Sampling(0)
                    } else {
                        Stage::Idle
                    };
                    return;
                }
            }
            if !immediate {
                // One slice per control period.
                return;
            }
        }
    }

    /// Designs filter `f`'s windowed FIR from the sampled magnitudes.
    fn design_fir(&mut self, f: usize) {
        let n = self.taps;
        let bins = n / 2 + 1;
        for (b, m) in self.mags[..bins].iter().enumerate() {
            // L_out = p·H_L·L + q·H_R·R, R_out = q·H_L·L + p·H_R·R.
            let [hl, hr, hm, hs] = *m;
            let (p, q) = (0.5 * (hm + hs), 0.5 * (hm - hs));
            let v = match f {
                0 => p * hl,
                1 => q * hr,
                2 => q * hl,
                _ => p * hr,
            };
            self.design_spectrum[b] = Complex::new(if v.is_finite() { v } else { 0.0 }, 0.0);
        }
        let plan = &self.design_inv[self.length.index()];
        let ok = plan
            .process_with_scratch(
                &mut self.design_spectrum[..bins],
                &mut self.design_time[..n],
                &mut self.design_scratch,
            )
            .is_ok();
        let c = n / 2 - PARTITION;
        let scale = 1.0 / n as f64;
        for (i, t) in self.fir[..n].iter_mut().enumerate() {
            *t = 0.0;
            if ok && i <= 2 * c {
                let k = i as isize - c as isize;
                let src = k.rem_euclid(n as isize) as usize;
                // Blackman window over the 2C + 1 taps.
                let x = core::f64::consts::PI * (i as f64) / (2 * c) as f64;
                let w = 0.42 - 0.5 * (2.0 * x).cos() + 0.08 * (4.0 * x).cos();
                *t = self.design_time[src] * scale * w;
            }
        }
    }

    /// FFT of partition `q` of filter `f`'s FIR into the inactive set.
    fn transform_partition(&mut self, f: usize, q: usize) {
        let bins = PARTITION + 1;
        for (i, t) in self.time.iter_mut().enumerate() {
            *t = if i < PARTITION {
                self.fir.get(q * PARTITION + i).copied().unwrap_or(0.0) as f32
            } else {
                0.0
            };
        }
        let set = 1 - self.active;
        let at = ((set * FILTERS + f) * self.max_partitions + q) * bins;
        let _ = self.fwd.process_with_scratch(
            &mut self.time,
            &mut self.spectra[at..at + bins],
            &mut self.scratch,
        );
    }

    /// Convolves `l` and `r` in place (equal lengths ≤ anything; the output
    /// is the input filtered and delayed by [`latency`](Self::latency)).
    pub fn process(&mut self, l: &mut [f32], r: &mut [f32]) {
        let n = l.len().min(r.len());
        for i in 0..n {
            let k = self.fill;
            self.input[0][PARTITION + k] = l[i];
            self.input[1][PARTITION + k] = r[i];
            l[i] = self.output[0][k];
            r[i] = self.output[1][k];
            self.fill += 1;
            if self.fill == PARTITION {
                self.fill = 0;
                self.block();
            }
        }
    }

    /// One partition: the inputs' spectra into the delay line, the filters'
    /// sum, the output partition (crossfaded if a new set is waiting).
    fn block(&mut self) {
        let bins = PARTITION + 1;
        let parts = self.partitions.max(1);
        self.fdl_pos = (self.fdl_pos + parts - 1) % parts;
        for ch in 0..2 {
            self.time.copy_from_slice(&self.input[ch]);
            let at = (ch * self.max_partitions + self.fdl_pos) * bins;
            let _ = self.fwd.process_with_scratch(
                &mut self.time,
                &mut self.fdl[at..at + bins],
                &mut self.scratch,
            );
            // Overlap-save: the current half becomes the previous one.
            self.input[ch].copy_within(PARTITION.., 0);
        }
        let swap = self.swap_pending;
        for out_ch in 0..2 {
            self.sum(self.active, out_ch, false);
            let _ = self
                .inv
                .process_with_scratch(&mut self.acc, &mut self.time, &mut self.scratch);
            if swap {
                self.sum(1 - self.active, out_ch, true);
                let _ = self.inv.process_with_scratch(
                    &mut self.acc_new,
                    &mut self.time_new,
                    &mut self.scratch,
                );
            }
            let scale = 1.0 / (2 * PARTITION) as f32;
            for k in 0..PARTITION {
                let old = self.time[PARTITION + k] * scale;
                self.output[out_ch][k] = if swap {
                    let new = self.time_new[PARTITION + k] * scale;
                    let t = (k + 1) as f32 / PARTITION as f32;
                    old + (new - old) * t
                } else {
                    old
                };
            }
        }
        if swap {
            self.active = 1 - self.active;
            self.cross = self.cross_next;
            self.swap_pending = false;
        }
        if !self.output.iter().all(|o| o.iter().all(|v| v.is_finite())) {
            // Non-finite input: clear the history so it passes.
            for v in self.fdl.iter_mut() {
                *v = Complex::new(0.0, 0.0);
            }
            for ch in 0..2 {
                self.input[ch].iter_mut().for_each(|v| *v = 0.0);
                self.output[ch].iter_mut().for_each(|v| *v = 0.0);
            }
        }
    }

    /// Σ over partitions of filter spectrum × delayed input spectrum for
    /// output channel `out_ch` from filter set `set`, into `acc` (or
    /// `acc_new` when `second`).
    fn sum(&mut self, set: usize, out_ch: usize, second: bool) {
        let bins = PARTITION + 1;
        let parts = self.partitions.max(1);
        let cross = if set == self.active && !second {
            self.cross
        } else {
            self.cross_next
        };
        let acc = if second {
            &mut self.acc_new
        } else {
            &mut self.acc
        };
        acc.iter_mut().for_each(|v| *v = Complex::new(0.0, 0.0));
        // Left out: filter 0 on left (and 1 on right); right out: filter 3
        // on right (and 2 on left).
        let terms: &[(usize, usize)] = match (out_ch, cross) {
            (0, true) => &[(0, 0), (1, 1)],
            (0, false) => &[(0, 0)],
            (_, true) => &[(2, 0), (3, 1)],
            (_, false) => &[(3, 1)],
        };
        for &(f, in_ch) in terms {
            for p in 0..parts {
                let x_at = (in_ch * self.max_partitions + (self.fdl_pos + p) % parts) * bins;
                let h_at = ((set * FILTERS + f) * self.max_partitions + p) * bins;
                let x = &self.fdl[x_at..x_at + bins];
                let h = &self.spectra[h_at..h_at + bins];
                for ((a, xv), hv) in acc.iter_mut().zip(x).zip(h) {
                    *a += xv * hv;
                }
            }
        }
        acc[0].im = 0.0;
        acc[bins - 1].im = 0.0;
    }

    /// Delays `l` and `r` by the latency (the dry path of the solo in linear
    /// phase, so it lines up with the filtered signal).
    pub fn delay_dry(&mut self, l: &mut [f32], r: &mut [f32]) {
        let d = self.latency();
        if d == 0 || self.dry[0].len() < d {
            return;
        }
        for (a, b) in l.iter_mut().zip(r.iter_mut()) {
            let p = self.dry_pos;
            core::mem::swap(&mut self.dry[0][p], a);
            core::mem::swap(&mut self.dry[1][p], b);
            self.dry_pos = (p + 1) % d;
        }
    }
}
