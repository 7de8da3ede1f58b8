//! Pitch correction law: from a detected pitch to the shift that brings it
//! to its target note, with retune speed, humanize, flex and vibrato
//! handling.
//!
//! Units: notes are fractional MIDI note numbers (see [`crate::scale`]),
//! shifts are in semitones.
//!
//! Every control tick ([`PitchCorrector::tick`]) chooses the target note
//! (the nearest allowed note, with hysteresis) and how strongly to pull:
//!
//! ```text
//! weight = amount · humanize(t) · flex(|target − centre|)
//! ```
//!
//! - humanize: `1 − h·e^(−t/τh)` with `t` the time since the note began and
//!   τh = [`HUMANIZE_TAU_S`]: short notes are corrected only partly, notes
//!   held longer converge to the full correction, so sustained notes are
//!   corrected more than short ones (passing notes and runs keep their
//!   natural shape).
//! - flex: notes whose centre lies within `flex_cents` of the target are
//!   corrected fully; the correction fades out over the next
//!   `max(flex/2, 5)` cents, so notes sung far from any target (deliberate
//!   bends, expressive slides) pass untouched. 0 switches flex off.
//! - vibrato: with `keep_vibrato = 1` the correction is measured from the
//!   note's centre (the mean pitch over [`VIBRATO_WINDOW_S`], one period of
//!   a 5 Hz vibrato) instead of the instantaneous pitch, so the vibrato
//!   passes unchanged around a corrected centre; in between, that share of
//!   the vibrato is kept.
//!
//! Every output grain ([`PitchCorrector::grain_shift`]) evaluates the
//! wanted correction for the grain's own measured pitch and moves the
//! applied correction towards it with a one-pole of time constant
//! `retune_ms` (exact for the time elapsed since the previous grain). With
//! 0 ms the output lands on the target exactly, grain by grain — the hard
//! "robot" effect; longer times let fast movements (vibrato, scoops) through
//! and glide between notes.

use crate::scale::{hz_of_note, note_of_hz, select_with_hysteresis, HeldNotes};

/// Slowest retune time, ms.
pub const MAX_RETUNE_MS: f32 = 400.0;
/// Humanize time constant: how long a note takes to get the full
/// correction, s.
pub const HUMANIZE_TAU_S: f64 = 0.15;
/// Vibrato-centre averaging window, s.
pub const VIBRATO_WINDOW_S: f64 = 0.2;
/// Target hysteresis: a new target must be this much nearer than the
/// current one, semitones.
pub const TARGET_HYSTERESIS: f64 = 0.12;
/// Largest flex distance, cents.
pub const MAX_FLEX_CENTS: f32 = 100.0;

/// Which notes are targets this tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Targets {
    /// Any note whose pitch class is in the 12-bit mask (bit 0 = C).
    PitchClasses(u16),
    /// Exactly these MIDI notes (octave included).
    Exact(HeldNotes),
}

/// Correction settings in physical units; values out of range are clamped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CorrectionSettings {
    /// Retune time constant, ms (0..=400; 0 = instant).
    pub retune_ms: f32,
    /// Humanize, 0..=1 (0 = every note corrected alike).
    pub humanize: f32,
    /// Flex distance, cents (0..=100; 0 = off, every note corrected).
    pub flex_cents: f32,
    /// Share of the vibrato kept, 0..=1.
    pub keep_vibrato: f32,
    /// Correction amount, 0..=1 (0 = none).
    pub amount: f32,
}

impl Default for CorrectionSettings {
    fn default() -> Self {
        Self {
            retune_ms: 20.0,
            humanize: 0.0,
            flex_cents: 0.0,
            keep_vibrato: 0.0,
            amount: 1.0,
        }
    }
}

impl CorrectionSettings {
    /// Clamped to the documented ranges; NaN becomes the default value.
    pub fn sanitized(&self) -> Self {
        let d = Self::default();
        let f = |v: f32, lo: f32, hi: f32, def: f32| {
            if v.is_nan() {
                def
            } else {
                v.clamp(lo, hi)
            }
        };
        Self {
            retune_ms: f(self.retune_ms, 0.0, MAX_RETUNE_MS, d.retune_ms),
            humanize: f(self.humanize, 0.0, 1.0, d.humanize),
            flex_cents: f(self.flex_cents, 0.0, MAX_FLEX_CENTS, d.flex_cents),
            keep_vibrato: f(self.keep_vibrato, 0.0, 1.0, d.keep_vibrato),
            amount: f(self.amount, 0.0, 1.0, d.amount),
        }
    }
}

/// State of the correction law; see the [module documentation](self).
#[derive(Clone, Debug)]
pub struct PitchCorrector {
    /// Control tick length, s.
    tick_s: f64,
    settings: CorrectionSettings,
    target: Option<i32>,
    /// Time since the current note began, s.
    note_age: f64,
    /// Pitch of the last ticks (ring) and their sum, for the vibrato centre.
    history: Vec<f64>,
    hist_next: usize,
    hist_len: usize,
    hist_sum: f64,
    centre: f64,
    /// `note − centre` at the last tick.
    vib_dev: f64,
    weight: f64,
    /// Applied correction, semitones.
    applied: f64,
}

impl Default for PitchCorrector {
    fn default() -> Self {
        Self::new()
    }
}

impl PitchCorrector {
    /// A corrector with no history yet; call [`prepare`](Self::prepare).
    pub fn new() -> Self {
        Self {
            tick_s: 32.0 / 48_000.0,
            settings: CorrectionSettings::default(),
            target: None,
            note_age: 0.0,
            history: Vec::new(),
            hist_next: 0,
            hist_len: 0,
            hist_sum: 0.0,
            centre: 0.0,
            vib_dev: 0.0,
            weight: 0.0,
            applied: 0.0,
        }
    }

    /// Allocates the vibrato-centre history for ticks of `tick_s` seconds
    /// (> 0) and resets.
    pub fn prepare(&mut self, tick_s: f64) {
        self.tick_s = if tick_s.is_finite() && tick_s > 0.0 {
            tick_s
        } else {
            32.0 / 48_000.0
        };
        let n = ((VIBRATO_WINDOW_S / self.tick_s).round() as usize).max(1);
        self.history = vec![0.0; n];
        self.reset();
    }

    /// Forgets the note and the applied correction. Realtime-safe.
    pub fn reset(&mut self) {
        self.target = None;
        self.note_age = 0.0;
        self.clear_history();
        self.vib_dev = 0.0;
        self.weight = 0.0;
        self.applied = 0.0;
    }

    fn clear_history(&mut self) {
        self.hist_next = 0;
        self.hist_len = 0;
        self.hist_sum = 0.0;
    }

    /// Takes new settings (clamped). Realtime-safe.
    pub fn set_settings(&mut self, settings: &CorrectionSettings) {
        self.settings = settings.sanitized();
    }

    /// Settings in effect.
    pub fn settings(&self) -> &CorrectionSettings {
        &self.settings
    }

    /// Current target note, if any.
    pub fn target(&self) -> Option<i32> {
        self.target
    }

    /// The note's centre (mean pitch over the vibrato window), MIDI note.
    pub fn centre(&self) -> f64 {
        self.centre
    }

    /// Applied correction, semitones (what the last grain got).
    pub fn applied(&self) -> f64 {
        self.applied
    }

    /// Strength of the pull this tick, 0..=1.
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// One control tick. `note` is the detected pitch (MIDI note) while
    /// `voiced`; `targets` the allowed notes. Unvoiced ticks end the note:
    /// the next voiced one starts a new note, whose correction begins from
    /// none (so slow retune times glide into it).
    pub fn tick(&mut self, voiced: bool, note: f64, targets: &Targets) {
        if !voiced || !note.is_finite() {
            if self.target.is_some() || self.hist_len > 0 {
                self.target = None;
                self.clear_history();
                self.note_age = 0.0;
            }
            self.weight = 0.0;
            return;
        }
        let starting = self.target.is_none() && self.hist_len == 0;
        if starting {
            self.applied = 0.0;
        }
        let target = match targets {
            Targets::PitchClasses(mask) => {
                select_with_hysteresis(note, *mask, self.target, TARGET_HYSTERESIS)
            }
            Targets::Exact(held) => {
                held.select_with_hysteresis(note, self.target, TARGET_HYSTERESIS)
            }
        };
        if target != self.target {
            self.note_age = 0.0;
            self.clear_history();
            self.target = target;
        } else {
            self.note_age += self.tick_s;
        }
        // Vibrato centre: running mean of the last window.
        let cap = self.history.len();
        if cap > 0 {
            if self.hist_len == cap {
                self.hist_sum -= self.history[self.hist_next];
            } else {
                self.hist_len += 1;
            }
            self.history[self.hist_next] = note;
            self.hist_sum += note;
            self.hist_next = (self.hist_next + 1) % cap;
            self.centre = self.hist_sum / self.hist_len as f64;
        } else {
            self.centre = note;
        }
        self.vib_dev = note - self.centre;
        let Some(t) = self.target else {
            self.weight = 0.0;
            return;
        };
        let s = &self.settings;
        let humanize = 1.0 - f64::from(s.humanize) * (-self.note_age / HUMANIZE_TAU_S).exp();
        let flex = if s.flex_cents > 0.0 {
            let dist = 100.0 * (f64::from(t) - self.centre).abs();
            let flex = f64::from(s.flex_cents);
            let fade = (0.5 * flex).max(5.0);
            (1.0 - (dist - flex) / fade).clamp(0.0, 1.0)
        } else {
            1.0
        };
        self.weight = f64::from(s.amount) * humanize * flex;
    }

    /// Correction (semitones) for an output grain whose own measured pitch
    /// is `note`, `dt_s` seconds after the previous grain. Without a target
    /// the wanted correction is none.
    pub fn grain_shift(&mut self, note: f64, dt_s: f64) -> f64 {
        let wanted = match self.target {
            Some(t) if note.is_finite() => {
                let keep = f64::from(self.settings.keep_vibrato);
                self.weight * (f64::from(t) - (note - keep * self.vib_dev))
            }
            _ => 0.0,
        };
        let tau = f64::from(self.settings.retune_ms) * 1e-3;
        let alpha = if tau <= 0.0 {
            1.0
        } else {
            1.0 - (-dt_s.max(0.0) / tau).exp()
        };
        self.applied += alpha * (wanted - self.applied);
        self.applied
    }
}

/// Frequency (Hz) of a fractional MIDI note at `reference_hz`; re-exported
/// for callers that report target pitches.
pub fn note_hz(note: f64, reference_hz: f64) -> f64 {
    hz_of_note(note, reference_hz)
}

/// Fractional MIDI note of a period of `period` samples at `sample_rate`.
pub fn note_of_period(period: f64, sample_rate: f64, reference_hz: f64) -> f64 {
    if period > 0.0 {
        note_of_hz(sample_rate / period, reference_hz)
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scale::ALL_NOTES;

    const TICK: f64 = 32.0 / 48_000.0;

    fn corrector(s: CorrectionSettings) -> PitchCorrector {
        let mut c = PitchCorrector::new();
        c.prepare(TICK);
        c.set_settings(&s);
        c
    }

    fn hard() -> CorrectionSettings {
        CorrectionSettings {
            retune_ms: 0.0,
            ..CorrectionSettings::default()
        }
    }

    #[test]
    fn hard_correction_lands_on_the_target_exactly() {
        let mut c = corrector(hard());
        let all = Targets::PitchClasses(ALL_NOTES);
        for note in [69.3, 68.7, 60.49, 61.0] {
            c.tick(true, note, &all);
            let shift = c.grain_shift(note, 0.005);
            let target = f64::from(c.target().unwrap());
            assert!((note + shift - target).abs() < 1e-12, "{note}");
        }
    }

    #[test]
    fn retune_time_is_a_time_constant() {
        let s = CorrectionSettings {
            retune_ms: 50.0,
            ..CorrectionSettings::default()
        };
        let mut c = corrector(s);
        let all = Targets::PitchClasses(ALL_NOTES);
        c.tick(true, 69.3, &all);
        // Grains every 2.5 ms for 50 ms: 1 − 1/e of the way.
        let mut shift = 0.0;
        for _ in 0..20 {
            shift = c.grain_shift(69.3, 0.0025);
        }
        let expected = -0.3 * (1.0 - (-1.0f64).exp());
        assert!((shift - expected).abs() < 1e-9, "{shift} vs {expected}");
    }

    #[test]
    fn humanize_corrects_sustained_notes_more_than_short_ones() {
        let s = CorrectionSettings {
            humanize: 1.0,
            ..hard()
        };
        let mut c = corrector(s);
        let all = Targets::PitchClasses(ALL_NOTES);
        c.tick(true, 69.3, &all);
        let early = c.grain_shift(69.3, 0.001);
        for _ in 0..(0.6 / TICK) as usize {
            c.tick(true, 69.3, &all);
        }
        let late = c.grain_shift(69.3, 0.001);
        assert!(early.abs() < 0.01, "{early}");
        // After 0.6 s = 4 τ: 1 − e^−4 of the full correction.
        assert!(
            (late + 0.3 * (1.0 - (-4.0f64).exp())).abs() < 0.005,
            "{late}"
        );
    }

    #[test]
    fn flex_leaves_far_notes_alone() {
        let s = CorrectionSettings {
            flex_cents: 20.0,
            ..hard()
        };
        let all = Targets::PitchClasses(ALL_NOTES);
        let mut c = corrector(s);
        c.tick(true, 69.15, &all);
        assert!((c.grain_shift(69.15, 0.001) + 0.15).abs() < 1e-12);
        let mut c = corrector(s);
        c.tick(true, 69.45, &all);
        assert_eq!(c.grain_shift(69.45, 0.001), 0.0);
    }

    #[test]
    fn kept_vibrato_passes_around_the_corrected_centre() {
        let s = CorrectionSettings {
            keep_vibrato: 1.0,
            ..hard()
        };
        let mut c = corrector(s);
        let all = Targets::PitchClasses(ALL_NOTES);
        // +30 cents with ±20 cents at 5 Hz for one second.
        let mut out = Vec::new();
        for k in 0..(1.0 / TICK) as usize {
            let t = k as f64 * TICK;
            let note = 69.3 + 0.2 * (std::f64::consts::TAU * 5.0 * t).sin();
            c.tick(true, note, &all);
            out.push((note, note + c.grain_shift(note, TICK)));
        }
        // The last two vibrato cycles (0.4 s).
        let tail = &out[out.len() - (0.4 / TICK).round() as usize..];
        let mean_out = tail.iter().map(|p| p.1).sum::<f64>() / tail.len() as f64;
        assert!((mean_out - 69.0).abs() < 0.01, "{mean_out}");
        // Output vibrato depth equals the input's.
        let depth = |f: fn(&(f64, f64)) -> f64| {
            let v: Vec<f64> = tail.iter().map(f).collect();
            v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
        };
        assert!((depth(|p| p.1) - depth(|p| p.0)).abs() < 0.01);
    }

    #[test]
    fn exact_targets_follow_held_notes() {
        let mut held = HeldNotes::new();
        held.note_on(72);
        let mut c = corrector(hard());
        c.tick(true, 69.2, &Targets::Exact(held));
        assert_eq!(c.target(), Some(72));
        assert!((69.2 + c.grain_shift(69.2, 0.001) - 72.0).abs() < 1e-12);
        // Unvoiced: no target, correction glides to none.
        c.tick(false, f64::NAN, &Targets::Exact(held));
        assert_eq!(c.target(), None);
        assert_eq!(c.grain_shift(69.2, 0.001), 0.0);
    }

    #[test]
    fn settings_are_clamped() {
        let s = CorrectionSettings {
            retune_ms: -5.0,
            humanize: 3.0,
            flex_cents: f32::NAN,
            keep_vibrato: -1.0,
            amount: 7.0,
        }
        .sanitized();
        assert_eq!(s.retune_ms, 0.0);
        assert_eq!(s.humanize, 1.0);
        assert_eq!(s.flex_cents, 0.0);
        assert_eq!(s.keep_vibrato, 0.0);
        assert_eq!(s.amount, 1.0);
    }
}
