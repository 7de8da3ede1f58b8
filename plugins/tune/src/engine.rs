//! Everything the plugin does per block, free of the plugin framework: the
//! Tune kernel, the MIDI target notes coming in, the detected notes going
//! out, level meters, and the hand-off of the pitch graph to the editor.
//! The plugin maps parameters and events and calls [`TuneEngine::process`];
//! tests and the editor snapshot drive the same engine directly.

use glass_dsp::denormal::FlushDenormals;
use glass_dsp::tuner::{NoteEvent, NoteEventKind, PitchFrame, TuneParams, Tuner};
use glass_ui::shared::block_peaks;
use glass_ui::{HistoryFifo, MeterValue, StereoMeter};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// Pitch-graph frames the queue holds: 2.7 s at 192 kHz (one frame per 32
/// samples), far more than the editor's frame interval.
const FRAME_QUEUE: usize = 16_384;

/// Readings the audio thread publishes for the editor (lock-free).
pub struct TuneShared {
    /// One frame per control tick (32 samples), on the output's time line.
    pub frames: HistoryFifo<PitchFrame>,
    /// Input sample peaks per channel.
    pub input: StereoMeter,
    /// Output sample peaks per channel.
    pub output: StereoMeter,
    /// Pitch classes (bit 0 = C) allowed as targets now: the held MIDI
    /// notes' while any are held, otherwise the scale's.
    pub active_mask: AtomicU32,
    /// Held MIDI target notes, a 128-bit set split in two (notes 0–63, 64–127).
    pub held: [AtomicU64; 2],
    /// The note on the MIDI output, −1 for none.
    pub sounding: AtomicI32,
    /// Sample rate the engine runs at, Hz; 0 before activation.
    pub sample_rate: MeterValue,
    /// Latency, samples.
    pub latency: AtomicU32,
}

impl Default for TuneShared {
    fn default() -> Self {
        Self {
            frames: HistoryFifo::new(FRAME_QUEUE),
            input: StereoMeter::new(),
            output: StereoMeter::new(),
            active_mask: AtomicU32::new(0x0fff),
            held: [AtomicU64::new(0), AtomicU64::new(0)],
            sounding: AtomicI32::new(-1),
            sample_rate: MeterValue::new(0.0),
            latency: AtomicU32::new(0),
        }
    }
}

impl TuneShared {
    /// Whether MIDI note `note` (0..=127) is held on the target input.
    pub fn is_held(&self, note: u8) -> bool {
        let word = self.held[usize::from(note >> 6) & 1].load(Ordering::Relaxed);
        word >> (note & 63) & 1 == 1
    }

    /// The note on the MIDI output, if any.
    pub fn sounding_note(&self) -> Option<u8> {
        u8::try_from(self.sounding.load(Ordering::Relaxed)).ok()
    }
}

/// A MIDI message on the target-note input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetEvent {
    /// Note pressed (0..=127).
    On(u8),
    /// Note released.
    Off(u8),
    /// All notes released (a note-off or choke for any key).
    AllOff,
}

/// The Tune kernel with its meters and MIDI. Realtime-safe after `prepare`.
pub struct TuneEngine {
    shared: Arc<TuneShared>,
    tuner: Tuner,
}

impl TuneEngine {
    /// An engine publishing to `shared`; call [`TuneEngine::prepare`].
    pub fn new(shared: Arc<TuneShared>) -> Self {
        Self {
            shared,
            tuner: Tuner::new(),
        }
    }

    /// Allocates for `sample_rate` Hz, blocks of up to `max_block` samples
    /// and `channels` (1 or 2) channels with `params` in effect, and resets.
    pub fn prepare(
        &mut self,
        sample_rate: f32,
        max_block: usize,
        channels: usize,
        params: &TuneParams,
    ) {
        self.tuner.set_params(params);
        self.tuner
            .prepare(sample_rate, max_block.max(1), channels.clamp(1, 2));
        self.shared.sample_rate.store(self.tuner.sample_rate());
        self.shared
            .latency
            .store(self.tuner.latency() as u32, Ordering::Relaxed);
        self.publish_notes();
    }

    /// Clears the signal history and releases held notes. Realtime-safe.
    pub fn reset(&mut self) {
        self.tuner.reset();
        self.tuner.all_notes_off();
        self.publish_notes();
    }

    /// Latency in samples: 10 ms, the same for the corrected and the
    /// untouched (unvoiced, bypassed) signal.
    pub fn latency(&self) -> u32 {
        self.tuner.latency() as u32
    }

    /// A MIDI event on the target-note input, taking effect at the next
    /// sample processed. Realtime-safe.
    pub fn target_event(&mut self, event: TargetEvent) {
        match event {
            TargetEvent::On(n) => self.tuner.note_on(n.min(127)),
            TargetEvent::Off(n) => self.tuner.note_off(n.min(127)),
            TargetEvent::AllOff => self.tuner.all_notes_off(),
        }
        self.publish_notes();
    }

    fn publish_notes(&self) {
        let held = self.tuner.held_notes();
        let mut words = [0u64; 2];
        for n in 0..128u8 {
            if held.is_held(n) {
                words[usize::from(n >> 6)] |= 1 << (n & 63);
            }
        }
        for (slot, w) in self.shared.held.iter().zip(words) {
            slot.store(w, Ordering::Relaxed);
        }
        self.shared
            .active_mask
            .store(u32::from(self.tuner.active_mask()), Ordering::Relaxed);
    }

    /// Processes one block in place (1 or 2 channels; others are left
    /// untouched), meters it and queues its pitch-graph frames. Returns the
    /// detected-note events of the block, offsets relative to it.
    /// Realtime-safe.
    pub fn process(&mut self, chans: &mut [&mut [f32]], params: &TuneParams) -> &[NoteEvent] {
        let _ftz = FlushDenormals::new();
        let nch = chans.len().min(2);
        let chans = &mut chans[..nch];
        let input = block_peaks(chans, usize::MAX);
        self.tuner.set_params(params);
        self.tuner.process(chans);
        let output = block_peaks(chans, usize::MAX);
        let s = &self.shared;
        s.input.record_peaks(input, input);
        s.output.record_peaks(output, output);
        for f in self.tuner.pitch_frames() {
            s.frames.push(*f);
        }
        s.active_mask
            .store(u32::from(self.tuner.active_mask()), Ordering::Relaxed);
        s.sounding.store(
            self.tuner.sounding_note().map_or(-1, i32::from),
            Ordering::Relaxed,
        );
        self.tuner.note_events()
    }
}

/// MIDI velocity as nice-plug wants it, 0..=1, from a detected note-on.
pub fn velocity(event: &NoteEvent) -> Option<f32> {
    match event.kind {
        NoteEventKind::On { velocity } => Some(f32::from(velocity) / 127.0),
        NoteEventKind::Off => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_notes_and_mask_reach_the_editor() {
        let shared = Arc::new(TuneShared::default());
        let mut engine = TuneEngine::new(shared.clone());
        engine.prepare(48_000.0, 512, 1, &TuneParams::default());
        engine.target_event(TargetEvent::On(60));
        engine.target_event(TargetEvent::On(100));
        assert!(shared.is_held(60) && shared.is_held(100) && !shared.is_held(61));
        // C and E (100 = E7) replace the chromatic scale.
        assert_eq!(
            shared.active_mask.load(Ordering::Relaxed),
            (1 << 0) | (1 << 4)
        );
        engine.target_event(TargetEvent::AllOff);
        assert!(!shared.is_held(60));
        assert_eq!(shared.active_mask.load(Ordering::Relaxed), 0x0fff);
    }
}
