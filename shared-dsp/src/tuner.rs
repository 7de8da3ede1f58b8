//! Real-time pitch correction with formant preservation: the kernel of
//! Glasswork Tune.
//!
//! ```text
//! input ─┬─ delay line per channel ────────────────┬─ dry (input delayed by the latency)
//!        └─ mono mix ─ pitch detector (hop 5.3 ms) │
//!                       └─ pitch marks ── PSOLA ───┴─ wet ─ voiced/unvoiced crossfade ─ output
//!             scale / MIDI targets ─ correction law ─┘
//! ```
//!
//! - Detection ([`crate::pitch_detect`]) runs on the mono mix of all
//!   channels; the same marks and grains shift every channel, so a stereo
//!   image stays put.
//! - The output runs [`Tuner::latency`] samples behind the input: 10 ms
//!   (480 samples at 48 kHz). That is enough for a grain around any mark
//!   within half a period of the output position to be read without
//!   waiting, down to the lowest fundamental any voice type searches
//!   (55 Hz: half a period is 9.1 ms). The same delay applies to the dry
//!   path, so what is reported is what the audio is delayed by, voiced or
//!   not.
//! - While the detector reports no period (silence, noise, s, t, breaths)
//!   the output is the input delayed — bit for bit — and voiced stretches
//!   crossfade in and out over [`FADE_MS`].
//! - Pitch correction ([`crate::pitch_correct`]) is evaluated for every
//!   output grain on the grain's own measured period, so a 0 ms retune puts
//!   every output period exactly on the target.
//! - MIDI: notes held on the kernel's note input ([`Tuner::note_on`]) replace
//!   the scale as targets while held; detected notes come out as note
//!   on/off events ([`Tuner::note_events`]) with a velocity from the level.
//! - Editor: one [`PitchFrame`] per control tick ([`Tuner::pitch_frames`]):
//!   detected, target and output pitch, cents off target, confidence, level.
//!
//! Control-rate work (parameters, analysis, marks, targets, events, frames)
//! runs on the fixed 32-sample grid of [`crate::control`] counted from
//! `reset()`; grains and crossfades are per sample. The output is therefore
//! bit-identical whatever the host's block size.

use crate::control::{ControlClock, CONTROL_BLOCK};
use crate::delay_line::DelayLine;
use crate::lpc::{
    lowest_resonance, predict_rev_for, reversed, reversed_split, LpcAnalyzer, TapLine, MAX_ORDER,
};
use crate::pitch_correct::{note_of_period, CorrectionSettings, PitchCorrector, Targets};
use crate::pitch_detect::{PitchDetector, VoiceType};
use crate::psola::{read_at, PitchMarks, Psola, Reach};
use crate::scale::{
    hz_of_note, pitch_class_mask, HeldNotes, ScaleKind, DEFAULT_REFERENCE_HZ, MAX_REFERENCE_HZ,
    MIN_REFERENCE_HZ,
};

/// Latency, s (the output runs this far behind the input).
pub const LATENCY_S: f64 = 0.010;
/// Voiced/unvoiced crossfade time, ms.
pub const FADE_MS: f32 = 8.0;
/// Glide time of transpose and formant-shift changes, ms.
pub const GLIDE_MS: f32 = 20.0;
/// Largest transposition, semitones.
pub const MAX_TRANSPOSE_SEMITONES: f32 = 24.0;
/// Largest formant shift, semitones.
pub const MAX_FORMANT_SEMITONES: f32 = 12.0;
/// Note events kept per `process()` call.
pub const EVENT_CAPACITY: usize = 64;
/// Detected-note output: a note (or silence) must last this long before its
/// event is sent, ms.
pub const NOTE_STABLE_MS: f32 = 15.0;
/// Level guard time constant, ms.
const GUARD_MS: f32 = 5.0;
/// Envelope model: one pole pair per this many Hz of sample rate (plus
/// four), so the model covers the formants at any rate (24 at 48 kHz).
const ORDER_PER_HZ: f64 = 2400.0;
/// Pre-emphasis of the envelope analysis (see
/// [`LpcAnalyzer::prepare_with_preemphasis`]).
const PREEMPHASIS: f64 = 0.97;
/// Envelope analysis frame, ms.
const ENVELOPE_FRAME_MS: f32 = 10.0;
/// Smallest resonance bandwidth of the envelope model, Hz (the lag
/// window).
const ENVELOPE_BANDWIDTH_HZ: f32 = 60.0;
/// ... and at least this share of the detected fundamental: a model that
/// resolves a high voice's individual harmonics puts resonances on them,
/// which then move with the singer's vibrato; re-colouring the corrected
/// (steady) output with resonances that sway around its harmonics bends
/// their phase and so their pitch (by up to a few cents at ±40 cents of
/// vibrato with no such floor). Wider still would keep less of the
/// formants' sharpness (0.75 of f0 was the best trade in the tests: note
/// medians within 0.34 cent, 110 Hz formants within 0.4 dB).
const ENVELOPE_BANDWIDTH_PER_F0: f32 = 0.75;
/// Envelope fits after an onset before re-synthesis starts.
const ENVELOPE_SETTLE_FITS: u32 = 2;
/// Envelope analyses happen every this many detector hops (21.3 ms at
/// 48 kHz): the averaging below (300 ms) makes more frequent fits
/// pointless. Every 10.7 ms cost 8 % more CPU for no measurable gain
/// (hard-correction and formant figures within a few hundredths).
const ENVELOPE_HOPS: u64 = 4;
/// Envelope analyses happen every this many hops (10.7 ms) while the model
/// settles after an onset (see [`ENVELOPE_SETTLE_FITS`]).
const ENVELOPE_SETTLE_HOPS: u64 = 2;
/// Time constant of the envelope model's running average, ms: longer than
/// a vibrato cycle, for the same reason; the model then follows vowel
/// changes within about this time.
const ENVELOPE_AVERAGE_MS: f32 = 300.0;
/// Detected-note output: a change from one note straight to another must
/// last this long, ms.
pub const NOTE_CHANGE_MS: f32 = 40.0;
/// Level that maps to velocity 1, dBFS (0 dBFS maps to 127).
pub const VELOCITY_FLOOR_DB: f32 = -60.0;

/// How MIDI notes held on the note input act as targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MidiTarget {
    /// Held notes give pitch classes: the voice goes to the nearest held
    /// note in its own octave.
    #[default]
    PitchClasses,
    /// The voice goes to the nearest held note exactly, octave included.
    Exact,
}

/// Tune settings in physical units. Out-of-range values are clamped,
/// non-finite ones fall back to the default ([`TuneParams::sanitized`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TuneParams {
    /// Range the detector searches (default tenor/alto, 80–800 Hz).
    pub voice: VoiceType,
    /// Key: pitch class of the tonic, 0 = C ..= 11 = B (default 0; larger
    /// values wrap).
    pub key: u8,
    /// Scale (default chromatic).
    pub scale: ScaleKind,
    /// Notes of [`ScaleKind::Custom`]: 12-bit pitch-class mask, bit 0 = C
    /// (default all twelve).
    pub custom_notes: u16,
    /// Reference pitch of A4, Hz (415..=466, default 440).
    pub reference_hz: f32,
    /// Transposition of the corrected pitch, semitones (−24..=24, default 0).
    pub transpose_semitones: f32,
    /// Fine transposition, cents (−100..=100, default 0).
    pub transpose_cents: f32,
    /// Retune time constant, ms (0..=400, default 20; 0 = hard "robot"
    /// correction).
    pub retune_ms: f32,
    /// Humanize, 0..=1 (default 0): short notes corrected less than
    /// sustained ones.
    pub humanize: f32,
    /// Flex, cents (0..=100, default 0 = off): only notes within this
    /// distance of their target are corrected.
    pub flex_cents: f32,
    /// Share of the vibrato kept around the corrected centre, 0..=1
    /// (default 0).
    pub keep_vibrato: f32,
    /// Correction amount, 0..=1 (default 1).
    pub amount: f32,
    /// Formant shift, semitones (−12..=12, default 0 = formants preserved).
    pub formant_semitones: f32,
    /// How held MIDI notes act as targets (default pitch classes).
    pub midi_target: MidiTarget,
    /// Bypass: the input delayed by the latency, crossfaded (default off).
    pub bypass: bool,
}

impl Default for TuneParams {
    fn default() -> Self {
        Self {
            voice: VoiceType::TenorAlto,
            key: 0,
            scale: ScaleKind::Chromatic,
            custom_notes: crate::scale::ALL_NOTES,
            reference_hz: DEFAULT_REFERENCE_HZ,
            transpose_semitones: 0.0,
            transpose_cents: 0.0,
            retune_ms: 20.0,
            humanize: 0.0,
            flex_cents: 0.0,
            keep_vibrato: 0.0,
            amount: 1.0,
            formant_semitones: 0.0,
            midi_target: MidiTarget::PitchClasses,
            bypass: false,
        }
    }
}

impl TuneParams {
    /// The parameters clamped to their ranges, NaN replaced by the default.
    pub fn sanitized(&self) -> Self {
        let d = Self::default();
        let f = |v: f32, lo: f32, hi: f32, def: f32| {
            if v.is_nan() {
                def
            } else {
                v.clamp(lo, hi)
            }
        };
        let c = self.correction().sanitized();
        Self {
            voice: self.voice,
            key: self.key % 12,
            scale: self.scale,
            custom_notes: self.custom_notes & crate::scale::ALL_NOTES,
            reference_hz: f(
                self.reference_hz,
                MIN_REFERENCE_HZ,
                MAX_REFERENCE_HZ,
                d.reference_hz,
            ),
            transpose_semitones: f(
                self.transpose_semitones,
                -MAX_TRANSPOSE_SEMITONES,
                MAX_TRANSPOSE_SEMITONES,
                0.0,
            ),
            transpose_cents: f(self.transpose_cents, -100.0, 100.0, 0.0),
            retune_ms: c.retune_ms,
            humanize: c.humanize,
            flex_cents: c.flex_cents,
            keep_vibrato: c.keep_vibrato,
            amount: c.amount,
            formant_semitones: f(
                self.formant_semitones,
                -MAX_FORMANT_SEMITONES,
                MAX_FORMANT_SEMITONES,
                0.0,
            ),
            midi_target: self.midi_target,
            bypass: self.bypass,
        }
    }

    /// The correction-law part of the settings.
    pub fn correction(&self) -> CorrectionSettings {
        CorrectionSettings {
            retune_ms: self.retune_ms,
            humanize: self.humanize,
            flex_cents: self.flex_cents,
            keep_vibrato: self.keep_vibrato,
            amount: self.amount,
        }
    }

    /// Total transposition, semitones.
    pub fn transpose(&self) -> f32 {
        self.transpose_semitones + 0.01 * self.transpose_cents
    }

    /// Pitch classes (bit 0 = C) of the scale in its key.
    pub fn scale_mask(&self) -> u16 {
        pitch_class_mask(self.scale, self.key % 12, self.custom_notes)
    }
}

/// A detected-note MIDI event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteEventKind {
    /// Note on with velocity 1..=127.
    On {
        /// MIDI velocity, 1..=127, from the level ([`VELOCITY_FLOOR_DB`]
        /// → 1, 0 dBFS → 127).
        velocity: u8,
    },
    /// Note off.
    Off,
}

/// One detected-note event of the last `process()` call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoteEvent {
    /// Sample offset within the block passed to the last `process()` call.
    pub offset: usize,
    /// MIDI note, 0..=127.
    pub note: u8,
    /// On (with velocity) or off.
    pub kind: NoteEventKind,
}

/// What the editor's pitch graph shows for one control tick (32 samples),
/// on the output's time line. Plain `Copy` data for a lock-free hand-off.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PitchFrame {
    /// A voiced pitch is being corrected.
    pub voiced: bool,
    /// Detected input pitch, Hz (0 when unvoiced).
    pub detected_hz: f32,
    /// Target note's pitch before transposition, Hz (0 without a target).
    pub target_hz: f32,
    /// Output pitch, Hz (0 when unvoiced: the input passes unchanged).
    pub output_hz: f32,
    /// Target MIDI note, −1 without one.
    pub target_note: i16,
    /// Detected pitch minus target, cents (0 without a target).
    pub cents: f32,
    /// Detector confidence, 0..=1.
    pub confidence: f32,
    /// Input level over the analysis span, dBFS (≥ −200).
    pub level_db: f32,
}

/// Detected-note follower for the MIDI output.
#[derive(Clone, Copy, Debug, Default)]
struct NoteOut {
    sounding: Option<u8>,
    candidate: Option<u8>,
    stable: u32,
    /// A note-off for this note is due at the start of the next block
    /// (after `reset()`).
    orphan: Option<u8>,
}

/// Per-channel signal state.
struct Channel {
    /// The input.
    line: DelayLine,
    /// The input whitened by the envelope's inverse filter.
    residual: DelayLine,
    /// Inverse filter taps (input) and synthesis filter taps (output).
    hx: TapLine<f64>,
    hy: TapLine<f64>,
    /// The latest wet sample (before the level guard).
    wet: f32,
}

/// One envelope estimate: from which input sample on it applies, the
/// inverse filter, and the synthesis filter with its gain (the same filter
/// and gain 1 unless the formants are shifted).
#[derive(Clone, Copy)]
struct Envelope {
    from: u64,
    a: [f64; MAX_ORDER + 1],
    synth: [f64; MAX_ORDER + 1],
    /// `a` and `synth` laid out for [`predict_rev_for`].
    a_rev: [f64; MAX_ORDER],
    synth_rev: [f64; MAX_ORDER],
    /// `synth` split for the recursion ([`reversed_split`]).
    synth_rest: [f64; MAX_ORDER],
    synth_a1: f64,
    gain: f64,
}

impl Envelope {
    const FLAT: Self = {
        let mut a = [0.0; MAX_ORDER + 1];
        a[0] = 1.0;
        Self {
            from: 0,
            a,
            synth: a,
            a_rev: [0.0; MAX_ORDER],
            synth_rev: [0.0; MAX_ORDER],
            synth_rest: [0.0; MAX_ORDER],
            synth_a1: 0.0,
            gain: 1.0,
        }
    };
}

/// Pitch marks go on the residual's energy peak rather than the voice's
/// quiet point (see [`crate::psola`]) when the fundamental is at least
/// this share of the envelope model's lowest resonance, without a
/// transposition of a semitone or more. (The fundamental of /i/ and /u/
/// at 220 Hz comes to 0.77–0.85 of that resonance, where the quiet point
/// is better, and at 294 Hz to 0.86–0.97, where the residual's peak is:
/// a narrow gap, as sure as the model's first two fits after an onset,
/// from which it is decided.) With large shifts the grains overlap more
/// or less and a crossfade on the pulse doubles it: +6.7 dB on octave
/// jumps at +12 semitones.
const RESIDUAL_MARKS_F0_SHARE: f64 = 0.855;

/// Envelope estimates kept (the output runs at most two analyses behind).
const ENVELOPES: usize = 8;

/// The Tune kernel; see the [module documentation](self).
pub struct Tuner {
    fs: f32,
    latency: usize,
    channels: Vec<Channel>,
    lpc: LpcAnalyzer,
    /// The latest input frame for the envelope analysis.
    lpc_frame: Vec<f32>,
    order: usize,
    envelopes: [Envelope; ENVELOPES],
    /// Index of the newest envelope (the inverse filter's).
    env_new: usize,
    /// Index of the envelope the output is using.
    env_out: usize,
    detector: PitchDetector,
    marks: PitchMarks,
    psola: Psola,
    corrector: PitchCorrector,
    clock: ControlClock,
    hop_ticks: u64,
    ticks: u64,
    /// Samples received since `reset()`.
    count: u64,
    pending: TuneParams,
    active: TuneParams,
    held: HeldNotes,
    det_voiced: bool,
    det_clarity: f32,
    det_level: f32,
    wet: f32,
    wet_target: f32,
    wet_step: f32,
    transpose: f64,
    beta_st: f64,
    glide_step: f64,
    last_grain: f64,
    events: Vec<NoteEvent>,
    frames: Vec<PitchFrame>,
    frame_capacity: usize,
    latest: PitchFrame,
    note_out: NoteOut,
    stable_ticks: u32,
    change_ticks: u32,
    /// The CPU has AVX2 (see [`Tuner::run_dispatch`]); tests clear it to
    /// compare the two builds.
    avx2: bool,
    /// Level guard: mean squares of the dry and wet signals, the gain and
    /// the smoothing coefficient.
    guard_dry: f32,
    guard_wet: f32,
    guard: f32,
    guard_coef: f32,
}

impl Default for Tuner {
    fn default() -> Self {
        Self::new()
    }
}

fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The level guard's gain when the wet signal runs more than 6 dB over
/// the dry one. Out of line and cold: a voice almost never gets here, and
/// kept out of the per-sample loop the division and square root are not
/// computed (and discarded) for every sample.
#[cold]
#[inline(never)]
fn guard_limit(dry_sq: f32, wet_sq: f32) -> f32 {
    (4.0 * dry_sq / wet_sq).sqrt()
}

#[inline]
fn sanitize(x: f32) -> f32 {
    // Non-finite samples become silence; absurd levels are limited so that
    // squared sums stay finite in f32.
    if x.is_finite() {
        x.clamp(-1.0e6, 1.0e6)
    } else {
        0.0
    }
}

impl Tuner {
    /// A kernel with no buffers yet; call [`prepare`](Self::prepare).
    pub fn new() -> Self {
        Self {
            fs: 48_000.0,
            latency: 480,
            channels: Vec::new(),
            lpc: LpcAnalyzer::new(),
            lpc_frame: Vec::new(),
            order: 1,
            envelopes: [Envelope::FLAT; ENVELOPES],
            env_new: 0,
            env_out: 0,
            detector: PitchDetector::new(),
            marks: PitchMarks::new(),
            psola: Psola::new(),
            corrector: PitchCorrector::new(),
            clock: ControlClock::default(),
            hop_ticks: 8,
            ticks: 0,
            count: 0,
            pending: TuneParams::default(),
            active: TuneParams::default(),
            held: HeldNotes::new(),
            det_voiced: false,
            det_clarity: 0.0,
            det_level: -200.0,
            wet: 0.0,
            wet_target: 0.0,
            wet_step: 1.0,
            transpose: 0.0,
            beta_st: 0.0,
            glide_step: 1.0,
            last_grain: 0.0,
            events: Vec::new(),
            frames: Vec::new(),
            frame_capacity: 0,
            latest: PitchFrame::default(),
            note_out: NoteOut::default(),
            stable_ticks: 1,
            change_ticks: 1,
            avx2: false,
            guard_dry: 0.0,
            guard_wet: 0.0,
            guard: 1.0,
            guard_coef: 1.0,
        }
    }

    /// Allocates for `sample_rate` Hz (clamped to 8–384 kHz; non-finite
    /// means 48 kHz), blocks of up to `max_block` samples (longer blocks
    /// work, but only the first `max_block / 32 + 2` pitch frames of a call
    /// are kept) and `channels` channels (at least 1; extra channels passed
    /// to `process` are left untouched). Then resets.
    pub fn prepare(&mut self, sample_rate: f32, max_block: usize, channels: usize) {
        self.fs = if sample_rate.is_finite() {
            sample_rate.clamp(8_000.0, 384_000.0)
        } else {
            48_000.0
        };
        let fs = f64::from(self.fs);
        self.latency = (LATENCY_S * fs).round() as usize;
        let longest = (fs / 55.0).ceil() as usize;
        let history = self.latency + 8 * longest + 64;
        self.channels = (0..channels.max(1))
            .map(|_| {
                let mut line = DelayLine::new();
                line.prepare(history);
                let mut residual = DelayLine::new();
                residual.prepare(history);
                Channel {
                    line,
                    residual,
                    hx: TapLine::default(),
                    hy: TapLine::default(),
                    wet: 0.0,
                }
            })
            .collect();
        let order = ((fs / ORDER_PER_HZ).round() as usize + 4).min(MAX_ORDER - 1);
        let frame = (f64::from(ENVELOPE_FRAME_MS) * 1e-3 * fs).round() as usize;
        self.lpc
            .prepare(self.fs, frame, order, ENVELOPE_BANDWIDTH_HZ, PREEMPHASIS);
        self.order = self.lpc.filter_order();
        self.lpc_frame = vec![0.0; self.lpc.frame_len()];
        self.detector.prepare(self.fs, history);
        self.lpc.set_averaging(
            f64::from(ENVELOPE_AVERAGE_MS) * 1e-3,
            (ENVELOPE_HOPS as usize * self.detector.hop()) as f64 / fs,
        );
        self.marks.prepare(longest);
        self.hop_ticks = (self.detector.hop() / CONTROL_BLOCK).max(1) as u64;
        self.corrector.prepare(CONTROL_BLOCK as f64 / fs);
        self.wet_step = 1.0 / (FADE_MS * 1e-3 * self.fs).max(1.0);
        self.glide_step = CONTROL_BLOCK as f64 / (f64::from(GLIDE_MS) * 1e-3 * fs);
        let ticks = |ms: f32| {
            ((ms * 1e-3 * self.fs) / CONTROL_BLOCK as f32)
                .ceil()
                .max(1.0) as u32
        };
        self.stable_ticks = ticks(NOTE_STABLE_MS);
        self.change_ticks = ticks(NOTE_CHANGE_MS);
        self.avx2 = has_avx2();
        self.guard_coef = 1.0 - (-1.0 / (GUARD_MS * 1e-3 * self.fs)).exp();
        self.events = Vec::with_capacity(EVENT_CAPACITY);
        self.frame_capacity = max_block / CONTROL_BLOCK + 2;
        self.frames = Vec::with_capacity(self.frame_capacity);
        self.reset();
    }

    /// Clears all state (signal history, detection, marks, correction, the
    /// control grid) and applies the latest parameters without glides.
    /// A note still sounding on the MIDI output gets its note-off at the
    /// start of the next block. Held input notes are kept. Realtime-safe.
    pub fn reset(&mut self) {
        for c in &mut self.channels {
            c.line.reset();
            c.residual.reset();
            c.hx.reset();
            c.hy.reset();
        }
        self.envelopes = [Envelope::FLAT; ENVELOPES];
        self.env_new = 0;
        self.env_out = 0;
        self.lpc.reset();
        self.detector.reset();
        self.marks.stop();
        self.psola.stop();
        self.corrector.reset();
        self.clock.reset();
        self.ticks = 0;
        self.count = 0;
        self.active = self.pending;
        self.apply_params();
        self.transpose = f64::from(self.active.transpose());
        self.beta_st = f64::from(self.active.formant_semitones);
        self.det_voiced = false;
        self.det_clarity = 0.0;
        self.det_level = -200.0;
        self.wet = 0.0;
        self.wet_target = 0.0;
        self.last_grain = 0.0;
        self.guard_dry = 0.0;
        self.guard_wet = 0.0;
        self.guard = 1.0;
        self.latest = PitchFrame::default();
        let orphan = self.note_out.sounding.or(self.note_out.orphan);
        self.note_out = NoteOut {
            orphan,
            ..NoteOut::default()
        };
    }

    /// Takes new parameters; they apply at the next control-grid point,
    /// transposition and formant shift gliding over [`GLIDE_MS`].
    /// Realtime-safe.
    pub fn set_params(&mut self, params: &TuneParams) {
        self.pending = params.sanitized();
    }

    /// The parameters in effect (after sanitising).
    pub fn params(&self) -> &TuneParams {
        &self.active
    }

    /// Latency in samples: `round(0.010 · sample_rate)` (480 at 48 kHz),
    /// the delay of every output sample behind its input, voiced or not.
    pub fn latency(&self) -> usize {
        self.latency
    }

    /// Sample rate the kernel was prepared for, Hz.
    pub fn sample_rate(&self) -> f32 {
        self.fs
    }

    /// A MIDI note (0..=127) pressed on the target-note input: while any
    /// note is held, held notes replace the scale as targets. Takes effect
    /// at the next control-grid point: split `process()` at the event's
    /// sample offset for grid accuracy. Realtime-safe.
    pub fn note_on(&mut self, note: u8) {
        self.held.note_on(note);
    }

    /// A MIDI note released on the target-note input. Realtime-safe.
    pub fn note_off(&mut self, note: u8) {
        self.held.note_off(note);
    }

    /// Releases every held target note (MIDI all-notes-off). Realtime-safe.
    pub fn all_notes_off(&mut self) {
        self.held.clear();
    }

    /// Notes held on the target-note input.
    pub fn held_notes(&self) -> HeldNotes {
        self.held
    }

    /// Pitch classes (bit 0 = C) currently allowed as targets: the held
    /// notes' while any are held, otherwise the scale's. For the editor's
    /// keyboard.
    pub fn active_mask(&self) -> u16 {
        if self.held.is_empty() {
            self.active.scale_mask()
        } else {
            self.held.pitch_classes()
        }
    }

    /// Detected-note events produced by the last `process()` call, in
    /// order; offsets are relative to that call's block. At most
    /// [`EVENT_CAPACITY`].
    pub fn note_events(&self) -> &[NoteEvent] {
        &self.events
    }

    /// The note currently sounding on the MIDI output, if any.
    pub fn sounding_note(&self) -> Option<u8> {
        self.note_out.sounding
    }

    /// Pitch-graph frames produced by the last `process()` call, one per
    /// control tick, oldest first.
    pub fn pitch_frames(&self) -> &[PitchFrame] {
        &self.frames
    }

    /// The most recent pitch-graph frame.
    pub fn latest_frame(&self) -> PitchFrame {
        self.latest
    }

    fn apply_params(&mut self) {
        self.detector.set_voice(self.active.voice);
        self.corrector.set_settings(&self.active.correction());
    }

    /// Processes one block in place. Every channel slice should have the
    /// same length (the shortest one is used). Realtime-safe: no
    /// allocation, lock or I/O.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.events.clear();
        self.frames.clear();
        if let Some(note) = self.note_out.orphan.take() {
            self.push_event(0, note, NoteEventKind::Off);
        }
        let nch = channels.len().min(self.channels.len());
        if nch == 0 {
            return;
        }
        let len = channels[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
        let mut pos = 0;
        while pos < len {
            if self.clock.phase() == 0 && self.active != self.pending {
                self.active = self.pending;
                self.apply_params();
            }
            let n = (len - pos).min(self.clock.samples_until_tick());
            self.run_dispatch(&mut channels[..nch], pos, n);
            pos += n;
            if self.clock.advance(n) {
                self.tick(pos);
            }
        }
    }

    /// [`run`](Self::run) compiled for AVX2 where the CPU has it (checked
    /// once in `prepare`), otherwise for the baseline target. The two are
    /// the same code with the same operations in the same order (Rust does
    /// not fuse or reorder floating-point operations), so their output is
    /// bit-identical; the wider registers only do more of them at once.
    #[inline]
    fn run_dispatch(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is only set when the CPU reports AVX2.
            unsafe { self.run_avx2(channels, start, n) };
            return;
        }
        // SAFETY: the portable build needs nothing from the CPU.
        unsafe { self.run::<false>(channels, start, n) };
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize) {
        // SAFETY: the caller guarantees AVX2.
        unsafe { self.run::<true>(channels, start, n) };
    }

    /// Per-sample work over `n` samples from `start`; the predictors use
    /// their AVX2 build when `AVX2`.
    ///
    /// # Safety
    /// With `AVX2 = true` the CPU must support AVX2.
    #[inline(always)]
    unsafe fn run<const AVX2: bool>(
        &mut self,
        channels: &mut [&mut [f32]],
        start: usize,
        n: usize,
    ) {
        let nch = channels.len();
        let inv = 1.0 / nch as f32;
        let lat = self.latency;
        for i in start..start + n {
            let a_in = &self.envelopes[self.env_new].a_rev;
            // Models of order ≤ 32 (44.1/48 kHz) skip the eight zero taps.
            let short = self.order <= MAX_ORDER - 8;
            let mut mono = 0.0;
            for (ch, c) in channels.iter().zip(self.channels.iter_mut()) {
                let x = sanitize(ch[i]);
                c.line.push(x);
                let e = f64::from(x)
                    + if short {
                        // SAFETY: AVX2 only where the caller guarantees it.
                        unsafe { predict_rev_for::<8, AVX2>(a_in, c.hx.taps()) }
                    } else {
                        // SAFETY: as above.
                        unsafe { predict_rev_for::<0, AVX2>(a_in, c.hx.taps()) }
                    };
                c.hx.push(f64::from(x));
                c.residual.push(e as f32);
                mono += x;
            }
            self.detector.push(mono * inv);
            let newest = self.count;
            self.count += 1;
            // The envelope in force at the output position.
            let mi = newest.wrapping_sub(lat as u64);
            while self.env_out != self.env_new {
                let next = (self.env_out + 1) % ENVELOPES;
                if newest < lat as u64 || self.envelopes[next].from > mi {
                    break;
                }
                self.env_out = next;
            }
            if self.wet == 0.0 && self.wet_target == 0.0 {
                for (ch, c) in channels.iter_mut().zip(self.channels.iter()) {
                    ch[i] = c.line.read(lat);
                }
                continue;
            }
            let m = newest as f64 - lat as f64;
            if !self.psola.is_active() {
                if !self.psola.start(&self.marks, m) {
                    self.wet = 0.0;
                    self.wet_target = 0.0;
                    for (ch, c) in channels.iter_mut().zip(self.channels.iter()) {
                        ch[i] = c.line.read(lat);
                    }
                    continue;
                }
                self.last_grain = m;
                // The synthesis filter continues the dry signal: its taps
                // are the input before the output position.
                for c in self.channels.iter_mut() {
                    for k in (1..=MAX_ORDER).rev() {
                        c.hy.push(f64::from(c.line.read(lat + k)));
                    }
                }
            }
            while m >= self.psola.next_mark() {
                self.next_grain(m);
            }
            let (p1, w1, p2, w2) = self.psola.taps(m);
            // Re-colour with the envelope that whitened the dominant grain
            // (the one in force where it was read): a grain carried across
            // an envelope change (a voice's onset above all, where the
            // envelope before it is flat) would otherwise come out with
            // the wrong gain. Without a shift the grains are read at the
            // output position, so this is the envelope in force there.
            let env = &self.envelopes[self.envelope_at(if w1 >= w2 { p1 } else { p2 })];
            let (synth, rest, a1, gain) = (&env.synth_rev, &env.synth_rest, env.synth_a1, env.gain);
            let (mut dry_sq, mut wet_sq) = (0.0f32, 0.0f32);
            for c in self.channels.iter_mut().take(nch) {
                let mut e = 0.0;
                if w1 > 0.0 {
                    e += w1 * f64::from(read_at(&c.residual, newest, p1));
                }
                if w2 > 0.0 {
                    e += w2 * f64::from(read_at(&c.residual, newest, p2));
                }
                let past = if short {
                    // The long sum does not wait for the newest output
                    // sample; only `a1·y[n−1]` does (see `reversed_split`).
                    // SAFETY: AVX2 only where the caller guarantees it.
                    let older =
                        unsafe { predict_rev_for::<8, AVX2>(rest, c.hy.taps_before_newest()) };
                    older + a1 * c.hy.taps()[MAX_ORDER - 1]
                } else {
                    // SAFETY: as above.
                    unsafe { predict_rev_for::<0, AVX2>(synth, c.hy.taps()) }
                };
                let mut y = gain * e - past;
                let dry = c.line.read(lat);
                if !y.is_finite() || y.abs() > 1e7 {
                    y = f64::from(dry);
                }
                c.hy.push(y);
                c.wet = y as f32;
                dry_sq += dry * dry;
                wet_sq += c.wet * c.wet;
            }
            // Safety: the wet signal never runs more than 6 dB above the
            // input over a few milliseconds (a voice never needs it; a
            // shifted residual of a signal the envelope model fits too
            // well could), with an instant attack and a short release.
            let k = self.guard_coef;
            self.guard_dry += k * (dry_sq - self.guard_dry);
            self.guard_wet += k * (wet_sq - self.guard_wet);
            let limit = if self.guard_wet > 4.0 * self.guard_dry + 1e-20 {
                guard_limit(self.guard_dry, self.guard_wet)
            } else {
                1.0
            };
            self.guard = if limit < self.guard {
                limit
            } else {
                self.guard + k * (limit - self.guard)
            };
            let (g, safe) = (self.wet, self.guard);
            for (ch, c) in channels.iter_mut().zip(self.channels.iter()) {
                let dry = c.line.read(lat);
                let wet = safe * c.wet;
                ch[i] = if g >= 1.0 { wet } else { dry + g * (wet - dry) };
            }
            if self.wet < self.wet_target {
                self.wet = (self.wet + self.wet_step).min(self.wet_target);
            } else if self.wet > self.wet_target {
                self.wet = (self.wet - self.wet_step).max(self.wet_target);
                if self.wet == 0.0 {
                    self.psola.stop();
                }
            }
        }
    }

    /// Index of the envelope in force at input position `pos`: the newest
    /// one that applies from `pos` or earlier (or the oldest kept).
    #[inline(always)]
    fn envelope_at(&self, pos: f64) -> usize {
        let mut i = self.env_new;
        for _ in 0..ENVELOPES - 1 {
            if self.envelopes[i].from as f64 <= pos {
                return i;
            }
            let before = (i + ENVELOPES - 1) % ENVELOPES;
            if before == self.env_new {
                break;
            }
            i = before;
        }
        i
    }

    /// Fits the envelope to the latest frame of the mono input; it whitens
    /// the input from the next sample on and re-colours the output once the
    /// output reaches that sample.
    fn analyse_envelope(&mut self) {
        let frame = &mut self.lpc_frame;
        self.detector.signal().read_block(0, frame);
        for (d, s) in self.lpc.frame_mut().iter_mut().zip(frame.iter()) {
            *d = f64::from(*s);
        }
        let next = (self.env_new + 1) % ENVELOPES;
        if next == self.env_out {
            // The output would lose its envelope: skip this update.
            return;
        }
        let mut env = Envelope::FLAT;
        env.from = self.count;
        let f0 = self.detector.estimate().hz(self.fs) as f32;
        self.lpc
            .set_bandwidth(ENVELOPE_BANDWIDTH_HZ.max(ENVELOPE_BANDWIDTH_PER_F0 * f0));
        let _ = self.lpc.analyse(&mut env.a);
        let beta_st = self.beta_st;
        if beta_st != 0.0 {
            let err = self
                .lpc
                .warp(&env.a, (beta_st / 12.0).exp2(), &mut env.synth);
            env.gain = err.max(0.0).sqrt();
        } else {
            env.synth = env.a;
        }
        env.a_rev = reversed(&env.a);
        env.synth_rev = reversed(&env.synth);
        (env.synth_rest, env.synth_a1) = reversed_split(&env.synth);
        self.envelopes[next] = env;
        self.env_new = next;
    }

    /// Places the next grain: the correction for the current grain's
    /// measured period, plus the transposition.
    fn next_grain(&mut self, m: f64) {
        let fs = f64::from(self.fs);
        let period = self.psola.current_period(&self.marks);
        let reference = f64::from(self.active.reference_hz);
        let note = note_of_period(period, fs, reference);
        let dt = ((m - self.last_grain) / fs).clamp(0.0, 1.0);
        self.last_grain = m;
        let shift = self.corrector.grain_shift(note, dt) + self.transpose;
        let ratio = (shift / 12.0).exp2().clamp(0.25, 4.0);
        // Grains of the whitened residual are read at their own speed: the
        // formants live in the envelope filter, which the formant shift
        // warps instead.
        self.psola.advance(
            &self.marks,
            period / ratio,
            Reach {
                latency: self.latency as f64,
                beta: 1.0,
            },
        );
    }

    /// Control-rate work at a grid point `offset` samples into the block.
    fn tick(&mut self, offset: usize) {
        self.ticks += 1;
        let newest = self.count.saturating_sub(1);
        let m = newest as f64 - self.latency as f64;
        let fs = f64::from(self.fs);
        // Until the model has settled on a voice, fits come twice as often,
        // so correction starts 10–20 ms after an onset, not 21–43 ms.
        let hops = if self.lpc.fits_since_restart() < ENVELOPE_SETTLE_FITS {
            ENVELOPE_SETTLE_HOPS
        } else {
            ENVELOPE_HOPS
        };
        if self.ticks.is_multiple_of(hops * self.hop_ticks) {
            self.analyse_envelope();
        }
        if self.ticks.is_multiple_of(self.hop_ticks) {
            let est = self.detector.analyse();
            self.det_voiced = est.voiced;
            self.det_clarity = est.clarity;
            self.det_level = est.level_db;
            if est.voiced {
                if self.marks.is_active() {
                    self.marks.set_period(est.period);
                } else if m - est.period > 0.0 {
                    self.marks
                        .start(self.detector.signal(), newest, m - est.period, est.period);
                }
            }
        }
        if self.marks.is_active() {
            self.marks.extend(self.detector.signal(), newest);
            if !self.det_voiced && !self.psola.is_active() && self.wet == 0.0 {
                self.marks.stop();
            }
        }
        // Re-synthesis starts once the envelope model has seen the voice
        // for two fits (10–20 ms after an onset): a grain whitened by the
        // envelope of the silence before a voice and re-coloured by the
        // voice's would come out several dB too loud.
        let settled = self.lpc.fits_since_restart() >= ENVELOPE_SETTLE_FITS;
        if settled && self.wet == 0.0 && !self.psola.is_active() && self.marks.wants_residual() {
            let f0 = fs / self.marks.period();
            // Searched only as far as decides (two steps past the limit).
            let f1 = lowest_resonance(
                &self.envelopes[self.env_new].a,
                PREEMPHASIS,
                fs,
                0.5 * f0,
                f0 / RESIDUAL_MARKS_F0_SHARE + 4.0,
            );
            let high = self.transpose.abs() < 1.0 && f0 >= RESIDUAL_MARKS_F0_SHARE * f1;
            self.marks
                .align_to_residual(&self.channels[0].residual, newest, high);
        }
        self.wet_target = if self.det_voiced
            && !self.active.bypass
            && self.marks.is_active()
            && (settled || self.wet > 0.0)
        {
            1.0
        } else {
            0.0
        };
        // Glides of transposition and formant shift.
        let step = |cur: &mut f64, to: f64, full: f64| {
            let d = (to - *cur).clamp(-full, full);
            *cur += d;
        };
        let t_to = f64::from(self.active.transpose());
        let b_to = f64::from(self.active.formant_semitones);
        step(
            &mut self.transpose,
            t_to,
            self.glide_step * 2.0 * f64::from(MAX_TRANSPOSE_SEMITONES),
        );
        step(
            &mut self.beta_st,
            b_to,
            self.glide_step * 2.0 * f64::from(MAX_FORMANT_SEMITONES),
        );
        // Correction law on the output's time line.
        let reference = f64::from(self.active.reference_hz);
        let voiced = self.det_voiced && self.psola.is_active();
        let note = if voiced {
            self.marks
                .nearest(m)
                .map_or(f64::NAN, |mk| note_of_period(mk.period, fs, reference))
        } else {
            f64::NAN
        };
        let targets = if self.held.is_empty() {
            Targets::PitchClasses(self.active.scale_mask())
        } else {
            match self.active.midi_target {
                MidiTarget::PitchClasses => Targets::PitchClasses(self.held.pitch_classes()),
                MidiTarget::Exact => Targets::Exact(self.held),
            }
        };
        self.corrector.tick(voiced, note, &targets);
        self.follow_note(offset, voiced, note);
        let target = self.corrector.target();
        let frame = PitchFrame {
            voiced,
            detected_hz: if voiced {
                hz_of_note(note, reference) as f32
            } else {
                0.0
            },
            target_hz: target.map_or(0.0, |t| hz_of_note(f64::from(t), reference) as f32),
            output_hz: if voiced {
                hz_of_note(note + self.corrector.applied() + self.transpose, reference) as f32
            } else {
                0.0
            },
            target_note: target.map_or(-1, |t| t.clamp(-1, 127) as i16),
            cents: match target {
                Some(t) if voiced => (100.0 * (note - f64::from(t))) as f32,
                _ => 0.0,
            },
            confidence: self.det_clarity,
            level_db: self.det_level,
        };
        self.latest = frame;
        if self.frames.len() < self.frame_capacity {
            self.frames.push(frame);
        }
    }

    fn push_event(&mut self, offset: usize, note: u8, kind: NoteEventKind) {
        if self.events.len() < EVENT_CAPACITY {
            self.events.push(NoteEvent { offset, note, kind });
        }
    }

    /// Detected-note MIDI output: the nearest note (kept until the pitch is
    /// three quarters of a semitone away) once it has lasted
    /// [`NOTE_STABLE_MS`] ([`NOTE_CHANGE_MS`] straight after another note).
    fn follow_note(&mut self, offset: usize, voiced: bool, note: f64) {
        let candidate = if voiced && note.is_finite() {
            match self.note_out.sounding {
                Some(s) if (note - f64::from(s)).abs() < 0.75 => Some(s),
                _ => Some(note.round().clamp(0.0, 127.0) as u8),
            }
        } else {
            None
        };
        if candidate == self.note_out.candidate {
            self.note_out.stable = self.note_out.stable.saturating_add(1);
        } else {
            self.note_out.candidate = candidate;
            self.note_out.stable = 1;
        }
        // A new note after silence, or silence after a note, once it has
        // lasted NOTE_STABLE_MS; a change from one note to another only
        // after NOTE_CHANGE_MS (a decaying note's formant ringing can look
        // like a high note for a few tens of milliseconds).
        let needed = if self.note_out.sounding.is_some() && candidate.is_some() {
            self.change_ticks
        } else {
            self.stable_ticks
        };
        if candidate != self.note_out.sounding && self.note_out.stable >= needed {
            if let Some(s) = self.note_out.sounding {
                self.push_event(offset, s, NoteEventKind::Off);
            }
            if let Some(c) = candidate {
                let v = 1.0 + 126.0 * (self.det_level - VELOCITY_FLOOR_DB) / -VELOCITY_FLOOR_DB;
                let velocity = v.round().clamp(1.0, 127.0) as u8;
                self.push_event(offset, c, NoteEventKind::On { velocity });
            }
            self.note_out.sounding = candidate;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decaying 900 Hz bursts every `period` samples with a slow vibrato:
    /// enough of a voice to drive every part of the kernel.
    fn voice(len: usize, period: f64) -> Vec<f32> {
        let mut x = vec![0.0f32; len];
        let mut t0 = 100.0;
        let mut k = 0.0f64;
        while t0 < len as f64 {
            let start = t0 as usize;
            for (i, v) in x.iter_mut().enumerate().skip(start).take(2000) {
                let t = i as f64 - t0;
                *v += (0.4 * (t * 0.118).sin() * (-t / 90.0).exp()) as f32;
            }
            k += 1.0;
            t0 += period * (1.0 + 0.01 * (k * 0.05).sin());
        }
        x
    }

    #[test]
    fn avx2_build_matches_the_portable_build_bit_for_bit() {
        let x = voice(48_000, 181.3);
        let p = TuneParams {
            retune_ms: 0.0,
            formant_semitones: 1.5,
            ..TuneParams::default()
        };
        let mut outs = Vec::new();
        for avx2 in [false, true] {
            let mut t = Tuner::new();
            t.set_params(&p);
            t.prepare(48_000.0, 512, 1);
            t.avx2 = avx2 && has_avx2();
            let mut y = x.clone();
            for c in y.chunks_mut(512) {
                t.process(&mut [c]);
            }
            outs.push(y);
        }
        assert!(outs[0]
            .iter()
            .zip(&outs[1])
            .all(|(a, b)| a.to_bits() == b.to_bits()));
        // The correction did something.
        assert!(outs[0].iter().zip(&x).any(|(a, b)| (a - b).abs() > 1e-3));
    }
}
