//! The editor: transfer curve with a live dot, scrolling level and
//! gain-reduction history, meters, and the controls.

use crate::engine::{CompShared, HISTORY_RATE_HZ};
use crate::params::CompParams;
use egui::{Align, Align2, Color32, FontId, Layout, Pos2, Rect, RichText, Stroke, UiBuilder, Vec2};
use glass_dsp::compressor::FLOOR_DB;
use glass_dsp::gain_computer::GainComputer;
use glass_ui::axis::{format_db, paint_plot_frame, DbAxis};
use glass_ui::hosted::HostedEditor;
use glass_ui::theme::SMALL_TEXT_PT;
use glass_ui::{
    accent, GrMeter, GrMeterState, HistoryBuffer, HistoryGraph, LevelMeter, LevelMeterState,
    ParamChoice, ParamKnob, ParamToggle, Theme, Trace, TraceStyle,
};
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditor, EguiEditorState, RepaintNotifier};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Logical size the editor opens at, in points.
const DEFAULT_SIZE: (f32, f32) = (980.0, 640.0);
/// Smallest logical size that still shows every control.
const MIN_SIZE: (f32, f32) = (760.0, 540.0);
/// Level range of the transfer curve, dB (both axes).
const CURVE_RANGE_DB: (f32, f32) = (-60.0, 0.0);
/// How fast the dot glides to a new reading, per second (a one-pole
/// display smoothing, so 100 readings per second read as a moving point).
const DOT_SMOOTHING_PER_S: f32 = 25.0;

/// The editor's initial size and scale.
pub fn default_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(LogicalSize::new(DEFAULT_SIZE.0, DEFAULT_SIZE.1), 1.0)
}

/// GUI-side state of an open editor.
pub struct CompEditor {
    params: Arc<CompParams>,
    shared: Arc<CompShared>,
    input: LevelMeterState,
    output: LevelMeterState,
    gr: GrMeterState,
    history: HistoryBuffer<3>,
    /// Displayed dot: detector level and gain reduction, dB.
    dot: (f32, f32),
}

impl CompEditor {
    /// An editor over `params`, showing what the engine publishes in
    /// `shared`.
    pub fn new(params: Arc<CompParams>, shared: Arc<CompShared>) -> Self {
        Self {
            params,
            shared,
            input: LevelMeterState::new(),
            output: LevelMeterState::new(),
            gr: GrMeterState::new(),
            history: HistoryBuffer::new(6.0, HISTORY_RATE_HZ),
            dot: (FLOOR_DB, 0.0),
        }
    }
}

/// Builds the editor.
pub fn create(
    params: Arc<CompParams>,
    shared: Arc<CompShared>,
    state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
) -> Option<EguiEditor<HostedEditor<CompEditor>>> {
    let app = CompEditor::new(params, shared);
    glass_ui::hosted::create(app, "Glasswork Comp", MIN_SIZE, state, repaint)
}

impl glass_ui::hosted::EditorBody for CompEditor {
    fn accent(&self) -> egui::Color32 {
        accent::COMP
    }

    fn frame(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        self.draw(ui, setter, dt);
    }
}

/// Screen position of (input dB, output dB) in the transfer plot `rect`.
fn curve_pos(rect: Rect, x_db: f32, y_db: f32) -> Pos2 {
    let (lo, hi) = CURVE_RANGE_DB;
    let fx = ((x_db - lo) / (hi - lo)).clamp(0.0, 1.0);
    let fy = ((y_db - lo) / (hi - lo)).clamp(0.0, 1.0);
    Pos2::new(
        rect.min.x + fx * rect.width(),
        rect.max.y - fy * rect.height(),
    )
}

/// Paints the static curve `gc` (input → output level, dB) with its grid,
/// the unity line, the threshold, and the live dot at (`dot_in_db`,
/// `dot_in_db − dot_reduction_db`).
pub fn paint_transfer(
    painter: &egui::Painter,
    rect: Rect,
    theme: &Theme,
    gc: &GainComputer,
    dot_in_db: f32,
    dot_reduction_db: f32,
) {
    paint_plot_frame(painter, rect, theme);
    let plot = rect.shrink(1.0);
    let axis = DbAxis::new(CURVE_RANGE_DB.0, CURVE_RANGE_DB.1);
    let font = FontId::proportional(SMALL_TEXT_PT);
    let minor = Stroke::new(1.0, theme.grid);
    let major = Stroke::new(1.0, theme.grid_major);
    for t in axis.ticks(plot.height(), SMALL_TEXT_PT * 3.0) {
        let p = curve_pos(plot, t.value, t.value);
        let stroke = if t.major { major } else { minor };
        painter.hline(plot.x_range(), p.y, stroke);
        painter.vline(p.x, plot.y_range(), stroke);
        if t.value > CURVE_RANGE_DB.0 && t.value < CURVE_RANGE_DB.1 {
            painter.text(
                Pos2::new(plot.min.x + 3.0, p.y - 1.0),
                Align2::LEFT_BOTTOM,
                format_db(t.value),
                font.clone(),
                theme.text_dim,
            );
            painter.text(
                Pos2::new(p.x + 3.0, plot.max.y - 2.0),
                Align2::LEFT_BOTTOM,
                format_db(t.value),
                font.clone(),
                theme.text_dim,
            );
        }
    }
    // Unity line and threshold.
    painter.line_segment(
        [
            curve_pos(plot, CURVE_RANGE_DB.0, CURVE_RANGE_DB.0),
            curve_pos(plot, CURVE_RANGE_DB.1, CURVE_RANGE_DB.1),
        ],
        Stroke::new(1.0, theme.grid_major),
    );
    let t = curve_pos(plot, gc.threshold_db, gc.threshold_db);
    painter.vline(
        t.x,
        plot.y_range(),
        Stroke::new(1.0, theme.accent.gamma_multiply(0.35)),
    );
    // The curve, sampled per point of width, and the area it takes away
    // (between the unity line and the curve) as a strip of quads: that
    // area is not convex, so it cannot be one filled polygon.
    let columns = (plot.width().max(2.0)) as usize;
    let x_at = |i: usize| {
        CURVE_RANGE_DB.0 + (CURVE_RANGE_DB.1 - CURVE_RANGE_DB.0) * i as f32 / columns as f32
    };
    let points: Vec<Pos2> = (0..=columns)
        .map(|i| curve_pos(plot, x_at(i), gc.output_db(x_at(i))))
        .collect();
    let mut mesh = egui::Mesh::default();
    let fill = theme.gain_reduction.gamma_multiply(0.22);
    for (i, p) in points.iter().enumerate() {
        mesh.colored_vertex(curve_pos(plot, x_at(i), x_at(i)), fill);
        mesh.colored_vertex(*p, fill);
        if i > 0 {
            let k = (2 * i) as u32;
            mesh.add_triangle(k - 2, k - 1, k);
            mesh.add_triangle(k - 1, k + 1, k);
        }
    }
    painter.add(egui::Shape::mesh(mesh));
    painter.add(egui::Shape::line(points, Stroke::new(2.0, theme.accent)));
    painter.text(
        plot.left_top() + Vec2::new(4.0, 3.0),
        Align2::LEFT_TOP,
        "OUT",
        font.clone(),
        theme.text_dim,
    );
    painter.text(
        plot.right_bottom() - Vec2::new(4.0, 16.0),
        Align2::RIGHT_BOTTOM,
        "IN",
        font.clone(),
        theme.text_dim,
    );
    // The live dot: where the signal sits on the curve right now.
    if dot_in_db > CURVE_RANGE_DB.0 - 1.0 {
        let out = dot_in_db - dot_reduction_db.max(0.0);
        let p = curve_pos(plot, dot_in_db, out);
        let on_unity = curve_pos(plot, dot_in_db, dot_in_db);
        if on_unity.y < p.y - 1.0 {
            painter.line_segment(
                [on_unity, p],
                Stroke::new(2.0, theme.gain_reduction.gamma_multiply(0.8)),
            );
        }
        painter.circle_filled(p, 6.0, theme.accent.gamma_multiply(0.35));
        painter.circle_filled(p, 3.5, Color32::WHITE);
    }
}

impl CompEditor {
    /// Draws the whole editor into `ui`'s available rect, `dt` seconds after
    /// the previous frame (meter ballistics).
    pub fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        let setter = ParamSetter::new(setter.raw_context);

        // Drain the audio thread's readings.
        self.history.drain_from(&self.shared.history);
        self.input.update(&self.shared.input.take(), dt);
        self.output.update(&self.shared.output.take(), dt);
        let gr_now = self.shared.gain_reduction_db.take();
        self.gr.update(-gr_now, dt);
        let target = (
            self.shared.dot_input_db.load(),
            self.shared.dot_reduction_db.load(),
        );
        let k = if dt > 0.0 {
            1.0 - (-dt * DOT_SMOOTHING_PER_S).exp()
        } else {
            1.0
        };
        if self.dot.0 <= CURVE_RANGE_DB.0 - 1.0 {
            self.dot = target;
        } else {
            self.dot.0 += k * (target.0 - self.dot.0);
            self.dot.1 += k * (target.1 - self.dot.1);
        }

        let theme = Theme::current(ui.ctx());
        let params = &self.params;
        let full = ui.available_rect_before_wrap();
        let pad = 8.0;
        let header_h = 30.0;
        let controls_h = (full.height() * 0.40).clamp(210.0, 250.0);
        let meter_w = (full.width() * 0.05).clamp(40.0, 60.0);

        // Header.
        let header = Rect::from_min_size(full.min, Vec2::new(full.width(), header_h));
        let sc_in_use = self.shared.sidechain_in_use.load(Ordering::Relaxed);
        ui.scope_builder(
            UiBuilder::new().max_rect(header.shrink2(Vec2::new(pad, 2.0))),
            |ui| {
                ui.horizontal_centered(|ui| {
                    ui.label(RichText::new("GLASSWORK COMP").strong().color(theme.accent));
                    ui.label(RichText::new("compressor").color(theme.text_dim));
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        ui.add(ParamToggle::for_param(&params.bypass, &setter));
                        ui.add(ParamToggle::for_param(&params.side.sc_listen, &setter));
                        ui.add(ParamToggle::for_param(&params.side.sidechain, &setter));
                        if params.side.sidechain.value() {
                            let (text, colour) = if sc_in_use {
                                ("sidechain in", theme.meter_green)
                            } else {
                                ("no sidechain port", theme.meter_yellow)
                            };
                            ui.label(RichText::new(text).small().color(colour));
                        }
                    });
                });
            },
        );

        // Body: transfer curve | history | IN GR OUT meters.
        let body = Rect::from_min_max(
            full.min + Vec2::new(pad, header_h + pad),
            full.max - Vec2::new(pad, controls_h + pad),
        );
        let curve_side = body.height().min(body.width() * 0.36);
        let curve_rect = Rect::from_min_size(body.min, Vec2::splat(curve_side));
        let out_rect = Rect::from_min_size(
            egui::pos2(body.max.x - meter_w, body.min.y),
            Vec2::new(meter_w, body.height()),
        );
        let gr_rect = Rect::from_min_size(
            egui::pos2(out_rect.min.x - pad - meter_w * 0.7, body.min.y),
            Vec2::new(meter_w * 0.7, body.height()),
        );
        let in_rect = Rect::from_min_size(
            egui::pos2(gr_rect.min.x - pad - meter_w, body.min.y),
            Vec2::new(meter_w, body.height()),
        );
        let hist_rect = Rect::from_min_max(
            egui::pos2(curve_rect.max.x + pad, body.min.y),
            egui::pos2(in_rect.min.x - pad, body.max.y),
        );
        let gc = params.kernel_params().gain_computer();
        paint_transfer(
            ui.painter(),
            curve_rect,
            &theme,
            &gc,
            self.dot.0,
            self.dot.1,
        );
        ui.scope_builder(UiBuilder::new().max_rect(hist_rect), |ui| {
            ui.add(
                HistoryGraph::new(&self.history)
                    .trace(Trace::new(0, TraceStyle::Filled, theme.input))
                    .trace(Trace::new(1, TraceStyle::Line, theme.output))
                    .trace(Trace::new(2, TraceStyle::Reduction, theme.gain_reduction))
                    .with_range(-48.0, 6.0)
                    .with_size(hist_rect.size()),
            );
        });
        // Legend for the three traces, bottom left of the history.
        let mut at = hist_rect.left_bottom() + Vec2::new(8.0, -24.0);
        for (name, colour) in [
            ("input", theme.input),
            ("output", theme.output),
            ("gain reduction", theme.gain_reduction),
        ] {
            let font = FontId::proportional(SMALL_TEXT_PT);
            ui.painter().rect_filled(
                Rect::from_min_size(at - Vec2::new(0.0, 8.0), Vec2::new(10.0, 3.0)),
                1.0,
                colour,
            );
            let text = ui.painter().text(
                at + Vec2::new(14.0, 0.0),
                Align2::LEFT_BOTTOM,
                name,
                font,
                theme.text_dim,
            );
            at.x = text.max.x + 14.0;
        }
        ui.scope_builder(UiBuilder::new().max_rect(in_rect), |ui| {
            ui.add(
                LevelMeter::new(&mut self.input)
                    .with_label("IN")
                    .with_size(in_rect.size()),
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
                    .with_size(out_rect.size()),
            );
        });

        // Controls: two rows of knobs beside a column of choices.
        let controls = Rect::from_min_max(
            egui::pos2(full.min.x + pad, full.max.y - controls_h),
            full.max - Vec2::splat(pad),
        );
        let side_w = (controls.width() * 0.24).clamp(180.0, 260.0);
        let knobs_w = controls.width() - side_w - pad;
        let row_h = controls.height() * 0.5;
        let rows: [&[&FloatParam]; 2] = [
            &[
                &params.compressor.threshold,
                &params.compressor.ratio,
                &params.compressor.knee,
                &params.timing.attack,
                &params.timing.release,
                &params.timing.hold,
                &params.compressor.range,
                &params.levels.makeup,
            ],
            &[
                &params.detection.detector,
                &params.detection.rms_window,
                &params.timing.lookahead,
                &params.detection.link,
                &params.side.sc_hpf,
                &params.side.sc_lpf,
                &params.levels.mix,
                &params.levels.output,
            ],
        ];
        let col_w = knobs_w / 8.0;
        let knob = (row_h * 0.52).min(col_w * 0.62).clamp(30.0, 62.0);
        for (r, row) in rows.iter().enumerate() {
            for (i, p) in row.iter().enumerate() {
                let cell = Rect::from_min_size(
                    egui::pos2(
                        controls.min.x + i as f32 * col_w,
                        controls.min.y + r as f32 * row_h,
                    ),
                    Vec2::new(col_w, row_h),
                );
                ui.scope_builder(
                    UiBuilder::new()
                        .max_rect(cell)
                        .layout(Layout::top_down(Align::Center)),
                    |ui| {
                        ui.add(ParamKnob::for_param(*p, &setter).with_diameter(knob));
                    },
                );
            }
        }
        let side = Rect::from_min_max(
            egui::pos2(controls.max.x - side_w, controls.min.y),
            controls.max,
        );
        ui.scope_builder(UiBuilder::new().max_rect(side), |ui| {
            ui.spacing_mut().item_spacing.y = 5.0;
            ui.add(
                ParamChoice::for_param(&params.compressor.style, &setter)
                    .segmented()
                    .with_width(side.width()),
            );
            ui.add(
                ParamChoice::for_param(&params.compressor.topology, &setter)
                    .segmented()
                    .with_width(side.width()),
            );
            ui.add(
                ParamChoice::for_param(&params.detection.stereo_mode, &setter)
                    .segmented()
                    .with_width(side.width()),
            );
            // One toggle per row: side by side they overrun the column at
            // the smallest editor size.
            ui.add(ParamToggle::for_param(&params.timing.auto_release, &setter));
            ui.add(ParamToggle::for_param(&params.levels.auto_makeup, &setter));
        });
    }
}

impl std::fmt::Debug for CompEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompEditor").finish_non_exhaustive()
    }
}
