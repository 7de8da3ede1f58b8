//! Glasswork EQ's parameters. The string ids are part of saved sessions
//! and automation: never rename one.
//!
//! Every one of the 24 bands exists as parameters from the start (hosts need
//! a fixed list); a band the user has not added is `used` = off and is
//! neither heard nor drawn. Adding a band in the editor switches `used` on
//! and places it.

use glass_dsp::analog::{
    BandParams, BandType, Slope, MAX_FREQ_HZ, MAX_GAIN_DB, MAX_Q, MIN_FREQ_HZ, MIN_Q,
};
use glass_dsp::eq::{
    DynamicParams, EqBandSettings, EqParams, PhaseMode as KPhase, Placement as KPlacement,
    MAX_BANDS, MIN_THRESHOLD_DB,
};
use glass_dsp::linear_phase::FirLength;
use nice_plug::prelude::*;
use std::sync::{Arc, RwLock};

/// Number of bands.
pub const BANDS: usize = MAX_BANDS;
/// Largest dynamic range of a band, dB (either way).
pub const MAX_DYN_RANGE_DB: f32 = 30.0;
/// Output gain range, ±dB.
pub const MAX_OUTPUT_DB: f32 = 24.0;

/// Band shape as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Peaking bell.
    #[id = "bell"]
    #[name = "Bell"]
    Bell,
    /// Low shelf.
    #[id = "low_shelf"]
    #[name = "Low Shelf"]
    LowShelf,
    /// High shelf.
    #[id = "high_shelf"]
    #[name = "High Shelf"]
    HighShelf,
    /// High-pass.
    #[id = "low_cut"]
    #[name = "Low Cut"]
    LowCut,
    /// Low-pass.
    #[id = "high_cut"]
    #[name = "High Cut"]
    HighCut,
    /// Notch.
    #[id = "notch"]
    #[name = "Notch"]
    Notch,
    /// Band pass.
    #[id = "band_pass"]
    #[name = "Band Pass"]
    BandPass,
    /// Tilt shelf.
    #[id = "tilt"]
    #[name = "Tilt Shelf"]
    Tilt,
    /// All pass.
    #[id = "all_pass"]
    #[name = "All Pass"]
    AllPass,
}

impl Kind {
    /// The kernel's band type.
    pub fn band_type(self) -> BandType {
        match self {
            Kind::Bell => BandType::Bell,
            Kind::LowShelf => BandType::LowShelf,
            Kind::HighShelf => BandType::HighShelf,
            Kind::LowCut => BandType::LowCut,
            Kind::HighCut => BandType::HighCut,
            Kind::Notch => BandType::Notch,
            Kind::BandPass => BandType::BandPass,
            Kind::Tilt => BandType::TiltShelf,
            Kind::AllPass => BandType::AllPass,
        }
    }

    /// Whether the band has a gain (bell, shelves, tilt).
    pub fn has_gain(self) -> bool {
        matches!(
            self,
            Kind::Bell | Kind::LowShelf | Kind::HighShelf | Kind::Tilt
        )
    }

    /// Whether the band has a slope (cuts and shelves).
    pub fn has_slope(self) -> bool {
        matches!(
            self,
            Kind::LowCut | Kind::HighCut | Kind::LowShelf | Kind::HighShelf
        )
    }
}

/// Slope as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlopeParam {
    /// 6 dB/oct.
    #[id = "6"]
    #[name = "6 dB/oct"]
    Db6,
    /// 12 dB/oct.
    #[id = "12"]
    #[name = "12 dB/oct"]
    Db12,
    /// 18 dB/oct.
    #[id = "18"]
    #[name = "18 dB/oct"]
    Db18,
    /// 24 dB/oct.
    #[id = "24"]
    #[name = "24 dB/oct"]
    Db24,
    /// 36 dB/oct.
    #[id = "36"]
    #[name = "36 dB/oct"]
    Db36,
    /// 48 dB/oct.
    #[id = "48"]
    #[name = "48 dB/oct"]
    Db48,
    /// 72 dB/oct.
    #[id = "72"]
    #[name = "72 dB/oct"]
    Db72,
    /// 96 dB/oct.
    #[id = "96"]
    #[name = "96 dB/oct"]
    Db96,
}

impl SlopeParam {
    /// The kernel's slope.
    pub fn slope(self) -> Slope {
        match self {
            SlopeParam::Db6 => Slope::Db6,
            SlopeParam::Db12 => Slope::Db12,
            SlopeParam::Db18 => Slope::Db18,
            SlopeParam::Db24 => Slope::Db24,
            SlopeParam::Db36 => Slope::Db36,
            SlopeParam::Db48 => Slope::Db48,
            SlopeParam::Db72 => Slope::Db72,
            SlopeParam::Db96 => Slope::Db96,
        }
    }
}

/// Which part of a stereo signal a band filters.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Both channels alike.
    #[id = "stereo"]
    #[name = "Stereo"]
    Stereo,
    /// Left only.
    #[id = "left"]
    #[name = "Left"]
    Left,
    /// Right only.
    #[id = "right"]
    #[name = "Right"]
    Right,
    /// The mid (L+R)/2 only.
    #[id = "mid"]
    #[name = "Mid"]
    Mid,
    /// The side (L−R)/2 only.
    #[id = "side"]
    #[name = "Side"]
    Side,
}

/// How the bands' phase behaves.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseMode {
    /// Minimum phase, no latency.
    #[id = "zero_latency"]
    #[name = "Zero Latency"]
    ZeroLatency,
    /// Linear phase by FFT convolution; latency half the filter length.
    #[id = "linear"]
    #[name = "Linear Phase"]
    Linear,
}

/// Linear-phase filter length (at 48 kHz; scaled with the rate).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinearLength {
    /// 4096 taps: 42.7 ms of latency at 48 kHz.
    #[id = "4096"]
    #[name = "Short"]
    Short,
    /// 8192 taps.
    #[id = "8192"]
    #[name = "Medium"]
    Medium,
    /// 16384 taps.
    #[id = "16384"]
    #[name = "Long"]
    Long,
    /// 32768 taps: the finest low-frequency detail.
    #[id = "32768"]
    #[name = "Maximum"]
    Maximum,
}

impl LinearLength {
    /// The kernel's FIR length.
    pub fn fir_length(self) -> FirLength {
        match self {
            LinearLength::Short => FirLength::Taps4096,
            LinearLength::Medium => FirLength::Taps8192,
            LinearLength::Long => FirLength::Taps16384,
            LinearLength::Maximum => FirLength::Taps32768,
        }
    }
}

fn db_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_unit(" dB")
        .with_step_size(0.01)
        .with_value_to_string(formatters::v2s_f32_rounded(2))
}

fn ms_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(-2.0),
        },
    )
    .with_unit(" ms")
    .with_step_size(0.01)
    .with_value_to_string(formatters::v2s_f32_rounded(2))
}

/// One band's parameters (ids get `_1` .. `_24` appended).
#[derive(Params)]
pub struct BandGroup {
    /// The band has been added (it is heard and drawn only then).
    #[id = "used"]
    pub used: BoolParam,
    /// The band's own on/off (an added band switched off is drawn dimmed).
    #[id = "on"]
    pub on: BoolParam,
    /// Shape.
    #[id = "type"]
    pub kind: EnumParam<Kind>,
    /// Frequency, 10 Hz .. 30 kHz (kept below Nyquist).
    #[id = "freq"]
    pub freq: FloatParam,
    /// Gain, ±30 dB (bell, shelves, tilt).
    #[id = "gain"]
    pub gain: FloatParam,
    /// Q, 0.025 .. 40.
    #[id = "q"]
    pub q: FloatParam,
    /// Slope of cuts and shelves.
    #[id = "slope"]
    pub slope: EnumParam<SlopeParam>,
    /// Stereo placement.
    #[id = "place"]
    pub place: EnumParam<Placement>,
    /// Dynamic: the gain moves with the detector's level.
    #[id = "dyn"]
    pub dynamic: BoolParam,
    /// Level above which the dynamic gain acts, −80..0 dBFS.
    #[id = "dyn_thresh"]
    pub threshold: FloatParam,
    /// Most the dynamic gain adds to the band's gain, ±30 dB (negative
    /// cuts, positive boosts).
    #[id = "dyn_range"]
    pub range: FloatParam,
    /// Ratio of the dynamic gain law, 1..100 (100 = ∞).
    #[id = "dyn_ratio"]
    pub ratio: FloatParam,
    /// Attack, 0.1..1000 ms.
    #[id = "dyn_attack"]
    pub attack: FloatParam,
    /// Release, 1..5000 ms.
    #[id = "dyn_release"]
    pub release: FloatParam,
    /// The detector listens to the external sidechain instead of the
    /// band's own signal.
    #[id = "dyn_ext"]
    pub external: BoolParam,
}

impl BandGroup {
    fn new(index: usize) -> Self {
        let n = index + 1;
        let d = BandParams::default();
        // New bands spread over the spectrum, so a band added without a
        // position lands somewhere useful.
        let spread = 40.0 * 2f32.powf(index as f32 * 9.0 / (BANDS - 1) as f32);
        Self {
            used: BoolParam::new(format!("Band {n} Used"), false),
            on: BoolParam::new(format!("Band {n} On"), true),
            kind: EnumParam::new(format!("Band {n} Type"), Kind::Bell),
            freq: FloatParam::new(
                format!("Band {n} Freq"),
                spread.round(),
                FloatRange::Skewed {
                    min: MIN_FREQ_HZ,
                    max: MAX_FREQ_HZ,
                    factor: FloatRange::skew_factor(-2.3),
                },
            )
            .with_unit(" Hz")
            .with_step_size(0.01)
            .with_value_to_string(formatters::v2s_f32_rounded(2)),
            gain: db_param(
                &format!("Band {n} Gain"),
                d.gain_db,
                -MAX_GAIN_DB,
                MAX_GAIN_DB,
            ),
            q: FloatParam::new(
                format!("Band {n} Q"),
                d.q,
                FloatRange::Skewed {
                    min: MIN_Q,
                    max: MAX_Q,
                    factor: FloatRange::skew_factor(-2.2),
                },
            )
            .with_step_size(0.001)
            .with_value_to_string(formatters::v2s_f32_rounded(3)),
            slope: EnumParam::new(format!("Band {n} Slope"), SlopeParam::Db12),
            place: EnumParam::new(format!("Band {n} Placement"), Placement::Stereo),
            dynamic: BoolParam::new(format!("Band {n} Dynamic"), false),
            threshold: db_param(
                &format!("Band {n} Dyn Threshold"),
                -24.0,
                MIN_THRESHOLD_DB,
                0.0,
            ),
            range: db_param(
                &format!("Band {n} Dyn Range"),
                -12.0,
                -MAX_DYN_RANGE_DB,
                MAX_DYN_RANGE_DB,
            ),
            ratio: FloatParam::new(
                format!("Band {n} Dyn Ratio"),
                4.0,
                FloatRange::Skewed {
                    min: 1.0,
                    max: 100.0,
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_unit(":1")
            .with_step_size(0.01)
            .with_value_to_string(formatters::v2s_f32_rounded(2)),
            attack: ms_param(&format!("Band {n} Dyn Attack"), 10.0, 0.1, 1_000.0),
            release: ms_param(&format!("Band {n} Dyn Release"), 150.0, 1.0, 5_000.0),
            external: BoolParam::new(format!("Band {n} Dyn Sidechain"), false),
        }
    }

    /// The band's static shape in kernel units.
    pub fn band_params(&self) -> BandParams {
        BandParams {
            kind: self.kind.value().band_type(),
            freq_hz: self.freq.value(),
            gain_db: self.gain.value(),
            q: self.q.value(),
            slope: self.slope.value().slope(),
        }
    }

    /// Whether the band is heard: added and switched on.
    pub fn active(&self) -> bool {
        self.used.value() && self.on.value()
    }

    /// The band's settings in kernel units.
    pub fn settings(&self) -> EqBandSettings {
        EqBandSettings {
            enabled: self.active(),
            band: self.band_params(),
            placement: match self.place.value() {
                Placement::Stereo => KPlacement::Stereo,
                Placement::Left => KPlacement::Left,
                Placement::Right => KPlacement::Right,
                Placement::Mid => KPlacement::Mid,
                Placement::Side => KPlacement::Side,
            },
            dynamic: DynamicParams {
                enabled: self.dynamic.value(),
                threshold_db: self.threshold.value(),
                range_db: self.range.value(),
                ratio: self.ratio.value(),
                attack_ms: self.attack.value(),
                release_ms: self.release.value(),
                external: self.external.value(),
            },
        }
    }
}

/// Phase mode, output gain and auto gain.
#[derive(Params)]
pub struct GlobalGroup {
    /// Zero latency or linear phase.
    #[id = "phase"]
    pub phase: EnumParam<PhaseMode>,
    /// Linear-phase filter length.
    #[id = "lin_len"]
    pub length: EnumParam<LinearLength>,
    /// Output gain, ±24 dB.
    #[id = "output"]
    pub output: FloatParam,
    /// Loudness compensation of the curve's gain change.
    #[id = "auto_gain"]
    pub auto_gain: BoolParam,
}

/// Every parameter, in groups a host's generic editor shows as folders.
#[derive(Params)]
pub struct EqPluginParams {
    /// Phase mode, output gain and auto gain.
    #[nested(group = "Global")]
    pub global: GlobalGroup,
    /// The bands.
    #[nested(array, group = "Band")]
    pub band: [BandGroup; BANDS],
    /// Bypass (crossfaded).
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// The analyser's settings and the selected band: editor state kept
    /// with the session but not automatable.
    #[persist = "view"]
    pub view: Arc<RwLock<ViewState>>,
}

/// Editor preferences saved with the session.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ViewState {
    /// Analyser: 0 off, 1 pre, 2 post, 3 both.
    pub analyser: u8,
    /// Analyser slope compensation, dB/oct (0, 3, 4.5 or 6).
    pub tilt_db_per_oct: f32,
    /// Band selected in the editor, 0..24.
    pub selected: u8,
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            analyser: 3,
            tilt_db_per_oct: 4.5,
            selected: 0,
        }
    }
}

impl Default for EqPluginParams {
    fn default() -> Self {
        Self {
            global: GlobalGroup {
                phase: EnumParam::new("Phase Mode", PhaseMode::ZeroLatency),
                length: EnumParam::new("Linear Length", LinearLength::Medium),
                output: db_param("Output", 0.0, -MAX_OUTPUT_DB, MAX_OUTPUT_DB),
                auto_gain: BoolParam::new("Auto Gain", false),
            },
            band: std::array::from_fn(BandGroup::new),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            view: Arc::new(RwLock::new(ViewState::default())),
        }
    }
}

impl EqPluginParams {
    /// The kernel's view of the current values, with `solo` the band heard
    /// alone (editor state, not a parameter).
    pub fn kernel_params(&self, solo: Option<usize>) -> EqParams {
        EqParams {
            bands: std::array::from_fn(|i| self.band[i].settings()),
            output_gain_db: self.global.output.value(),
            auto_gain: self.global.auto_gain.value(),
            solo: solo.filter(|&s| s < BANDS && self.band[s].active()),
            phase: match self.global.phase.value() {
                PhaseMode::ZeroLatency => KPhase::ZeroLatency,
                PhaseMode::Linear => KPhase::Linear,
            },
            fir_length: self.global.length.value().fir_length(),
        }
    }
}
