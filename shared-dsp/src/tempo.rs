//! Musical note lengths and swing at a host tempo.
//!
//! A note value is a length in quarter-note beats; at `tempo_bpm` one beat
//! lasts `60 000 / tempo_bpm` ms. Dotted notes last 3/2 of the plain value,
//! triplets 2/3. A tempo a host cannot really mean (absent transport, 0,
//! negative, NaN, above [`MAX_TEMPO_BPM`]) gives no synced length, so callers
//! fall back to a time in milliseconds.

/// Slowest tempo accepted as real, beats per minute.
pub const MIN_TEMPO_BPM: f64 = 1.0;
/// Fastest tempo accepted as real, beats per minute.
pub const MAX_TEMPO_BPM: f64 = 999.0;
/// Swing that leaves the rhythm straight (the first note of each pair takes
/// half of it), as a fraction.
pub const STRAIGHT_SWING: f32 = 0.5;
/// Largest swing: the first note of a pair takes 3/4 of it, as a fraction.
pub const MAX_SWING: f32 = 0.75;

/// A plain note length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NoteValue {
    /// 1/64 note, 1/16 beat.
    SixtyFourth,
    /// 1/32 note, 1/8 beat.
    ThirtySecond,
    /// 1/16 note, 1/4 beat.
    Sixteenth,
    /// 1/8 note, 1/2 beat.
    #[default]
    Eighth,
    /// 1/4 note, one beat.
    Quarter,
    /// 1/2 note, two beats.
    Half,
    /// Whole note, four beats.
    Whole,
}

impl NoteValue {
    /// Every value, shortest first.
    pub const ALL: [NoteValue; 7] = [
        Self::SixtyFourth,
        Self::ThirtySecond,
        Self::Sixteenth,
        Self::Eighth,
        Self::Quarter,
        Self::Half,
        Self::Whole,
    ];

    /// Length in quarter-note beats.
    pub fn beats(self) -> f64 {
        match self {
            Self::SixtyFourth => 0.0625,
            Self::ThirtySecond => 0.125,
            Self::Sixteenth => 0.25,
            Self::Eighth => 0.5,
            Self::Quarter => 1.0,
            Self::Half => 2.0,
            Self::Whole => 4.0,
        }
    }

    /// Short name ("1/8").
    pub fn label(self) -> &'static str {
        match self {
            Self::SixtyFourth => "1/64",
            Self::ThirtySecond => "1/32",
            Self::Sixteenth => "1/16",
            Self::Eighth => "1/8",
            Self::Quarter => "1/4",
            Self::Half => "1/2",
            Self::Whole => "1/1",
        }
    }
}

/// Straight, dotted or triplet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NoteModifier {
    /// The plain length.
    #[default]
    Straight,
    /// 3/2 of the plain length.
    Dotted,
    /// 2/3 of the plain length (three in the time of two).
    Triplet,
}

impl NoteModifier {
    /// Factor on the plain length.
    pub fn factor(self) -> f64 {
        match self {
            Self::Straight => 1.0,
            Self::Dotted => 1.5,
            Self::Triplet => 2.0 / 3.0,
        }
    }

    /// Suffix for display: "", "." or "T".
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Straight => "",
            Self::Dotted => ".",
            Self::Triplet => "T",
        }
    }
}

/// A synced delay: note value and modifier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Note {
    /// The plain length.
    pub value: NoteValue,
    /// Dotted, triplet or straight.
    pub modifier: NoteModifier,
}

impl Note {
    /// Length in quarter-note beats.
    pub fn beats(self) -> f64 {
        self.value.beats() * self.modifier.factor()
    }

    /// Length in milliseconds at `tempo_bpm`, or `None` when the tempo is not
    /// a usable one (see [`valid_tempo`]).
    pub fn ms_at(self, tempo_bpm: f64) -> Option<f64> {
        valid_tempo(tempo_bpm).map(|t| self.beats() * 60_000.0 / t)
    }
}

/// `Some(tempo_bpm)` when it lies in [`MIN_TEMPO_BPM`]..=[`MAX_TEMPO_BPM`],
/// else `None` (0, negative, NaN, infinite: no usable transport).
pub fn valid_tempo(tempo_bpm: f64) -> Option<f64> {
    (MIN_TEMPO_BPM..=MAX_TEMPO_BPM)
        .contains(&tempo_bpm)
        .then_some(tempo_bpm)
}

/// Splits a pair of equal steps of `step` (any unit) by `swing` (a fraction,
/// clamped to [`STRAIGHT_SWING`]..=[`MAX_SWING`]; NaN is straight): the first
/// step becomes `2·step·swing`, the second `2·step·(1 − swing)`, so the pair
/// keeps its total length and every second note lands where it did.
pub fn swing_pair(step: f64, swing: f32) -> (f64, f64) {
    let s = if swing.is_nan() {
        STRAIGHT_SWING
    } else {
        swing.clamp(STRAIGHT_SWING, MAX_SWING)
    };
    let s = f64::from(s);
    (2.0 * step * s, 2.0 * step * (1.0 - s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_lengths_at_120_bpm() {
        // One beat at 120 BPM lasts 500 ms.
        let q = Note {
            value: NoteValue::Quarter,
            modifier: NoteModifier::Straight,
        };
        assert_eq!(q.ms_at(120.0), Some(500.0));
        let dotted_eighth = Note {
            value: NoteValue::Eighth,
            modifier: NoteModifier::Dotted,
        };
        assert_eq!(dotted_eighth.ms_at(120.0), Some(375.0));
        let triplet_quarter = Note {
            value: NoteValue::Quarter,
            modifier: NoteModifier::Triplet,
        };
        let ms = triplet_quarter.ms_at(120.0).unwrap_or(0.0);
        assert!((ms - 1000.0 / 3.0).abs() < 1e-9);
        let whole = Note {
            value: NoteValue::Whole,
            modifier: NoteModifier::Straight,
        };
        assert_eq!(whole.ms_at(60.0), Some(4000.0));
        // Each value doubles the previous one.
        for pair in NoteValue::ALL.windows(2) {
            assert_eq!(pair[1].beats(), 2.0 * pair[0].beats());
        }
    }

    #[test]
    fn unusable_tempi_give_no_length() {
        let n = Note::default();
        for t in [0.0, -120.0, f64::NAN, f64::INFINITY, 0.5, 1000.0] {
            assert_eq!(n.ms_at(t), None, "{t}");
        }
        assert!(n.ms_at(1.0).is_some() && n.ms_at(999.0).is_some());
    }

    #[test]
    fn swing_keeps_the_pair_length() {
        assert_eq!(swing_pair(100.0, 0.5), (100.0, 100.0));
        let (a, b) = swing_pair(100.0, 2.0 / 3.0);
        assert!((a - 400.0 / 3.0).abs() < 1e-4 && (a + b - 200.0).abs() < 1e-9);
        assert_eq!(swing_pair(100.0, 0.9), (150.0, 50.0));
        assert_eq!(swing_pair(100.0, 0.1), (100.0, 100.0));
        assert_eq!(swing_pair(100.0, f32::NAN), (100.0, 100.0));
    }
}
