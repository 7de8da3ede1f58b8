//! Everything the plugin does per block, free of the plugin framework: the
//! echo kernel, the level meters, and the hand-off of readings (levels and
//! the host tempo) to the editor. The plugin maps parameters and calls
//! [`EchoEngine::process`]; tests and the editor snapshot drive the same
//! engine directly.

use glass_dsp::denormal::FlushDenormals;
use glass_dsp::echo::{Echo, EchoParams};
use glass_ui::shared::block_peaks;
use glass_ui::{MeterValue, StereoMeter};
use std::sync::Arc;

/// Readings the audio thread publishes for the editor (lock-free).
pub struct EchoShared {
    /// Input sample peaks per channel.
    pub input: StereoMeter,
    /// Output sample peaks per channel.
    pub output: StereoMeter,
    /// The host tempo of the latest block, BPM; 0 when the host gives none.
    pub tempo_bpm: MeterValue,
}

impl Default for EchoShared {
    fn default() -> Self {
        Self {
            input: StereoMeter::new(),
            output: StereoMeter::new(),
            tempo_bpm: MeterValue::new(0.0),
        }
    }
}

/// What the host should be told after a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tail {
    /// Samples of output still to come after the input stops.
    Samples(u32),
    /// Endless (freeze, or feedback at or above 100 %).
    Endless,
}

/// The echo with its meters. Realtime-safe after `prepare`.
pub struct EchoEngine {
    shared: Arc<EchoShared>,
    echo: Echo,
}

impl EchoEngine {
    /// An engine publishing to `shared`; call [`EchoEngine::prepare`].
    pub fn new(shared: Arc<EchoShared>) -> Self {
        Self {
            shared,
            echo: Echo::new(),
        }
    }

    /// Allocates for `channels` (1 or 2) at `sample_rate` Hz with `params`
    /// in effect (delay lines for the longest setting at this rate), and
    /// resets.
    pub fn prepare(
        &mut self,
        sample_rate: f32,
        max_block: usize,
        channels: usize,
        params: &EchoParams,
    ) {
        self.echo.set_params(params);
        self.echo
            .prepare(sample_rate, max_block, channels.clamp(1, 2));
    }

    /// Clears the delay lines. Realtime-safe.
    pub fn reset(&mut self) {
        self.echo.reset();
    }

    /// Latency in samples: 0.
    pub fn latency(&self) -> u32 {
        self.echo.latency() as u32
    }

    /// Tail for `params` at the prepared sample rate.
    pub fn tail(&self, params: &EchoParams) -> Tail {
        match Echo::tail_samples(params, self.echo.sample_rate()) {
            Some(n) => Tail::Samples(n.min(u32::MAX as usize - 1) as u32),
            None => Tail::Endless,
        }
    }

    /// Processes one block in place (1 or 2 channels; others are left
    /// untouched) and meters it. Realtime-safe.
    pub fn process(&mut self, chans: &mut [&mut [f32]], params: &EchoParams) {
        let _ftz = FlushDenormals::new();
        let nch = chans.len().min(2);
        let chans = &mut chans[..nch];
        let in_peak = block_peaks(chans, usize::MAX);
        self.echo.set_params(params);
        self.echo.process(chans);
        let out_peak = block_peaks(chans, usize::MAX);
        let s = &self.shared;
        s.input.record_peaks(in_peak, in_peak);
        s.output.record_peaks(out_peak, out_peak);
        let tempo = params.tempo_bpm;
        s.tempo_bpm
            .store(if tempo.is_finite() { tempo as f32 } else { 0.0 });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(block: usize, params: &EchoParams) -> Vec<f32> {
        let mut engine = EchoEngine::new(Arc::new(EchoShared::default()));
        engine.prepare(48_000.0, block, 2, params);
        let x: Vec<f32> = (0..48_000)
            .map(|i| {
                if i % 9_000 < 400 {
                    (i as f32 * 0.05).sin() * 0.5
                } else {
                    0.0
                }
            })
            .collect();
        let (mut l, mut r) = (x.clone(), x);
        for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
            engine.process(&mut [a, b], params);
        }
        l.extend(r);
        l
    }

    #[test]
    fn output_does_not_depend_on_the_block_size() {
        let params = crate::params::EchoPluginParams::default().kernel_params(Some(128.0));
        let reference = render(1, &params);
        for block in [7, 64, 4096] {
            assert!(render(block, &params)
                .iter()
                .zip(&reference)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn tail_follows_feedback_and_freeze() {
        let engine = {
            let mut e = EchoEngine::new(Arc::new(EchoShared::default()));
            e.prepare(48_000.0, 512, 2, &EchoParams::default());
            e
        };
        let p = EchoParams {
            time_ms: 200.0,
            feedback: 0.1,
            ..EchoParams::default()
        };
        let short = engine.tail(&p);
        let long = engine.tail(&EchoParams { feedback: 0.9, ..p });
        match (short, long) {
            (Tail::Samples(a), Tail::Samples(b)) => {
                // ceil(100 / 20) = 5 and ceil(100 / 0.915) = 110 repeats of
                // 200 ms (+1 loop of margin), plus 26.2 ms of headroom.
                assert_eq!(a, ((6.0 * 0.2 + 0.02616) * 48_000.0f64).ceil() as u32);
                assert!(b > 48_000 * 22 && b < 48_000 * 23, "{b}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            engine.tail(&EchoParams { freeze: true, ..p }),
            Tail::Endless
        );
        assert_eq!(
            engine.tail(&EchoParams { feedback: 1.1, ..p }),
            Tail::Endless
        );
    }
}
