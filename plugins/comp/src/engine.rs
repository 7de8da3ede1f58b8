//! Everything the plugin does per block, free of the plugin framework: the
//! compressor, the meters, the editor's history frames and transfer-curve
//! dot, and the hand-off of all readings to the editor. The plugin maps
//! parameters and calls [`CompEngine::process`]; tests and the editor
//! snapshot drive the same engine directly.

use glass_dsp::compressor::{Compressor, CompressorParams, FLOOR_DB};
use glass_dsp::util::gain_to_db_floored;
use glass_ui::{HistoryFifo, MeterValue, StereoMeter};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// History frames per second sent to the editor.
pub const HISTORY_RATE_HZ: f32 = 100.0;
/// Lanes of a history frame: input peak dB, output peak dB, gain reduction
/// dB (positive).
pub type HistoryFrame = [f32; 3];

/// Readings the audio thread publishes for the editor (lock-free).
pub struct CompShared {
    /// Main input sample peaks per channel.
    pub input: StereoMeter,
    /// Output sample peaks per channel.
    pub output: StereoMeter,
    /// Largest gain reduction since the editor's last read, dB (positive).
    pub gain_reduction_db: MeterValue,
    /// Detector level of the latest history frame (the transfer curve's
    /// input), dB.
    pub dot_input_db: MeterValue,
    /// Gain reduction of the latest history frame (the dot's distance below
    /// the unity line), dB.
    pub dot_reduction_db: MeterValue,
    /// The host connected an external sidechain that is in use.
    pub sidechain_in_use: AtomicBool,
    /// Scrolling history frames at [`HISTORY_RATE_HZ`].
    pub history: HistoryFifo<HistoryFrame>,
}

impl Default for CompShared {
    fn default() -> Self {
        Self {
            input: StereoMeter::new(),
            output: StereoMeter::new(),
            gain_reduction_db: MeterValue::default(),
            dot_input_db: MeterValue::new(FLOOR_DB),
            dot_reduction_db: MeterValue::default(),
            sidechain_in_use: AtomicBool::new(false),
            history: HistoryFifo::new(1024),
        }
    }
}

fn silent_frame() -> HistoryFrame {
    [FLOOR_DB, FLOOR_DB, 0.0]
}

/// The compressor with its metering. Realtime-safe after `prepare`.
pub struct CompEngine {
    shared: Arc<CompShared>,
    comp: Compressor,
    frame_len: usize,
    frame_left: usize,
    frame: HistoryFrame,
    frame_detector_db: f32,
}

impl CompEngine {
    /// An engine publishing to `shared`; call [`CompEngine::prepare`].
    pub fn new(shared: Arc<CompShared>) -> Self {
        Self {
            shared,
            comp: Compressor::new(),
            frame_len: 480,
            frame_left: 480,
            frame: silent_frame(),
            frame_detector_db: FLOOR_DB,
        }
    }

    /// Allocates for `channels` (1 or 2) at `sample_rate` Hz with `params`
    /// in effect, and resets.
    pub fn prepare(
        &mut self,
        sample_rate: f32,
        max_block: usize,
        channels: usize,
        params: &CompressorParams,
    ) {
        self.comp.set_params(params);
        self.comp
            .prepare(sample_rate, max_block, channels.clamp(1, 2));
        self.frame_len = ((sample_rate / HISTORY_RATE_HZ).round() as usize).max(1);
        self.reset();
    }

    /// Clears all state and measurements. Realtime-safe.
    pub fn reset(&mut self) {
        self.comp.reset();
        self.frame_left = self.frame_len;
        self.frame = silent_frame();
        self.frame_detector_db = FLOOR_DB;
    }

    /// Latency in samples `params` give (what the host should be told).
    pub fn latency_for(&self, params: &CompressorParams) -> usize {
        self.comp.latency_for(params)
    }

    /// Compresses and meters one block in place (1 or 2 channels; others are
    /// left untouched). `sidechain` is the host's sidechain input, if it
    /// offers one (its content is used when the params ask for it).
    /// Realtime-safe.
    pub fn process(
        &mut self,
        chans: &mut [&mut [f32]],
        sidechain: Option<&[&[f32]]>,
        params: &CompressorParams,
    ) {
        self.comp.set_params(params);
        let nch = chans.len().min(2);
        let chans = &mut chans[..nch];
        let mut len = chans.iter().map(|c| c.len()).min().unwrap_or(0);
        let sidechain = sidechain.filter(|s| !s.is_empty());
        if let Some(sc) = sidechain {
            len = len.min(sc.iter().map(|c| c.len()).min().unwrap_or(0));
        }
        self.shared.sidechain_in_use.store(
            params.external_sidechain && sidechain.is_some(),
            Ordering::Relaxed,
        );

        let mut in_peak = [0.0f32; 2];
        for (c, ch) in chans.iter().enumerate() {
            in_peak[c] = ch[..len]
                .iter()
                .filter(|v| v.is_finite())
                .fold(0.0f32, |m, v| m.max(v.abs()));
        }
        if nch == 1 {
            in_peak[1] = in_peak[0];
        }
        self.shared.input.record_peaks(in_peak, in_peak);

        // The kernel runs in pieces that end on history-frame boundaries
        // (counted from reset), so the history does not depend on how the
        // host slices the stream.
        let mut start = 0;
        while start < len {
            let n = (len - start).min(self.frame_left);
            let mut keys: [&[f32]; 2] = [&[], &[]];
            let key_count = sidechain.map_or(0, |sc| {
                for (k, c) in keys.iter_mut().zip(sc.iter()) {
                    *k = &c[start..start + n];
                }
                sc.len().min(2)
            });
            let key = (key_count > 0).then_some(&keys[..key_count]);
            match chans {
                [one] => self
                    .comp
                    .process_with_sidechain(&mut [&mut one[start..start + n]], key),
                [l, r] => self.comp.process_with_sidechain(
                    &mut [&mut l[start..start + n], &mut r[start..start + n]],
                    key,
                ),
                _ => {}
            }
            let m = self.comp.take_meter();
            let db = |x: f32| gain_to_db_floored(x, FLOOR_DB);
            self.frame[0] = self.frame[0].max(db(m.input_peak));
            self.frame[1] = self.frame[1].max(db(m.output_peak));
            self.frame[2] = self.frame[2].max(m.max_reduction_db);
            self.frame_detector_db = self.frame_detector_db.max(m.max_detector_db);
            self.frame_left -= n;
            start += n;
            if self.frame_left == 0 {
                let s = &self.shared;
                s.gain_reduction_db.store_max(self.frame[2]);
                s.dot_input_db.store(self.frame_detector_db);
                s.dot_reduction_db.store(self.frame[2]);
                s.history.push(self.frame);
                self.frame = silent_frame();
                self.frame_detector_db = FLOOR_DB;
                self.frame_left = self.frame_len;
            }
        }

        let mut out_peak = [0.0f32; 2];
        for (c, ch) in chans.iter().enumerate() {
            out_peak[c] = ch[..len].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        }
        if nch == 1 {
            out_peak[1] = out_peak[0];
        }
        self.shared.output.record_peaks(out_peak, out_peak);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glass_dsp::compressor::Style;

    fn signal(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (i as f32 * 0.0571).sin() * (0.05 + 0.6 * ((i / 12_000) % 2) as f32))
            .collect()
    }

    fn run(block: usize, params: &CompressorParams, key: bool) -> (Vec<HistoryFrame>, Vec<f32>) {
        let shared = Arc::new(CompShared::default());
        let mut engine = CompEngine::new(shared.clone());
        engine.prepare(48_000.0, 4096, 2, params);
        let x = signal(48_000 * 2);
        let k: Vec<f32> = x.iter().rev().copied().collect();
        let (mut l, mut r) = (x.clone(), x);
        let mut frames = Vec::new();
        let mut s = 0;
        while s < l.len() {
            let e = (s + block).min(l.len());
            let ks: [&[f32]; 1] = [&k[s..e]];
            engine.process(
                &mut [&mut l[s..e], &mut r[s..e]],
                key.then_some(&ks[..]),
                params,
            );
            shared.history.drain_into(|f| frames.push(f));
            s = e;
        }
        (frames, l)
    }

    #[test]
    fn history_and_audio_do_not_depend_on_the_block_size() {
        for (params, key) in [
            (CompressorParams::default(), false),
            (
                CompressorParams {
                    style: Style::Punchy,
                    lookahead_ms: 3.0,
                    external_sidechain: true,
                    ..CompressorParams::default()
                },
                true,
            ),
        ] {
            let (reference, audio) = run(512, &params, key);
            assert_eq!(reference.len(), 200, "2 s at 100 frames per second");
            for block in [1usize, 61, 4096] {
                let (frames, a) = run(block, &params, key);
                assert_eq!(frames, reference, "block {block}");
                assert_eq!(a, audio, "block {block}");
            }
        }
    }

    #[test]
    fn history_shows_the_reduction_of_the_static_curve() {
        // The loud half through an RMS detector with a 100 ms window: a
        // 0.65 peak sine reads 0.65/√2 (−6.74 dBFS); into −18 dB, 4:1 and a
        // 6 dB knee that is (1 − 1/4)·(−6.74 + 18) = 8.45 dB.
        let params = CompressorParams {
            detector_blend: 1.0,
            rms_window_ms: 100.0,
            attack_ms: 1.0,
            ..CompressorParams::default()
        };
        let (frames, _) = run(512, &params, false);
        let max_gr = frames.iter().map(|f| f[2]).fold(0.0f32, f32::max);
        let want = 0.75 * (20.0 * (0.65f32 / 2f32.sqrt()).log10() + 18.0);
        assert!((max_gr - want).abs() < 0.05, "max GR {max_gr} dB vs {want}");
        // In a settled loud frame the output peak sits that far below the input's.
        let f = frames[190];
        assert!((f[0] - f[1] - f[2]).abs() < 0.05, "{f:?}");
    }

    #[test]
    fn sidechain_keys_the_gain_and_the_editor_learns_it_is_in_use() {
        // Main at −40 dB, sidechain square at −6 dB, ∞:1 hard knee at
        // −30 dB: 24 dB of reduction, and the dot sits at the key's level.
        let params = CompressorParams {
            threshold_db: -30.0,
            ratio: f32::INFINITY,
            knee_db: 0.0,
            attack_ms: 1.0,
            external_sidechain: true,
            ..CompressorParams::default()
        };
        let shared = Arc::new(CompShared::default());
        let mut engine = CompEngine::new(shared.clone());
        engine.prepare(48_000.0, 512, 2, &params);
        let sq = |a: f32| -> Vec<f32> {
            (0..24_000)
                .map(|i| if (i / 32) % 2 == 0 { a } else { -a })
                .collect()
        };
        let (main, key) = (sq(0.01), sq(0.501_187_2));
        let (mut l, mut r) = (main.clone(), main.clone());
        for s in (0..24_000).step_by(500) {
            let k: [&[f32]; 1] = [&key[s..s + 500]];
            engine.process(
                &mut [&mut l[s..s + 500], &mut r[s..s + 500]],
                Some(&k),
                &params,
            );
        }
        assert!(shared.sidechain_in_use.load(Ordering::Relaxed));
        let reduction = 20.0 * (main[23_999] / l[23_999]).abs().log10();
        assert!((reduction - 24.0).abs() < 0.05, "{reduction}");
        assert!((shared.dot_input_db.load() + 6.0).abs() < 0.05);
        assert!((shared.dot_reduction_db.load() - 24.0).abs() < 0.05);
        // Without a sidechain port the flag drops and the input keys itself.
        engine.process(&mut [&mut l[..500], &mut r[..500]], None, &params);
        assert!(!shared.sidechain_in_use.load(Ordering::Relaxed));
    }

    #[test]
    fn lookahead_sets_the_latency_the_plugin_reports() {
        let shared = Arc::new(CompShared::default());
        let mut engine = CompEngine::new(shared);
        for (fs, ms) in [(44_100.0f32, 5.0f32), (48_000.0, 20.0), (96_000.0, 0.0)] {
            let params = CompressorParams {
                lookahead_ms: ms,
                ..CompressorParams::default()
            };
            engine.prepare(fs, 512, 2, &params);
            let latency = engine.latency_for(&params);
            assert_eq!(latency, (ms * fs / 1000.0).round() as usize);
            let mut x = vec![0.0f32; 4096];
            x[10] = 0.01;
            let mut y = x.clone();
            engine.process(&mut [&mut y[..]], None, &params);
            let peak = y.iter().position(|v| *v != 0.0);
            assert_eq!(peak, Some(10 + latency), "{fs} Hz {ms} ms");
        }
    }
}
