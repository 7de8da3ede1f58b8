//! The editor: the scrolling pitch graph (detected, target and output pitch
//! on a note grid), the cents meter with the note the voice is heading for,
//! a keyboard showing the scale and the current note (and choosing the
//! custom scale), and the controls in groups (scale, correction, pitch).

use crate::cents_meter::{self, CentsMeterState};
use crate::engine::TuneShared;
use crate::keyboard::{self, KeyboardState};
use crate::params::{ScaleParam, TunePluginParams};
use crate::pitch_graph::{self, note_name, PitchHistory};
use egui::{Align, Layout, Pos2, Rect, RichText, UiBuilder, Vec2};
use glass_dsp::control::CONTROL_BLOCK;
use glass_dsp::scale::note_of_hz;
use glass_ui::hosted::HostedEditor;
use glass_ui::layout::{columns, group, in_rect, weighted_columns};
use glass_ui::theme::SMALL_TEXT_PT;
use glass_ui::{accent, LevelMeter, LevelMeterState, ParamChoice, ParamKnob, ParamToggle, Theme};
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditor, EguiEditorState, RepaintNotifier};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Logical size the editor opens at, in points.
const DEFAULT_SIZE: (f32, f32) = (980.0, 620.0);
/// Smallest logical size that still shows every control.
const MIN_SIZE: (f32, f32) = (860.0, 540.0);

/// The editor's initial size and scale.
pub fn default_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(LogicalSize::new(DEFAULT_SIZE.0, DEFAULT_SIZE.1), 1.0)
}

/// GUI-side state of an open editor.
pub struct TuneEditor {
    params: Arc<TunePluginParams>,
    shared: Arc<TuneShared>,
    history: PitchHistory,
    /// The view has been placed on the voice (or its range) once.
    placed: bool,
    cents: CentsMeterState,
    input: LevelMeterState,
    output: LevelMeterState,
}

impl TuneEditor {
    /// An editor over `params`, showing what the engine publishes in
    /// `shared`.
    pub fn new(params: Arc<TunePluginParams>, shared: Arc<TuneShared>) -> Self {
        let history = PitchHistory::new(Self::frame_rate(&shared));
        Self {
            params,
            shared,
            history,
            placed: false,
            cents: CentsMeterState::new(),
            input: LevelMeterState::new(),
            output: LevelMeterState::new(),
        }
    }

    fn sample_rate(shared: &TuneShared) -> f32 {
        let fs = shared.sample_rate.load();
        if fs > 0.0 {
            fs
        } else {
            48_000.0
        }
    }

    fn frame_rate(shared: &TuneShared) -> f32 {
        Self::sample_rate(shared) / CONTROL_BLOCK as f32
    }

    /// The pitch history the graph shows.
    pub fn history(&self) -> &PitchHistory {
        &self.history
    }

    /// Moves the queued pitch frames into the history (a new sample rate
    /// starts a new history).
    fn take_frames(&mut self) {
        let rate = Self::frame_rate(&self.shared);
        if (rate - self.history.frame_rate_hz()).abs() > 0.5 {
            self.history = PitchHistory::new(rate);
        }
        let history = &mut self.history;
        self.shared.frames.drain_into(|f| history.push(f));
    }
}

/// Builds the editor.
pub fn create(
    params: Arc<TunePluginParams>,
    shared: Arc<TuneShared>,
    state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
) -> Option<EguiEditor<HostedEditor<TuneEditor>>> {
    let app = TuneEditor::new(params, shared);
    glass_ui::hosted::create(app, "Glasswork Tune", MIN_SIZE, state, repaint)
}

impl glass_ui::hosted::EditorBody for TuneEditor {
    fn accent(&self) -> egui::Color32 {
        accent::TUNE
    }

    fn frame(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        self.draw(ui, setter, dt);
    }
}

/// Toggles pitch class `pc` of the custom scale, as host gestures. From
/// another scale, the custom set starts as that scale's notes in its key
/// and the scale switches to custom, so a click edits what is shown.
pub fn toggle_custom_note(params: &TunePluginParams, pc: u8, setter: &ParamSetter) {
    let pc = usize::from(pc % 12);
    let mut mask = if params.target.scale.value() == ScaleParam::Custom {
        params.custom_mask()
    } else {
        params.kernel_params().scale_mask()
    };
    mask ^= 1 << pc;
    for (i, n) in params.target.custom.iter().enumerate() {
        let on = mask >> i & 1 == 1;
        if n.on.value() != on {
            setter.begin_set_parameter(&n.on);
            setter.set_parameter(&n.on, on);
            setter.end_set_parameter(&n.on);
        }
    }
    let scale = &params.target.scale;
    if scale.value() != ScaleParam::Custom {
        setter.begin_set_parameter(scale);
        setter.set_parameter(scale, ScaleParam::Custom);
        setter.end_set_parameter(scale);
    }
}

impl TuneEditor {
    /// Draws the whole editor into `ui`'s available rect, `dt` seconds after
    /// the previous frame.
    pub fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        let setter = ParamSetter::new(setter.raw_context);
        self.take_frames();
        let kp = self.params.kernel_params();
        self.history
            .follow(kp.voice, kp.reference_hz, dt, !self.placed);
        self.placed = true;
        let latest = self.history.latest();
        self.cents.update(&latest, kp.reference_hz, dt);
        self.input.update(&self.shared.input.take(), dt);
        self.output.update(&self.shared.output.take(), dt);

        let theme = Theme::current(ui.ctx());
        let params = self.params.clone();
        let full = ui.available_rect_before_wrap();
        let pad = 8.0;
        let header_h = 30.0;

        // Header: name, voice, key and scale, MIDI out and bypass.
        let header = Rect::from_min_size(full.min, Vec2::new(full.width(), header_h));
        ui.scope_builder(
            UiBuilder::new().max_rect(header.shrink2(Vec2::new(pad, 2.0))),
            |ui| {
                ui.horizontal_centered(|ui| {
                    ui.label(RichText::new("GLASSWORK TUNE").strong().color(theme.accent));
                    ui.label(RichText::new("pitch correction").color(theme.text_dim));
                    ui.add_space(12.0);
                    ui.add(
                        ParamChoice::for_param(&params.target.voice, &setter)
                            .combo()
                            .with_width(110.0),
                    );
                    ui.add(
                        ParamChoice::for_param(&params.target.key, &setter)
                            .combo()
                            .with_width(80.0),
                    );
                    ui.add(
                        ParamChoice::for_param(&params.target.scale, &setter)
                            .combo()
                            .with_width(140.0),
                    );
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        ui.add(ParamToggle::for_param(&params.bypass, &setter));
                        ui.add(ParamToggle::for_param(&params.output.midi_out, &setter));
                    });
                });
            },
        );

        let controls_h = (full.height() * 0.34).clamp(170.0, 210.0);
        let controls = Rect::from_min_max(
            Pos2::new(full.min.x + pad, full.max.y - pad - controls_h),
            full.max - Vec2::splat(pad),
        );
        let body = Rect::from_min_max(
            full.min + Vec2::new(pad, header_h + pad * 0.5),
            Pos2::new(full.max.x - pad, controls.min.y - pad),
        );
        let side_w = (body.width() * 0.24).clamp(190.0, 250.0);
        let graph = Rect::from_min_max(body.min, Pos2::new(body.max.x - side_w - pad, body.max.y));
        let side = Rect::from_min_max(Pos2::new(graph.max.x + pad, body.min.y), body.max);
        pitch_graph::paint(
            ui.painter(),
            graph,
            &self.history,
            self.shared.active_mask.load(Ordering::Relaxed) as u16,
            kp.reference_hz,
            &theme,
        );

        // Side column: cents meter, readouts, level meters.
        let meter_h = (side.height() * 0.42).clamp(120.0, 170.0);
        let cents_rect = Rect::from_min_size(side.min, Vec2::new(side.width(), meter_h));
        cents_meter::paint(ui.painter(), cents_rect, &self.cents, &theme);
        let rest = Rect::from_min_max(Pos2::new(side.min.x, cents_rect.max.y + pad), side.max);
        let meters_w = 2.0 * 40.0 + 4.0;
        let readout =
            Rect::from_min_max(rest.min, Pos2::new(rest.max.x - meters_w - 4.0, rest.max.y));
        self.draw_readout(ui, readout, &kp, &theme);
        let m = Rect::from_min_max(Pos2::new(rest.max.x - meters_w, rest.min.y), rest.max);
        let cols = columns(m, 2);
        for (rect, state, label) in [
            (cols[0], &mut self.input, "IN"),
            (cols[1], &mut self.output, "OUT"),
        ] {
            ui.scope_builder(UiBuilder::new().max_rect(rect), |ui| {
                ui.add(
                    LevelMeter::new(state)
                        .with_label(label)
                        .with_size(rect.size()),
                );
            });
        }

        self.draw_controls(ui, controls, &setter, &theme, &latest);
    }

    fn draw_readout(
        &self,
        ui: &mut egui::Ui,
        rect: Rect,
        kp: &glass_dsp::tuner::TuneParams,
        theme: &Theme,
    ) {
        let f = self.history.latest();
        let reference = f64::from(kp.reference_hz);
        let pitch = |hz: f32| {
            if f.voiced && hz > 0.0 {
                let n = note_of_hz(f64::from(hz), reference);
                let r = n.round();
                format!(
                    "{hz:.1} Hz  {} {:+.0} ct",
                    note_name(r as i32),
                    100.0 * (n - r)
                )
            } else {
                "–".to_string()
            }
        };
        let fs = Self::sample_rate(&self.shared);
        let lat = self.shared.latency.load(Ordering::Relaxed);
        let midi = match self.shared.sounding_note() {
            Some(n) if self.params.output.midi_out.value() => note_name(i32::from(n)),
            Some(_) => "off".to_string(),
            None if self.params.output.midi_out.value() => "–".to_string(),
            None => "off".to_string(),
        };
        let rows = [
            ("Detected", pitch(f.detected_hz)),
            ("Output", pitch(f.output_hz)),
            (
                "Confidence",
                if f.confidence > 0.0 {
                    format!("{:.0} %", 100.0 * f.confidence)
                } else {
                    "–".to_string()
                },
            ),
            ("MIDI out", midi),
            (
                "Latency",
                format!("{:.1} ms ({lat} smp)", 1000.0 * lat as f32 / fs),
            ),
        ];
        glass_ui::axis::paint_plot_frame(ui.painter(), rect, theme);
        let painter = ui.painter_at(rect);
        let line = SMALL_TEXT_PT * 1.5;
        for (i, (k, v)) in rows.iter().enumerate() {
            let y = rect.top() + 8.0 + i as f32 * (2.0 * line);
            painter.text(
                Pos2::new(rect.left() + 8.0, y),
                egui::Align2::LEFT_TOP,
                k.to_uppercase(),
                egui::FontId::proportional(SMALL_TEXT_PT),
                theme.text_dim,
            );
            painter.text(
                Pos2::new(rect.left() + 8.0, y + line - 2.0),
                egui::Align2::LEFT_TOP,
                v,
                egui::FontId::proportional(SMALL_TEXT_PT + 1.5),
                theme.text,
            );
        }
    }

    fn draw_controls(
        &self,
        ui: &mut egui::Ui,
        rect: Rect,
        setter: &ParamSetter,
        theme: &Theme,
        latest: &glass_dsp::tuner::PitchFrame,
    ) {
        let params = &self.params;
        let kp = params.kernel_params();
        let rects = weighted_columns(rect, &[4.6, 5.4, 4.2], 6.0);
        let knob = |inner: Rect, cols: usize| {
            (inner.width() / cols as f32 * 0.68)
                .min(inner.height() * 0.5)
                .clamp(26.0, 58.0)
        };

        // SCALE: the keyboard (the scale lit, the current and target notes,
        // held MIDI notes; a click edits the custom scale) and how MIDI
        // notes act as targets.
        let inner = group(ui, rects[0], "Scale", theme);
        let choice_h = 24.0;
        let keys = Rect::from_min_max(
            inner.min,
            Pos2::new(inner.max.x, inner.max.y - choice_h - 4.0),
        );
        let reference = f64::from(kp.reference_hz);
        let current = (latest.voiced && latest.detected_hz > 0.0).then(|| {
            (note_of_hz(f64::from(latest.detected_hz), reference).round() as i32).rem_euclid(12)
                as u8
        });
        let target =
            (latest.voiced && latest.target_note >= 0).then_some((latest.target_note % 12) as u8);
        let held = (0..128u8)
            .filter(|&n| self.shared.is_held(n))
            .fold(0u16, |m, n| m | 1 << (n % 12));
        let state = KeyboardState {
            scale: self.shared.active_mask.load(Ordering::Relaxed) as u16,
            current,
            target,
            held,
        };
        let (response, clicked) = keyboard::show(ui, keys, state, theme);
        response.on_hover_text(
            "Click a key to add it to or remove it from the scale (switches to Custom)",
        );
        if let Some(pc) = clicked {
            toggle_custom_note(params, pc, setter);
        }
        let row = Rect::from_min_max(Pos2::new(inner.min.x, inner.max.y - choice_h), inner.max);
        ui.scope_builder(
            UiBuilder::new()
                .max_rect(row)
                .layout(Layout::left_to_right(Align::Center)),
            |ui| {
                ui.add(
                    ParamChoice::for_param(&params.target.midi_target, setter)
                        .combo()
                        .with_width(120.0),
                );
                if held != 0 {
                    ui.label(
                        RichText::new("MIDI notes held are the targets")
                            .size(SMALL_TEXT_PT)
                            .color(theme.accent),
                    );
                }
            },
        );

        // CORRECTION: retune large, then humanize, flex, vibrato, amount.
        let inner = group(ui, rects[1], "Correction", theme);
        let main = Rect::from_min_size(inner.min, Vec2::new(inner.width() * 0.3, inner.height()));
        let rest = Rect::from_min_max(Pos2::new(main.max.x, inner.min.y), inner.max);
        in_rect(ui, main, |ui| {
            ui.add_space(inner.height() * 0.1);
            ui.add(
                ParamKnob::for_param(&params.correction.retune, setter)
                    .with_diameter((knob(main, 1) * 1.2).min(main.width() - 8.0))
                    .with_caption(if params.correction.retune.value() <= 0.0 {
                        "Retune · hard"
                    } else if params.correction.retune.value() < 60.0 {
                        "Retune · fast"
                    } else {
                        "Retune · natural"
                    }),
            );
        });
        let (top, bottom) = split(rest, 0.5);
        let d = knob(top, 2);
        for (col, p) in columns(top, 2)
            .into_iter()
            .zip([&params.correction.humanize, &params.correction.flex])
        {
            in_rect(ui, col, |ui| {
                ui.add(ParamKnob::for_param(p, setter).with_diameter(d));
            });
        }
        for (col, p) in columns(bottom, 2)
            .into_iter()
            .zip([&params.correction.vibrato, &params.correction.amount])
        {
            in_rect(ui, col, |ui| {
                ui.add(ParamKnob::for_param(p, setter).with_diameter(d));
            });
        }

        // PITCH: transposition, reference, formant.
        let inner = group(ui, rects[2], "Pitch", theme);
        let (top, bottom) = split(inner, 0.5);
        let d = knob(top, 2);
        let cols = columns(top, 2);
        in_rect(ui, cols[0], |ui| {
            ui.add(
                ParamKnob::for_param(&params.target.transpose, setter)
                    .with_diameter(d)
                    .bipolar(),
            );
        });
        in_rect(ui, cols[1], |ui| {
            ui.add(
                ParamKnob::for_param(&params.target.transpose_cents, setter)
                    .with_diameter(d)
                    .bipolar(),
            );
        });
        let cols = columns(bottom, 2);
        in_rect(ui, cols[0], |ui| {
            ui.add(ParamKnob::for_param(&params.target.reference, setter).with_diameter(d));
        });
        in_rect(ui, cols[1], |ui| {
            ui.add(
                ParamKnob::for_param(&params.output.formant, setter)
                    .with_diameter(d)
                    .bipolar(),
            );
        });
    }
}

/// `rect` split across at `top` (0..1) of its height.
fn split(rect: Rect, top: f32) -> (Rect, Rect) {
    let h = rect.height() * top;
    (
        Rect::from_min_size(rect.min, Vec2::new(rect.width(), h)),
        Rect::from_min_max(Pos2::new(rect.min.x, rect.min.y + h), rect.max),
    )
}
