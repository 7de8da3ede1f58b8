//! Everything the plugin does per block, free of the plugin framework: the
//! EQ kernel, the level meters, the analyser feed (the signal before and
//! after the EQ, mono-summed, in fixed chunks through lock-free queues) and
//! the dynamic bands' live gains for the editor.

use glass_dsp::delay_line::DelayLine;
use glass_dsp::denormal::FlushDenormals;
use glass_dsp::eq::{Eq, EqParams, PhaseMode, MAX_BANDS};
use glass_ui::shared::block_peaks;
use glass_ui::{HistoryFifo, MeterValue, StereoMeter};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Samples per analyser chunk.
pub const CHUNK: usize = 128;
/// Chunks each analyser queue holds (about 1.4 s at 48 kHz: the editor
/// drains it every frame, so this only covers a stalled GUI).
const QUEUE_CHUNKS: usize = 512;

/// One analyser chunk: `CHUNK` mono samples.
pub type Chunk = [f32; CHUNK];

/// Readings the audio thread publishes for the editor (lock-free).
pub struct EqShared {
    /// Input sample peaks per channel.
    pub input: StereoMeter,
    /// Output sample peaks per channel.
    pub output: StereoMeter,
    /// The input, (L + R) / 2, for the analyser.
    pub pre: HistoryFifo<Chunk>,
    /// The output, (L + R) / 2, for the analyser.
    pub post: HistoryFifo<Chunk>,
    /// Each band's dynamic gain change now, dB.
    pub dynamic_db: [MeterValue; MAX_BANDS],
    /// Sample rate the engine runs at, Hz; 0 before activation.
    pub sample_rate: MeterValue,
    /// Latency in samples as last reported.
    pub latency: MeterValue,
    /// The band the editor solos (heard alone), or [`NO_SOLO`].
    pub solo: AtomicUsize,
}

/// [`EqShared::solo`] when no band is soloed.
pub const NO_SOLO: usize = usize::MAX;

impl EqShared {
    /// The soloed band, if any.
    pub fn solo(&self) -> Option<usize> {
        Some(self.solo.load(Ordering::Relaxed)).filter(|&b| b != NO_SOLO)
    }
}

impl Default for EqShared {
    fn default() -> Self {
        Self {
            input: StereoMeter::new(),
            output: StereoMeter::new(),
            pre: HistoryFifo::new_filled(QUEUE_CHUNKS, [0.0; CHUNK]),
            post: HistoryFifo::new_filled(QUEUE_CHUNKS, [0.0; CHUNK]),
            dynamic_db: std::array::from_fn(|_| MeterValue::new(0.0)),
            sample_rate: MeterValue::new(0.0),
            latency: MeterValue::new(0.0),
            solo: AtomicUsize::new(NO_SOLO),
        }
    }
}

/// Collects mono samples into chunks and queues each full one.
struct ChunkWriter {
    chunk: Chunk,
    fill: usize,
}

impl ChunkWriter {
    fn new() -> Self {
        Self {
            chunk: [0.0; CHUNK],
            fill: 0,
        }
    }

    fn write(&mut self, chans: &[&mut [f32]], len: usize, queue: &HistoryFifo<Chunk>) {
        let n = chans.len().min(2);
        if n == 0 {
            return;
        }
        let scale = 1.0 / n as f32;
        for i in 0..len {
            let v: f32 = chans[..n].iter().map(|c| c[i]).sum::<f32>() * scale;
            self.chunk[self.fill] = v;
            self.fill += 1;
            if self.fill == CHUNK {
                // A full queue (no editor draining it) drops the chunk.
                queue.push(self.chunk);
                self.fill = 0;
            }
        }
    }
}

/// The EQ with its meters and analyser feed. Realtime-safe after
/// `prepare`.
pub struct EqEngine {
    shared: Arc<EqShared>,
    eq: Eq,
    pre: ChunkWriter,
    post: ChunkWriter,
    /// The input delayed by the latency, for the bypass crossfade.
    dry: [DelayLine; 2],
    /// Share of the EQ in the output (0 bypassed .. 1), moved per sample by
    /// `fade_step` towards the bypass state.
    active: f32,
    fade_step: f32,
    sample_rate: f32,
}

/// Bypass crossfade, ms.
const BYPASS_FADE_MS: f32 = 10.0;
/// Block the bypass crossfade works in (a scratch copy of the input).
const DRY_BLOCK: usize = 256;

impl EqEngine {
    /// An engine publishing to `shared`; call [`EqEngine::prepare`].
    pub fn new(shared: Arc<EqShared>) -> Self {
        Self {
            shared,
            eq: Eq::new(),
            pre: ChunkWriter::new(),
            post: ChunkWriter::new(),
            dry: Default::default(),
            active: 1.0,
            fade_step: 1.0,
            sample_rate: 48_000.0,
        }
    }

    /// The latency `params` ask for at the prepared rate: 0 in zero-latency
    /// mode, half the FIR length in linear phase.
    pub fn latency_for(&self, params: &EqParams) -> u32 {
        match params.phase {
            PhaseMode::ZeroLatency => 0,
            PhaseMode::Linear => (params.fir_length.taps(self.sample_rate) / 2) as u32,
        }
    }

    /// Allocates for `channels` (1 or 2) at `sample_rate` Hz with `params`
    /// in effect, and resets.
    pub fn prepare(
        &mut self,
        sample_rate: f32,
        max_block: usize,
        channels: usize,
        params: &EqParams,
    ) {
        self.eq.set_params(params);
        self.eq
            .prepare(sample_rate, max_block, channels.clamp(1, 2));
        self.sample_rate = sample_rate;
        // The longest FIR's latency at this rate.
        let longest = glass_dsp::linear_phase::FirLength::Taps32768.taps(sample_rate) / 2;
        for d in &mut self.dry {
            d.prepare(longest + DRY_BLOCK + 4);
        }
        self.fade_step = 1.0 / (BYPASS_FADE_MS * 1e-3 * sample_rate.max(1.0));
        self.shared.sample_rate.store(sample_rate);
        self.shared.latency.store(self.eq.latency() as f32);
    }

    /// Clears the filters. Realtime-safe.
    pub fn reset(&mut self) {
        self.eq.reset();
        for d in &mut self.dry {
            d.reset();
        }
    }

    /// Latency in samples for the phase mode in effect.
    pub fn latency(&self) -> u32 {
        self.eq.latency() as u32
    }

    /// Processes one block in place (1 or 2 channels), the dynamic bands'
    /// detectors listening to `sidechain` where set to; `bypass` fades to
    /// the input delayed by the latency over 10 ms. Realtime-safe.
    pub fn process(
        &mut self,
        chans: &mut [&mut [f32]],
        sidechain: Option<&[&[f32]]>,
        params: &EqParams,
        bypass: bool,
    ) {
        let _ftz = FlushDenormals::new();
        let nch = chans.len().min(2);
        let chans = &mut chans[..nch];
        let len = chans.iter().map(|c| c.len()).min().unwrap_or(0);
        let input = block_peaks(chans, len);
        self.pre.write(chans, len, &self.shared.pre);
        self.eq.set_params(params);
        let latency = self.eq.latency();
        let mut pos = 0;
        while pos < len {
            let n = DRY_BLOCK.min(len - pos);
            // The dry signal, delayed as the EQ delays, for the bypass.
            let mut dry = [[0.0f32; DRY_BLOCK]; 2];
            for (c, ch) in chans.iter().enumerate() {
                for (d, &x) in dry[c][..n].iter_mut().zip(&ch[pos..pos + n]) {
                    self.dry[c].push(x);
                    *d = self.dry[c].read(latency);
                }
            }
            {
                let mut parts: [&mut [f32]; 2] = [&mut [], &mut []];
                for (part, ch) in parts.iter_mut().zip(chans.iter_mut()) {
                    *part = &mut ch[pos..pos + n];
                }
                let parts = &mut parts[..nch];
                match sidechain.filter(|s| !s.is_empty()) {
                    Some(sc) => {
                        let mut keys: [&[f32]; 2] = [&[], &[]];
                        for (k, s) in keys.iter_mut().zip(sc) {
                            *k = s.get(pos..pos + n).unwrap_or(&[]);
                        }
                        self.eq
                            .process_with_sidechain(parts, &keys[..sc.len().min(2)]);
                    }
                    None => self.eq.process(parts),
                }
            }
            let step = if bypass {
                -self.fade_step
            } else {
                self.fade_step
            };
            if self.active < 1.0 || bypass {
                for i in 0..n {
                    let a = self.active;
                    for (c, ch) in chans.iter_mut().enumerate() {
                        let y = &mut ch[pos + i];
                        *y = dry[c][i] + (*y - dry[c][i]) * a;
                    }
                    self.active = (a + step).clamp(0.0, 1.0);
                }
            }
            pos += n;
        }
        self.post.write(chans, len, &self.shared.post);
        let output = block_peaks(chans, len);
        let s = &self.shared;
        s.input.record_peaks(input, input);
        s.output.record_peaks(output, output);
        for (band, value) in s.dynamic_db.iter().enumerate() {
            value.store(self.eq.dynamic_gain_db(band));
        }
        s.latency.store(self.eq.latency() as f32);
    }
}
