//! Glasswork Limit: a true-peak mastering limiter with loudness metering.
//!
//! The DSP is `glass_dsp::limiter::Limiter`; this crate maps parameters,
//! meters the output (BS.1770 true peak, EBU R128 loudness) and hands the
//! readings to the editor through lock-free shared state.

use glass_dsp::limiter::Limiter;
use glass_dsp::loudness::LoudnessMeter;
use glass_dsp::true_peak::TruePeakMeter;
use glass_ui::{HistoryFifo, MeterValue, StereoMeter};
use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditorState, RepaintNotifier};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

mod editor;
pub mod params;

use params::LimitParams;

/// History frames per second sent to the editor.
pub const HISTORY_RATE_HZ: f32 = 100.0;
/// Lanes of a history frame: input peak dB, output peak dB, gain reduction dB.
pub type HistoryFrame = [f32; 3];

/// Readings the audio thread publishes for the editor.
pub struct LimitShared {
    /// Input (after input gain) and output sample/true peaks.
    pub input: StereoMeter,
    /// Output sample and true peaks.
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
        let silent = || MeterValue::default();
        Self {
            input: StereoMeter::new(),
            output: StereoMeter::new(),
            gain_reduction_db: silent(),
            momentary: silent(),
            short_term: silent(),
            integrated: silent(),
            loudness_range: silent(),
            max_true_peak_db: silent(),
            reset_loudness: AtomicBool::new(false),
            history: HistoryFifo::new(1024),
        }
    }
}

/// The plugin.
pub struct GlassLimit {
    params: Arc<LimitParams>,
    shared: Arc<LimitShared>,
    editor_state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
    limiter: Limiter,
    loudness: LoudnessMeter,
    true_peak: [TruePeakMeter; 2],
    reported_latency: u32,
    frame_len: usize,
    frame_left: usize,
    frame: HistoryFrame,
}

impl Default for GlassLimit {
    fn default() -> Self {
        Self {
            params: Arc::new(LimitParams::default()),
            shared: Arc::new(LimitShared::default()),
            editor_state: editor::default_state(),
            repaint: RepaintNotifier::new(),
            limiter: Limiter::new(),
            loudness: LoudnessMeter::new(),
            true_peak: [TruePeakMeter::new(), TruePeakMeter::new()],
            reported_latency: 0,
            frame_len: 480,
            frame_left: 480,
            frame: [f32::NEG_INFINITY, f32::NEG_INFINITY, 0.0],
        }
    }
}

fn to_db(x: f32) -> f32 {
    if x > 1e-10 {
        20.0 * x.log10()
    } else {
        -200.0
    }
}

impl GlassLimit {
    fn publish_loudness(&self) {
        let s = &self.shared;
        s.momentary.store(self.loudness.momentary_lufs());
        s.short_term.store(self.loudness.short_term_lufs());
        s.integrated.store(self.loudness.integrated_lufs());
        s.loudness_range.store(self.loudness.loudness_range_lu());
        let tp = self.true_peak[0]
            .max_true_peak()
            .max(self.true_peak[1].max_true_peak());
        s.max_true_peak_db.store(to_db(tp));
    }

    fn reset_meters(&mut self) {
        self.loudness.reset();
        for m in &mut self.true_peak {
            m.reset();
        }
        self.frame_left = self.frame_len;
        self.frame = [f32::NEG_INFINITY, f32::NEG_INFINITY, 0.0];
    }
}

impl Plugin for GlassLimit {
    const NAME: &'static str = "Glasswork Limit";
    const VENDOR: &'static str = "Glasswork";
    const URL: &'static str = env!("CARGO_PKG_HOMEPAGE");
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type Editor = nice_plug_egui::EguiEditor<editor::LimitEditor>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(
            self.params.clone(),
            self.shared.clone(),
            self.editor_state.clone(),
            self.repaint.clone(),
        )
    }

    fn activate(
        &mut self,
        layout: &AudioIOLayout,
        config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let channels = layout
            .main_output_channels
            .map_or(2, |c| c.get() as usize)
            .clamp(1, 2);
        let fs = config.sample_rate;
        self.limiter.set_params(&self.params.kernel_params());
        self.limiter
            .prepare(fs, config.max_buffer_size as usize, channels);
        self.loudness.prepare(fs, channels);
        for m in &mut self.true_peak {
            m.prepare(fs, 1);
        }
        self.frame_len = ((fs / HISTORY_RATE_HZ).round() as usize).max(1);
        self.reported_latency = self.limiter.latency() as u32;
        context.set_latency_samples(self.reported_latency);
        self.reset_meters();
        true
    }

    fn reset(&mut self) {
        self.limiter.reset();
        self.reset_meters();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let p = self.params.kernel_params();
        self.limiter.set_params(&p);
        let latency = self.limiter.latency_for(&p) as u32;
        if latency != self.reported_latency {
            self.reported_latency = latency;
            context.set_latency_samples(latency);
        }
        if self.shared.reset_loudness.swap(false, Ordering::Relaxed) {
            self.loudness.reset();
            for m in &mut self.true_peak {
                m.reset_peak();
            }
        }

        let gain = glass_dsp::util::db_to_gain(p.input_gain_db);
        let chans = buffer.as_slice();
        let len = chans.first().map_or(0, |c| c.len());
        let nch = chans.len().min(2);

        // Input meter: the level that meets the limiter.
        let mut in_peak = [0.0f32; 2];
        for (c, ch) in chans.iter().take(nch).enumerate() {
            in_peak[c] = ch
                .iter()
                .filter(|v| v.is_finite())
                .fold(0.0f32, |m, v| m.max(v.abs()))
                * gain;
        }
        if nch == 1 {
            in_peak[1] = in_peak[0];
        }
        self.shared.input.record_peaks(in_peak, in_peak);

        // Run the kernel in pieces that end on history-frame boundaries, so
        // the history does not depend on the host's block size.
        let mut start = 0;
        while start < len {
            let n = (len - start).min(self.frame_left);
            match chans {
                [one] => self.limiter.process(&mut [&mut one[start..start + n]]),
                [l, r, ..] => self
                    .limiter
                    .process(&mut [&mut l[start..start + n], &mut r[start..start + n]]),
                [] => {}
            }
            let m = self.limiter.take_meter();
            self.frame[0] = self.frame[0].max(to_db(m.input_peak));
            self.frame[1] = self.frame[1].max(to_db(m.output_peak));
            self.frame[2] = self.frame[2].max(-to_db(m.min_gain));
            self.frame_left -= n;
            start += n;
            if self.frame_left == 0 {
                self.shared.gain_reduction_db.store_max(self.frame[2]);
                self.shared.history.push(self.frame);
                self.frame = [f32::NEG_INFINITY, f32::NEG_INFINITY, 0.0];
                self.frame_left = self.frame_len;
            }
        }

        // Output metering.
        let mut out_peak = [0.0f32; 2];
        let mut out_tp = [0.0f32; 2];
        for (c, ch) in chans.iter().take(nch).enumerate() {
            out_peak[c] = ch.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            self.true_peak[c].process(&[&ch[..]]);
            out_tp[c] = self.true_peak[c].take_recent_peak();
        }
        if nch == 1 {
            out_peak[1] = out_peak[0];
            out_tp[1] = out_tp[0];
        }
        self.shared.output.record_peaks(out_peak, out_tp);
        {
            let views: [&[f32]; 2] = match chans {
                [one] => [&one[..], &[]],
                [l, r, ..] => [&l[..], &r[..]],
                [] => [&[], &[]],
            };
            self.loudness.process(&views[..nch]);
        }
        self.publish_loudness();
        if self.editor_state.is_open() {
            self.repaint.request_repaint();
        }

        // What is still in the lookahead line is the tail.
        ProcessStatus::Tail(self.reported_latency)
    }
}

impl ClapPlugin for GlassLimit {
    const CLAP_ID: &'static str = "audio.glasswork.limit";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("True-peak mastering limiter with loudness metering");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Limiter,
        ClapFeature::Mastering,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for GlassLimit {
    const VST3_CLASS_ID: [u8; 16] = *b"GlassworkLimitV1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Dynamics,
        Vst3SubCategory::Mastering,
    ];
}

nice_export_clap!(GlassLimit);
nice_export_vst3!(GlassLimit);
