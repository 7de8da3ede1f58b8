//! Glasswork Limit's parameters. The string ids are part of saved sessions
//! and automation: never rename one.

use glass_dsp::dither::DitherDepth;
use glass_dsp::limiter::{DetectorOversampling, LimiterParams};
use nice_plug::prelude::*;

/// Detector oversampling as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversampling {
    /// 4x with crest refinement (BS.1770 rate).
    #[id = "4x"]
    #[name = "4x"]
    X4,
    /// 8x.
    #[id = "8x"]
    #[name = "8x"]
    X8,
    /// 16x.
    #[id = "16x"]
    #[name = "16x"]
    X16,
}

/// Output dither as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dither {
    /// No dither: 32-bit float out.
    #[id = "off"]
    #[name = "Off"]
    Off,
    /// TPDF dither to 16 bits.
    #[id = "16"]
    #[name = "16-bit"]
    Bits16,
    /// TPDF dither to 24 bits.
    #[id = "24"]
    #[name = "24-bit"]
    Bits24,
}

/// Loudness targets of the common delivery platforms.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Spotify, −14 LUFS integrated.
    #[id = "spotify"]
    #[name = "Spotify (-14)"]
    Spotify,
    /// Apple Music, −16 LUFS.
    #[id = "apple"]
    #[name = "Apple Music (-16)"]
    Apple,
    /// YouTube, −14 LUFS.
    #[id = "youtube"]
    #[name = "YouTube (-14)"]
    YouTube,
    /// EBU R128 broadcast, −23 LUFS.
    #[id = "ebu"]
    #[name = "EBU R128 (-23)"]
    Ebu,
    /// ATSC A/85 broadcast, −24 LKFS.
    #[id = "atsc"]
    #[name = "ATSC A/85 (-24)"]
    Atsc,
    /// The custom target value.
    #[id = "custom"]
    #[name = "Custom"]
    Custom,
}

impl Target {
    /// Integrated loudness of this target in LUFS (`custom` for Custom).
    pub fn lufs(self, custom: f32) -> f32 {
        match self {
            Self::Spotify | Self::YouTube => -14.0,
            Self::Apple => -16.0,
            Self::Ebu => -23.0,
            Self::Atsc => -24.0,
            Self::Custom => custom,
        }
    }
}

fn db_param(name: &str, default: f32, min: f32, max: f32, unit: &'static str) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_unit(unit)
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
    .with_value_to_string(formatters::v2s_f32_rounded(2))
}

/// The limiter itself: drive, ceiling and timing.
#[derive(Params)]
pub struct DynamicsParams {
    /// Gain before limiting, −24..+36 dB.
    #[id = "gain"]
    pub input_gain: FloatParam,
    /// Output ceiling, −30..0 dBTP.
    #[id = "ceiling"]
    pub ceiling: FloatParam,
    /// Release, 5..2000 ms.
    #[id = "release"]
    pub release: FloatParam,
    /// Program-dependent release.
    #[id = "auto_release"]
    pub auto_release: BoolParam,
    /// Lookahead, 0.5..10 ms (changes latency).
    #[id = "lookahead"]
    pub lookahead: FloatParam,
    /// Stereo link, 0..100 %.
    #[id = "link"]
    pub link: FloatParam,
}

/// How peaks are found.
#[derive(Params)]
pub struct DetectionParams {
    /// True-peak detection.
    #[id = "true_peak"]
    pub true_peak: BoolParam,
    /// Detector oversampling.
    #[id = "oversampling"]
    pub oversampling: EnumParam<Oversampling>,
}

/// What leaves the plugin: word length and monitoring.
#[derive(Params)]
pub struct OutputParams {
    /// Output dither.
    #[id = "dither"]
    pub dither: EnumParam<Dither>,
    /// Noise-shaped dither.
    #[id = "noise_shaping"]
    pub noise_shaping: BoolParam,
    /// Listen to what is removed.
    #[id = "delta"]
    pub delta: BoolParam,
}

/// The loudness target the meter measures against.
#[derive(Params)]
pub struct LoudnessParams {
    /// Loudness target preset.
    #[id = "target"]
    pub target: EnumParam<Target>,
    /// Custom loudness target, −36..−5 LUFS.
    #[id = "target_lufs"]
    pub target_lufs: FloatParam,
}

/// Every parameter of Glasswork Limit, in groups a host's generic editor
/// shows as folders (CLAP `module`, VST3 units). Grouping leaves the ids,
/// and so saved sessions and automation, unchanged.
#[derive(Params)]
pub struct LimitParams {
    /// Gain, ceiling, release, lookahead, link.
    #[nested(group = "Limiter")]
    pub dynamics: DynamicsParams,
    /// True-peak detection and its oversampling.
    #[nested(group = "Detection")]
    pub detection: DetectionParams,
    /// Dither, noise shaping, delta.
    #[nested(group = "Output")]
    pub output: OutputParams,
    /// Loudness target.
    #[nested(group = "Loudness")]
    pub loudness: LoudnessParams,
    /// Bypass (latency-compensated, crossfaded).
    #[id = "bypass"]
    pub bypass: BoolParam,
}

impl Default for LimitParams {
    fn default() -> Self {
        let d = LimiterParams::default();
        Self {
            dynamics: DynamicsParams {
                input_gain: db_param("Gain", d.input_gain_db, -24.0, 36.0, " dB"),
                ceiling: db_param("Ceiling", d.ceiling_db, -30.0, 0.0, " dBTP"),
                release: ms_param(
                    "Release",
                    d.release_ms,
                    glass_dsp::limiter::MIN_RELEASE_MS,
                    2000.0,
                ),
                auto_release: BoolParam::new("Auto Release", d.auto_release),
                lookahead: ms_param(
                    "Lookahead",
                    d.lookahead_ms,
                    glass_dsp::limiter::MIN_LOOKAHEAD_MS,
                    glass_dsp::limiter::MAX_LOOKAHEAD_MS,
                ),
                link: FloatParam::new(
                    "Stereo Link",
                    d.stereo_link * 100.0,
                    FloatRange::Linear {
                        min: 0.0,
                        max: 100.0,
                    },
                )
                .with_unit(" %")
                .with_step_size(0.1),
            },
            detection: DetectionParams {
                true_peak: BoolParam::new("True Peak", d.true_peak),
                oversampling: EnumParam::new("Oversampling", Oversampling::X4),
            },
            output: OutputParams {
                dither: EnumParam::new("Dither", Dither::Off),
                noise_shaping: BoolParam::new("Noise Shaping", d.noise_shaping),
                delta: BoolParam::new("Delta", d.delta),
            },
            loudness: LoudnessParams {
                target: EnumParam::new("Loudness Target", Target::Spotify),
                target_lufs: db_param("Custom Target", -14.0, -36.0, -5.0, " LUFS"),
            },
            bypass: BoolParam::new("Bypass", false).make_bypass(),
        }
    }
}

impl LimitParams {
    /// The kernel's view of the current values.
    pub fn kernel_params(&self) -> LimiterParams {
        LimiterParams {
            input_gain_db: self.dynamics.input_gain.value(),
            ceiling_db: self.dynamics.ceiling.value(),
            release_ms: self.dynamics.release.value(),
            auto_release: self.dynamics.auto_release.value(),
            lookahead_ms: self.dynamics.lookahead.value(),
            stereo_link: self.dynamics.link.value() * 0.01,
            true_peak: self.detection.true_peak.value(),
            oversampling: match self.detection.oversampling.value() {
                Oversampling::X4 => DetectorOversampling::X4,
                Oversampling::X8 => DetectorOversampling::X8,
                Oversampling::X16 => DetectorOversampling::X16,
            },
            dither: match self.output.dither.value() {
                Dither::Off => DitherDepth::Off,
                Dither::Bits16 => DitherDepth::Bits16,
                Dither::Bits24 => DitherDepth::Bits24,
            },
            noise_shaping: self.output.noise_shaping.value(),
            delta: self.output.delta.value(),
            bypass: self.bypass.value(),
        }
    }

    /// The loudness target in LUFS.
    pub fn target_lufs(&self) -> f32 {
        self.loudness
            .target
            .value()
            .lufs(self.loudness.target_lufs.value())
    }
}
