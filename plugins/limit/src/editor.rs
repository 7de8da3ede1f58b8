//! The editor: meters, gain-reduction history, loudness panel and controls.

use crate::engine::{LimitShared, HISTORY_RATE_HZ};
use crate::params::LimitParams;
use egui::{Align, Layout, Rect, RichText, UiBuilder, Vec2};
use glass_ui::hosted::HostedEditor;
use glass_ui::{
    accent, GrMeter, GrMeterState, HistoryBuffer, HistoryGraph, LevelMeter, LevelMeterState,
    ParamChoice, ParamKnob, ParamToggle, StereoReading, Theme, Trace, TraceStyle,
};
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditor, EguiEditorState, RepaintNotifier};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Logical size the editor opens at, in points.
const DEFAULT_SIZE: (f32, f32) = (900.0, 560.0);
/// Smallest logical size that still shows every control.
const MIN_SIZE: (f32, f32) = (640.0, 420.0);

/// The editor's initial size and scale.
pub fn default_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(LogicalSize::new(DEFAULT_SIZE.0, DEFAULT_SIZE.1), 1.0)
}

/// GUI-side state of an open editor.
pub struct LimitEditor {
    params: Arc<LimitParams>,
    shared: Arc<LimitShared>,
    input: LevelMeterState,
    output: LevelMeterState,
    gr: GrMeterState,
    history: HistoryBuffer<3>,
}

impl LimitEditor {
    /// An editor over `params`, showing what the engine publishes in
    /// `shared`.
    pub fn new(params: Arc<LimitParams>, shared: Arc<LimitShared>) -> Self {
        Self {
            params,
            shared,
            input: LevelMeterState::new(),
            output: LevelMeterState::new(),
            gr: GrMeterState::new(),
            history: HistoryBuffer::new(8.0, HISTORY_RATE_HZ),
        }
    }
}

/// Builds the editor.
pub fn create(
    params: Arc<LimitParams>,
    shared: Arc<LimitShared>,
    state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
) -> Option<EguiEditor<HostedEditor<LimitEditor>>> {
    let app = LimitEditor::new(params, shared);
    glass_ui::hosted::create(app, "Glasswork Limit", MIN_SIZE, state, repaint)
}

fn fmt_lufs(v: f32) -> String {
    if v.is_finite() && v > -99.0 {
        format!("{v:.1}")
    } else {
        "–".to_owned()
    }
}

impl glass_ui::hosted::EditorBody for LimitEditor {
    fn accent(&self) -> egui::Color32 {
        accent::LIMIT
    }

    fn frame(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        self.draw(ui, setter, dt);
    }
}

impl LimitEditor {
    /// Draws the whole editor into `ui`'s available rect, `dt` seconds after
    /// the previous frame (meter ballistics).
    pub fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        let setter = ParamSetter::new(setter.raw_context);

        // Drain the audio thread's readings.
        self.history.drain_from(&self.shared.history);
        let to_reading = |r: StereoReading| r;
        self.input.update(&to_reading(self.shared.input.take()), dt);
        self.output
            .update(&to_reading(self.shared.output.take()), dt);
        self.gr.update(-self.shared.gain_reduction_db.take(), dt);

        let theme = Theme::current(ui.ctx());
        let params = &self.params;
        let full = ui.available_rect_before_wrap();
        let pad = 8.0;
        let header_h = 28.0;
        let controls_h = (full.height() * 0.30).clamp(120.0, 170.0);
        let panel_w = (full.width() * 0.24).clamp(170.0, 240.0);
        let meter_w = (full.width() * 0.06).clamp(40.0, 64.0);

        // Header.
        let header = Rect::from_min_size(full.min, Vec2::new(full.width(), header_h));
        ui.scope_builder(
            UiBuilder::new().max_rect(header.shrink2(Vec2::new(pad, 2.0))),
            |ui| {
                ui.horizontal_centered(|ui| {
                    ui.label(
                        RichText::new("GLASSWORK LIMIT")
                            .strong()
                            .color(theme.accent),
                    );
                    ui.label(RichText::new("true-peak limiter").color(theme.text_dim));
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        ui.add(ParamToggle::for_param(&params.bypass, &setter));
                        ui.add(ParamToggle::for_param(&params.output.delta, &setter));
                    });
                });
            },
        );

        let body = Rect::from_min_max(
            full.min + Vec2::new(pad, header_h + pad),
            full.max - Vec2::new(pad, controls_h + pad),
        );
        // Meters: input | history | GR | output | loudness panel.
        let in_rect = Rect::from_min_size(body.min, Vec2::new(meter_w, body.height()));
        let panel_rect = Rect::from_min_max(egui::pos2(body.max.x - panel_w, body.min.y), body.max);
        let out_rect = Rect::from_min_size(
            egui::pos2(panel_rect.min.x - pad - meter_w, body.min.y),
            Vec2::new(meter_w, body.height()),
        );
        let gr_rect = Rect::from_min_size(
            egui::pos2(out_rect.min.x - pad - meter_w * 0.7, body.min.y),
            Vec2::new(meter_w * 0.7, body.height()),
        );
        let hist_rect = Rect::from_min_max(
            egui::pos2(in_rect.max.x + pad, body.min.y),
            egui::pos2(gr_rect.min.x - pad, body.max.y),
        );
        let ceiling = params.dynamics.ceiling.value();
        ui.scope_builder(UiBuilder::new().max_rect(in_rect), |ui| {
            ui.add(
                LevelMeter::new(&mut self.input)
                    .with_label("IN")
                    .with_size(in_rect.size()),
            );
        });
        ui.scope_builder(UiBuilder::new().max_rect(hist_rect), |ui| {
            ui.add(
                HistoryGraph::new(&self.history)
                    .trace(Trace::new(0, TraceStyle::Filled, theme.input))
                    .trace(Trace::new(1, TraceStyle::Line, theme.output))
                    .trace(Trace::new(2, TraceStyle::Reduction, theme.gain_reduction))
                    .with_range(-36.0, 6.0)
                    .with_size(hist_rect.size()),
            );
        });
        ui.scope_builder(UiBuilder::new().max_rect(gr_rect), |ui| {
            ui.add(
                GrMeter::new(&mut self.gr)
                    .with_label("GR")
                    .with_range(24.0)
                    .with_size(gr_rect.size()),
            );
        });
        ui.scope_builder(UiBuilder::new().max_rect(out_rect), |ui| {
            ui.add(
                LevelMeter::new(&mut self.output)
                    .with_label("OUT")
                    .with_ceiling(ceiling)
                    .with_size(out_rect.size()),
            );
        });

        // Loudness panel.
        let s = &self.shared;
        let integrated = s.integrated.load();
        let max_tp = s.max_true_peak_db.load();
        let target = params.target_lufs();
        ui.scope_builder(UiBuilder::new().max_rect(panel_rect), |ui| {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_min_size(panel_rect.size() - Vec2::splat(12.0));
                ui.label(RichText::new("LOUDNESS").strong());
                egui::Grid::new("loudness").num_columns(2).show(ui, |ui| {
                    let row = |ui: &mut egui::Ui, name: &str, value: String, unit: &str| {
                        ui.label(RichText::new(name).color(theme.text_dim));
                        ui.label(RichText::new(format!("{value} {unit}")).monospace());
                        ui.end_row();
                    };
                    row(ui, "Momentary", fmt_lufs(s.momentary.load()), "LUFS");
                    row(ui, "Short-term", fmt_lufs(s.short_term.load()), "LUFS");
                    row(ui, "Integrated", fmt_lufs(integrated), "LUFS");
                    row(ui, "Range", fmt_lufs(s.loudness_range.load()), "LU");
                    row(ui, "True peak", fmt_lufs(max_tp), "dBTP");
                    let plr = if integrated.is_finite() && max_tp > -150.0 {
                        fmt_lufs(max_tp - integrated)
                    } else {
                        "–".to_owned()
                    };
                    row(ui, "PLR", plr, "LU");
                });
                ui.separator();
                ui.add(ParamChoice::for_param(&params.loudness.target, &setter).combo());
                if params.loudness.target.value() == crate::params::Target::Custom {
                    ui.add(ParamKnob::for_param(&params.loudness.target_lufs, &setter));
                }
                let distance = if integrated.is_finite() && integrated > -70.0 {
                    let d = integrated - target;
                    if d.abs() < 0.05 {
                        "on target".to_owned()
                    } else if d > 0.0 {
                        format!("{d:.1} LU above target")
                    } else {
                        format!("{:.1} LU below target", -d)
                    }
                } else {
                    "measuring…".to_owned()
                };
                ui.label(RichText::new(distance).color(theme.accent));
                ui.horizontal(|ui| {
                    let matched = glass_dsp::limiter::input_gain_for_target(
                        params.dynamics.input_gain.value(),
                        integrated,
                        target,
                    );
                    if ui
                        .add_enabled(matched.is_some(), egui::Button::new("Match target"))
                        .on_hover_text(
                            "Set the input gain so the integrated loudness reaches the target \
                             (the ceiling still holds). Limiting makes loudness grow slower than \
                             gain: play on and press again to refine.",
                        )
                        .clicked()
                    {
                        let new_gain = matched.unwrap_or(params.dynamics.input_gain.value());
                        setter.begin_set_parameter(&params.dynamics.input_gain);
                        setter.set_parameter(&params.dynamics.input_gain, new_gain);
                        setter.end_set_parameter(&params.dynamics.input_gain);
                        s.reset_loudness.store(true, Ordering::Relaxed);
                    }
                    if ui.button("Reset").clicked() {
                        s.reset_loudness.store(true, Ordering::Relaxed);
                        self.input.reset_hold();
                        self.output.reset_hold();
                        self.gr.reset_hold();
                    }
                });
            });
        });

        // Controls.
        let controls = Rect::from_min_max(
            egui::pos2(full.min.x + pad, full.max.y - controls_h),
            full.max - Vec2::splat(pad),
        );
        // Seven columns sized from the width: five knobs, detection, output.
        // Explicit rects keep every control inside the editor from the
        // minimum size up, instead of a row that runs off the right edge.
        let side_w = (controls.width() * 0.2).clamp(130.0, 230.0);
        let knobs_w = controls.width() - 2.0 * side_w;
        let col_w = knobs_w / 5.0;
        let knob = (controls.height() * 0.5)
            .min(col_w * 0.62)
            .clamp(34.0, 72.0);
        let column = |i: f32, w: f32| {
            Rect::from_min_size(
                egui::pos2(controls.min.x + i, controls.min.y),
                Vec2::new(w, controls.height()),
            )
        };
        let knobs: [&FloatParam; 5] = [
            &params.dynamics.input_gain,
            &params.dynamics.ceiling,
            &params.dynamics.release,
            &params.dynamics.lookahead,
            &params.dynamics.link,
        ];
        for (k, p) in knobs.into_iter().enumerate() {
            ui.scope_builder(
                UiBuilder::new()
                    .max_rect(column(k as f32 * col_w, col_w))
                    .layout(Layout::top_down(Align::Center)),
                |ui| {
                    ui.add(ParamKnob::for_param(p, &setter).with_diameter(knob));
                },
            );
        }
        let detection = column(knobs_w, side_w).shrink2(Vec2::new(6.0, 0.0));
        ui.scope_builder(UiBuilder::new().max_rect(detection), |ui| {
            ui.add(ParamToggle::for_param(
                &params.dynamics.auto_release,
                &setter,
            ));
            ui.add(ParamToggle::for_param(&params.detection.true_peak, &setter));
            ui.add(
                ParamChoice::for_param(&params.detection.oversampling, &setter)
                    .segmented()
                    .with_width(detection.width()),
            );
        });
        let output = column(knobs_w + side_w, side_w).shrink2(Vec2::new(6.0, 0.0));
        ui.scope_builder(UiBuilder::new().max_rect(output), |ui| {
            ui.add(
                ParamChoice::for_param(&params.output.dither, &setter)
                    .segmented()
                    .with_width(output.width()),
            );
            ui.add(ParamToggle::for_param(
                &params.output.noise_shaping,
                &setter,
            ));
        });
    }
}

impl std::fmt::Debug for LimitEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LimitEditor").finish_non_exhaustive()
    }
}
