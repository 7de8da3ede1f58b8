//! `glass loudness FILE... [--json] [--plot out.png]`: EBU R 128 reports.

use super::{check_inputs, finish_batch, fixed, json_number};
use crate::batch;
use crate::loudness::{measure_with_curve, LoudnessCurve, LoudnessReport};
use crate::master::Target;
use crate::plot::{write_png, PlotItem};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

#[derive(Args)]
pub(super) struct LoudnessArgs {
    /// Files to measure (WAV, AIFF, FLAC, MP3 or Ogg Vorbis).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Print the figures as JSON (LUFS, LU, dBTP, dBFS, dB, seconds; null where undefined).
    #[arg(long)]
    json: bool,
    /// Draw loudness over time, one panel per file, to this PNG file.
    #[arg(long, value_name = "OUT.png")]
    plot: Option<PathBuf>,
    /// The target drawn in the plot and compared with in the report (name or LUFS).
    #[arg(long, allow_negative_numbers = true, default_value = "spotify")]
    target: String,
    /// Files measured at the same time (0: one per core).
    #[arg(short, long, default_value_t = 0)]
    jobs: usize,
}

fn report_text(name: &str, r: &LoudnessReport, target: &Target) -> String {
    let off = r.integrated_lufs - target.lufs;
    let versus = if off.is_finite() {
        format!("  ({off:+.1} LU from {} {} LUFS)", target.name, target.lufs)
    } else {
        String::new()
    };
    let over = if r.true_peak_dbtp > target.ceiling_dbtp {
        format!("  (over the {} dBTP ceiling)", target.ceiling_dbtp)
    } else {
        String::new()
    };
    [
        name.to_string(),
        format!(
            "  integrated       {:>7} LUFS{versus}",
            fixed(r.integrated_lufs, 1)
        ),
        format!(
            "  short-term max   {:>7} LUFS",
            fixed(r.short_term_max_lufs, 1)
        ),
        format!(
            "  momentary max    {:>7} LUFS",
            fixed(r.momentary_max_lufs, 1)
        ),
        format!("  loudness range   {:>7} LU", fixed(r.loudness_range_lu, 1)),
        format!(
            "  true peak        {:>7} dBTP{over}",
            fixed(r.true_peak_dbtp, 2)
        ),
        format!(
            "  sample peak      {:>7} dBFS",
            fixed(r.sample_peak_dbfs, 2)
        ),
        format!("  PLR              {:>7} dB", fixed(r.plr_db, 1)),
        format!("  duration         {:>7} s", fixed(r.duration_s, 2)),
    ]
    .join("\n")
}

fn report_json(name: &str, r: &LoudnessReport) -> serde_json::Value {
    json!({
        "file": name,
        "integrated_lufs": json_number(r.integrated_lufs),
        "short_term_max_lufs": json_number(r.short_term_max_lufs),
        "momentary_max_lufs": json_number(r.momentary_max_lufs),
        "loudness_range_lu": json_number(r.loudness_range_lu),
        "true_peak_dbtp": json_number(r.true_peak_dbtp),
        "sample_peak_dbfs": json_number(r.sample_peak_dbfs),
        "plr_db": json_number(r.plr_db),
        "duration_s": json_number(r.duration_s),
    })
}

pub(super) fn run(args: &LoudnessArgs) -> Result<(), String> {
    let target = Target::parse(&args.target, None)?;
    if let Some(plot) = &args.plot {
        if !plot
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"))
        {
            return Err(format!("{}: the plot must be a .png file", plot.display()));
        }
        if let Some(dir) = plot.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(format!(
                    "cannot write {}: the directory {} does not exist",
                    plot.display(),
                    dir.display()
                ));
            }
        }
    }
    check_inputs(&args.inputs)?;
    let results = batch::map(&args.inputs, args.jobs, |_, input| {
        let decoded = crate::decode::read(input)?;
        Ok(measure_with_curve(&decoded.clip))
    });
    let mut measured: Vec<(String, LoudnessReport, LoudnessCurve)> = Vec::new();
    let outcome = finish_batch(&args.inputs, results, |i, (report, curve)| {
        measured.push((args.inputs[i].display().to_string(), report, curve));
    });
    if args.json {
        let list: Vec<_> = measured
            .iter()
            .map(|(name, r, _)| report_json(name, r))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
    } else {
        let texts: Vec<String> = measured
            .iter()
            .map(|(name, r, _)| report_text(name, r, &target))
            .collect();
        println!("{}", texts.join("\n\n"));
    }
    outcome?;
    if let Some(plot) = &args.plot {
        let items: Vec<PlotItem<'_>> = measured
            .iter()
            .map(|(name, report, curve)| PlotItem {
                title: PathBuf::from(name)
                    .file_name()
                    .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned()),
                report,
                curve,
            })
            .collect();
        write_png(plot, &items, target.lufs)?;
        if !args.json {
            println!("\nplot: {}", plot.display());
        }
    }
    Ok(())
}
