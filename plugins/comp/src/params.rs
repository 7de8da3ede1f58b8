//! Glasswork Comp's parameters. The string ids are part of saved sessions
//! and automation: never rename one.

use glass_dsp::compressor::{
    self as k, CompressorParams, StereoMode as KStereoMode, Style as KStyle, Topology as KTopology,
};
use glass_ui::param_text::hz_or_off;
use nice_plug::prelude::*;
use std::sync::Arc;

/// Compression character as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Exact, transparent ballistics.
    #[id = "clean"]
    #[name = "Clean"]
    Clean,
    /// Program-dependent, like an optical cell.
    #[id = "opto"]
    #[name = "Opto"]
    Opto,
    /// Linear-domain ballistics with gentle saturation.
    #[id = "punchy"]
    #[name = "Punchy"]
    Punchy,
}

/// Detector placement as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// The detector hears the input (or sidechain).
    #[id = "ff"]
    #[name = "Feed-forward"]
    FeedForward,
    /// The detector hears the compressed signal.
    #[id = "fb"]
    #[name = "Feedback"]
    Feedback,
}

/// Channel treatment as shown to the host.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StereoMode {
    /// Left and right.
    #[id = "lr"]
    #[name = "L/R"]
    LeftRight,
    /// Mid and side.
    #[id = "ms"]
    #[name = "M/S"]
    MidSide,
}

fn db_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_unit(" dB")
        .with_step_size(0.01)
        .with_value_to_string(formatters::v2s_f32_rounded(2))
}

fn ms_param(name: &str, default: f32, min: f32, max: f32, skew: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(skew),
        },
    )
    .with_unit(" ms")
    .with_value_to_string(formatters::v2s_f32_rounded(2))
}

fn percent_param(name: &str, default: f32) -> FloatParam {
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
}

/// A filter corner whose end of range means "off".
fn filter_param(name: &str, default: f32, range: (f32, f32), off_at: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min: range.0,
            max: range.1,
            factor: FloatRange::skew_factor(-2.0),
        },
    )
    // A tenth of a hertz: the bottom of the skewed range is so fine that a
    // setting a hair above the off point would read as the off point.
    .with_step_size(0.1)
    // The unit is part of the text so that the end of the range reads
    // "Off", not "Off Hz".
    .with_value_to_string(hz_or_off(off_at).0)
    .with_string_to_value(hz_or_off(off_at).1)
}

/// Threshold, ratio, knee, range, style and topology.
#[derive(Params)]
pub struct CompressorGroup {
    /// Threshold, −60..0 dB.
    #[id = "threshold"]
    pub threshold: FloatParam,
    /// Ratio, 1..∞ (the top of the range is ∞:1).
    #[id = "ratio"]
    pub ratio: FloatParam,
    /// Soft knee, 0..24 dB.
    #[id = "knee"]
    pub knee: FloatParam,
    /// Range (largest gain reduction), 0..60 dB.
    #[id = "range"]
    pub range: FloatParam,
    /// Compression character.
    #[id = "style"]
    pub style: EnumParam<Style>,
    /// Feed-forward or feedback.
    #[id = "topology"]
    pub topology: EnumParam<Topology>,
}

/// Attack, release, hold and lookahead.
#[derive(Params)]
pub struct TimingGroup {
    /// Attack, 0.01..300 ms.
    #[id = "attack"]
    pub attack: FloatParam,
    /// Release, 1..5000 ms.
    #[id = "release"]
    pub release: FloatParam,
    /// Program-dependent release.
    #[id = "auto_release"]
    pub auto_release: BoolParam,
    /// Hold, 0..500 ms.
    #[id = "hold"]
    pub hold: FloatParam,
    /// Lookahead, 0..20 ms (the latency).
    #[id = "lookahead"]
    pub lookahead: FloatParam,
}

/// How the level is measured and linked.
#[derive(Params)]
pub struct DetectorGroup {
    /// Detector: 0 % peak .. 100 % RMS.
    #[id = "detector"]
    pub detector: FloatParam,
    /// RMS window, 1..300 ms.
    #[id = "rms_window"]
    pub rms_window: FloatParam,
    /// Stereo link, 0..100 %.
    #[id = "link"]
    pub link: FloatParam,
    /// L/R or M/S.
    #[id = "stereo_mode"]
    pub stereo_mode: EnumParam<StereoMode>,
}

/// The external sidechain and its filters.
#[derive(Params)]
pub struct SidechainGroup {
    /// Detect from the external sidechain input.
    #[id = "sidechain"]
    pub sidechain: BoolParam,
    /// Sidechain high-pass, 20 (off)..2000 Hz.
    #[id = "sc_hpf"]
    pub sc_hpf: FloatParam,
    /// Sidechain low-pass, 500..20000 (off) Hz.
    #[id = "sc_lpf"]
    pub sc_lpf: FloatParam,
    /// Listen to the filtered sidechain.
    #[id = "sc_listen"]
    pub sc_listen: BoolParam,
}

/// Makeup, mix and output gain.
#[derive(Params)]
pub struct OutputGroup {
    /// Makeup, 0..24 dB.
    #[id = "makeup"]
    pub makeup: FloatParam,
    /// Automatic makeup.
    #[id = "auto_makeup"]
    pub auto_makeup: BoolParam,
    /// Dry/wet mix, 0..100 %.
    #[id = "mix"]
    pub mix: FloatParam,
    /// Output gain, −24..+6 dB.
    #[id = "output"]
    pub output: FloatParam,
}

/// Every parameter, in groups a host's generic editor shows as folders
/// (CLAP `module`, VST3 units). Grouping leaves the ids, and so saved
/// sessions and automation, unchanged.
#[derive(Params)]
pub struct CompParams {
    /// Threshold, ratio, knee, range, style and topology.
    #[nested(group = "Compressor")]
    pub compressor: CompressorGroup,
    /// Attack, release, hold and lookahead.
    #[nested(group = "Timing")]
    pub timing: TimingGroup,
    /// How the level is measured and linked.
    #[nested(group = "Detector")]
    pub detection: DetectorGroup,
    /// The external sidechain and its filters.
    #[nested(group = "Sidechain")]
    pub side: SidechainGroup,
    /// Makeup, mix and output gain.
    #[nested(group = "Output")]
    pub levels: OutputGroup,
    /// Bypass (latency-compensated, crossfaded).
    #[id = "bypass"]
    pub bypass: BoolParam,
}

impl Default for CompParams {
    fn default() -> Self {
        Self::with_values(&CompressorParams::default())
    }
}

impl CompParams {
    /// Parameters whose values (and defaults) are `d`: for pictures and
    /// tests that need a setting without a host to set it.
    pub fn with_values(d: &CompressorParams) -> Self {
        let d = d.sanitised();
        Self {
            compressor: CompressorGroup {
                threshold: db_param(
                    "Threshold",
                    d.threshold_db,
                    k::THRESHOLD_RANGE_DB.0,
                    k::THRESHOLD_RANGE_DB.1,
                ),
                ratio: FloatParam::new(
                    "Ratio",
                    d.ratio,
                    FloatRange::Skewed {
                        min: 1.0,
                        max: k::MAX_RATIO,
                        factor: FloatRange::skew_factor(-2.2),
                    },
                )
                .with_unit(":1")
                .with_value_to_string(Arc::new(|v| {
                    if v >= k::MAX_RATIO {
                        "∞".to_owned()
                    } else if v < 10.0 {
                        format!("{v:.2}")
                    } else {
                        format!("{v:.1}")
                    }
                }))
                .with_string_to_value(Arc::new(|s| {
                    let s = s.trim().trim_end_matches(":1").trim();
                    if s == "∞" || s.eq_ignore_ascii_case("inf") {
                        Some(k::MAX_RATIO)
                    } else {
                        s.parse::<f32>().ok()
                    }
                })),
                knee: db_param("Knee", d.knee_db, 0.0, k::MAX_KNEE_DB),
                range: db_param("Range", d.range_db, 0.0, k::MAX_RANGE_DB),
                style: EnumParam::new(
                    "Style",
                    match d.style {
                        KStyle::Clean => Style::Clean,
                        KStyle::Opto => Style::Opto,
                        KStyle::Punchy => Style::Punchy,
                    },
                ),
                topology: EnumParam::new(
                    "Topology",
                    match d.topology {
                        KTopology::FeedForward => Topology::FeedForward,
                        KTopology::Feedback => Topology::Feedback,
                    },
                ),
            },
            timing: TimingGroup {
                attack: ms_param(
                    "Attack",
                    d.attack_ms,
                    k::ATTACK_RANGE_MS.0,
                    k::ATTACK_RANGE_MS.1,
                    -2.5,
                ),
                release: ms_param(
                    "Release",
                    d.release_ms,
                    k::RELEASE_RANGE_MS.0,
                    k::RELEASE_RANGE_MS.1,
                    -2.0,
                ),
                auto_release: BoolParam::new("Auto Release", d.auto_release),
                hold: ms_param("Hold", d.hold_ms, 0.0, k::MAX_HOLD_MS, -1.5),
                lookahead: ms_param("Lookahead", d.lookahead_ms, 0.0, k::MAX_LOOKAHEAD_MS, -1.0),
            },
            detection: DetectorGroup {
                detector: percent_param("Peak/RMS", d.detector_blend * 100.0),
                rms_window: ms_param(
                    "RMS Window",
                    d.rms_window_ms,
                    k::RMS_WINDOW_RANGE_MS.0,
                    k::RMS_WINDOW_RANGE_MS.1,
                    -1.5,
                ),
                link: percent_param("Stereo Link", d.stereo_link * 100.0),
                stereo_mode: EnumParam::new(
                    "Stereo Mode",
                    match d.stereo_mode {
                        KStereoMode::LeftRight => StereoMode::LeftRight,
                        KStereoMode::MidSide => StereoMode::MidSide,
                    },
                ),
            },
            side: SidechainGroup {
                sidechain: BoolParam::new("External Sidechain", d.external_sidechain),
                sc_hpf: filter_param(
                    "SC High-pass",
                    d.sc_hpf_hz,
                    k::SC_HPF_RANGE_HZ,
                    k::SC_HPF_RANGE_HZ.0,
                ),
                sc_lpf: filter_param(
                    "SC Low-pass",
                    d.sc_lpf_hz,
                    k::SC_LPF_RANGE_HZ,
                    k::SC_LPF_RANGE_HZ.1,
                ),
                sc_listen: BoolParam::new("SC Listen", d.sc_listen),
            },
            levels: OutputGroup {
                makeup: db_param("Makeup", d.makeup_db, 0.0, k::MAX_MAKEUP_DB),
                auto_makeup: BoolParam::new("Auto Makeup", d.auto_makeup),
                mix: percent_param("Mix", d.mix * 100.0),
                output: db_param(
                    "Output",
                    d.output_db,
                    k::OUTPUT_RANGE_DB.0,
                    k::OUTPUT_RANGE_DB.1,
                ),
            },
            bypass: BoolParam::new("Bypass", d.bypass).make_bypass(),
        }
    }

    /// The kernel's view of the current values.
    pub fn kernel_params(&self) -> CompressorParams {
        CompressorParams {
            threshold_db: self.compressor.threshold.value(),
            ratio: self.compressor.ratio.value(),
            knee_db: self.compressor.knee.value(),
            attack_ms: self.timing.attack.value(),
            release_ms: self.timing.release.value(),
            auto_release: self.timing.auto_release.value(),
            hold_ms: self.timing.hold.value(),
            lookahead_ms: self.timing.lookahead.value(),
            range_db: self.compressor.range.value(),
            detector_blend: self.detection.detector.value() * 0.01,
            rms_window_ms: self.detection.rms_window.value(),
            topology: match self.compressor.topology.value() {
                Topology::FeedForward => KTopology::FeedForward,
                Topology::Feedback => KTopology::Feedback,
            },
            stereo_link: self.detection.link.value() * 0.01,
            stereo_mode: match self.detection.stereo_mode.value() {
                StereoMode::LeftRight => KStereoMode::LeftRight,
                StereoMode::MidSide => KStereoMode::MidSide,
            },
            makeup_db: self.levels.makeup.value(),
            auto_makeup: self.levels.auto_makeup.value(),
            mix: self.levels.mix.value() * 0.01,
            output_db: self.levels.output.value(),
            style: match self.compressor.style.value() {
                Style::Clean => KStyle::Clean,
                Style::Opto => KStyle::Opto,
                Style::Punchy => KStyle::Punchy,
            },
            external_sidechain: self.side.sidechain.value(),
            sc_hpf_hz: self.side.sc_hpf.value(),
            sc_lpf_hz: self.side.sc_lpf.value(),
            sc_listen: self.side.sc_listen.value(),
            bypass: self.bypass.value(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_map_to_the_kernel_defaults() {
        let p = CompParams::default();
        assert_eq!(p.kernel_params(), CompressorParams::default());
    }

    #[test]
    fn with_values_round_trips_every_setting() {
        let want = CompressorParams {
            threshold_db: -31.5,
            ratio: 7.0,
            knee_db: 3.0,
            attack_ms: 0.5,
            release_ms: 900.0,
            auto_release: true,
            hold_ms: 12.0,
            lookahead_ms: 4.0,
            range_db: 20.0,
            detector_blend: 0.25,
            rms_window_ms: 30.0,
            topology: KTopology::Feedback,
            stereo_link: 0.5,
            stereo_mode: KStereoMode::MidSide,
            makeup_db: 3.0,
            auto_makeup: true,
            mix: 0.75,
            output_db: -2.0,
            style: KStyle::Opto,
            external_sidechain: true,
            sc_hpf_hz: 120.0,
            sc_lpf_hz: 9000.0,
            sc_listen: true,
            bypass: true,
        };
        let got = CompParams::with_values(&want).kernel_params();
        // Percentages go through ×100 and ×0.01.
        assert!((got.detector_blend - want.detector_blend).abs() < 1e-6);
        assert!((got.stereo_link - want.stereo_link).abs() < 1e-6);
        assert!((got.mix - want.mix).abs() < 1e-6);
        let exact = CompressorParams {
            detector_blend: want.detector_blend,
            stereo_link: want.stereo_link,
            mix: want.mix,
            ..got
        };
        assert_eq!(exact, want);
    }

    #[test]
    fn ratio_and_filter_texts_round_trip() {
        let p = CompParams::default();
        assert_eq!(
            p.compressor.ratio.normalized_value_to_string(1.0, false),
            "∞"
        );
        assert_eq!(
            p.compressor.ratio.string_to_normalized_value("∞"),
            Some(1.0)
        );
        assert_eq!(
            p.compressor.ratio.string_to_normalized_value("inf:1"),
            Some(1.0)
        );
        let four = p.compressor.ratio.preview_normalized(4.0);
        assert_eq!(
            p.compressor.ratio.string_to_normalized_value("4:1"),
            Some(four)
        );
        assert_eq!(p.side.sc_hpf.normalized_value_to_string(0.0, false), "Off");
        assert_eq!(p.side.sc_hpf.string_to_normalized_value("off"), Some(0.0));
        assert_eq!(p.side.sc_lpf.normalized_value_to_string(1.0, false), "Off");
        let hz = p.side.sc_hpf.preview_normalized(100.0);
        assert_eq!(p.side.sc_hpf.string_to_normalized_value("100 Hz"), Some(hz));
    }
}
