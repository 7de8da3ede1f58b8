//! Everything the plugin does per block, free of the plugin framework: the
//! limiter, the output meters (BS.1770 true peak, EBU R128 loudness), the
//! editor's history frames, and the hand-off of all readings to the editor.
//! The plugin maps parameters and calls [`LimitEngine::process`]; tests and
//! the editor snapshot drive the same engine directly.

use glass_dsp::limiter::{Limiter, LimiterParams};
use glass_dsp::loudness::LoudnessMeter;
use glass_dsp::true_peak::TruePeakMeter;
use glass_dsp::util::gain_to_db_floored;
use glass_ui::{HistoryFifo, MeterValue, StereoMeter};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// History frames per second sent to the editor.
pub const HISTORY_RATE_HZ: f32 = 100.0;
/// Lanes of a history frame: input peak dB, output peak dB, gain reduction
/// dB (positive).
pub type HistoryFrame = [f32; 3];

/// Level shown for silence, dB.
const FLOOR_DB: f32 = -200.0;

/// Readings the audio thread publishes for the editor (lock-free).
pub struct LimitShared {
    /// Input level after the input gain: sample peak per channel.
    pub input: StereoMeter,
    /// Output sample and true peaks per channel.
    pub output: StereoMeter,
    /// Largest gain reduction since the editor's last read, dB (positive).
    pub gain_reduction_db: MeterValue,
    /// Momentary loudness, LUFS.
    pub momentary: MeterValue,
    /// Short-term loudness, LUFS.
    pub short_term: MeterValue,
    /// Integrated loudness, LUFS.
    pub integrated: MeterValue,
    /// Loudness range, LU.
    pub loudness_range: MeterValue,
    /// Largest output true peak since the loudness reset, dBTP.
    pub max_true_peak_db: MeterValue,
    /// Set by the editor to restart loudness measurement.
    pub reset_loudness: AtomicBool,
    /// Scrolling history frames at [`HISTORY_RATE_HZ`].
    pub history: HistoryFifo<HistoryFrame>,
}

impl Default for LimitShared {
    fn default() -> Self {
        Self {
            input: StereoMeter::new(),
            output: StereoMeter::new(),
            gain_reduction_db: MeterValue::default(),
            momentary: MeterValue::default(),
            short_term: MeterValue::default(),
            integrated: MeterValue::default(),
            loudness_range: MeterValue::default(),
            max_true_peak_db: MeterValue::default(),
            reset_loudness: AtomicBool::new(false),
            history: HistoryFifo::new(1024),
        }
    }
}

/// The limiter with its metering. Realtime-safe after `prepare`.
pub struct LimitEngine {
    shared: Arc<LimitShared>,
    limiter: Limiter,
    loudness: LoudnessMeter,
    true_peak: [TruePeakMeter; 2],
    frame_len: usize,
    frame_left: usize,
    frame: HistoryFrame,
}

fn silent_frame() -> HistoryFrame {
    [FLOOR_DB, FLOOR_DB, 0.0]
}

impl LimitEngine {
    /// An engine publishing to `shared`; call [`LimitEngine::prepare`].
    pub fn new(shared: Arc<LimitShared>) -> Self {
        Self {
            shared,
            limiter: Limiter::new(),
            loudness: LoudnessMeter::new(),
            true_peak: [TruePeakMeter::new(), TruePeakMeter::new()],
            frame_len: 480,
            frame_left: 480,
            frame: silent_frame(),
        }
    }

    /// Allocates for `channels` (1 or 2) at `sample_rate` Hz with `params`
    /// in effect, and resets.
    pub fn prepare(
        &mut self,
        sample_rate: f32,
        max_block: usize,
        channels: usize,
        params: &LimiterParams,
    ) {
        let channels = channels.clamp(1, 2);
        self.limiter.set_params(params);
        self.limiter.prepare(sample_rate, max_block, channels);
        self.loudness.prepare(sample_rate, channels);
        for m in &mut self.true_peak {
            m.prepare(sample_rate, 1);
        }
        self.frame_len = ((sample_rate / HISTORY_RATE_HZ).round() as usize).max(1);
        self.reset();
    }

    /// Clears all state and measurements. Realtime-safe.
    pub fn reset(&mut self) {
        self.limiter.reset();
        self.loudness.reset();
        for m in &mut self.true_peak {
            m.reset();
        }
        self.frame_left = self.frame_len;
        self.frame = silent_frame();
    }

    /// Latency, in samples, that `params` give (what the host should be told).
    pub fn latency_for(&self, params: &LimiterParams) -> usize {
        self.limiter.latency_for(params)
    }

    /// Limits and meters one block in place (1 or 2 channels; others are
    /// left untouched). Realtime-safe.
    pub fn process(&mut self, chans: &mut [&mut [f32]], params: &LimiterParams) {
        self.limiter.set_params(params);
        if self.shared.reset_loudness.swap(false, Ordering::Relaxed) {
            self.loudness.reset();
            for m in &mut self.true_peak {
                m.reset_peak();
            }
        }
        let nch = chans.len().min(2);
        let chans = &mut chans[..nch];
        let len = chans.iter().map(|c| c.len()).min().unwrap_or(0);

        // Input meter: the level that meets the limiter.
        let gain = glass_dsp::util::db_to_gain(params.input_gain_db);
        let mut in_peak = [0.0f32; 2];
        for (c, ch) in chans.iter().enumerate() {
            in_peak[c] = ch[..len]
                .iter()
                .filter(|v| v.is_finite())
                .fold(0.0f32, |m, v| m.max(v.abs()))
                * gain;
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
            match chans {
                [one] => self.limiter.process(&mut [&mut one[start..start + n]]),
                [l, r] => self
                    .limiter
                    .process(&mut [&mut l[start..start + n], &mut r[start..start + n]]),
                _ => {}
            }
            let m = self.limiter.take_meter();
            let db = |x: f32| gain_to_db_floored(x, FLOOR_DB);
            self.frame[0] = self.frame[0].max(db(m.input_peak));
            self.frame[1] = self.frame[1].max(db(m.output_peak));
            self.frame[2] = self.frame[2].max(-db(m.min_gain));
            self.frame_left -= n;
            start += n;
            if self.frame_left == 0 {
                self.shared.gain_reduction_db.store_max(self.frame[2]);
                self.shared.history.push(self.frame);
                self.frame = silent_frame();
                self.frame_left = self.frame_len;
            }
        }

        // Output metering.
        let mut out_peak = [0.0f32; 2];
        let mut out_tp = [0.0f32; 2];
        for (c, ch) in chans.iter().enumerate() {
            out_peak[c] = ch[..len].iter().fold(0.0f32, |m, v| m.max(v.abs()));
            self.true_peak[c].process(&[&ch[..len]]);
            out_tp[c] = self.true_peak[c].take_recent_peak();
        }
        if nch == 1 {
            out_peak[1] = out_peak[0];
            out_tp[1] = out_tp[0];
        }
        self.shared.output.record_peaks(out_peak, out_tp);
        match chans {
            [one] => self.loudness.process(&[&one[..len]]),
            [l, r] => self.loudness.process(&[&l[..len], &r[..len]]),
            _ => {}
        }
        self.publish_loudness();
    }

    fn publish_loudness(&self) {
        let s = &self.shared;
        s.momentary.store(self.loudness.momentary_lufs());
        s.short_term.store(self.loudness.short_term_lufs());
        s.integrated.store(self.loudness.integrated_lufs());
        s.loudness_range.store(self.loudness.loudness_range_lu());
        let tp = self.true_peak[0]
            .max_true_peak()
            .max(self.true_peak[1].max_true_peak());
        s.max_true_peak_db.store(gain_to_db_floored(tp, FLOOR_DB));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(block: usize) -> (Vec<HistoryFrame>, f32, f32) {
        let shared = Arc::new(LimitShared::default());
        let mut engine = LimitEngine::new(shared.clone());
        let params = LimiterParams {
            input_gain_db: 9.0,
            ..LimiterParams::default()
        };
        engine.prepare(48_000.0, 4096, 2, &params);
        let x: Vec<f32> = (0..48_000 * 4)
            .map(|i| (i as f32 * 0.0571).sin() * (0.3 + 0.3 * (i as f32 * 0.0001).sin()))
            .collect();
        let (mut l, mut r) = (x.clone(), x);
        let mut frames = Vec::new();
        for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
            engine.process(&mut [a, b], &params);
            shared.history.drain_into(|f| frames.push(f));
        }
        (
            frames,
            shared.integrated.load(),
            shared.max_true_peak_db.load(),
        )
    }

    #[test]
    fn history_and_loudness_do_not_depend_on_the_block_size() {
        let (reference, integrated, tp) = run(512);
        assert_eq!(reference.len(), 400, "4 s at 100 frames per second");
        assert!(integrated.is_finite() && integrated > -30.0);
        assert!(
            tp <= -1.0 + 0.005,
            "output true peak {tp} dBTP over the ceiling"
        );
        for block in [1usize, 61, 4096] {
            let (frames, i, t) = run(block);
            assert_eq!(frames, reference, "block {block}");
            assert_eq!((i, t), (integrated, tp), "block {block}");
        }
    }

    #[test]
    fn history_shows_the_gain_reduction_the_limiter_applies() {
        let (frames, _, _) = run(512);
        // +9 dB into a −1 dBTP ceiling on a 0.6 peak sine: the steady gain
        // reduction is 20·log10(0.6·2.818/0.891) = 5.56 dB at the loud end.
        let max_gr = frames.iter().map(|f| f[2]).fold(0.0f32, f32::max);
        assert!((max_gr - 5.56).abs() < 0.1, "max GR {max_gr} dB");
        // Output never above the ceiling in any frame.
        assert!(frames.iter().all(|f| f[1] <= -1.0 + 1e-3));
    }
}
