//! Musical targets for pitch correction: keys, scales, tuning reference,
//! nearest allowed note with hysteresis, and MIDI-held notes.
//!
//! Pitches are handled as fractional MIDI note numbers ("note units"): 69.0
//! is A4 at the reference pitch, one unit is one equal-tempered semitone and
//! 0.01 is one cent. A set of allowed notes is a 12-bit pitch-class mask with
//! bit 0 = C, bit 1 = C♯, …, bit 11 = B, the layout an on-screen keyboard
//! shows.
//!
//! Everything here is allocation-free and realtime-safe.

/// Lowest reference pitch for A4, Hz (baroque pitch).
pub const MIN_REFERENCE_HZ: f32 = 415.0;
/// Highest reference pitch for A4, Hz.
pub const MAX_REFERENCE_HZ: f32 = 466.0;
/// Default reference pitch for A4, Hz.
pub const DEFAULT_REFERENCE_HZ: f32 = 440.0;
/// Mask with all twelve pitch classes.
pub const ALL_NOTES: u16 = 0x0fff;

/// Names of the twelve pitch classes (sharps), index = pitch class.
pub const NOTE_NAMES: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];

/// A scale: which of the twelve semitones above the key's tonic are allowed.
///
/// The church modes Ionian and Aeolian are [`ScaleKind::Major`] and
/// [`ScaleKind::NaturalMinor`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ScaleKind {
    /// All twelve notes.
    #[default]
    Chromatic,
    /// Major (Ionian): 1 2 3 4 5 6 7.
    Major,
    /// Natural minor (Aeolian): 1 2 ♭3 4 5 ♭6 ♭7.
    NaturalMinor,
    /// Harmonic minor: 1 2 ♭3 4 5 ♭6 7.
    HarmonicMinor,
    /// Melodic minor (ascending): 1 2 ♭3 4 5 6 7.
    MelodicMinor,
    /// Major pentatonic: 1 2 3 5 6.
    MajorPentatonic,
    /// Minor pentatonic: 1 ♭3 4 5 ♭7.
    MinorPentatonic,
    /// Blues (minor pentatonic with the ♭5): 1 ♭3 4 ♭5 5 ♭7.
    Blues,
    /// Dorian mode: 1 2 ♭3 4 5 6 ♭7.
    Dorian,
    /// Phrygian mode: 1 ♭2 ♭3 4 5 ♭6 ♭7.
    Phrygian,
    /// Lydian mode: 1 2 3 ♯4 5 6 7.
    Lydian,
    /// Mixolydian mode: 1 2 3 4 5 6 ♭7.
    Mixolydian,
    /// Locrian mode: 1 ♭2 ♭3 4 ♭5 ♭6 ♭7.
    Locrian,
    /// The notes chosen on the keyboard (an absolute pitch-class mask; the
    /// key is ignored).
    Custom,
}

impl ScaleKind {
    /// Every scale, in the order a selector lists them.
    pub const ALL: [ScaleKind; 14] = [
        ScaleKind::Chromatic,
        ScaleKind::Major,
        ScaleKind::NaturalMinor,
        ScaleKind::HarmonicMinor,
        ScaleKind::MelodicMinor,
        ScaleKind::MajorPentatonic,
        ScaleKind::MinorPentatonic,
        ScaleKind::Blues,
        ScaleKind::Dorian,
        ScaleKind::Phrygian,
        ScaleKind::Lydian,
        ScaleKind::Mixolydian,
        ScaleKind::Locrian,
        ScaleKind::Custom,
    ];

    /// Semitones above the tonic that belong to the scale, as a 12-bit mask
    /// (bit 0 = tonic). [`ScaleKind::Custom`] gives all twelve; its notes
    /// come from the custom mask instead (see [`pitch_class_mask`]).
    pub const fn intervals(self) -> u16 {
        const fn bits(steps: &[u8]) -> u16 {
            let mut m = 0u16;
            let mut i = 0;
            while i < steps.len() {
                m |= 1 << steps[i];
                i += 1;
            }
            m
        }
        match self {
            ScaleKind::Chromatic | ScaleKind::Custom => ALL_NOTES,
            ScaleKind::Major => bits(&[0, 2, 4, 5, 7, 9, 11]),
            ScaleKind::NaturalMinor => bits(&[0, 2, 3, 5, 7, 8, 10]),
            ScaleKind::HarmonicMinor => bits(&[0, 2, 3, 5, 7, 8, 11]),
            ScaleKind::MelodicMinor => bits(&[0, 2, 3, 5, 7, 9, 11]),
            ScaleKind::MajorPentatonic => bits(&[0, 2, 4, 7, 9]),
            ScaleKind::MinorPentatonic => bits(&[0, 3, 5, 7, 10]),
            ScaleKind::Blues => bits(&[0, 3, 5, 6, 7, 10]),
            ScaleKind::Dorian => bits(&[0, 2, 3, 5, 7, 9, 10]),
            ScaleKind::Phrygian => bits(&[0, 1, 3, 5, 7, 8, 10]),
            ScaleKind::Lydian => bits(&[0, 2, 4, 6, 7, 9, 11]),
            ScaleKind::Mixolydian => bits(&[0, 2, 4, 5, 7, 9, 10]),
            ScaleKind::Locrian => bits(&[0, 1, 3, 5, 6, 8, 10]),
        }
    }

    /// Display name.
    pub const fn name(self) -> &'static str {
        match self {
            ScaleKind::Chromatic => "Chromatic",
            ScaleKind::Major => "Major",
            ScaleKind::NaturalMinor => "Natural minor",
            ScaleKind::HarmonicMinor => "Harmonic minor",
            ScaleKind::MelodicMinor => "Melodic minor",
            ScaleKind::MajorPentatonic => "Major pentatonic",
            ScaleKind::MinorPentatonic => "Minor pentatonic",
            ScaleKind::Blues => "Blues",
            ScaleKind::Dorian => "Dorian",
            ScaleKind::Phrygian => "Phrygian",
            ScaleKind::Lydian => "Lydian",
            ScaleKind::Mixolydian => "Mixolydian",
            ScaleKind::Locrian => "Locrian",
            ScaleKind::Custom => "Custom",
        }
    }
}

/// Rotates a 12-bit mask up by `steps` semitones (pitch class `p` moves to
/// `(p + steps) mod 12`).
#[inline]
pub const fn rotate_mask(mask: u16, steps: u32) -> u16 {
    let m = (mask & ALL_NOTES) as u32;
    let s = steps % 12;
    (((m << s) | (m >> ((12 - s) % 12))) & ALL_NOTES as u32) as u16
}

/// Absolute pitch-class mask (bit 0 = C) of `scale` in `key` (tonic pitch
/// class 0 = C ..= 11 = B; larger values wrap). For [`ScaleKind::Custom`]
/// the result is `custom & 0xfff`, whatever the key.
pub const fn pitch_class_mask(scale: ScaleKind, key: u8, custom: u16) -> u16 {
    match scale {
        ScaleKind::Custom => custom & ALL_NOTES,
        s => rotate_mask(s.intervals(), key as u32),
    }
}

/// Pitch class (0 = C ..= 11 = B) of a whole MIDI note number, also for
/// negative numbers.
#[inline]
pub const fn pitch_class(note: i32) -> u32 {
    note.rem_euclid(12) as u32
}

/// Fractional MIDI note of a frequency: `69 + 12·log2(hz / reference_hz)`.
/// Non-positive or non-finite input gives NaN.
#[inline]
pub fn note_of_hz(hz: f64, reference_hz: f64) -> f64 {
    if hz > 0.0 && hz.is_finite() && reference_hz > 0.0 {
        69.0 + 12.0 * (hz / reference_hz).log2()
    } else {
        f64::NAN
    }
}

/// Frequency in Hz of a fractional MIDI note: `reference_hz · 2^((note − 69)/12)`.
#[inline]
pub fn hz_of_note(note: f64, reference_hz: f64) -> f64 {
    reference_hz * ((note - 69.0) / 12.0).exp2()
}

/// Nearest whole MIDI note to `note` whose pitch class is in `mask`; `None`
/// when the mask is empty or `note` is not finite. On an exact tie the lower
/// note wins.
pub fn nearest_in_mask(note: f64, mask: u16) -> Option<i32> {
    let mask = mask & ALL_NOTES;
    if mask == 0 || !note.is_finite() {
        return None;
    }
    let note = note.clamp(-1000.0, 1000.0);
    let base = note.floor() as i32;
    // The nearest allowed note is at most six semitones from `base` or
    // `base + 1`; scan outward from the floor and keep the closest.
    let mut best: Option<(f64, i32)> = None;
    for d in -6..=7 {
        let c = base + d;
        if mask & (1 << pitch_class(c)) != 0 {
            let dist = (note - f64::from(c)).abs();
            if best.is_none_or(|(bd, _)| dist < bd) {
                best = Some((dist, c));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// Target note for `note` among the notes of `mask`, keeping `current` while
/// it is still allowed and `note` lies no more than `hysteresis` semitones
/// further from it than from the nearest allowed note. This stops the target
/// from flickering between neighbours when a pitch hovers at their midpoint
/// (a held note with vibrato across the boundary keeps its target).
pub fn select_with_hysteresis(
    note: f64,
    mask: u16,
    current: Option<i32>,
    hysteresis: f64,
) -> Option<i32> {
    let best = nearest_in_mask(note, mask)?;
    if let Some(c) = current {
        if c != best && mask & (1 << pitch_class(c)) != 0 {
            let keep = (note - f64::from(c)).abs() <= (note - f64::from(best)).abs() + hysteresis;
            if keep {
                return Some(c);
            }
        }
    }
    Some(best)
}

/// The MIDI notes currently held on the target-note input (note on/off),
/// as a 128-bit set. Realtime-safe.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeldNotes {
    bits: u128,
}

impl HeldNotes {
    /// No note held.
    pub const fn new() -> Self {
        Self { bits: 0 }
    }

    /// Marks MIDI note `note` (0..=127; larger values are ignored) as held.
    pub fn note_on(&mut self, note: u8) {
        if note < 128 {
            self.bits |= 1u128 << note;
        }
    }

    /// Releases MIDI note `note` (0..=127; larger values are ignored).
    pub fn note_off(&mut self, note: u8) {
        if note < 128 {
            self.bits &= !(1u128 << note);
        }
    }

    /// Releases every note.
    pub fn clear(&mut self) {
        self.bits = 0;
    }

    /// `true` when no note is held.
    pub const fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// `true` when `note` is held.
    pub const fn is_held(&self, note: u8) -> bool {
        note < 128 && self.bits & (1u128 << note) != 0
    }

    /// Pitch classes of the held notes in any octave (bit 0 = C).
    pub fn pitch_classes(&self) -> u16 {
        let mut mask = 0u16;
        let mut b = self.bits;
        while b != 0 {
            let n = b.trailing_zeros();
            mask |= 1 << (n % 12);
            b &= b - 1;
        }
        mask
    }

    /// The held note nearest to `note` (fractional MIDI note), exactly as
    /// held (octave included); `None` when nothing is held. On a tie the
    /// lower note wins.
    pub fn nearest(&self, note: f64) -> Option<i32> {
        if self.bits == 0 || !note.is_finite() {
            return None;
        }
        let mut best: Option<(f64, i32)> = None;
        let mut b = self.bits;
        while b != 0 {
            let n = b.trailing_zeros() as i32;
            let dist = (note - f64::from(n)).abs();
            if best.is_none_or(|(bd, _)| dist < bd) {
                best = Some((dist, n));
            }
            b &= b - 1;
        }
        best.map(|(_, n)| n)
    }

    /// Like [`select_with_hysteresis`] over the exact held notes: keeps
    /// `current` while it is held and no more than `hysteresis` semitones
    /// further from `note` than the nearest held note.
    pub fn select_with_hysteresis(
        &self,
        note: f64,
        current: Option<i32>,
        hysteresis: f64,
    ) -> Option<i32> {
        let best = self.nearest(note)?;
        if let Some(c) = current {
            if c != best && (0..128).contains(&c) && self.is_held(c as u8) {
                let keep =
                    (note - f64::from(c)).abs() <= (note - f64::from(best)).abs() + hysteresis;
                if keep {
                    return Some(c);
                }
            }
        }
        Some(best)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask_of(pcs: &[u32]) -> u16 {
        pcs.iter().fold(0, |m, p| m | (1 << p))
    }

    #[test]
    fn scales_have_their_textbook_notes() {
        // C major = white keys; A natural minor = the same keys from A.
        let white = mask_of(&[0, 2, 4, 5, 7, 9, 11]);
        assert_eq!(pitch_class_mask(ScaleKind::Major, 0, 0), white);
        assert_eq!(pitch_class_mask(ScaleKind::NaturalMinor, 9, 0), white);
        // Each church mode is the white keys from its own degree of C major.
        for (mode, tonic) in [
            (ScaleKind::Dorian, 2),
            (ScaleKind::Phrygian, 4),
            (ScaleKind::Lydian, 5),
            (ScaleKind::Mixolydian, 7),
            (ScaleKind::Locrian, 11),
        ] {
            assert_eq!(pitch_class_mask(mode, tonic, 0), white, "{mode:?}");
        }
        // A harmonic minor: G♯ instead of G; A melodic minor: F♯ and G♯.
        assert_eq!(
            pitch_class_mask(ScaleKind::HarmonicMinor, 9, 0),
            mask_of(&[9, 11, 0, 2, 4, 5, 8])
        );
        assert_eq!(
            pitch_class_mask(ScaleKind::MelodicMinor, 9, 0),
            mask_of(&[9, 11, 0, 2, 4, 6, 8])
        );
        assert_eq!(
            pitch_class_mask(ScaleKind::MajorPentatonic, 7, 0),
            mask_of(&[7, 9, 11, 2, 4])
        );
        assert_eq!(
            pitch_class_mask(ScaleKind::MinorPentatonic, 9, 0),
            mask_of(&[9, 0, 2, 4, 7])
        );
        assert_eq!(
            pitch_class_mask(ScaleKind::Blues, 9, 0),
            mask_of(&[9, 0, 2, 3, 4, 7])
        );
        assert_eq!(pitch_class_mask(ScaleKind::Chromatic, 5, 0), ALL_NOTES);
        // Custom ignores the key.
        assert_eq!(pitch_class_mask(ScaleKind::Custom, 3, 0b1001), 0b1001);
        // Note counts.
        for s in ScaleKind::ALL {
            let n = s.intervals().count_ones();
            let expected = match s {
                ScaleKind::Chromatic | ScaleKind::Custom => 12,
                ScaleKind::MajorPentatonic | ScaleKind::MinorPentatonic => 5,
                ScaleKind::Blues => 6,
                _ => 7,
            };
            assert_eq!(n, expected, "{s:?}");
            assert!(s.intervals() & 1 == 1, "{s:?} contains its tonic");
        }
    }

    #[test]
    fn rotation_wraps_and_keys_wrap() {
        assert_eq!(rotate_mask(0b1, 11), 1 << 11);
        assert_eq!(rotate_mask(1 << 11, 1), 0b1);
        assert_eq!(rotate_mask(0xabc, 0), 0xabc);
        assert_eq!(rotate_mask(0xabc, 12), 0xabc);
        assert_eq!(
            pitch_class_mask(ScaleKind::Major, 14, 0),
            pitch_class_mask(ScaleKind::Major, 2, 0)
        );
    }

    #[test]
    fn frequency_and_note_conversions() {
        assert!((note_of_hz(440.0, 440.0) - 69.0).abs() < 1e-12);
        assert!((note_of_hz(880.0, 440.0) - 81.0).abs() < 1e-12);
        assert!((note_of_hz(415.0, 415.0) - 69.0).abs() < 1e-12);
        assert!((hz_of_note(60.0, 440.0) - 261.625_565_300_6).abs() < 1e-9);
        for n in [0.0, 33.3, 69.0, 100.25] {
            assert!((note_of_hz(hz_of_note(n, 432.0), 432.0) - n).abs() < 1e-9);
        }
        assert!(note_of_hz(0.0, 440.0).is_nan());
        assert!(note_of_hz(f64::NAN, 440.0).is_nan());
        assert_eq!(pitch_class(-1), 11);
        assert_eq!(pitch_class(60), 0);
    }

    #[test]
    fn nearest_note_in_a_scale() {
        let c_major = pitch_class_mask(ScaleKind::Major, 0, 0);
        // C♯4 + 10 cents: D4 (62) is 0.9 away, C4 (60) 1.1 away.
        assert_eq!(nearest_in_mask(61.1, c_major), Some(62));
        assert_eq!(nearest_in_mask(60.9, c_major), Some(60));
        // Exactly between C and D: the lower.
        assert_eq!(nearest_in_mask(61.0, c_major), Some(60));
        assert_eq!(nearest_in_mask(64.4, c_major), Some(64));
        assert_eq!(nearest_in_mask(64.6, c_major), Some(65));
        // A single allowed pitch class six semitones away either side.
        assert_eq!(nearest_in_mask(66.0, 1), Some(60));
        assert_eq!(nearest_in_mask(66.01, 1), Some(72));
        assert_eq!(nearest_in_mask(-3.4, ALL_NOTES), Some(-3));
        assert_eq!(nearest_in_mask(60.0, 0), None);
        assert_eq!(nearest_in_mask(f64::NAN, ALL_NOTES), None);
    }

    #[test]
    fn hysteresis_keeps_the_current_target_near_the_midpoint() {
        let h = 0.12;
        // 0.55 above A: nearest is A♯, but A is only 0.1 further.
        assert_eq!(
            select_with_hysteresis(69.55, ALL_NOTES, Some(69), h),
            Some(69)
        );
        // 0.62 above: A is 0.24 further than A♯: switch.
        assert_eq!(
            select_with_hysteresis(69.62, ALL_NOTES, Some(69), h),
            Some(70)
        );
        // Without a current target: plain nearest.
        assert_eq!(select_with_hysteresis(69.55, ALL_NOTES, None, h), Some(70));
        // A current target no longer allowed is dropped at once.
        let no_a = ALL_NOTES & !(1 << 9);
        assert_eq!(select_with_hysteresis(68.9, no_a, Some(69), h), Some(68));
    }

    #[test]
    fn held_notes() {
        let mut held = HeldNotes::new();
        assert!(held.is_empty());
        assert_eq!(held.nearest(60.0), None);
        held.note_on(60);
        held.note_on(67);
        held.note_on(200);
        assert!(held.is_held(60) && held.is_held(67) && !held.is_held(61));
        assert_eq!(held.pitch_classes(), mask_of(&[0, 7]));
        assert_eq!(held.nearest(62.0), Some(60));
        assert_eq!(held.nearest(64.0), Some(67));
        assert_eq!(held.nearest(80.0), Some(67));
        assert_eq!(held.select_with_hysteresis(63.55, Some(60), 0.2), Some(60));
        assert_eq!(held.select_with_hysteresis(64.0, Some(60), 0.2), Some(67));
        held.note_off(60);
        assert_eq!(held.nearest(50.0), Some(67));
        held.note_on(127);
        assert_eq!(held.nearest(1000.0), Some(127));
        held.clear();
        assert!(held.is_empty());
    }
}
