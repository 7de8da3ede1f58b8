//! The audio-thread side: preallocated buffers and the `process()` call.

use crate::error::HostError;
use crate::host::GlassHost;
use crate::plugin::{AudioConfig, AudioLayout};
use clack_extensions::tail::PluginTail;
use clack_host::events::event_types::{
    NoteOffEvent, NoteOnEvent, ParamValueEvent, TransportEvent, TransportFlags,
};
use clack_host::events::{EventFlags, EventHeader};
use clack_host::prelude::*;
use clack_host::utils::{BeatTime, SecondsTime};

pub use clack_extensions::tail::TailLength as Tail;
pub use clack_host::process::ProcessStatus;

/// A parameter change sent to the plugin as a `CLAP_EVENT_PARAM_VALUE` event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamChange {
    /// Sample position. Relative to the block start in [`AudioThread::process`], absolute (from
    /// the first sample of the signal) in [`crate::render`].
    pub time: u64,
    /// CLAP parameter id.
    pub id: u32,
    /// New plain value, in the parameter's `[min, max]`.
    pub value: f64,
}

/// A MIDI-style note on or off between the host and a plugin's note ports
/// (`CLAP_EVENT_NOTE_ON` / `CLAP_EVENT_NOTE_OFF`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoteMessage {
    /// Sample position relative to the block start.
    pub time: u32,
    /// MIDI key, 0..=127.
    pub key: u8,
    /// MIDI channel, 0..=15.
    pub channel: u8,
    /// Velocity, 0..=1 (note-off: release velocity).
    pub velocity: f64,
    /// Note on (`true`) or off.
    pub on: bool,
}

/// Note events per block we reserve room for, each way.
const NOTE_CAPACITY: usize = 256;

/// Events per block we reserve room for; more still work but make the host allocate.
const EVENT_CAPACITY: usize = 4096;

/// Buffers sized once per activation, so processing never allocates on the host side either.
pub(crate) struct AudioIo {
    max_frames: usize,
    inputs: Vec<Vec<Vec<f32>>>,
    outputs: Vec<Vec<Vec<f32>>>,
    main_input: Option<usize>,
    main_output: Option<usize>,
    input_ports: AudioPorts,
    output_ports: AudioPorts,
    in_events: EventBuffer,
    out_events: EventBuffer,
    /// Notes to send with the next block, and those the last block sent.
    notes_in: Vec<NoteMessage>,
    notes_out: Vec<NoteMessage>,
}

impl AudioIo {
    pub(crate) fn new(layout: &AudioLayout, max_frames: usize) -> Self {
        let alloc = |ports: &[crate::plugin::AudioPortInfo]| -> Vec<Vec<Vec<f32>>> {
            ports
                .iter()
                .map(|p| vec![vec![0.0; max_frames]; p.channels as usize])
                .collect()
        };
        let channels = |ports: &[crate::plugin::AudioPortInfo]| {
            ports.iter().map(|p| p.channels as usize).sum()
        };
        // Exact capacities matter: clack-host 0.2.0 re-derives the per-port channel pointers
        // wrongly when its pointer list has to grow while several ports are being set up.
        Self {
            max_frames,
            inputs: alloc(&layout.inputs),
            outputs: alloc(&layout.outputs),
            main_input: layout.main_input(),
            main_output: layout.main_output(),
            input_ports: AudioPorts::with_capacity(channels(&layout.inputs), layout.inputs.len()),
            output_ports: AudioPorts::with_capacity(
                channels(&layout.outputs),
                layout.outputs.len(),
            ),
            in_events: EventBuffer::with_capacity(EVENT_CAPACITY),
            out_events: EventBuffer::with_capacity(EVENT_CAPACITY),
            notes_in: Vec::with_capacity(NOTE_CAPACITY),
            notes_out: Vec::with_capacity(NOTE_CAPACITY),
        }
    }
}

/// A running processing session (`start_processing()` done) on the audio thread.
///
/// Obtained inside [`crate::Plugin::run`]. All methods are allocation-free.
pub struct AudioThread<'a> {
    pub(crate) processor: StartedPluginAudioProcessor<GlassHost>,
    pub(crate) io: &'a mut AudioIo,
    pub(crate) tail_ext: Option<PluginTail>,
    pub(crate) config: AudioConfig,
    pub(crate) steady_time: u64,
    /// [`AudioThread::process_with_aux`] has filled the auxiliary inputs for this block.
    pub(crate) aux_filled: bool,
    /// Tempo sent with every block as a playing transport; `None` sends no transport.
    pub(crate) tempo_bpm: Option<f64>,
}

impl AudioThread<'_> {
    /// The activation this session runs under.
    pub fn config(&self) -> AudioConfig {
        self.config
    }

    /// Channels of the main input port (0 if the plugin has no audio input).
    pub fn input_channels(&self) -> usize {
        self.io.main_input.map_or(0, |p| self.io.inputs[p].len())
    }

    /// Channels of the main output port (0 if the plugin has no audio output).
    pub fn output_channels(&self) -> usize {
        self.io.main_output.map_or(0, |p| self.io.outputs[p].len())
    }

    /// From the next block on, send a playing transport at `tempo_bpm` (beats per minute, the
    /// song position following the samples processed) with every `process()` call, as a host
    /// playing a song does; `None` (the default) sends no transport at all.
    pub fn set_tempo(&mut self, tempo_bpm: Option<f64>) {
        self.tempo_bpm = tempo_bpm;
    }

    /// The transport event for the next block, if a tempo is set.
    fn transport(&self) -> Option<TransportEvent> {
        let tempo = self.tempo_bpm?;
        let seconds = self.steady_time as f64 / self.config.sample_rate;
        Some(TransportEvent {
            header: EventHeader::new_core(0, EventFlags::empty()),
            flags: TransportFlags::HAS_TEMPO
                | TransportFlags::HAS_BEATS_TIMELINE
                | TransportFlags::HAS_SECONDS_TIMELINE
                | TransportFlags::IS_PLAYING,
            song_pos_beats: BeatTime::from_float(seconds * tempo / 60.0),
            song_pos_seconds: SecondsTime::from_float(seconds),
            tempo,
            tempo_inc: 0.0,
            loop_start_beats: BeatTime::from_int(0),
            loop_end_beats: BeatTime::from_int(0),
            loop_start_seconds: SecondsTime::from_int(0),
            loop_end_seconds: SecondsTime::from_int(0),
            bar_start: BeatTime::from_int(0),
            bar_number: 0,
            time_signature_numerator: 4,
            time_signature_denominator: 4,
        })
    }

    /// Note events to send to the plugin's note input with the next block (block-relative
    /// times, sorted, below that block's length), replacing any queued before. Without a
    /// call, blocks carry no notes. Allocation-free up to 256 notes.
    pub fn queue_notes(&mut self, notes: &[NoteMessage]) {
        self.io.notes_in.clear();
        self.io.notes_in.extend_from_slice(notes);
    }

    /// The note events the plugin sent on its note output during the last block, in order.
    pub fn notes_out(&self) -> &[NoteMessage] {
        &self.io.notes_out
    }

    /// Samples processed in this session so far (the `steady_time` of the next block).
    pub fn position(&self) -> u64 {
        self.steady_time
    }

    /// The plugin's current tail (`clap_plugin_tail.get`); `Finite(0)` without the extension.
    pub fn tail(&mut self) -> Tail {
        match self.tail_ext {
            Some(ext) => ext.get(&self.processor.plugin_handle()),
            None => Tail::Finite(0),
        }
    }

    /// Processes one block: copies `input` (one slice per main-input channel, all of the same
    /// length, at most `max_frames`) into the plugin, sends `events` (block-relative times,
    /// sorted, below the block length; time 0 for an empty block) and copies the main output
    /// into `output` (one slice per main-output channel, at least as long as the input).
    ///
    /// The plugin's output buffers are filled with NaN before the call, so a plugin that leaves
    /// samples unwritten shows up as non-finite output instead of stale audio.
    pub fn process(
        &mut self,
        input: &[&[f32]],
        output: &mut [&mut [f32]],
        events: impl IntoIterator<Item = ParamChange>,
    ) -> Result<ProcessStatus, HostError> {
        let frames = match (input.first(), output.first()) {
            (Some(i), _) => i.len(),
            (None, Some(o)) => o.len(),
            (None, None) => 0,
        };
        if input.len() != self.input_channels() {
            return Err(HostError::Buffers(format!(
                "{} input channels given, the plugin's main input has {}",
                input.len(),
                self.input_channels()
            )));
        }
        if output.len() != self.output_channels() {
            return Err(HostError::Buffers(format!(
                "{} output channels given, the plugin's main output has {}",
                output.len(),
                self.output_channels()
            )));
        }
        if frames > self.io.max_frames
            || input.iter().any(|c| c.len() != frames)
            || output.iter().any(|c| c.len() < frames)
        {
            return Err(HostError::Buffers(format!(
                "block of {frames} frames: channel lengths differ or exceed the maximum {}",
                self.io.max_frames
            )));
        }
        if let Some(port) = self.io.main_input {
            for (dst, src) in self.io.inputs[port].iter_mut().zip(input) {
                dst[..frames].copy_from_slice(src);
            }
        }
        let status = self.process_frames(frames, events)?;
        if let Some(port) = self.io.main_output {
            for (dst, src) in output.iter_mut().zip(&self.io.outputs[port]) {
                dst[..frames].copy_from_slice(&src[..frames]);
            }
        }
        Ok(status)
    }

    /// Channels of the first auxiliary (non-main) input port, such as a sidechain; 0 without one.
    pub fn aux_input_channels(&self) -> usize {
        self.aux_input_port().map_or(0, |p| self.io.inputs[p].len())
    }

    fn aux_input_port(&self) -> Option<usize> {
        (0..self.io.inputs.len()).find(|&p| Some(p) != self.io.main_input)
    }

    /// Like [`Self::process`], with `aux` routed to the first auxiliary input port (a host's
    /// sidechain routing): one slice per channel of that port, each as long as the main input;
    /// channels without a slice get silence. Without `aux` slices (or without an auxiliary port)
    /// this is [`Self::process`], where auxiliary inputs are silent as from an unconnected port.
    pub fn process_with_aux(
        &mut self,
        input: &[&[f32]],
        aux: &[&[f32]],
        output: &mut [&mut [f32]],
        events: impl IntoIterator<Item = ParamChange>,
    ) -> Result<ProcessStatus, HostError> {
        let frames = input.first().map_or(0, |c| c.len());
        let Some(port) = self.aux_input_port().filter(|_| !aux.is_empty()) else {
            return self.process(input, output, events);
        };
        if aux.len() > self.io.inputs[port].len()
            || aux.iter().any(|c| c.len() != frames)
            || frames > self.io.max_frames
        {
            return Err(HostError::Buffers(format!(
                "{} auxiliary channels of {frames} frames do not fit the port's {} channels",
                aux.len(),
                self.io.inputs[port].len()
            )));
        }
        for (c, dst) in self.io.inputs[port].iter_mut().enumerate() {
            match aux.get(c) {
                Some(src) => dst[..frames].copy_from_slice(src),
                None => dst[..frames].fill(0.0),
            }
        }
        self.aux_filled = true;
        let result = self.process(input, output, events);
        self.aux_filled = false;
        result
    }

    /// The first auxiliary input's channel `channel` (a sidechain), `max_frames` long, to fill
    /// before [`Self::process_frames_with_aux`]. `None` without such a port or channel.
    pub fn aux_input_mut(&mut self, channel: usize) -> Option<&mut [f32]> {
        let port = self.aux_input_port()?;
        self.io.inputs[port].get_mut(channel).map(Vec::as_mut_slice)
    }

    /// Like [`Self::process_frames`], but the auxiliary inputs keep what was written into them
    /// with [`Self::aux_input_mut`] instead of being silenced.
    pub fn process_frames_with_aux(
        &mut self,
        frames: usize,
        events: impl IntoIterator<Item = ParamChange>,
    ) -> Result<ProcessStatus, HostError> {
        self.aux_filled = true;
        let result = self.process_frames(frames, events);
        self.aux_filled = false;
        result
    }

    /// Calls `process()` on `frames` samples of the internal buffers: the main input must already
    /// hold the input (see [`Self::input_mut`]); afterwards [`Self::output`] holds the output.
    pub fn process_frames(
        &mut self,
        frames: usize,
        events: impl IntoIterator<Item = ParamChange>,
    ) -> Result<ProcessStatus, HostError> {
        if frames > self.io.max_frames {
            return Err(HostError::Buffers(format!(
                "block of {frames} frames exceeds the maximum {}",
                self.io.max_frames
            )));
        }
        let transport = self.transport();
        let io = &mut *self.io;
        io.in_events.clear();
        io.out_events.clear();
        let mut last_time = 0;
        // Notes and parameter changes go out merged in time order, a note
        // before a parameter change at the same sample.
        let mut notes = std::mem::take(&mut io.notes_in);
        let mut next_note = 0;
        let mut push_notes_until = |io: &mut AudioIo, until: u32, notes: &[NoteMessage]| {
            while let Some(n) = notes.get(next_note).filter(|n| n.time <= until) {
                let pckn = Pckn::new(
                    0u16,
                    u16::from(n.channel.min(15)),
                    u16::from(n.key.min(127)),
                    clack_host::events::Match::All,
                );
                if n.on {
                    io.in_events
                        .push(&NoteOnEvent::new(n.time, pckn, n.velocity));
                } else {
                    io.in_events
                        .push(&NoteOffEvent::new(n.time, pckn, n.velocity));
                }
                next_note += 1;
            }
        };
        if notes.windows(2).any(|w| w[1].time < w[0].time)
            || notes
                .last()
                .is_some_and(|n| n.time as usize >= frames.max(1))
        {
            io.notes_in = notes;
            return Err(HostError::Buffers(format!(
                "notes are unsorted or outside the block of {frames} frames"
            )));
        }
        for e in events {
            let time = u32::try_from(e.time).unwrap_or(u32::MAX);
            if (time as usize >= frames.max(1)) || time < last_time {
                io.notes_in = notes;
                return Err(HostError::Buffers(format!(
                    "event at {} is unsorted or outside the block of {frames} frames",
                    e.time
                )));
            }
            last_time = time;
            let Some(id) = ClapId::from_raw(e.id) else {
                io.notes_in = notes;
                return Err(HostError::Param(format!("invalid parameter id {}", e.id)));
            };
            push_notes_until(io, time, &notes);
            io.in_events
                .push(&ParamValueEvent::new(time, id, Pckn::match_all(), e.value));
        }
        push_notes_until(io, u32::MAX, &notes);
        notes.clear();
        io.notes_in = notes;
        if !self.aux_filled {
            for (p, port) in io.inputs.iter_mut().enumerate() {
                if Some(p) != io.main_input {
                    port.iter_mut().for_each(|c| c[..frames].fill(0.0));
                }
            }
        }
        for port in &mut io.outputs {
            port.iter_mut().for_each(|c| c[..frames].fill(f32::NAN));
        }
        let audio_in = io
            .input_ports
            .with_input_buffers(io.inputs.iter_mut().map(|port| {
                AudioPortBuffer {
                    latency: 0,
                    channels: AudioPortBufferType::f32_input_only(
                        port.iter_mut()
                            .map(|c| InputChannel::variable(&mut c[..frames])),
                    ),
                }
            }));
        let mut audio_out = io
            .output_ports
            .with_output_buffers(io.outputs.iter_mut().map(|port| AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_output_only(
                    port.iter_mut().map(|c| &mut c[..frames]),
                ),
            }));
        let status = self
            .processor
            .process(
                &audio_in,
                &mut audio_out,
                &io.in_events.as_input(),
                &mut io.out_events.as_output(),
                Some(self.steady_time),
                transport.as_ref(),
            )
            .map_err(|e| HostError::Process(e.to_string()))?;
        let io = &mut *self.io;
        io.notes_out.clear();
        for e in io.out_events.iter() {
            let (time, key, channel, velocity, on) = if let Some(n) = e.as_event::<NoteOnEvent>() {
                (n.header().time(), n.key(), n.channel(), n.velocity(), true)
            } else if let Some(n) = e.as_event::<NoteOffEvent>() {
                (n.header().time(), n.key(), n.channel(), n.velocity(), false)
            } else {
                continue;
            };
            if io.notes_out.len() < NOTE_CAPACITY {
                io.notes_out.push(NoteMessage {
                    time,
                    key: key.into_specific().map_or(0, |k| k.min(127) as u8),
                    channel: channel.into_specific().map_or(0, |c| c.min(15) as u8),
                    velocity,
                    on,
                });
            }
        }
        self.steady_time += frames as u64;
        Ok(status)
    }

    /// The main input's channel `channel`, `max_frames` long, to fill before
    /// [`Self::process_frames`]. `None` if there is no such channel.
    pub fn input_mut(&mut self, channel: usize) -> Option<&mut [f32]> {
        let port = self.io.main_input?;
        self.io.inputs[port].get_mut(channel).map(Vec::as_mut_slice)
    }

    /// The main output's channel `channel` after [`Self::process_frames`] (`max_frames` long;
    /// only the processed prefix is meaningful). `None` if there is no such channel.
    pub fn output(&self, channel: usize) -> Option<&[f32]> {
        let port = self.io.main_output?;
        self.io.outputs[port].get(channel).map(Vec::as_slice)
    }
}
