//! The editor: meters, gain-reduction history, loudness panel and controls.

use crate::params::LimitParams;
use crate::{LimitShared, HISTORY_RATE_HZ};
use egui::{Align, Layout, Rect, RichText, UiBuilder, Vec2};
use glass_ui::{
    accent, GrMeter, GrMeterState, HistoryBuffer, HistoryGraph, LevelMeter, LevelMeterState,
    ParamChoice, ParamKnob, ParamToggle, StereoReading, Theme, Trace, TraceStyle,
};
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::*;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, RepaintNotifier,
};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

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
    context: Option<GuiContext>,
    input: LevelMeterState,
    output: LevelMeterState,
    gr: GrMeterState,
    history: HistoryBuffer<3>,
    last_frame: Option<Instant>,
}

/// Builds the editor.
pub fn create(
    params: Arc<LimitParams>,
    shared: Arc<LimitShared>,
    state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
) -> Option<EguiEditor<LimitEditor>> {
    let app = LimitEditor {
        params,
        shared,
        context: None,
        input: LevelMeterState::new(),
        output: LevelMeterState::new(),
        gr: GrMeterState::new(),
        history: HistoryBuffer::new(8.0, HISTORY_RATE_HZ),
        last_frame: None,
    };
    create_egui_editor(
        state,
        repaint,
        EguiNiceSettings::new()
            .with_tile("Glasswork Limit")
            .with_resize_hint(
                ResizeHint::resizable()
                    .with_min_logical_size(LogicalSize::new(MIN_SIZE.0, MIN_SIZE.1)),
            ),
        app,
    )
}

fn fmt_lufs(v: f32) -> String {
    if v.is_finite() && v > -99.0 {
        format!("{v:.1}")
    } else {
        "–".to_owned()
    }
}

impl nice_plug_egui::NiceEguiApp for LimitEditor {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        Theme::with_accent(accent::LIMIT).apply(&egui_ctx);
        self.context = Some(nice_gui_ctx);
        Ok(())
    }

    fn editor_closed(&mut self) {
        self.context = None;
        self.last_frame = None;
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(context) = self.context.clone() else {
            return;
        };
        let setter = context.param_setter();
        let now = Instant::now();
        let dt = self
            .last_frame
            .map_or(0.0, |t| now.duration_since(t).as_secs_f32().min(0.5));
        self.last_frame = Some(now);

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
                        ui.add(ParamToggle::for_param(&params.delta, &setter));
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
        let ceiling = params.ceiling.value();
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
                    .trace(Trace::new(0, TraceStyle::Filled, theme.text_dim))
                    .trace(Trace::new(1, TraceStyle::Line, theme.text))
                    .trace(Trace::new(2, TraceStyle::Reduction, theme.accent))
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
                ui.add(ParamChoice::for_param(&params.target, &setter).combo());
                if params.target.value() == crate::params::Target::Custom {
                    ui.add(ParamKnob::for_param(&params.target_lufs, &setter));
                }
                let distance = if integrated.is_finite() && integrated > -70.0 {
                    format!("{:+.1} LU to target", integrated - target)
                } else {
                    "measuring…".to_owned()
                };
                ui.label(RichText::new(distance).color(theme.accent));
                ui.horizontal(|ui| {
                    if ui
                        .button("Match target")
                        .on_hover_text("Set the input gain so the integrated loudness reaches the target; the ceiling still holds")
                        .clicked()
                        && integrated.is_finite()
                        && integrated > -70.0
                    {
                        let new_gain =
                            (params.input_gain.value() + target - integrated).clamp(-24.0, 36.0);
                        setter.begin_set_parameter(&params.input_gain);
                        setter.set_parameter(&params.input_gain, new_gain);
                        setter.end_set_parameter(&params.input_gain);
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
        ui.scope_builder(UiBuilder::new().max_rect(controls), |ui| {
            ui.with_layout(Layout::left_to_right(Align::Min), |ui| {
                let knob = (controls.height() * 0.5).clamp(44.0, 70.0);
                ui.add(ParamKnob::for_param(&params.input_gain, &setter).with_diameter(knob));
                ui.add(ParamKnob::for_param(&params.ceiling, &setter).with_diameter(knob));
                ui.add(ParamKnob::for_param(&params.release, &setter).with_diameter(knob));
                ui.add(ParamKnob::for_param(&params.lookahead, &setter).with_diameter(knob));
                ui.add(ParamKnob::for_param(&params.link, &setter).with_diameter(knob));
                ui.separator();
                ui.vertical(|ui| {
                    ui.add(ParamToggle::for_param(&params.auto_release, &setter));
                    ui.add(ParamToggle::for_param(&params.true_peak, &setter));
                    ui.add(ParamChoice::for_param(&params.oversampling, &setter).segmented());
                });
                ui.separator();
                ui.vertical(|ui| {
                    ui.add(ParamChoice::for_param(&params.dither, &setter).segmented());
                    ui.add(ParamToggle::for_param(&params.noise_shaping, &setter));
                });
            });
        });
    }
}

impl std::fmt::Debug for LimitEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LimitEditor").finish_non_exhaustive()
    }
}
