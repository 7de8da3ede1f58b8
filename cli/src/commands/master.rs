//! `glass master IN... -o DIR --target spotify`: loudness-targeted masters.

use super::chain::resolve_chain;
use super::{
    check_inputs, finish_batch, fixed, json_number, load, settings, warn_clipped, BatchArgs,
    EngineArgs, OutputArgs, PluginPaths,
};
use crate::atomic::prepare_output_dir;
use crate::batch;
use crate::clip::Clip;
use crate::encode::{self, Container};
use crate::master::{master_clip, Delivery, Limiter, Master, Target, MAX_PASSES};
use crate::pipeline::{catalog_for, run_chain, Engine, Stage};
use crate::progress::Progress;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

/// What mastering needs besides the files: shared by `master` and `album`.
#[derive(Args, Clone)]
pub(super) struct MasterOptions {
    /// Loudness target: spotify (-14 LUFS), apple (-16), youtube (-14), ebu (-23), atsc (-24,
    /// -2 dBTP) or a loudness in LUFS such as -14.
    #[arg(
        long,
        value_name = "TARGET",
        allow_negative_numbers = true,
        default_value = "spotify"
    )]
    target: String,
    /// True-peak ceiling in dBTP (default: the target's, -1 for most).
    #[arg(long, value_name = "DBTP", allow_negative_numbers = true)]
    ceiling: Option<f64>,
    /// Plugins to run before the limiter, in `glass chain` syntax ("eq(...) | comp(...)").
    #[arg(long = "chain", value_name = "CHAIN")]
    pre_chain: Option<String>,
    /// Set a parameter of the limiter (release, lookahead, ...); repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// The limiter plugin.
    #[arg(long, default_value = "limit", value_name = "PLUGIN")]
    limiter: String,
}

/// Everything resolved and checked before the first file is touched.
pub(super) struct Mastering {
    pub(super) target: Target,
    pub(super) limiter: Limiter,
    pub(super) pre: Vec<Stage>,
    pub(super) engine: Engine,
}

impl MasterOptions {
    pub(super) fn resolve(
        &self,
        paths: &PluginPaths,
        engine: &EngineArgs,
    ) -> Result<Mastering, String> {
        let target = Target::parse(&self.target, self.ceiling)?;
        let catalog = catalog_for(&[&self.limiter], &paths.paths);
        let limiter = Limiter::new(&catalog, &self.limiter, &settings(&self.set)?)?;
        let pre = match &self.pre_chain {
            Some(text) => resolve_chain(text, &paths.paths)?,
            None => Vec::new(),
        };
        Ok(Mastering {
            target,
            limiter,
            pre,
            engine: engine.engine()?,
        })
    }
}

impl Mastering {
    /// Runs the pre-chain and the limiter search on `clip`, reporting to `progress`.
    pub(super) fn master(
        &self,
        clip: &Clip,
        delivery: Delivery,
        progress: &Progress,
        label: &str,
    ) -> Result<Master, String> {
        let rate = clip.sample_rate;
        // Expect the pre-chain once and three limiter passes; more passes grow the bar.
        progress.add_work(clip.frames() * (self.pre.len() + 3), rate);
        let tracker = progress.tracker(rate);
        let advance = |n: usize| tracker.advance(n);
        progress.set_message(label.to_string());
        let input = run_chain(&self.pre, clip, &self.engine, Some(&advance))?;
        let on_pass = |pass: usize| {
            if pass > 3 {
                progress.add_work(input.frames(), rate);
            }
            progress.set_message(format!("{label} (pass {pass} of at most {MAX_PASSES})"));
        };
        let master = master_clip(
            &input,
            &self.limiter,
            &self.target,
            delivery,
            &self.engine,
            Some(&advance),
            &on_pass,
        )?;
        let unused = 3usize.saturating_sub(master.passes.len());
        progress.skip(input.frames() * unused, rate);
        Ok(master)
    }
}

#[derive(Args)]
pub(super) struct MasterArgs {
    /// Input files (WAV, AIFF, FLAC, MP3 or Ogg Vorbis).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    options: MasterOptions,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    batch: BatchArgs,
    #[command(flatten)]
    paths: PluginPaths,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    out: OutputArgs,
}

/// The summary line and JSON object of one master.
pub(super) fn describe(
    input: &str,
    output: &str,
    m: &Master,
    target: &Target,
) -> (String, serde_json::Value) {
    let r = &m.report;
    let gain = m.gain_db;
    let line = format!(
        "{input} -> {output}: {} LUFS in, limiter gain {} dB, {} LUFS out (target {}), true \
         peak {} dBTP (ceiling {}), LRA {} LU, {} pass(es)",
        fixed(m.input_lufs, 2),
        fixed(gain, 2),
        fixed(r.integrated_lufs, 2),
        target.lufs,
        fixed(r.true_peak_dbtp, 2),
        target.ceiling_dbtp,
        fixed(r.loudness_range_lu, 1),
        m.passes.len()
    );
    let value = json!({
        "input": input,
        "output": output,
        "input_lufs": json_number(m.input_lufs),
        "gain_db": json_number(gain),
        "integrated_lufs": json_number(r.integrated_lufs),
        "true_peak_dbtp": json_number(r.true_peak_dbtp),
        "loudness_range_lu": json_number(r.loudness_range_lu),
        "short_term_max_lufs": json_number(r.short_term_max_lufs),
        "momentary_max_lufs": json_number(r.momentary_max_lufs),
        "target_lufs": target.lufs,
        "ceiling_dbtp": target.ceiling_dbtp,
        "passes": m.passes.len(),
        "search": m.passes.iter().map(|p| json!({
            "gain_db": json_number(p.gain_db),
            "ceiling_db": json_number(p.ceiling_db),
            "integrated_lufs": json_number(p.lufs),
        })).collect::<Vec<_>>(),
    });
    (line, value)
}

pub(super) fn run(args: &MasterArgs) -> Result<(), String> {
    let mastering = args.options.resolve(&args.paths, &args.engine)?;
    let container: Container = args.batch.container();
    let outputs = args.batch.output_paths(&args.inputs)?;
    check_inputs(&args.inputs)?;
    let encodings = args
        .inputs
        .iter()
        .map(|p| args.out.encoding(&crate::decode::probe(p)?, container))
        .collect::<Result<Vec<_>, _>>()?;
    prepare_output_dir(&args.batch.output)?;

    let progress = args.batch.progress("master");
    let results = batch::map(&args.inputs, args.batch.jobs, |i, input| {
        let decoded = load(input, args.out.rate)?;
        let delivery = Delivery {
            encoding: encodings[i],
            dither: args.out.dither(),
        };
        let label = input.display().to_string();
        let master = mastering.master(&decoded.clip, delivery, &progress, &label)?;
        encode::write(&outputs[i], &master.output, container, &decoded.tags)?;
        Ok(master)
    });
    progress.finish();
    let mut json = Vec::new();
    let result = finish_batch(&args.inputs, results, |i, master| {
        warn_clipped(&outputs[i], master.output.clipped);
        let (line, value) = describe(
            &args.inputs[i].display().to_string(),
            &outputs[i].display().to_string(),
            &master,
            &mastering.target,
        );
        if args.json {
            json.push(value);
        } else {
            println!("{line}");
        }
    });
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    }
    result
}
