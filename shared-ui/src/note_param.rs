//! Tempo-synced note lengths as host parameters (choices with stable ids),
//! shared by every plugin with a synced time so they read alike in hosts.
//! The string ids are part of saved sessions and automation: never rename
//! one.

use glass_dsp::tempo::{Note, NoteModifier, NoteValue};
use nice_plug::prelude::*;

/// Synced note value as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteParam {
    /// 1/64.
    #[id = "1/64"]
    #[name = "1/64"]
    N64,
    /// 1/32.
    #[id = "1/32"]
    #[name = "1/32"]
    N32,
    /// 1/16.
    #[id = "1/16"]
    #[name = "1/16"]
    N16,
    /// 1/8.
    #[id = "1/8"]
    #[name = "1/8"]
    N8,
    /// 1/4.
    #[id = "1/4"]
    #[name = "1/4"]
    N4,
    /// 1/2.
    #[id = "1/2"]
    #[name = "1/2"]
    N2,
    /// 1/1.
    #[id = "1/1"]
    #[name = "1/1"]
    N1,
}

impl NoteParam {
    /// The note length this choice stands for.
    pub fn value(self) -> NoteValue {
        match self {
            Self::N64 => NoteValue::SixtyFourth,
            Self::N32 => NoteValue::ThirtySecond,
            Self::N16 => NoteValue::Sixteenth,
            Self::N8 => NoteValue::Eighth,
            Self::N4 => NoteValue::Quarter,
            Self::N2 => NoteValue::Half,
            Self::N1 => NoteValue::Whole,
        }
    }
}

/// Straight, dotted or triplet as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModParam {
    /// Plain.
    #[id = "straight"]
    #[name = "Straight"]
    Straight,
    /// 3/2 of the value.
    #[id = "dotted"]
    #[name = "Dotted"]
    Dotted,
    /// 2/3 of the value.
    #[id = "triplet"]
    #[name = "Triplet"]
    Triplet,
}

impl ModParam {
    /// The modifier this choice stands for.
    pub fn modifier(self) -> NoteModifier {
        match self {
            Self::Straight => NoteModifier::Straight,
            Self::Dotted => NoteModifier::Dotted,
            Self::Triplet => NoteModifier::Triplet,
        }
    }
}

/// The note `value` with `modifier` applied.
pub fn note(value: NoteParam, modifier: ModParam) -> Note {
    Note {
        value: value.value(),
        modifier: modifier.modifier(),
    }
}
