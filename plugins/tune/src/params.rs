//! Glasswork Tune's parameters. The string ids are part of saved sessions
//! and automation: never rename one.
//!
//! The custom scale is twelve switches, one per pitch class, so a host
//! saves, automates and shows it like any other setting; the editor's
//! keyboard sets them.

use glass_dsp::pitch_correct::{MAX_FLEX_CENTS, MAX_RETUNE_MS};
use glass_dsp::pitch_detect::VoiceType;
use glass_dsp::scale::{
    ScaleKind, DEFAULT_REFERENCE_HZ, MAX_REFERENCE_HZ, MIN_REFERENCE_HZ, NOTE_NAMES,
};
use glass_dsp::tuner::{MidiTarget, TuneParams, MAX_FORMANT_SEMITONES, MAX_TRANSPOSE_SEMITONES};
use nice_plug::prelude::*;

/// The detector's search range as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoiceParam {
    /// 55–400 Hz.
    #[id = "bass"]
    #[name = "Bass"]
    Bass,
    /// 80–800 Hz.
    #[id = "tenor_alto"]
    #[name = "Tenor/Alto"]
    TenorAlto,
    /// 150–1200 Hz.
    #[id = "soprano"]
    #[name = "Soprano"]
    Soprano,
    /// 55–1760 Hz.
    #[id = "instrument"]
    #[name = "Instrument"]
    Instrument,
}

impl VoiceParam {
    /// The kernel's voice type.
    pub fn voice(self) -> VoiceType {
        match self {
            Self::Bass => VoiceType::Bass,
            Self::TenorAlto => VoiceType::TenorAlto,
            Self::Soprano => VoiceType::Soprano,
            Self::Instrument => VoiceType::Instrument,
        }
    }
}

/// The key (tonic) as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyParam {
    /// C.
    #[id = "c"]
    #[name = "C"]
    C,
    /// C♯/D♭.
    #[id = "c#"]
    #[name = "C#/Db"]
    Cs,
    /// D.
    #[id = "d"]
    #[name = "D"]
    D,
    /// D♯/E♭.
    #[id = "d#"]
    #[name = "D#/Eb"]
    Ds,
    /// E.
    #[id = "e"]
    #[name = "E"]
    E,
    /// F.
    #[id = "f"]
    #[name = "F"]
    F,
    /// F♯/G♭.
    #[id = "f#"]
    #[name = "F#/Gb"]
    Fs,
    /// G.
    #[id = "g"]
    #[name = "G"]
    G,
    /// G♯/A♭.
    #[id = "g#"]
    #[name = "G#/Ab"]
    Gs,
    /// A.
    #[id = "a"]
    #[name = "A"]
    A,
    /// A♯/B♭.
    #[id = "a#"]
    #[name = "A#/Bb"]
    As,
    /// B.
    #[id = "b"]
    #[name = "B"]
    B,
}

impl KeyParam {
    /// Pitch class of the tonic, 0 = C ..= 11 = B.
    pub fn pitch_class(self) -> u8 {
        self as u8
    }
}

/// The scale as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleParam {
    /// All twelve notes.
    #[id = "chromatic"]
    #[name = "Chromatic"]
    Chromatic,
    /// Major (Ionian).
    #[id = "major"]
    #[name = "Major"]
    Major,
    /// Natural minor (Aeolian).
    #[id = "natural_minor"]
    #[name = "Natural Minor"]
    NaturalMinor,
    /// Harmonic minor.
    #[id = "harmonic_minor"]
    #[name = "Harmonic Minor"]
    HarmonicMinor,
    /// Melodic minor (ascending).
    #[id = "melodic_minor"]
    #[name = "Melodic Minor"]
    MelodicMinor,
    /// Major pentatonic.
    #[id = "major_pentatonic"]
    #[name = "Major Pentatonic"]
    MajorPentatonic,
    /// Minor pentatonic.
    #[id = "minor_pentatonic"]
    #[name = "Minor Pentatonic"]
    MinorPentatonic,
    /// Blues.
    #[id = "blues"]
    #[name = "Blues"]
    Blues,
    /// Dorian.
    #[id = "dorian"]
    #[name = "Dorian"]
    Dorian,
    /// Phrygian.
    #[id = "phrygian"]
    #[name = "Phrygian"]
    Phrygian,
    /// Lydian.
    #[id = "lydian"]
    #[name = "Lydian"]
    Lydian,
    /// Mixolydian.
    #[id = "mixolydian"]
    #[name = "Mixolydian"]
    Mixolydian,
    /// Locrian.
    #[id = "locrian"]
    #[name = "Locrian"]
    Locrian,
    /// The notes switched on in the custom set (the keyboard).
    #[id = "custom"]
    #[name = "Custom"]
    Custom,
}

impl ScaleParam {
    /// The kernel's scale.
    pub fn scale(self) -> ScaleKind {
        match self {
            Self::Chromatic => ScaleKind::Chromatic,
            Self::Major => ScaleKind::Major,
            Self::NaturalMinor => ScaleKind::NaturalMinor,
            Self::HarmonicMinor => ScaleKind::HarmonicMinor,
            Self::MelodicMinor => ScaleKind::MelodicMinor,
            Self::MajorPentatonic => ScaleKind::MajorPentatonic,
            Self::MinorPentatonic => ScaleKind::MinorPentatonic,
            Self::Blues => ScaleKind::Blues,
            Self::Dorian => ScaleKind::Dorian,
            Self::Phrygian => ScaleKind::Phrygian,
            Self::Lydian => ScaleKind::Lydian,
            Self::Mixolydian => ScaleKind::Mixolydian,
            Self::Locrian => ScaleKind::Locrian,
            Self::Custom => ScaleKind::Custom,
        }
    }
}

/// How held MIDI notes act as targets, as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MidiTargetParam {
    /// Held notes give pitch classes; the voice keeps its octave.
    #[id = "pitch_classes"]
    #[name = "Note Names"]
    PitchClasses,
    /// The voice goes to the held note itself, octave included.
    #[id = "exact"]
    #[name = "Exact Notes"]
    Exact,
}

/// Detector range, key, scale, the custom note set, reference pitch and
/// transposition: what the voice is corrected to.
#[derive(Params)]
pub struct TargetGroup {
    /// Detector search range.
    #[id = "voice"]
    pub voice: EnumParam<VoiceParam>,
    /// Key (tonic).
    #[id = "key"]
    pub key: EnumParam<KeyParam>,
    /// Scale.
    #[id = "scale"]
    pub scale: EnumParam<ScaleParam>,
    /// The custom scale's notes, one switch per pitch class (C first).
    #[nested(array, group = "Custom Notes")]
    pub custom: [NoteSwitch; 12],
    /// Reference pitch of A4, 415..=466 Hz.
    #[id = "reference"]
    pub reference: FloatParam,
    /// Transposition, −24..=24 semitones.
    #[id = "transpose"]
    pub transpose: IntParam,
    /// Fine transposition, −100..=100 cents.
    #[id = "transpose_cents"]
    pub transpose_cents: FloatParam,
    /// How held MIDI notes act as targets.
    #[id = "midi_target"]
    pub midi_target: EnumParam<MidiTargetParam>,
}

/// One pitch class of the custom scale.
#[derive(Params)]
pub struct NoteSwitch {
    /// The note is a target of the custom scale.
    #[id = "custom_note"]
    pub on: BoolParam,
}

/// How the correction moves the voice.
#[derive(Params)]
pub struct CorrectionGroup {
    /// Retune time constant, 0 (hard) ..= 400 ms (natural).
    #[id = "retune"]
    pub retune: FloatParam,
    /// Humanize, 0..=100 %: short notes corrected less than sustained ones.
    #[id = "humanize"]
    pub humanize: FloatParam,
    /// Flex, 0 (off) ..= 100 cents: only notes this close to a target are
    /// corrected.
    #[id = "flex"]
    pub flex: FloatParam,
    /// Vibrato kept around the corrected centre, 0..=100 %.
    #[id = "vibrato"]
    pub vibrato: FloatParam,
    /// Correction amount, 0..=100 %.
    #[id = "amount"]
    pub amount: FloatParam,
}

/// Formant shift and the detected-note MIDI output.
#[derive(Params)]
pub struct OutputGroup {
    /// Formant shift, −12..=12 semitones (0: the voice's own formants).
    #[id = "formant"]
    pub formant: FloatParam,
    /// Send the detected notes as MIDI.
    #[id = "midi_out"]
    pub midi_out: BoolParam,
}

/// Every parameter, in groups a host's generic editor shows as folders.
#[derive(Params)]
pub struct TunePluginParams {
    /// Detector range, key, scale, reference and transposition.
    #[nested(group = "Target")]
    pub target: TargetGroup,
    /// Retune time, humanize, flex, vibrato and amount.
    #[nested(group = "Correction")]
    pub correction: CorrectionGroup,
    /// Formant shift and MIDI output.
    #[nested(group = "Output")]
    pub output: OutputGroup,
    /// Bypass: the input delayed by the latency, crossfaded over 8 ms.
    #[id = "bypass"]
    pub bypass: BoolParam,
}

fn percent(name: &str, default: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Linear {
            min: 0.0,
            max: 100.0,
        },
    )
    .with_unit(" %")
    .with_step_size(0.1)
    .with_value_to_string(formatters::v2s_f32_rounded(1))
}

impl Default for TunePluginParams {
    fn default() -> Self {
        let d = TuneParams::default();
        let custom = std::array::from_fn(|i| NoteSwitch {
            on: BoolParam::new(format!("Custom {}", NOTE_NAMES[i]), true),
        });
        Self {
            target: TargetGroup {
                voice: EnumParam::new("Voice", VoiceParam::TenorAlto),
                key: EnumParam::new("Key", KeyParam::C),
                scale: EnumParam::new("Scale", ScaleParam::Chromatic),
                custom,
                reference: FloatParam::new(
                    "Reference",
                    DEFAULT_REFERENCE_HZ,
                    FloatRange::Linear {
                        min: MIN_REFERENCE_HZ,
                        max: MAX_REFERENCE_HZ,
                    },
                )
                .with_unit(" Hz")
                .with_step_size(0.1)
                .with_value_to_string(formatters::v2s_f32_rounded(1)),
                transpose: IntParam::new(
                    "Transpose",
                    0,
                    IntRange::Linear {
                        min: -(MAX_TRANSPOSE_SEMITONES as i32),
                        max: MAX_TRANSPOSE_SEMITONES as i32,
                    },
                )
                .with_unit(" st"),
                transpose_cents: FloatParam::new(
                    "Fine",
                    0.0,
                    FloatRange::Linear {
                        min: -100.0,
                        max: 100.0,
                    },
                )
                .with_unit(" ct")
                .with_step_size(0.1)
                .with_value_to_string(formatters::v2s_f32_rounded(1)),
                midi_target: EnumParam::new("MIDI Target", MidiTargetParam::PitchClasses),
            },
            correction: CorrectionGroup {
                retune: FloatParam::new(
                    "Retune",
                    d.retune_ms,
                    FloatRange::Skewed {
                        min: 0.0,
                        max: MAX_RETUNE_MS,
                        factor: FloatRange::skew_factor(-1.6),
                    },
                )
                .with_unit(" ms")
                .with_step_size(0.1)
                .with_value_to_string(formatters::v2s_f32_rounded(1)),
                humanize: percent("Humanize", d.humanize * 100.0),
                flex: FloatParam::new(
                    "Flex",
                    d.flex_cents,
                    FloatRange::Linear {
                        min: 0.0,
                        max: MAX_FLEX_CENTS,
                    },
                )
                .with_unit(" ct")
                .with_step_size(0.1)
                .with_value_to_string(formatters::v2s_f32_rounded(1)),
                vibrato: percent("Vibrato", d.keep_vibrato * 100.0),
                amount: percent("Amount", d.amount * 100.0),
            },
            output: OutputGroup {
                formant: FloatParam::new(
                    "Formant",
                    d.formant_semitones,
                    FloatRange::Linear {
                        min: -MAX_FORMANT_SEMITONES,
                        max: MAX_FORMANT_SEMITONES,
                    },
                )
                .with_unit(" st")
                .with_step_size(0.01)
                .with_value_to_string(formatters::v2s_f32_rounded(2)),
                midi_out: BoolParam::new("MIDI Out", true),
            },
            bypass: BoolParam::new("Bypass", false).make_bypass(),
        }
    }
}

impl TunePluginParams {
    /// The custom scale's notes as a 12-bit mask, bit 0 = C.
    pub fn custom_mask(&self) -> u16 {
        self.target
            .custom
            .iter()
            .enumerate()
            .filter(|(_, n)| n.on.value())
            .fold(0, |m, (i, _)| m | 1 << i)
    }

    /// The kernel's view of the current values.
    pub fn kernel_params(&self) -> TuneParams {
        let t = &self.target;
        let c = &self.correction;
        TuneParams {
            voice: t.voice.value().voice(),
            key: t.key.value().pitch_class(),
            scale: t.scale.value().scale(),
            custom_notes: self.custom_mask(),
            reference_hz: t.reference.value(),
            transpose_semitones: t.transpose.value() as f32,
            transpose_cents: t.transpose_cents.value(),
            retune_ms: c.retune.value(),
            humanize: c.humanize.value() * 0.01,
            flex_cents: c.flex.value(),
            keep_vibrato: c.vibrato.value() * 0.01,
            amount: c.amount.value() * 0.01,
            formant_semitones: self.output.formant.value(),
            midi_target: match t.midi_target.value() {
                MidiTargetParam::PitchClasses => MidiTarget::PitchClasses,
                MidiTargetParam::Exact => MidiTarget::Exact,
            },
            bypass: self.bypass.value(),
        }
    }
}
