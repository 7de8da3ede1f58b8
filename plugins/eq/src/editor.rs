//! The editor: the analyser (input and output spectrum), the summed
//! response and each band's curve, computed by the kernel's own
//! `response()` from the current settings (with the dynamic bands' live
//! gain), draggable band nodes, and the selected band's controls.
//!
//! Mouse: drag a node for frequency and gain, the wheel over a node for Q,
//! double-click empty space to add a band there, double-click a node to
//! remove it, right-click a node for its type, slope, placement, solo and
//! dynamics.

use crate::engine::{EqShared, CHUNK, NO_SOLO};
use crate::params::{EqPluginParams, Kind, BANDS};
use egui::{Align, Color32, Layout, Pos2, Rect, RichText, UiBuilder, Vec2};
use glass_dsp::eq::{Eq, EqParams, PhaseMode, Placement as KPlacement};
use glass_dsp::spectrum_analyser::SpectrumAnalyser;
use glass_ui::hosted::HostedEditor;
use glass_ui::layout::{columns, group, in_rect, weighted_columns};
use glass_ui::{
    accent, Curve, CurveNode, DragPhase, LevelMeter, LevelMeterState, ParamChoice, ParamKnob,
    ParamToggle, ResponsePlot, Spectrum, SpectrumAverager, Theme,
};
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditor, EguiEditorState, RepaintNotifier};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Logical size the editor opens at, in points.
const DEFAULT_SIZE: (f32, f32) = (1000.0, 620.0);
/// Smallest logical size that still shows every control.
const MIN_SIZE: (f32, f32) = (900.0, 560.0);
/// Analyser FFT size at 48 kHz (scaled to keep the resolution in Hz).
const FFT_AT_48K: usize = 8192;
/// Analyser fall-back, dB per second.
const FALL_DB_PER_S: f32 = 36.0;
/// The curve plot's range, dB.
const PLOT_DB: f32 = 30.0;

/// The editor's initial size and scale.
pub fn default_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(LogicalSize::new(DEFAULT_SIZE.0, DEFAULT_SIZE.1), 1.0)
}

/// Colour of band `i`: hues around the wheel, so neighbours differ.
pub fn band_colour(i: usize) -> Color32 {
    let hue = (i as f32 * 0.382).fract();
    let c = egui::ecolor::Hsva::new(hue, 0.55, 0.95, 1.0);
    Color32::from(c)
}

/// GUI-side state of an open editor.
pub struct EqEditor {
    params: Arc<EqPluginParams>,
    shared: Arc<EqShared>,
    input: LevelMeterState,
    output: LevelMeterState,
    pre: SpectrumAnalyser,
    post: SpectrumAnalyser,
    pre_avg: SpectrumAverager,
    post_avg: SpectrumAverager,
    /// An EQ the editor designs but never runs: its `response()` is the
    /// curve drawn, the same code as the one heard.
    curve_eq: Eq,
    curve_params: Option<(EqParams, f32)>,
}

impl EqEditor {
    /// An editor over `params`, showing what the engine publishes in
    /// `shared`.
    pub fn new(params: Arc<EqPluginParams>, shared: Arc<EqShared>) -> Self {
        let fs = Self::rate(&shared);
        let size = analyser_size(fs);
        Self {
            params,
            shared,
            input: LevelMeterState::new(),
            output: LevelMeterState::new(),
            pre: SpectrumAnalyser::new(size),
            post: SpectrumAnalyser::new(size),
            pre_avg: SpectrumAverager::new(size / 2 + 1, FALL_DB_PER_S),
            post_avg: SpectrumAverager::new(size / 2 + 1, FALL_DB_PER_S),
            curve_eq: Eq::new(),
            curve_params: None,
        }
    }

    fn rate(shared: &EqShared) -> f32 {
        let fs = shared.sample_rate.load();
        if fs > 0.0 {
            fs
        } else {
            48_000.0
        }
    }

    /// The parameters as heard now: the dynamic bands at their live gain.
    fn heard_params(&self) -> EqParams {
        let mut p = self.params.kernel_params(None);
        for (b, live) in p.bands.iter_mut().zip(&self.shared.dynamic_db) {
            if b.enabled && b.dynamic.enabled {
                b.band.gain_db += live.load();
            }
            b.dynamic.enabled = false;
        }
        // The curve is the magnitude; linear phase has the same.
        p.phase = PhaseMode::ZeroLatency;
        p
    }

    /// Brings the curve EQ to `p` at `fs` (designs only when they changed).
    fn update_curve(&mut self, p: EqParams, fs: f32) {
        if self.curve_params.as_ref() == Some(&(p, fs)) {
            return;
        }
        if self.curve_params.as_ref().map(|(_, r)| *r) != Some(fs) {
            self.curve_eq.prepare(fs, 512, 2);
        }
        self.curve_eq.set_params(&p);
        self.curve_eq.reset();
        self.curve_params = Some((p, fs));
    }

    /// The summed response in dB at `freq_hz` as drawn (stereo signal).
    pub fn curve_db(&mut self, freq_hz: f32) -> f32 {
        let p = self.heard_params();
        let fs = Self::rate(&self.shared);
        self.update_curve(p, fs);
        let (re, im) = self.curve_eq.response(freq_hz, KPlacement::Stereo);
        (20.0 * re.hypot(im).log10()) as f32
    }

    fn drain_analysers(&mut self, dt: f32) {
        let (pre, post) = (&mut self.pre, &mut self.post);
        self.shared.pre.drain_into(|c: [f32; CHUNK]| pre.push(&c));
        self.shared.post.drain_into(|c: [f32; CHUNK]| post.push(&c));
        let frame = self.pre.compute().to_vec();
        self.pre_avg.update(&frame, dt);
        let frame = self.post.compute().to_vec();
        self.post_avg.update(&frame, dt);
    }
}

fn analyser_size(fs: f32) -> usize {
    ((FFT_AT_48K as f32 * fs / 48_000.0) as usize).next_power_of_two()
}

/// Builds the editor.
pub fn create(
    params: Arc<EqPluginParams>,
    shared: Arc<EqShared>,
    state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
) -> Option<EguiEditor<HostedEditor<EqEditor>>> {
    let app = EqEditor::new(params, shared);
    glass_ui::hosted::create(app, "Glasswork EQ", MIN_SIZE, state, repaint)
}

impl glass_ui::hosted::EditorBody for EqEditor {
    fn accent(&self) -> egui::Color32 {
        accent::EQ
    }

    fn frame(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        self.draw(ui, setter, dt);
    }
}

/// One gesture setting `param` to `value`.
fn set<P: Param>(setter: &ParamSetter, param: &P, value: P::Plain) {
    setter.begin_set_parameter(param);
    setter.set_parameter(param, value);
    setter.end_set_parameter(param);
}

impl EqEditor {
    fn selected(&self) -> usize {
        self.params
            .view
            .read()
            .map(|v| usize::from(v.selected))
            .unwrap_or(0)
            .min(BANDS - 1)
    }

    fn select(&self, band: usize) {
        if let Ok(mut v) = self.params.view.write() {
            v.selected = band.min(BANDS - 1) as u8;
        }
    }

    /// Draws the whole editor into `ui`'s available rect, `dt` seconds after
    /// the previous frame.
    pub fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        let setter = ParamSetter::new(setter.raw_context);
        self.input.update(&self.shared.input.take(), dt);
        self.output.update(&self.shared.output.take(), dt);
        self.drain_analysers(dt);
        let fs = Self::rate(&self.shared);
        let heard = self.heard_params();
        self.update_curve(heard, fs);

        let theme = Theme::current(ui.ctx());
        let params = self.params.clone();
        let full = ui.available_rect_before_wrap();
        let pad = 8.0;
        let header_h = 30.0;

        // Header: name, phase mode, latency, bypass.
        let header = Rect::from_min_size(full.min, Vec2::new(full.width(), header_h));
        ui.scope_builder(
            UiBuilder::new().max_rect(header.shrink2(Vec2::new(pad, 2.0))),
            |ui| {
                ui.horizontal_centered(|ui| {
                    ui.label(RichText::new("GLASSWORK EQ").strong().color(theme.accent));
                    ui.label(RichText::new("analog-matched EQ").color(theme.text_dim));
                    ui.add_space(12.0);
                    ui.add(
                        ParamChoice::for_param(&params.global.phase, &setter)
                            .combo()
                            .without_label()
                            .with_width(130.0),
                    );
                    if params.global.phase.value() == crate::params::PhaseMode::Linear {
                        ui.add(
                            ParamChoice::for_param(&params.global.length, &setter)
                                .combo()
                                .without_label()
                                .with_width(100.0),
                        );
                    }
                    let latency = self.shared.latency.load();
                    ui.label(
                        RichText::new(format!(
                            "latency {:.0} samples ({:.1} ms)",
                            latency,
                            latency / fs * 1000.0
                        ))
                        .color(theme.text_dim)
                        .size(glass_ui::theme::SMALL_TEXT_PT),
                    );
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        ui.add(ParamToggle::for_param(&params.bypass, &setter));
                        ui.add(ParamToggle::for_param(&params.global.auto_gain, &setter));
                        let mut view = params.view.read().map(|v| *v).unwrap_or_default();
                        let names = ["Off", "In", "Out", "In+Out"];
                        egui::ComboBox::from_id_salt("eq-analyser")
                            .selected_text(format!(
                                "Analyser: {}",
                                names[usize::from(view.analyser.min(3))]
                            ))
                            .show_ui(ui, |ui| {
                                for (k, n) in names.iter().enumerate() {
                                    ui.selectable_value(&mut view.analyser, k as u8, *n);
                                }
                                ui.separator();
                                for t in [0.0f32, 3.0, 4.5, 6.0] {
                                    ui.selectable_value(
                                        &mut view.tilt_db_per_oct,
                                        t,
                                        format!("Slope {t} dB/oct"),
                                    );
                                }
                            });
                        if let Ok(mut v) = params.view.write() {
                            *v = view;
                        }
                    });
                });
            },
        );

        // Plot with meters either side, band strip below.
        let strip_h = (full.height() * 0.33).clamp(170.0, 210.0);
        let strip = Rect::from_min_max(
            Pos2::new(full.min.x + pad, full.max.y - pad - strip_h),
            full.max - Vec2::splat(pad),
        );
        let body = Rect::from_min_max(
            full.min + Vec2::new(pad, header_h + pad * 0.5),
            Pos2::new(full.max.x - pad, strip.min.y - pad),
        );
        let meter_w = (full.width() * 0.04).clamp(32.0, 48.0);
        let in_m = Rect::from_min_size(body.min, Vec2::new(meter_w, body.height()));
        let out_m = Rect::from_min_max(Pos2::new(body.max.x - meter_w, body.min.y), body.max);
        let plot_rect = Rect::from_min_max(
            Pos2::new(in_m.max.x + pad, body.min.y),
            Pos2::new(out_m.min.x - pad, body.max.y),
        );
        for (rect, state, label) in [
            (in_m, &mut self.input, "IN"),
            (out_m, &mut self.output, "OUT"),
        ] {
            ui.scope_builder(UiBuilder::new().max_rect(rect), |ui| {
                ui.add(
                    LevelMeter::new(state)
                        .with_label(label)
                        .with_size(rect.size()),
                );
            });
        }
        self.draw_plot(ui, plot_rect, &setter, &theme, fs);
        self.draw_strip(ui, strip, &setter, &theme);
    }

    fn draw_plot(
        &mut self,
        ui: &mut egui::Ui,
        rect: Rect,
        setter: &ParamSetter,
        theme: &Theme,
        fs: f32,
    ) {
        let params = self.params.clone();
        let view = params.view.read().map(|v| *v).unwrap_or_default();
        let selected = self.selected();
        let used: Vec<usize> = (0..BANDS)
            .filter(|&i| params.band[i].used.value())
            .collect();
        let nodes: Vec<CurveNode> = used
            .iter()
            .map(|&i| {
                let b = &params.band[i];
                let kind = b.kind.value();
                let db = if kind.has_gain() {
                    b.gain.value() + self.shared.dynamic_db[i].load()
                } else {
                    0.0
                };
                let mut colour = band_colour(i);
                if !b.on.value() {
                    colour = colour.gamma_multiply(0.35);
                }
                let node = CurveNode::new(b.freq.value(), db).colour(colour);
                if kind.has_gain() {
                    node
                } else {
                    node.horizontal_only()
                }
            })
            .collect();
        let eq = &self.curve_eq;
        let band_db = |i: usize, f: f32| {
            let (re, im) = eq.band_response(i, f);
            (20.0 * re.hypot(im).log10()) as f32
        };
        let total = |f: f32| {
            let (re, im) = eq.response(f, KPlacement::Stereo);
            (20.0 * re.hypot(im).log10()) as f32
        };
        let mut plot = ResponsePlot::new("eq-plot")
            .freq_range(10.0, (fs * 0.5).min(30_000.0))
            .db_range(-PLOT_DB, PLOT_DB)
            .with_size(rect.size());
        let tilt = view.tilt_db_per_oct;
        if view.analyser >= 2 {
            plot = plot.spectrum(
                Spectrum::new(self.post_avg.bins_db(), fs)
                    .tilt(tilt, 1000.0)
                    .fill(0.35),
                -96.0,
                0.0,
            );
        }
        for &i in &used {
            if params.band[i].active() {
                let c = band_colour(i).gamma_multiply(if i == selected { 0.9 } else { 0.45 });
                plot = plot.curve(
                    Curve::new(move |f| band_db(i, f))
                        .colour(c)
                        .width(1.0)
                        .filled(if i == selected { 0.12 } else { 0.0 }),
                );
            }
        }
        plot = plot.curve(Curve::new(total).width(2.2)).nodes(&nodes);
        let freq_axis = plot.freq_axis();
        let response = ui
            .scope_builder(UiBuilder::new().max_rect(rect), |ui| plot.show(ui))
            .inner;
        if view.analyser == 1 || view.analyser == 3 {
            // The input as a line over the output's fill.
            Spectrum::new(self.pre_avg.bins_db(), fs)
                .tilt(tilt, 1000.0)
                .colour(theme.text_dim)
                .fill(0.0)
                .paint(
                    &ui.painter().with_clip_rect(response.rect),
                    response.rect.shrink(1.0),
                    &freq_axis,
                    &glass_ui::DbAxis::new(-96.0, 0.0),
                    theme,
                );
        }

        // Node gestures.
        if let Some(d) = response.drag {
            let i = used[d.index];
            let b = &params.band[i];
            self.select(i);
            match d.phase {
                DragPhase::Started => {
                    setter.begin_set_parameter(&b.freq);
                    setter.begin_set_parameter(&b.gain);
                }
                DragPhase::Moved => {
                    setter.set_parameter(&b.freq, d.freq_hz);
                    if b.kind.value().has_gain() {
                        let live = self.shared.dynamic_db[i].load();
                        setter.set_parameter(&b.gain, d.db - live);
                    }
                }
                DragPhase::Stopped => {
                    setter.end_set_parameter(&b.freq);
                    setter.end_set_parameter(&b.gain);
                }
            }
        }
        if let Some(k) = response.hovered_node {
            let i = used[k];
            let scroll = ui.input(|inp| inp.smooth_scroll_delta.y);
            if scroll != 0.0 {
                let q = &params.band[i].q;
                // One wheel notch (about 50 points) is a sixth of an octave
                // of bandwidth either way.
                let new = q.value() * 2f32.powf(scroll / 300.0);
                set(setter, q, new);
            }
            if response.response.clicked() {
                self.select(i);
            }
        }
        if let Some(k) = response.double_clicked_node {
            let i = used[k];
            set(setter, &params.band[i].used, false);
            if self.shared.solo() == Some(i) {
                self.shared.solo.store(NO_SOLO, Ordering::Relaxed);
            }
        } else if response.response.double_clicked() && response.hovered_node.is_none() {
            if let (Some((f, db)), Some(i)) = (
                response.pointer,
                (0..BANDS).find(|&i| !params.band[i].used.value()),
            ) {
                let b = &params.band[i];
                set(setter, &b.kind, Kind::Bell);
                set(setter, &b.freq, f);
                set(setter, &b.gain, db.clamp(-PLOT_DB, PLOT_DB));
                set(setter, &b.on, true);
                set(setter, &b.used, true);
                self.select(i);
            }
        }
        if let Some(k) = response.hovered_node {
            let i = used[k];
            response
                .response
                .context_menu(|ui| self.band_menu(ui, i, setter));
        }
    }

    fn band_menu(&self, ui: &mut egui::Ui, i: usize, setter: &ParamSetter) {
        let b = &self.params.band[i];
        ui.label(format!("Band {}", i + 1));
        ui.add(ParamChoice::for_param(&b.kind, setter).combo());
        if b.kind.value().has_slope() {
            ui.add(ParamChoice::for_param(&b.slope, setter).combo());
        }
        ui.add(ParamChoice::for_param(&b.place, setter).combo());
        ui.add(ParamToggle::for_param(&b.on, setter));
        ui.add(ParamToggle::for_param(&b.dynamic, setter));
        let soloed = self.shared.solo() == Some(i);
        if ui.selectable_label(soloed, "Solo").clicked() {
            self.shared
                .solo
                .store(if soloed { NO_SOLO } else { i }, Ordering::Relaxed);
        }
        if ui.button("Remove band").clicked() {
            set(setter, &b.used, false);
            ui.close();
        }
    }

    fn draw_strip(&mut self, ui: &mut egui::Ui, rect: Rect, setter: &ParamSetter, theme: &Theme) {
        let params = self.params.clone();
        let i = self.selected();
        let b = &params.band[i];
        let rects = weighted_columns(rect, &[5.2, 6.0, 2.2], 6.0);
        let knob = |inner: Rect, cols: usize| {
            (inner.width() / cols as f32 * 0.66)
                .min(inner.height() * 0.42)
                .clamp(24.0, 52.0)
        };

        // BAND: which band, its switches and shape.
        let inner = group(ui, rects[0], &format!("Band {}", i + 1), theme);
        let row_h = 26.0;
        let chips = Rect::from_min_size(inner.min, Vec2::new(inner.width(), row_h));
        ui.scope_builder(
            UiBuilder::new()
                .max_rect(chips)
                .layout(Layout::left_to_right(Align::Center)),
            |ui| {
                for k in (0..BANDS).filter(|&k| params.band[k].used.value()) {
                    let text = RichText::new(format!("{}", k + 1)).color(band_colour(k));
                    if ui.selectable_label(k == i, text).clicked() {
                        self.select(k);
                    }
                }
                if !b.used.value() && ui.button("Add this band").clicked() {
                    set(setter, &b.on, true);
                    set(setter, &b.used, true);
                }
            },
        );
        let switches = Rect::from_min_size(
            Pos2::new(inner.min.x, inner.min.y + row_h + 2.0),
            Vec2::new(inner.width(), row_h),
        );
        ui.scope_builder(
            UiBuilder::new()
                .max_rect(switches)
                .layout(Layout::left_to_right(Align::Center)),
            |ui| {
                if !b.used.value() {
                    ui.disable();
                }
                ui.add(ParamToggle::for_param(&b.on, setter).with_text("On"));
                ui.add(
                    ParamChoice::for_param(&b.kind, setter)
                        .combo()
                        .without_label()
                        .with_width(100.0),
                );
                if b.kind.value().has_slope() {
                    ui.add(
                        ParamChoice::for_param(&b.slope, setter)
                            .combo()
                            .without_label()
                            .with_width(92.0),
                    );
                }
                ui.add(
                    ParamChoice::for_param(&b.place, setter)
                        .combo()
                        .without_label()
                        .with_width(80.0),
                );
                let soloed = self.shared.solo() == Some(i);
                if ui.selectable_label(soloed, "Solo").clicked() {
                    self.shared
                        .solo
                        .store(if soloed { NO_SOLO } else { i }, Ordering::Relaxed);
                }
            },
        );
        let knobs = Rect::from_min_max(Pos2::new(inner.min.x, switches.max.y + 2.0), inner.max);
        // (parameter, is the gain)
        let shape: [(&FloatParam, bool, &str); 3] = [
            (&b.freq, false, "Frequency"),
            (&b.gain, true, "Gain"),
            (&b.q, false, "Q"),
        ];
        let d = knob(knobs, 3);
        for (col, (p, is_gain, caption)) in columns(knobs, 3).into_iter().zip(shape) {
            in_rect(ui, col, |ui| {
                if !b.used.value() || (is_gain && !b.kind.value().has_gain()) {
                    ui.disable();
                }
                let k = ParamKnob::for_param(p, setter)
                    .with_diameter(d)
                    .with_caption(caption);
                ui.add(if is_gain { k.bipolar() } else { k });
            });
        }

        // DYNAMICS.
        let inner = group(ui, rects[1], "Dynamics", theme);
        let top = Rect::from_min_size(inner.min, Vec2::new(inner.width(), row_h));
        ui.scope_builder(
            UiBuilder::new()
                .max_rect(top)
                .layout(Layout::left_to_right(Align::Center)),
            |ui| {
                if !b.used.value() {
                    ui.disable();
                }
                ui.add(ParamToggle::for_param(&b.dynamic, setter).with_text("Dynamic"));
                ui.add(ParamToggle::for_param(&b.external, setter).with_text("Sidechain"));
                let live = self.shared.dynamic_db[i].load();
                if b.dynamic.value() {
                    ui.label(
                        RichText::new(format!("now {live:+.1} dB"))
                            .color(theme.accent)
                            .size(glass_ui::theme::SMALL_TEXT_PT),
                    );
                }
            },
        );
        let knobs = Rect::from_min_max(Pos2::new(inner.min.x, top.max.y + 4.0), inner.max);
        // (parameter, bipolar)
        let dynamics: [(&FloatParam, bool, &str); 5] = [
            (&b.threshold, false, "Threshold"),
            (&b.range, true, "Range"),
            (&b.ratio, false, "Ratio"),
            (&b.attack, false, "Attack"),
            (&b.release, false, "Release"),
        ];
        let d = knob(knobs, 5);
        for (col, (p, bipolar, caption)) in columns(knobs, 5).into_iter().zip(dynamics) {
            in_rect(ui, col, |ui| {
                if !b.used.value() || !b.dynamic.value() {
                    ui.disable();
                }
                let k = ParamKnob::for_param(p, setter)
                    .with_diameter(d)
                    .with_caption(caption);
                ui.add(if bipolar { k.bipolar() } else { k });
            });
        }

        // OUTPUT.
        let inner = group(ui, rects[2], "Output", theme);
        in_rect(ui, inner, |ui| {
            ui.add_space(inner.height() * 0.1);
            ui.add(
                ParamKnob::for_param(&params.global.output, setter)
                    .bipolar()
                    .with_diameter(knob(inner, 1)),
            );
        });
    }
}
