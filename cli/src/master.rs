//! Mastering to a loudness target with Glasswork Limit: measure, set the limiter's input gain,
//! render, measure what will be written, correct, and repeat until the integrated loudness is
//! on target; the true peak never exceeds the ceiling.
//!
//! The loudness a limiter delivers is not the input loudness plus the gain: the more it limits,
//! the less each extra dB of gain adds. So the gain is found by a secant search on
//! `f(gain) = L_out(gain) − target`, which is monotonic (more gain never makes the output
//! quieter) and whose slope lies between 0 (hard limiting) and 1 (no limiting); the first step
//! assumes slope 1, later ones use the slope measured between the last two passes. Each pass
//! renders the whole file through the real plugin binary and measures the dithered samples
//! that will be written, so the reported figures are the file's.

use crate::catalog::Catalog;
use crate::chain::{Setting, StageSpec};
use crate::clip::Clip;
use crate::encode::{quantize, DitherMode, Encoding, Quantized};
use crate::loudness::{integrated_lufs, measure, true_peak_dbtp, LoudnessReport};
use crate::param_text::{find_param, parse_value, split_number};
use crate::pipeline::{resolve_stage, run_stage, Engine, Stage};
use crate::ParamInfo;

/// A loudness target: integrated loudness and true-peak ceiling.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// How the user named it (`spotify`, `-14`).
    pub name: String,
    /// Integrated loudness to reach, LUFS.
    pub lufs: f64,
    /// Highest true peak allowed, dBTP.
    pub ceiling_dbtp: f64,
}

/// The targets known by name: (name, LUFS, dBTP ceiling, what it is).
pub const PRESETS: &[(&str, f64, f64, &str)] = &[
    ("spotify", -14.0, -1.0, "Spotify loudness normalisation"),
    ("apple", -16.0, -1.0, "Apple Music Sound Check"),
    ("youtube", -14.0, -1.0, "YouTube loudness normalisation"),
    ("ebu", -23.0, -1.0, "EBU R 128 broadcast"),
    ("atsc", -24.0, -2.0, "ATSC A/85 broadcast"),
];

/// How close to the target a pass must land to stop searching, in LU.
pub const SEARCH_TOLERANCE_LU: f64 = 0.1;

/// How close a delivered master must be, in LU; further off is an error.
pub const DELIVERY_TOLERANCE_LU: f64 = 0.5;

/// Most render passes per file.
pub const MAX_PASSES: usize = 8;

impl Target {
    /// Parses `spotify`, `apple`, `youtube`, `ebu`, `atsc`, or a loudness such as `-14` or
    /// `-14 LUFS` (ceiling −1 dBTP); `ceiling` (dBTP) replaces the preset's ceiling.
    pub fn parse(text: &str, ceiling: Option<f64>) -> Result<Self, String> {
        let wanted = text.trim().to_lowercase();
        let (lufs, preset_ceiling) =
            if let Some(&(_, lufs, tp, _)) = PRESETS.iter().find(|p| p.0 == wanted) {
                (lufs, tp)
            } else {
                let number = split_number(&wanted)
                    .filter(|(_, unit)| unit.is_empty() || *unit == "lufs" || *unit == "lkfs")
                    .map(|(n, _)| n);
                let names: Vec<&str> = PRESETS.iter().map(|p| p.0).collect();
                let lufs = number.ok_or_else(|| {
                    format!(
                        "unknown loudness target {text:?}; use {} or a loudness in LUFS such \
                         as -14",
                        names.join(", ")
                    )
                })?;
                (lufs, -1.0)
            };
        if !(-70.0..=0.0).contains(&lufs) {
            return Err(format!(
                "loudness target {lufs} LUFS is out of range (-70 .. 0 LUFS)"
            ));
        }
        let ceiling_dbtp = ceiling.unwrap_or(preset_ceiling);
        if !(-30.0..=0.0).contains(&ceiling_dbtp) {
            return Err(format!(
                "ceiling {ceiling_dbtp} dBTP is out of range (-30 .. 0 dBTP)"
            ));
        }
        Ok(Self {
            name: text.trim().to_string(),
            lufs,
            ceiling_dbtp,
        })
    }
}

/// Glasswork Limit, found and checked once, with the user's extra settings for it.
#[derive(Clone)]
pub struct Limiter {
    stage: Stage,
    gain: ParamInfo,
    ceiling: ParamInfo,
    /// Gain parameter range in dB.
    pub gain_range_db: (f64, f64),
}

fn find_named(params: &[ParamInfo], name: &str, plugin: &str) -> Result<ParamInfo, String> {
    find_param(params, name)
        .cloned()
        .map_err(|e| format!("{plugin}: {e}"))
}

impl Limiter {
    /// Finds the limiter (`limit` in `catalog`) and checks `settings` for it (release, lookahead
    /// and so on; gain and ceiling are the mastering's).
    pub fn new(catalog: &Catalog, plugin: &str, settings: &[Setting]) -> Result<Self, String> {
        let stage = resolve_stage(
            catalog,
            &StageSpec {
                plugin: plugin.to_string(),
                settings: settings.to_vec(),
            },
        )?;
        let mut instance = stage.plugin.instantiate()?;
        let params = instance.params();
        let name = stage.plugin.name.clone();
        let gain = find_named(&params, "Gain", &name)?;
        let ceiling = find_named(&params, "Ceiling", &name)?;
        for p in [&gain, &ceiling] {
            if stage.changes.iter().any(|c| c.id == p.id) {
                return Err(format!(
                    "{name}: {:?} is set by the mastering (use --target and --ceiling)",
                    p.name
                ));
            }
        }
        let mut bound = |v: f64| {
            instance
                .value_to_text(gain.id, v)
                .ok()
                .and_then(|t| split_number(&t).map(|(n, _)| n))
        };
        let gain_range_db = match (bound(gain.min), bound(gain.max)) {
            (Some(lo), Some(hi)) if lo < hi => (lo, hi),
            _ => {
                return Err(format!(
                    "{name}: cannot read the range of its Gain parameter"
                ))
            }
        };
        Ok(Self {
            stage,
            gain,
            ceiling,
            gain_range_db,
        })
    }

    /// The plugin's display name.
    pub fn name(&self) -> &str {
        &self.stage.plugin.name
    }

    /// Renders `clip` with the limiter at `gain_db` and `ceiling_db`.
    fn render(
        &self,
        clip: &Clip,
        gain_db: f64,
        ceiling_db: f64,
        engine: &Engine,
        progress: Option<&(dyn Fn(usize) + Sync)>,
    ) -> Result<Clip, String> {
        let mut instance = self.stage.plugin.instantiate()?;
        let name = self.name().to_string();
        let gain = parse_value(&mut instance, &self.gain, &format!("{gain_db:.4}"))
            .map_err(|e| format!("{name}: {e}"))?;
        let ceiling = parse_value(&mut instance, &self.ceiling, &format!("{ceiling_db:.4}"))
            .map_err(|e| format!("{name}: {e}"))?;
        drop(instance);
        let mut stage = self.stage.clone();
        for (param, value) in [(&self.gain, gain), (&self.ceiling, ceiling)] {
            stage.changes.push(crate::ParamChange {
                time: 0,
                id: param.id,
                value,
            });
        }
        Ok(run_stage(&stage, clip, None, engine, progress)?.0)
    }
}

/// How the output is stored: decides the dither that the ceiling must leave room for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delivery {
    /// Sample encoding of the file.
    pub encoding: Encoding,
    /// Dither for integer encodings.
    pub dither: DitherMode,
}

impl Delivery {
    /// How far below the ceiling the limiter aims so that dither cannot push the true peak over
    /// it: twice the ditherer's largest deviation (interpolation between dithered samples can
    /// overshoot a little), relative to the ceiling. 0 for float.
    pub fn dither_margin_db(&self, ceiling_db: f64) -> f64 {
        let (Some(bits), true) = (self.encoding.int_bits(), self.dither != DitherMode::Off) else {
            return match self.encoding.int_bits() {
                // Rounding alone moves a sample by half a step.
                Some(bits) => margin(0.5, bits, ceiling_db),
                None => 0.0,
            };
        };
        let lsb = glass_dsp::dither::max_deviation_lsb(self.dither == DitherMode::Shaped);
        margin(f64::from(lsb), bits, ceiling_db)
    }
}

fn margin(deviation_lsb: f64, bits: u32, ceiling_db: f64) -> f64 {
    let step = 1.0 / f64::from(1u32 << (bits - 1));
    let ceiling = 10f64.powf(ceiling_db / 20.0);
    20.0 * (1.0 + 2.0 * deviation_lsb * step / ceiling).log10()
}

/// One render of the search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pass {
    /// Limiter gain, dB.
    pub gain_db: f64,
    /// Limiter ceiling used, dBTP.
    pub ceiling_db: f64,
    /// Integrated loudness of the result, LUFS.
    pub lufs: f64,
}

/// A finished master.
#[derive(Debug, Clone)]
pub struct Master {
    /// The samples to write.
    pub output: Quantized,
    /// Loudness report of exactly those samples.
    pub report: LoudnessReport,
    /// Integrated loudness of the input (as the limiter sees it), LUFS.
    pub input_lufs: f64,
    /// The limiter gain of the delivered pass, dB.
    pub gain_db: f64,
    /// Every render, in order.
    pub passes: Vec<Pass>,
}

/// Masters `clip` to `target`. `progress` hears about every pass's frames; `on_pass` is told
/// when a pass starts (1-based) so the caller can enlarge its progress bar after the third.
pub fn master_clip(
    clip: &Clip,
    limiter: &Limiter,
    target: &Target,
    delivery: Delivery,
    engine: &Engine,
    progress: Option<&(dyn Fn(usize) + Sync)>,
    on_pass: &dyn Fn(usize),
) -> Result<Master, String> {
    let input = clip
        .with_channels(limiter.stage.input_channels)
        .map_err(|e| format!("{}: {e}", limiter.name()))?;
    let input_lufs = measure(&input).integrated_lufs;
    if !input_lufs.is_finite() {
        return Err(
            "the input is silent (no 400 ms block above -70 LUFS): there is nothing to master"
                .into(),
        );
    }
    let (gain_lo, gain_hi) = limiter.gain_range_db;
    let mut ceiling_db = target.ceiling_dbtp - delivery.dither_margin_db(target.ceiling_dbtp);
    let mut gain_db = (target.lufs - input_lufs).clamp(gain_lo, gain_hi);
    let mut passes: Vec<Pass> = Vec::new();
    // The pass closest to the target so far whose true peak was checked, and whether it is
    // within the search tolerance.
    let mut best: Option<(Quantized, f64)> = None;
    let mut closest: Option<(Quantized, f64, f64)> = None;
    for pass in 1..=MAX_PASSES {
        on_pass(pass);
        let rendered = limiter.render(&input, gain_db, ceiling_db, engine, progress)?;
        let output = quantize(&rendered, delivery.encoding, delivery.dither);
        let lufs = integrated_lufs(&output.clip);
        let error = lufs - target.lufs;
        passes.push(Pass {
            gain_db,
            ceiling_db,
            lufs,
        });
        if error.abs() <= SEARCH_TOLERANCE_LU {
            // The true peak (the costlier measurement) is checked only for a candidate.
            let over = true_peak_dbtp(&output.clip) - target.ceiling_dbtp;
            if over > 0.0 {
                // Not expected of a true-peak limiter, but never deliver it: aim lower, redo.
                ceiling_db -= over + 0.005;
                continue;
            }
            best = Some((output, gain_db));
            break;
        }
        if closest
            .as_ref()
            .is_none_or(|(_, l, _)| (l - target.lufs).abs() > error.abs())
        {
            closest = Some((output, lufs, gain_db));
        }
        // The slope between the latest two passes at the same ceiling (a ceiling change moves
        // the curve); 1 (no limiting) until there are two.
        let slope = passes
            .windows(2)
            .rev()
            .find(|w| {
                w[0].ceiling_db == w[1].ceiling_db && (w[1].gain_db - w[0].gain_db).abs() > 1e-6
            })
            .map_or(1.0, |w| {
                ((w[1].lufs - w[0].lufs) / (w[1].gain_db - w[0].gain_db)).clamp(0.05, 1.0)
            });
        let next = (gain_db - error / slope).clamp(gain_lo, gain_hi);
        if (next - gain_db).abs() < 1e-4 {
            // Pinned at a bound of the gain range: no pass can do better.
            break;
        }
        gain_db = next;
    }
    // Without a pass inside the search tolerance, the closest one may still be deliverable.
    let (output, delivered_gain_db) = match best {
        Some(b) => b,
        None => {
            let (output, _, gain) = closest.ok_or_else(|| {
                format!(
                    "{} could not keep the true peak under {} dBTP",
                    limiter.name(),
                    target.ceiling_dbtp
                )
            })?;
            if true_peak_dbtp(&output.clip) > target.ceiling_dbtp {
                return Err(format!(
                    "{} could not keep the true peak under {} dBTP",
                    limiter.name(),
                    target.ceiling_dbtp
                ));
            }
            (output, gain)
        }
    };
    let report = measure(&output.clip);
    let miss = report.integrated_lufs - target.lufs;
    if miss.abs() > DELIVERY_TOLERANCE_LU {
        let why = if miss < 0.0 && gain_db >= gain_hi - 1e-6 {
            format!(
                "it would need more than the limiter's +{gain_hi} dB of gain (input at \
                 {input_lufs:.1} LUFS)"
            )
        } else if miss > 0.0 && gain_db <= gain_lo + 1e-6 {
            format!(
                "it would need more than the limiter's {gain_lo} dB of attenuation (input at \
                 {input_lufs:.1} LUFS)"
            )
        } else {
            format!(
                "the closest of {} passes reached {:.2} LUFS",
                passes.len(),
                report.integrated_lufs
            )
        };
        return Err(format!(
            "cannot reach {} LUFS with the ceiling at {} dBTP: {why}",
            target.lufs, target.ceiling_dbtp
        ));
    }
    Ok(Master {
        output,
        report,
        input_lufs,
        gain_db: delivered_gain_db,
        passes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_by_name_or_number() {
        let t = Target::parse("Spotify", None).expect("spotify");
        assert_eq!((t.lufs, t.ceiling_dbtp), (-14.0, -1.0));
        let t = Target::parse("apple", Some(-2.0)).expect("apple");
        assert_eq!((t.lufs, t.ceiling_dbtp), (-16.0, -2.0));
        assert_eq!(Target::parse("ebu", None).expect("ebu").lufs, -23.0);
        assert_eq!(Target::parse("-9.5", None).expect("number").lufs, -9.5);
        assert_eq!(Target::parse("-18 LUFS", None).expect("unit").lufs, -18.0);
        let err = Target::parse("spotfy", None).unwrap_err();
        assert!(err.contains("spotify"), "{err}");
        assert!(Target::parse("5", None)
            .unwrap_err()
            .contains("out of range"));
        assert!(Target::parse("-14", Some(3.0))
            .unwrap_err()
            .contains("ceiling"));
    }

    #[test]
    fn dither_margins_cover_the_dither() {
        let d = |encoding, dither| Delivery { encoding, dither }.dither_margin_db(-1.0);
        assert_eq!(d(Encoding::Float32, DitherMode::Tpdf), 0.0);
        // 16-bit TPDF: 2 · 1.5 LSB of 2^-15 against 0.891 is 0.0009 dB.
        let m16 = d(Encoding::Int16, DitherMode::Tpdf);
        assert!((m16 - 0.000_898).abs() < 2e-5, "{m16}");
        assert!(d(Encoding::Int16, DitherMode::Shaped) > m16);
        assert!(d(Encoding::Int24, DitherMode::Tpdf) < m16 / 200.0);
    }
}
