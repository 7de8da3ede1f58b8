//! Whole-signal rendering through a plugin: block slicing, timed parameter changes, latency
//! compensation and tails.

use crate::audio::{AudioThread, ParamChange, Tail};
use crate::error::HostError;
use crate::plugin::Plugin;
use crate::rng::Rng;

/// How a signal is cut into host blocks.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockPlan {
    /// Every block has this many samples (the last one may be shorter).
    Fixed(usize),
    /// These sizes, repeated in order; zeros make empty `process()` calls. Must contain a
    /// non-zero size.
    Sequence(Vec<usize>),
    /// Sizes drawn uniformly from `[min, max]` with a seeded [`Rng`].
    Random {
        /// Seed of the size sequence.
        seed: u64,
        /// Smallest size, >= 1.
        min: usize,
        /// Largest size, >= `min`.
        max: usize,
    },
}

/// Infinite iterator over the block sizes of a [`BlockPlan`].
#[derive(Debug, Clone)]
pub struct BlockSizes {
    plan: BlockPlan,
    index: usize,
    rng: Rng,
}

impl Iterator for BlockSizes {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let size = match &self.plan {
            BlockPlan::Fixed(n) => *n,
            BlockPlan::Sequence(sizes) => sizes[self.index % sizes.len()],
            BlockPlan::Random { min, max, .. } => self.rng.range(*min, *max),
        };
        self.index += 1;
        Some(size)
    }
}

impl BlockPlan {
    /// The sizes this plan produces, from the start.
    pub fn sizes(&self) -> BlockSizes {
        let seed = match self {
            Self::Random { seed, .. } => *seed,
            _ => 0,
        };
        BlockSizes {
            plan: self.clone(),
            index: 0,
            rng: Rng::new(seed),
        }
    }

    fn validate(&self) -> Result<(), HostError> {
        let ok = match self {
            Self::Fixed(n) => *n > 0,
            Self::Sequence(sizes) => sizes.iter().any(|&n| n > 0),
            Self::Random { min, max, .. } => *min > 0 && min <= max,
        };
        if ok {
            Ok(())
        } else {
            Err(HostError::Buffers(format!(
                "block plan {self:?} never advances"
            )))
        }
    }
}

fn check_input(plugin: &Plugin, input: &[Vec<f32>]) -> Result<usize, HostError> {
    let channels = plugin.layout().main_input_channels();
    if input.len() != channels {
        return Err(HostError::Buffers(format!(
            "{} input channels given, {} has {channels}",
            input.len(),
            plugin.description().name
        )));
    }
    let frames = input.first().map_or(0, Vec::len);
    if input.iter().any(|c| c.len() != frames) {
        return Err(HostError::Buffers("input channels differ in length".into()));
    }
    Ok(frames)
}

/// Output vectors allocated up front, so the audio thread only appends (`vec![v; n]` would
/// clone away the capacity).
fn channels_with_capacity(channels: usize, capacity: usize) -> Vec<Vec<f32>> {
    (0..channels)
        .map(|_| Vec::with_capacity(capacity))
        .collect()
}

fn sorted(events: &[ParamChange]) -> Vec<ParamChange> {
    let mut events = events.to_vec();
    events.sort_by_key(|e| e.time);
    events
}

/// What [`render_compensated_with`] adds to a plain render: what a host playing a song provides.
#[derive(Clone, Copy, Default)]
pub struct RenderOptions<'a> {
    /// Tempo of a playing transport sent with every block (see [`AudioThread::set_tempo`]);
    /// `None` sends no transport.
    pub tempo_bpm: Option<f64>,
    /// Signal for the plugin's first auxiliary input (a sidechain), one vector per channel of
    /// that port, from the first input sample on; silence where shorter. Empty: unconnected.
    pub aux: &'a [Vec<f32>],
    /// Called with the number of input frames after each block of the input is processed (not
    /// for latency and tail), from the audio thread.
    pub progress: Option<&'a (dyn Fn(usize) + Sync)>,
}

/// The main and auxiliary inputs of one session and what to report.
struct Feed<'a> {
    input: &'a [Vec<f32>],
    aux: &'a [Vec<f32>],
    progress: Option<&'a (dyn Fn(usize) + Sync)>,
}

impl<'a> Feed<'a> {
    fn main(input: &'a [Vec<f32>]) -> Self {
        Self {
            input,
            aux: &[],
            progress: None,
        }
    }
}

fn copy_padded(dst: &mut [f32], src: &[f32], start: usize, n: usize) {
    let from = start.min(src.len());
    let to = (start + n).min(src.len());
    dst[..to - from].copy_from_slice(&src[from..to]);
    dst[to - from..n].fill(0.0);
}

/// A note the plugin sent on its note output during a render.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedNote {
    /// Sample position: from the session start in [`render`]; lined up with the input (latency
    /// removed, at least 0) in [`render_compensated`].
    pub frame: u64,
    /// MIDI key, 0..=127.
    pub key: u8,
    /// MIDI channel, 0..=15.
    pub channel: u8,
    /// Velocity, 0..=1.
    pub velocity: f64,
    /// Note on (`true`) or off.
    pub on: bool,
}

/// Processes `frames` samples of `feed` from the session's current position (silence where
/// its signals are shorter or absent), appending the main output to `output` and the notes
/// the plugin sends to `notes`; `events` hold absolute times from the session start and must
/// be sorted.
fn process_span(
    audio: &mut AudioThread<'_>,
    feed: &Feed<'_>,
    frames: usize,
    sizes: &mut BlockSizes,
    events: &[ParamChange],
    output: &mut [Vec<f32>],
    notes: &mut Vec<TimedNote>,
) -> Result<(), HostError> {
    let input = feed.input;
    let with_aux = !feed.aux.is_empty() && audio.aux_input_channels() > 0;
    let max = audio.config().max_frames as usize;
    let end = audio.position() + frames as u64;
    let mut next_event = events.partition_point(|e| e.time < audio.position());
    while audio.position() < end {
        let start = audio.position();
        let n = sizes
            .next()
            .unwrap_or(max)
            .min(max)
            .min((end - start) as usize);
        for ch in 0..audio.input_channels() {
            let src = input.get(ch).map_or(&[][..], Vec::as_slice);
            if let Some(dst) = audio.input_mut(ch) {
                copy_padded(dst, src, start as usize, n);
            }
        }
        if with_aux {
            for ch in 0..audio.aux_input_channels() {
                let src = feed.aux.get(ch).map_or(&[][..], Vec::as_slice);
                if let Some(dst) = audio.aux_input_mut(ch) {
                    copy_padded(dst, src, start as usize, n);
                }
            }
        }
        let block_end = start + n as u64;
        let last = next_event + events[next_event..].partition_point(|e| e.time < block_end);
        let block_events = events[next_event..last].iter().map(|e| ParamChange {
            time: e.time - start,
            ..*e
        });
        if with_aux {
            audio.process_frames_with_aux(n, block_events)?;
        } else {
            audio.process_frames(n, block_events)?;
        }
        next_event = last;
        notes.extend(audio.notes_out().iter().map(|n| TimedNote {
            frame: start + u64::from(n.time),
            key: n.key,
            channel: n.channel,
            velocity: n.velocity,
            on: n.on,
        }));
        if let Some(progress) = feed.progress {
            progress(n);
        }
        for (ch, dst) in output.iter_mut().enumerate() {
            if let Some(src) = audio.output(ch) {
                dst.extend_from_slice(&src[..n]);
            }
        }
    }
    Ok(())
}

/// Runs one processing session over `input` (one vector per main-input channel, equal lengths)
/// and returns the main output, sample for sample (not latency compensated).
///
/// `events` carry absolute sample times; they are delivered in the block that contains them.
/// The plugin must be active; block sizes are capped at its `max_frames`.
pub fn render(
    plugin: &mut Plugin,
    input: &[Vec<f32>],
    plan: &BlockPlan,
    events: &[ParamChange],
) -> Result<Vec<Vec<f32>>, HostError> {
    plan.validate()?;
    let frames = check_input(plugin, input)?;
    let events = sorted(events);
    let mut output = channels_with_capacity(plugin.layout().main_output_channels(), frames);
    let mut sizes = plan.sizes();
    let feed = Feed::main(input);
    let mut notes = Vec::new();
    plugin.run(|audio| {
        process_span(
            audio,
            &feed,
            frames,
            &mut sizes,
            &events,
            &mut output,
            &mut notes,
        )
    })??;
    Ok(output)
}

/// Output of [`render_compensated`].
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Main output, latency removed: sample `i` lines up with input sample `i`; the input length
    /// plus `tail_frames` long.
    pub output: Vec<Vec<f32>>,
    /// Latency the plugin reported, in samples (removed from the front).
    pub latency: u32,
    /// Tail the plugin reported after the last input sample.
    pub tail: Tail,
    /// Samples rendered after the input's end.
    pub tail_frames: usize,
    /// Notes the plugin sent on its note output, in order, lined up with the input.
    pub notes: Vec<TimedNote>,
}

/// Quiet threshold for ending an infinite tail: -120 dBFS.
const QUIET: f32 = 1e-6;

/// Like [`render`], then keeps feeding silence for the plugin's latency plus its tail, and
/// drops the first `latency` output samples so the result lines up with the input.
///
/// A finite tail is rendered in full (capped at `max_tail_frames`); an infinite one until every
/// channel stayed below -120 dBFS for 100 ms, or `max_tail_frames`.
pub fn render_compensated(
    plugin: &mut Plugin,
    input: &[Vec<f32>],
    plan: &BlockPlan,
    events: &[ParamChange],
    max_tail_frames: usize,
) -> Result<Rendered, HostError> {
    render_compensated_with(
        plugin,
        input,
        plan,
        events,
        max_tail_frames,
        &RenderOptions::default(),
    )
}

/// [`render_compensated`] with a transport tempo, a sidechain signal and progress reports.
pub fn render_compensated_with(
    plugin: &mut Plugin,
    input: &[Vec<f32>],
    plan: &BlockPlan,
    events: &[ParamChange],
    max_tail_frames: usize,
    options: &RenderOptions<'_>,
) -> Result<Rendered, HostError> {
    plan.validate()?;
    let frames = check_input(plugin, input)?;
    let events = sorted(events);
    let latency = plugin.latency();
    let config = plugin.config().ok_or(HostError::NotActive)?;
    let quiet_run = (config.sample_rate * 0.1).ceil() as usize;
    let capacity = frames + latency as usize + max_tail_frames;
    let mut output = channels_with_capacity(plugin.layout().main_output_channels(), capacity);
    let mut sizes = plan.sizes();
    let feed = Feed {
        input,
        aux: options.aux,
        progress: options.progress,
    };
    // After the input: silence on the main input, the rest of the sidechain (it may be longer
    // than the input and still drive the plugin during the tail), no progress reports.
    let after = Feed {
        input: &[],
        aux: options.aux,
        progress: None,
    };
    let mut notes = Vec::new();
    let (tail, tail_frames) = plugin.run(|audio| -> Result<(Tail, usize), HostError> {
        audio.set_tempo(options.tempo_bpm);
        process_span(
            audio,
            &feed,
            frames,
            &mut sizes,
            &events,
            &mut output,
            &mut notes,
        )?;
        let tail = audio.tail();
        process_span(
            audio,
            &after,
            latency as usize,
            &mut sizes,
            &events,
            &mut output,
            &mut notes,
        )?;
        let mut tail_frames = 0;
        match tail {
            Tail::Finite(n) => {
                tail_frames = (n as usize).min(max_tail_frames);
                process_span(
                    audio,
                    &after,
                    tail_frames,
                    &mut sizes,
                    &events,
                    &mut output,
                    &mut notes,
                )?;
            }
            Tail::Infinite => {
                let mut quiet = 0;
                while tail_frames < max_tail_frames && quiet < quiet_run {
                    let block = (config.max_frames as usize).min(max_tail_frames - tail_frames);
                    let before = output.first().map_or(0, Vec::len);
                    process_span(
                        audio,
                        &after,
                        block,
                        &mut sizes,
                        &events,
                        &mut output,
                        &mut notes,
                    )?;
                    for i in before..before + block {
                        if output.iter().all(|c| c[i].abs() < QUIET) {
                            quiet += 1;
                        } else {
                            quiet = 0;
                        }
                    }
                    tail_frames += block;
                }
                // Drop the silent stretch that ended the tail.
                tail_frames -= quiet.min(tail_frames);
            }
        }
        Ok((tail, tail_frames))
    })??;
    for channel in &mut output {
        channel.truncate(latency as usize + frames + tail_frames);
        channel.drain(..latency as usize);
    }
    for n in &mut notes {
        n.frame = n.frame.saturating_sub(u64::from(latency));
    }
    Ok(Rendered {
        output,
        latency,
        tail,
        tail_frames,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_plans_produce_their_sizes() {
        let fixed: Vec<usize> = BlockPlan::Fixed(64).sizes().take(3).collect();
        assert_eq!(fixed, [64, 64, 64]);
        let seq: Vec<usize> = BlockPlan::Sequence(vec![0, 5, 7]).sizes().take(5).collect();
        assert_eq!(seq, [0, 5, 7, 0, 5]);
        let plan = BlockPlan::Random {
            seed: 9,
            min: 1,
            max: 4096,
        };
        let a: Vec<usize> = plan.sizes().take(1000).collect();
        assert!(a.iter().all(|&n| (1..=4096).contains(&n)));
        assert_eq!(a, plan.sizes().take(1000).collect::<Vec<_>>());
    }

    #[test]
    fn plans_that_never_advance_are_rejected() {
        assert!(BlockPlan::Fixed(0).validate().is_err());
        assert!(BlockPlan::Sequence(vec![0, 0]).validate().is_err());
        assert!(BlockPlan::Random {
            seed: 0,
            min: 5,
            max: 4
        }
        .validate()
        .is_err());
        assert!(BlockPlan::Sequence(vec![0, 1]).validate().is_ok());
    }
}
