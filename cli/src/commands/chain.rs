//! `glass chain "a(...) | b(...)" IN... -o DIR`: files through a chain of plugins.

use super::{
    check_inputs, finish_batch, load, warn_clipped, BatchArgs, EngineArgs, OutputArgs, PluginPaths,
};
use crate::atomic::prepare_output_dir;
use crate::batch;
use crate::chain::parse_chain;
use crate::encode::{self, quantize};
use crate::pipeline::{catalog_for, resolve_stage, run_chain, Stage};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub(super) struct ChainArgs {
    /// The chain: stages `plugin(NAME=VALUE, @preset.json, ...)` joined by `|`, or
    /// `@chain.json`.
    chain: String,
    /// Input files (WAV, AIFF, FLAC, MP3 or Ogg Vorbis).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    batch: BatchArgs,
    #[command(flatten)]
    paths: PluginPaths,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    out: OutputArgs,
}

/// Resolves every stage of `text` (plugins found, settings checked).
pub(super) fn resolve_chain(text: &str, paths: &[PathBuf]) -> Result<Vec<Stage>, String> {
    let specs = parse_chain(text)?;
    let names: Vec<&str> = specs.iter().map(|s| s.plugin.as_str()).collect();
    let catalog = catalog_for(&names, paths);
    specs.iter().map(|s| resolve_stage(&catalog, s)).collect()
}

pub(super) fn run(args: &ChainArgs) -> Result<(), String> {
    let engine = args.engine.engine()?;
    let stages = resolve_chain(&args.chain, &args.paths.paths)?;
    let container = args.batch.container();
    let outputs = args.batch.output_paths(&args.inputs)?;
    check_inputs(&args.inputs)?;
    // Encodings are decided (and FLAC/float conflicts refused) before any work.
    let encodings = args
        .inputs
        .iter()
        .map(|p| args.out.encoding(&crate::decode::probe(p)?, container))
        .collect::<Result<Vec<_>, _>>()?;
    prepare_output_dir(&args.batch.output)?;

    let progress = args.batch.progress("chain");
    let names: Vec<String> = stages.iter().map(|s| s.plugin.name.clone()).collect();
    let results = batch::map(&args.inputs, args.batch.jobs, |i, input| {
        let decoded = load(input, args.out.rate)?;
        let clip = decoded.clip;
        progress.add_work(clip.frames() * stages.len(), clip.sample_rate);
        progress.set_message(input.display().to_string());
        let tracker = progress.tracker(clip.sample_rate);
        let advance = |n: usize| tracker.advance(n);
        let output = run_chain(&stages, &clip, &engine, Some(&advance))?;
        let quantized = quantize(&output, encodings[i], args.out.dither());
        encode::write(&outputs[i], &quantized, container, &decoded.tags)?;
        Ok((quantized.clipped, output.seconds()))
    });
    progress.finish();
    finish_batch(&args.inputs, results, |i, (clipped, seconds)| {
        warn_clipped(&outputs[i], clipped);
        println!(
            "{} -> {} ({seconds:.2} s) through {}",
            args.inputs[i].display(),
            outputs[i].display(),
            names.join(" | ")
        );
    })
}
