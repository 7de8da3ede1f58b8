//! Everything the plugin does per block, free of the plugin framework: the
//! reverb kernel, the level meters (input, output and the wet signal), and
//! the hand-off of readings to the editor. The plugin maps parameters and
//! calls [`VerbEngine::process`]; tests and the editor snapshot drive the
//! same engine directly.

use glass_dsp::denormal::FlushDenormals;
use glass_dsp::reverb::{Reverb, ReverbParams};
use glass_ui::shared::block_peaks;
use glass_ui::{MeterValue, StereoMeter};
use std::sync::Arc;

/// Readings the audio thread publishes for the editor (lock-free).
pub struct VerbShared {
    /// Input sample peaks per channel.
    pub input: StereoMeter,
    /// Output sample peaks per channel.
    pub output: StereoMeter,
    /// Wet signal peaks per side (after the wet filters and ducking, before
    /// the mix).
    pub wet: StereoMeter,
    /// The host tempo of the latest block, BPM; 0 when the host gives none.
    pub tempo_bpm: MeterValue,
    /// Sample rate the engine runs at, Hz; 0 before activation.
    pub sample_rate: MeterValue,
}

impl Default for VerbShared {
    fn default() -> Self {
        Self {
            input: StereoMeter::new(),
            output: StereoMeter::new(),
            wet: StereoMeter::new(),
            tempo_bpm: MeterValue::new(0.0),
            sample_rate: MeterValue::new(0.0),
        }
    }
}

/// What the host should be told after a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tail {
    /// Samples of output still to come after the input stops.
    Samples(u32),
    /// Endless (freeze).
    Endless,
}

/// The reverb with its meters. Realtime-safe after `prepare`.
pub struct VerbEngine {
    shared: Arc<VerbShared>,
    reverb: Reverb,
}

impl VerbEngine {
    /// An engine publishing to `shared`; call [`VerbEngine::prepare`].
    pub fn new(shared: Arc<VerbShared>) -> Self {
        Self {
            shared,
            reverb: Reverb::new(),
        }
    }

    /// Allocates the lines for `sample_rate` Hz with `params` in effect and
    /// resets. `channels` (1 or 2) and `max_block` are not needed by the
    /// kernel; any block length works.
    pub fn prepare(
        &mut self,
        sample_rate: f32,
        max_block: usize,
        channels: usize,
        params: &ReverbParams,
    ) {
        self.reverb.set_params(params);
        self.reverb
            .prepare(sample_rate, max_block, channels.clamp(1, 2));
        self.shared.sample_rate.store(self.reverb.sample_rate());
    }

    /// Clears the room. Realtime-safe.
    pub fn reset(&mut self) {
        self.reverb.reset();
    }

    /// Latency in samples: none (only the wet is delayed, by the pre-delay).
    pub fn latency(&self) -> u32 {
        self.reverb.latency() as u32
    }

    /// Tail for `params` at the prepared sample rate: until the slowest
    /// band has fallen 90 dB; endless with freeze.
    pub fn tail(&self, params: &ReverbParams) -> Tail {
        match Reverb::tail_samples(params, self.reverb.sample_rate()) {
            Some(n) => Tail::Samples(n.min(u32::MAX as usize - 1) as u32),
            None => Tail::Endless,
        }
    }

    /// Processes one block in place (1 or 2 channels; others are left
    /// untouched) and meters it. `tempo_bpm` is only published for the
    /// editor's sync readout (0 when none). Realtime-safe.
    pub fn process(&mut self, chans: &mut [&mut [f32]], params: &ReverbParams, tempo_bpm: f64) {
        let _ftz = FlushDenormals::new();
        let nch = chans.len().min(2);
        let chans = &mut chans[..nch];
        let input = block_peaks(chans, usize::MAX);
        self.reverb.set_params(params);
        self.reverb.process(chans);
        let output = block_peaks(chans, usize::MAX);
        let mut wet = self.reverb.take_wet_peaks();
        if nch == 1 {
            // The mono output averages the two sides; the louder side's
            // peak bounds the wet it carries.
            wet = [wet[0].max(wet[1]); 2];
        }
        let s = &self.shared;
        s.input.record_peaks(input, input);
        s.output.record_peaks(output, output);
        s.wet.record_peaks(wet, wet);
        s.tempo_bpm.store(if tempo_bpm.is_finite() {
            tempo_bpm as f32
        } else {
            0.0
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(block: usize, params: &ReverbParams) -> Vec<f32> {
        let mut engine = VerbEngine::new(Arc::new(VerbShared::default()));
        engine.prepare(48_000.0, block, 2, params);
        let x: Vec<f32> = (0..48_000)
            .map(|i| {
                if i % 12_000 < 300 {
                    (i as f32 * 0.07).sin() * 0.5
                } else {
                    0.0
                }
            })
            .collect();
        let (mut l, mut r) = (x.clone(), x);
        for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
            engine.process(&mut [a, b], params, 120.0);
        }
        l.extend(r);
        l
    }

    #[test]
    fn output_does_not_depend_on_the_block_size() {
        let params = crate::params::VerbPluginParams::default().kernel_params(Some(120.0));
        let reference = render(1, &params);
        for block in [7, 64, 4096] {
            assert!(render(block, &params)
                .iter()
                .zip(&reference)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn tail_is_ninety_db_of_the_slowest_band_and_endless_when_frozen() {
        let mut engine = VerbEngine::new(Arc::new(VerbShared::default()));
        let p = ReverbParams {
            decay_s: 2.0,
            low_multiplier: 1.5,
            pre_delay_ms: 0.0,
            size: 1.0,
            ..ReverbParams::default()
        };
        engine.prepare(48_000.0, 512, 2, &p);
        match engine.tail(&p) {
            // 1.5 × 3 s to fall 90 dB, plus the early taps and lines.
            Tail::Samples(n) => {
                let s = f64::from(n) / 48_000.0;
                assert!((4.5..4.7).contains(&s), "{s} s");
            }
            Tail::Endless => panic!("not endless without freeze"),
        }
        assert_eq!(
            engine.tail(&ReverbParams { freeze: true, ..p }),
            Tail::Endless
        );
    }

    #[test]
    fn meters_read_input_output_and_wet() {
        let shared = Arc::new(VerbShared::default());
        let mut engine = VerbEngine::new(shared.clone());
        let p = ReverbParams {
            mix: 1.0,
            ..ReverbParams::default()
        };
        engine.prepare(48_000.0, 512, 2, &p);
        let mut l: Vec<f32> = (0..24_000)
            .map(|i| (i as f32 * 0.03).sin() * 0.25)
            .collect();
        let mut r = l.clone();
        for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
            engine.process(&mut [a, b], &p, 0.0);
        }
        let input = shared.input.take();
        let output = shared.output.take();
        let wet = shared.wet.take();
        assert!((input.peak[0] - 0.25).abs() < 1e-3, "{input:?}");
        // Fully wet: the output is the wet signal.
        for c in 0..2 {
            assert!(wet.peak[c] > 0.01);
            assert!(
                (wet.peak[c] - output.peak[c]).abs() <= 1e-6 * output.peak[c],
                "{wet:?} vs {output:?}"
            );
        }
        assert_eq!(shared.sample_rate.load(), 48_000.0);
    }
}
