//! Glasswork Verb's parameters. The string ids are part of saved sessions
//! and automation: never rename one.

use glass_dsp::fdn::{
    MAX_DECAY_S, MAX_MOD_DEPTH_MS, MAX_MOD_RATE_HZ, MAX_MULTIPLIER, MAX_SIZE, MIN_DECAY_S,
    MIN_MOD_RATE_HZ, MIN_MULTIPLIER, MIN_SIZE,
};
use glass_dsp::reverb::{
    Character, ReverbParams, HIGH_CUT_OFF_HZ, LOW_CUT_OFF_HZ, MAX_DUCKING_DB, MAX_PRE_DELAY_MS,
};
use glass_dsp::tempo::valid_tempo;
use glass_ui::note_param::{note, ModParam, NoteParam};
use glass_ui::param_text::hz_or_off;
use nice_plug::prelude::*;

fn percent(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_unit(" %")
        .with_step_size(0.1)
        .with_value_to_string(formatters::v2s_f32_rounded(1))
}

/// A band multiplier, 0.1..4 with 1 (the mid band's decay) at the centre of
/// the control's travel.
fn multiplier(name: &str) -> FloatParam {
    // ((1 − min) / (max − min))^factor = 0.5 puts 1.0 mid-travel.
    let centre = (1.0 - MIN_MULTIPLIER) / (MAX_MULTIPLIER - MIN_MULTIPLIER);
    FloatParam::new(
        name,
        1.0,
        FloatRange::Skewed {
            min: MIN_MULTIPLIER,
            max: MAX_MULTIPLIER,
            factor: 0.5f32.ln() / centre.ln(),
        },
    )
    .with_unit(" x")
    .with_step_size(0.01)
    .with_value_to_string(formatters::v2s_f32_rounded(2))
}

fn hz(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(-1.5),
        },
    )
    .with_unit(" Hz")
    .with_step_size(1.0)
    .with_value_to_string(formatters::v2s_f32_rounded(0))
}

/// A wet filter corner whose end of range switches the filter off.
fn cut(name: &str, default: f32, min: f32, max: f32, off: f32) -> FloatParam {
    let (to_string, to_value) = hz_or_off(off);
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
    // The unit is part of the text, so the off position reads "Off".
    .with_value_to_string(to_string)
    .with_string_to_value(to_value)
}

/// Decay time per band, and freeze.
#[derive(Params)]
pub struct DecayGroup {
    /// Mid-band reverberation time (T60), 0.1..30 s.
    #[id = "decay"]
    pub decay: FloatParam,
    /// Low band T60 as a multiple of the decay, 0.1..4.
    #[id = "low_mult"]
    pub low_mult: FloatParam,
    /// High band T60 as a multiple of the decay, 0.1..4.
    #[id = "high_mult"]
    pub high_mult: FloatParam,
    /// Low/mid crossover, 20..2000 Hz.
    #[id = "low_xover"]
    pub low_xover: FloatParam,
    /// Mid/high crossover, 500..20000 Hz.
    #[id = "high_xover"]
    pub high_xover: FloatParam,
    /// Infinite sustain without growth.
    #[id = "freeze"]
    pub freeze: BoolParam,
}

/// The room: size, pre-delay (free or synced), diffusion, early/late.
#[derive(Params)]
pub struct SpaceGroup {
    /// Room size, 10..200 % (100 %: network lines 23–66 ms).
    #[id = "size"]
    pub size: FloatParam,
    /// Pre-delay, 0..500 ms (when not synced).
    #[id = "predelay"]
    pub predelay: FloatParam,
    /// Sync the pre-delay to the host tempo.
    #[id = "predelay_sync"]
    pub predelay_sync: BoolParam,
    /// Synced pre-delay note value.
    #[id = "predelay_note"]
    pub predelay_note: EnumParam<NoteParam>,
    /// Dotted/triplet for the synced pre-delay.
    #[id = "predelay_note_mod"]
    pub predelay_note_mod: EnumParam<ModParam>,
    /// Input diffusion, 0..100 %.
    #[id = "diffusion"]
    pub diffusion: FloatParam,
    /// Balance between early reflections (0 %) and the late field (100 %),
    /// equal power.
    #[id = "early_late"]
    pub early_late: FloatParam,
}

/// Colour and motion of the tail.
#[derive(Params)]
pub struct ToneGroup {
    /// Damping of the input to the room, 0..100 % (a lowpass from 20 kHz
    /// down to 1 kHz).
    #[id = "damping"]
    pub damping: FloatParam,
    /// Modulation depth of the network's lines, 0..2 ms.
    #[id = "mod_depth"]
    pub mod_depth: FloatParam,
    /// Modulation rate, 0.01..10 Hz.
    #[id = "mod_rate"]
    pub mod_rate: FloatParam,
    /// Wet low-cut, 10 (off) .. 1000 Hz.
    #[id = "low_cut"]
    pub low_cut: FloatParam,
    /// Wet high-cut, 1000 .. 22000 (off) Hz.
    #[id = "high_cut"]
    pub high_cut: FloatParam,
}

/// Width, ducking, mix.
#[derive(Params)]
pub struct OutputGroup {
    /// Stereo width of the wet signal, 0 (mono) .. 100 %.
    #[id = "width"]
    pub width: FloatParam,
    /// Ducking of the wet signal by the dry input, 0..30 dB.
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
pub struct VerbPluginParams {
    /// Decay time per band, and freeze.
    #[nested(group = "Decay")]
    pub decay: DecayGroup,
    /// Size, pre-delay, diffusion, early/late.
    #[nested(group = "Space")]
    pub space: SpaceGroup,
    /// Damping, modulation and the wet filters.
    #[nested(group = "Tone")]
    pub tone: ToneGroup,
    /// Width, ducking and mix.
    #[nested(group = "Output")]
    pub output: OutputGroup,
    /// Bypass (crossfaded over 10 ms).
    #[id = "bypass"]
    pub bypass: BoolParam,
}

impl Default for VerbPluginParams {
    fn default() -> Self {
        let d = ReverbParams::default();
        Self {
            decay: DecayGroup {
                decay: FloatParam::new(
                    "Decay",
                    d.decay_s,
                    FloatRange::Skewed {
                        min: MIN_DECAY_S,
                        max: MAX_DECAY_S,
                        factor: FloatRange::skew_factor(-2.2),
                    },
                )
                .with_unit(" s")
                .with_step_size(0.01)
                .with_value_to_string(formatters::v2s_f32_rounded(2)),
                low_mult: multiplier("Low Decay"),
                high_mult: multiplier("High Decay"),
                low_xover: hz("Low Crossover", d.low_crossover_hz, 20.0, 2_000.0),
                high_xover: hz("High Crossover", d.high_crossover_hz, 500.0, 20_000.0),
                freeze: BoolParam::new("Freeze", false),
            },
            space: SpaceGroup {
                size: FloatParam::new(
                    "Size",
                    d.size * 100.0,
                    FloatRange::Skewed {
                        min: MIN_SIZE * 100.0,
                        max: MAX_SIZE * 100.0,
                        factor: FloatRange::skew_factor(-0.8),
                    },
                )
                .with_unit(" %")
                .with_step_size(0.1)
                .with_value_to_string(formatters::v2s_f32_rounded(1)),
                predelay: FloatParam::new(
                    "Pre-Delay",
                    d.pre_delay_ms,
                    FloatRange::Skewed {
                        min: 0.0,
                        max: MAX_PRE_DELAY_MS,
                        factor: FloatRange::skew_factor(-1.5),
                    },
                )
                .with_unit(" ms")
                .with_step_size(0.1)
                .with_value_to_string(formatters::v2s_f32_rounded(1)),
                predelay_sync: BoolParam::new("Pre-Delay Sync", false),
                predelay_note: EnumParam::new("Pre-Delay Note", NoteParam::N32),
                predelay_note_mod: EnumParam::new("Pre-Delay Note Type", ModParam::Straight),
                diffusion: percent("Diffusion", d.diffusion * 100.0, 0.0, 100.0),
                early_late: percent("Early/Late", d.early_late * 100.0, 0.0, 100.0),
            },
            tone: ToneGroup {
                damping: percent("Damping", d.damping * 100.0, 0.0, 100.0),
                mod_depth: FloatParam::new(
                    "Mod Depth",
                    d.mod_depth_ms,
                    FloatRange::Linear {
                        min: 0.0,
                        max: MAX_MOD_DEPTH_MS,
                    },
                )
                .with_unit(" ms")
                .with_step_size(0.01)
                .with_value_to_string(formatters::v2s_f32_rounded(2)),
                mod_rate: FloatParam::new(
                    "Mod Rate",
                    d.mod_rate_hz,
                    FloatRange::Skewed {
                        min: MIN_MOD_RATE_HZ,
                        max: MAX_MOD_RATE_HZ,
                        factor: FloatRange::skew_factor(-2.0),
                    },
                )
                .with_unit(" Hz")
                .with_step_size(0.01)
                .with_value_to_string(formatters::v2s_f32_rounded(2)),
                low_cut: cut(
                    "Low Cut",
                    d.low_cut_hz,
                    LOW_CUT_OFF_HZ,
                    1_000.0,
                    LOW_CUT_OFF_HZ,
                ),
                high_cut: cut(
                    "High Cut",
                    d.high_cut_hz,
                    1_000.0,
                    HIGH_CUT_OFF_HZ,
                    HIGH_CUT_OFF_HZ,
                ),
            },
            output: OutputGroup {
                width: percent("Width", d.width * 100.0, 0.0, 100.0),
                ducking: FloatParam::new(
                    "Ducking",
                    d.ducking_db,
                    FloatRange::Linear {
                        min: 0.0,
                        max: MAX_DUCKING_DB,
                    },
                )
                .with_unit(" dB")
                .with_step_size(0.1)
                .with_value_to_string(formatters::v2s_f32_rounded(1)),
                mix: percent("Mix", d.mix * 100.0, 0.0, 100.0),
            },
            bypass: BoolParam::new("Bypass", false).make_bypass(),
        }
    }
}

/// Where the pre-delay comes from, for the editor's readout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PreDelay {
    /// The pre-delay in use, ms (0..=500).
    pub ms: f32,
    /// The synced note length at the host tempo, ms, when sync is on and
    /// the host gives a usable tempo (may exceed 500: then `ms` is capped).
    pub synced_ms: Option<f64>,
}

impl VerbPluginParams {
    /// The pre-delay for the host tempo (`None` or unusable: the free time
    /// applies; a synced length beyond the longest pre-delay is capped).
    pub fn pre_delay(&self, tempo_bpm: Option<f64>) -> PreDelay {
        let free = self.space.predelay.value();
        if !self.space.predelay_sync.value() {
            return PreDelay {
                ms: free,
                synced_ms: None,
            };
        }
        let n = note(
            self.space.predelay_note.value(),
            self.space.predelay_note_mod.value(),
        );
        match tempo_bpm.and_then(valid_tempo).and_then(|t| n.ms_at(t)) {
            Some(ms) => PreDelay {
                ms: (ms as f32).min(MAX_PRE_DELAY_MS),
                synced_ms: Some(ms),
            },
            None => PreDelay {
                ms: free,
                synced_ms: None,
            },
        }
    }

    /// The kernel's view of the current values at the host tempo.
    pub fn kernel_params(&self, tempo_bpm: Option<f64>) -> ReverbParams {
        ReverbParams {
            character: Character::default(),
            decay_s: self.decay.decay.value(),
            low_multiplier: self.decay.low_mult.value(),
            high_multiplier: self.decay.high_mult.value(),
            low_crossover_hz: self.decay.low_xover.value(),
            high_crossover_hz: self.decay.high_xover.value(),
            size: self.space.size.value() * 0.01,
            pre_delay_ms: self.pre_delay(tempo_bpm).ms,
            diffusion: self.space.diffusion.value() * 0.01,
            early_late: self.space.early_late.value() * 0.01,
            damping: self.tone.damping.value() * 0.01,
            mod_depth_ms: self.tone.mod_depth.value(),
            mod_rate_hz: self.tone.mod_rate.value(),
            width: self.output.width.value() * 0.01,
            low_cut_hz: self.tone.low_cut.value(),
            high_cut_hz: self.tone.high_cut.value(),
            ducking_db: self.output.ducking.value(),
            freeze: self.decay.freeze.value(),
            mix: self.output.mix.value() * 0.01,
            bypass: self.bypass.value(),
        }
    }

    /// The parameters a character sets, with the plain values it gives
    /// them: the shape of the space (decay per band, size, pre-delay,
    /// diffusion, balance, damping, modulation). Width, the wet filters,
    /// ducking, mix and freeze stay as the user set them, as the free
    /// pre-delay is used (sync off).
    pub fn character_values(&self, character: Character) -> Vec<(&FloatParam, f32)> {
        let c = character.preset();
        vec![
            (&self.decay.decay, c.decay_s),
            (&self.decay.low_mult, c.low_multiplier),
            (&self.decay.high_mult, c.high_multiplier),
            (&self.decay.low_xover, c.low_crossover_hz),
            (&self.decay.high_xover, c.high_crossover_hz),
            (&self.space.size, c.size * 100.0),
            (&self.space.predelay, c.pre_delay_ms),
            (&self.space.diffusion, c.diffusion * 100.0),
            (&self.space.early_late, c.early_late * 100.0),
            (&self.tone.damping, c.damping * 100.0),
            (&self.tone.mod_depth, c.mod_depth_ms),
            (&self.tone.mod_rate, c.mod_rate_hz),
        ]
    }

    /// The character whose values the parameters hold now (within the
    /// display rounding), if any.
    pub fn current_character(&self) -> Option<Character> {
        Character::ALL.into_iter().find(|&c| {
            !self.space.predelay_sync.value()
                && self
                    .character_values(c)
                    .iter()
                    .all(|(p, v)| (p.value() - v).abs() <= 1e-3 * v.abs().max(1.0))
        })
    }
}
