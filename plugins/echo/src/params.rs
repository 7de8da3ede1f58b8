//! Glasswork Echo's parameters. The string ids are part of saved sessions
//! and automation: never rename one.

use glass_dsp::echo::{
    Character as DspCharacter, EchoMode, EchoParams, Tap, TimeChange, HPF_OFF_HZ, LPF_OFF_HZ,
    MAX_FEEDBACK, MAX_TAPS, MAX_TIME_MS, MIN_TIME_MS,
};
use glass_dsp::tempo::{Note, MAX_SWING, STRAIGHT_SWING};
pub use glass_ui::note_param::{ModParam, NoteParam};
use glass_ui::param_text::hz_or_off;
use nice_plug::prelude::*;

/// Routing as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Left to left, right to right.
    #[id = "stereo"]
    #[name = "Stereo"]
    Stereo,
    /// Repeats alternate sides.
    #[id = "pingpong"]
    #[name = "Ping-Pong"]
    PingPong,
    /// Independent left and right times and feedback.
    #[id = "dual"]
    #[name = "Dual"]
    Dual,
    /// Rhythm taps.
    #[id = "multitap"]
    #[name = "Multi-Tap"]
    MultiTap,
}

/// Loop character as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Character {
    /// Clean digital.
    #[id = "clean"]
    #[name = "Clean"]
    Clean,
    /// Tape.
    #[id = "tape"]
    #[name = "Tape"]
    Tape,
    /// Analog bucket-brigade.
    #[id = "analog"]
    #[name = "Analog BBD"]
    Analog,
}

/// Time-change behaviour as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Tape-like glide (pitch bends).
    #[id = "glide"]
    #[name = "Glide"]
    Glide,
    /// Crossfade (no pitch change).
    #[id = "crossfade"]
    #[name = "Crossfade"]
    Crossfade,
}

fn percent(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_unit(" %")
        .with_step_size(0.1)
        .with_value_to_string(formatters::v2s_f32_rounded(1))
}

fn time_param(name: &str, default: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min: MIN_TIME_MS,
            max: MAX_TIME_MS,
            factor: FloatRange::skew_factor(-2.0),
        },
    )
    .with_unit(" ms")
    .with_step_size(0.01)
    .with_value_to_string(formatters::v2s_f32_rounded(2))
}

/// Shows "Off" at the value that switches a filter off.
fn filter_param(name: &str, default: f32, min: f32, max: f32, off: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(-1.5),
        },
    )
    .with_step_size(0.1)
    // The unit is part of the text, so the off position reads "Off", not
    // "Off Hz".
    .with_value_to_string(hz_or_off(off).0)
    .with_string_to_value(hz_or_off(off).1)
}

/// Level and pan of one multi-tap tap (ids get `_1` .. `_8` appended).
#[derive(Params)]
pub struct TapParams {
    /// Level, 0..100 %.
    #[id = "tap_level"]
    pub level: FloatParam,
    /// Pan, −100 (left) .. 100 (right) %.
    #[id = "tap_pan"]
    pub pan: FloatParam,
}

impl TapParams {
    fn new(index: usize, d: &Tap) -> Self {
        Self {
            level: percent(
                &format!("Tap {} Level", index + 1),
                d.level * 100.0,
                0.0,
                100.0,
            ),
            pan: percent(
                &format!("Tap {} Pan", index + 1),
                d.pan * 100.0,
                -100.0,
                100.0,
            ),
        }
    }
}

/// Mode, delay times, tempo sync and how time changes sound.
#[derive(Params)]
pub struct TimeGroup {
    /// Routing.
    #[id = "mode"]
    pub mode: EnumParam<Mode>,
    /// Delay time (left in dual mode), 1..4000 ms.
    #[id = "time"]
    pub time: FloatParam,
    /// Right delay time in dual mode, 1..4000 ms.
    #[id = "time_r"]
    pub time_r: FloatParam,
    /// Sync the time to the host tempo.
    #[id = "sync"]
    pub sync: BoolParam,
    /// Synced note value (left in dual mode).
    #[id = "note"]
    pub note: EnumParam<NoteParam>,
    /// Dotted/triplet for `note`.
    #[id = "note_mod"]
    pub note_mod: EnumParam<ModParam>,
    /// Synced right note value in dual mode.
    #[id = "note_r"]
    pub note_r: EnumParam<NoteParam>,
    /// Dotted/triplet for `note_r`.
    #[id = "note_mod_r"]
    pub note_mod_r: EnumParam<ModParam>,
    /// Glide or crossfade on time changes.
    #[id = "change"]
    pub change: EnumParam<Change>,
}

/// Stereo offset, swing and the number of taps.
#[derive(Params)]
pub struct RhythmGroup {
    /// L/R offset, −50..50 % of the time (stereo and ping-pong).
    #[id = "offset"]
    pub offset: FloatParam,
    /// Swing of synced times, 50 (straight) .. 75 %.
    #[id = "swing"]
    pub swing: FloatParam,
    /// Taps in the multi-tap mode, 1..8.
    #[id = "taps"]
    pub taps: IntParam,
}

/// Feedback and freeze.
#[derive(Params)]
pub struct FeedbackGroup {
    /// Feedback (left in dual mode), 0..110 %.
    #[id = "feedback"]
    pub feedback: FloatParam,
    /// Right feedback in dual mode, 0..110 %.
    #[id = "feedback_r"]
    pub feedback_r: FloatParam,
    /// Hold the loop.
    #[id = "freeze"]
    pub freeze: BoolParam,
}

/// Loop filters, character, wow/flutter and diffusion.
#[derive(Params)]
pub struct ToneGroup {
    /// High-pass in the loop, 20 (off) .. 2000 Hz.
    #[id = "hpf"]
    pub hpf: FloatParam,
    /// Low-pass in the loop, 1000 .. 20000 (off) Hz.
    #[id = "lpf"]
    pub lpf: FloatParam,
    /// Loop character.
    #[id = "character"]
    pub character: EnumParam<Character>,
    /// Wow and flutter depth, 0..100 %.
    #[id = "wow"]
    pub wow: FloatParam,
    /// Diffusion, 0..100 %.
    #[id = "diffusion"]
    pub diffusion: FloatParam,
}

/// Ducking and dry/wet mix.
#[derive(Params)]
pub struct OutputGroup {
    /// Ducking under the dry signal, 0..100 %.
    #[id = "ducking"]
    pub ducking: FloatParam,
    /// Dry/wet, 0..100 %.
    #[id = "mix"]
    pub mix: FloatParam,
}

/// Every parameter, in groups a host's generic editor shows as folders
/// (CLAP `module`, VST3 units). Grouping leaves the ids, and so saved
/// sessions and automation, unchanged.
#[derive(Params)]
pub struct EchoPluginParams {
    /// Mode, delay times, tempo sync and how time changes sound.
    #[nested(group = "Time")]
    pub timing: TimeGroup,
    /// Stereo offset, swing and the number of taps.
    #[nested(group = "Rhythm")]
    pub rhythm: RhythmGroup,
    /// Feedback and freeze.
    #[nested(group = "Feedback")]
    pub repeats: FeedbackGroup,
    /// Loop filters, character, wow/flutter and diffusion.
    #[nested(group = "Tone")]
    pub tone: ToneGroup,
    /// Ducking and dry/wet mix.
    #[nested(group = "Output")]
    pub levels: OutputGroup,
    /// The taps' levels and pans.
    #[nested(array, group = "Tap")]
    pub tap: [TapParams; MAX_TAPS],
    /// Bypass (crossfaded).
    #[id = "bypass"]
    pub bypass: BoolParam,
}

impl Default for EchoPluginParams {
    fn default() -> Self {
        let d = EchoParams::default();
        Self {
            timing: TimeGroup {
                mode: EnumParam::new("Mode", Mode::Stereo),
                time: time_param("Time", d.time_ms),
                time_r: time_param("Time R", d.time_r_ms),
                sync: BoolParam::new("Sync", false),
                note: EnumParam::new("Note", NoteParam::N8),
                note_mod: EnumParam::new("Note Type", ModParam::Dotted),
                note_r: EnumParam::new("Note R", NoteParam::N4),
                note_mod_r: EnumParam::new("Note Type R", ModParam::Straight),
                change: EnumParam::new("Time Change", Change::Glide),
            },
            rhythm: RhythmGroup {
                offset: percent("L/R Offset", 0.0, -50.0, 50.0),
                swing: percent(
                    "Swing",
                    STRAIGHT_SWING * 100.0,
                    STRAIGHT_SWING * 100.0,
                    MAX_SWING * 100.0,
                ),
                taps: IntParam::new(
                    "Taps",
                    d.taps as i32,
                    IntRange::Linear {
                        min: 1,
                        max: MAX_TAPS as i32,
                    },
                ),
            },
            repeats: FeedbackGroup {
                feedback: percent("Feedback", 40.0, 0.0, MAX_FEEDBACK * 100.0),
                feedback_r: percent("Feedback R", 40.0, 0.0, MAX_FEEDBACK * 100.0),
                freeze: BoolParam::new("Freeze", false),
            },
            tone: ToneGroup {
                hpf: filter_param("Low Cut", 80.0, HPF_OFF_HZ, 2_000.0, HPF_OFF_HZ),
                lpf: filter_param("High Cut", 9_000.0, 1_000.0, LPF_OFF_HZ, LPF_OFF_HZ),
                character: EnumParam::new("Character", Character::Tape),
                wow: percent("Wow/Flutter", 15.0, 0.0, 100.0),
                diffusion: percent("Diffusion", 0.0, 0.0, 100.0),
            },
            levels: OutputGroup {
                ducking: percent("Ducking", 0.0, 0.0, 100.0),
                mix: percent("Mix", d.mix * 100.0, 0.0, 100.0),
            },
            tap: std::array::from_fn(|i| TapParams::new(i, &d.tap[i])),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
        }
    }
}

impl EchoPluginParams {
    /// The kernel's view of the current values, with the host tempo
    /// (`None` or an unusable value: the times in ms apply).
    pub fn kernel_params(&self, tempo_bpm: Option<f64>) -> EchoParams {
        let mut tap = [Tap {
            level: 0.0,
            pan: 0.0,
        }; MAX_TAPS];
        for (t, p) in tap.iter_mut().zip(&self.tap) {
            t.level = p.level.value() * 0.01;
            t.pan = p.pan.value() * 0.01;
        }
        EchoParams {
            mode: match self.timing.mode.value() {
                Mode::Stereo => EchoMode::Stereo,
                Mode::PingPong => EchoMode::PingPong,
                Mode::Dual => EchoMode::Dual,
                Mode::MultiTap => EchoMode::MultiTap,
            },
            time_ms: self.timing.time.value(),
            time_r_ms: self.timing.time_r.value(),
            sync: self.timing.sync.value(),
            note: Note {
                value: self.timing.note.value().value(),
                modifier: self.timing.note_mod.value().modifier(),
            },
            note_r: Note {
                value: self.timing.note_r.value().value(),
                modifier: self.timing.note_mod_r.value().modifier(),
            },
            tempo_bpm: tempo_bpm.unwrap_or(0.0),
            offset: self.rhythm.offset.value() * 0.01,
            swing: self.rhythm.swing.value() * 0.01,
            feedback: self.repeats.feedback.value() * 0.01,
            feedback_r: self.repeats.feedback_r.value() * 0.01,
            hpf_hz: self.tone.hpf.value(),
            lpf_hz: self.tone.lpf.value(),
            character: match self.tone.character.value() {
                Character::Clean => DspCharacter::Clean,
                Character::Tape => DspCharacter::Tape,
                Character::Analog => DspCharacter::Analog,
            },
            wow: self.tone.wow.value() * 0.01,
            diffusion: self.tone.diffusion.value() * 0.01,
            ducking: self.levels.ducking.value() * 0.01,
            freeze: self.repeats.freeze.value(),
            change: match self.timing.change.value() {
                Change::Glide => TimeChange::Glide,
                Change::Crossfade => TimeChange::Crossfade,
            },
            mix: self.levels.mix.value() * 0.01,
            taps: self.rhythm.taps.value().clamp(1, MAX_TAPS as i32) as usize,
            tap,
            bypass: self.bypass.value(),
        }
    }
}
