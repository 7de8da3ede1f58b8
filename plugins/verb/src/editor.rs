//! The editor: the decay per band as set and as measured, level meters
//! (input, wet, output), the characters as one-click starting points, and
//! the controls in groups (decay, space, tone, output).

use crate::decay_view::{self, DecayKey, DecayMeasurer};
use crate::engine::VerbShared;
use crate::params::VerbPluginParams;
use egui::{Align, Layout, Pos2, Rect, RichText, UiBuilder, Vec2};
use glass_dsp::reverb::{Character, ReverbParams};
use glass_ui::hosted::HostedEditor;
use glass_ui::layout::{columns, group, in_rect, weighted_columns};
use glass_ui::{accent, LevelMeter, LevelMeterState, ParamChoice, ParamKnob, ParamToggle, Theme};
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditor, EguiEditorState, RepaintNotifier};
use std::sync::Arc;
use std::time::Instant;

/// Logical size the editor opens at, in points.
const DEFAULT_SIZE: (f32, f32) = (960.0, 600.0);
/// Smallest logical size that still shows every control.
const MIN_SIZE: (f32, f32) = (860.0, 540.0);

/// The editor's initial size and scale.
pub fn default_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(LogicalSize::new(DEFAULT_SIZE.0, DEFAULT_SIZE.1), 1.0)
}

/// GUI-side state of an open editor.
pub struct VerbEditor {
    params: Arc<VerbPluginParams>,
    shared: Arc<VerbShared>,
    input: LevelMeterState,
    wet: LevelMeterState,
    output: LevelMeterState,
    decay: DecayMeasurer,
    clock: Instant,
}

impl VerbEditor {
    /// An editor over `params`, showing what the engine publishes in
    /// `shared`.
    pub fn new(params: Arc<VerbPluginParams>, shared: Arc<VerbShared>) -> Self {
        Self {
            params,
            shared,
            input: LevelMeterState::new(),
            wet: LevelMeterState::new(),
            output: LevelMeterState::new(),
            decay: DecayMeasurer::new(),
            clock: Instant::now(),
        }
    }

    /// Waits for the decay measurement of the current settings (a still
    /// picture shows it; an open editor never waits).
    pub fn measure_now(&mut self) {
        let key = self.decay_key();
        self.decay.update(key, 0.0);
        self.decay.update(key, 1e9);
        self.decay.finish();
    }

    fn sample_rate(&self) -> f32 {
        let fs = self.shared.sample_rate.load();
        if fs > 0.0 {
            fs
        } else {
            48_000.0
        }
    }

    fn decay_key(&self) -> DecayKey {
        DecayKey::of(&self.shown_params(), self.sample_rate())
    }

    /// The kernel parameters the editor shows: the current values at the
    /// tempo the audio thread last saw.
    fn shown_params(&self) -> ReverbParams {
        self.params.kernel_params(self.tempo())
    }

    fn tempo(&self) -> Option<f64> {
        let tempo = self.shared.tempo_bpm.load();
        (tempo > 0.0).then_some(f64::from(tempo))
    }
}

/// Builds the editor.
pub fn create(
    params: Arc<VerbPluginParams>,
    shared: Arc<VerbShared>,
    state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
) -> Option<EguiEditor<HostedEditor<VerbEditor>>> {
    let app = VerbEditor::new(params, shared);
    glass_ui::hosted::create(app, "Glasswork Verb", MIN_SIZE, state, repaint)
}

impl glass_ui::hosted::EditorBody for VerbEditor {
    fn accent(&self) -> egui::Color32 {
        accent::VERB
    }

    fn frame(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        self.draw(ui, setter, dt);
    }
}

/// Name of a character on its button.
fn character_name(c: Character) -> &'static str {
    match c {
        Character::Room => "Room",
        Character::Hall => "Hall",
        Character::Plate => "Plate",
        Character::Chamber => "Chamber",
    }
}

/// Sets every parameter a character shapes, each as one gesture, so a
/// host records the change as automation and undo like a knob turn.
fn apply_character(params: &VerbPluginParams, c: Character, setter: &ParamSetter) {
    for (param, value) in params.character_values(c) {
        setter.begin_set_parameter(param);
        setter.set_parameter(param, value);
        setter.end_set_parameter(param);
    }
    let sync = &params.space.predelay_sync;
    setter.begin_set_parameter(sync);
    setter.set_parameter(sync, false);
    setter.end_set_parameter(sync);
}

/// The pre-delay readout under the space controls.
pub fn pre_delay_readout(params: &VerbPluginParams, tempo_bpm: Option<f64>) -> String {
    let pd = params.pre_delay(tempo_bpm);
    if !params.space.predelay_sync.value() {
        return format!("Pre-delay {:.1} ms", pd.ms);
    }
    let n = params.space.predelay_note.value().value();
    let m = params.space.predelay_note_mod.value().modifier();
    let name = format!("{}{}", n.label(), m.suffix());
    match (pd.synced_ms, tempo_bpm) {
        (Some(ms), Some(t)) if ms as f32 > pd.ms => {
            format!("{name} at {t:.1} BPM = {ms:.0} ms, held at {:.0} ms", pd.ms)
        }
        (Some(ms), Some(t)) => format!("{name} at {t:.1} BPM = {ms:.1} ms"),
        _ => format!("{name}: no host tempo, free {:.1} ms", pd.ms),
    }
}

impl VerbEditor {
    /// Draws the whole editor into `ui`'s available rect, `dt` seconds after
    /// the previous frame (meter ballistics).
    pub fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        let setter = ParamSetter::new(setter.raw_context);
        self.input.update(&self.shared.input.take(), dt);
        self.wet.update(&self.shared.wet.take(), dt);
        self.output.update(&self.shared.output.take(), dt);
        let key = self.decay_key();
        self.decay.update(key, self.clock.elapsed().as_secs_f64());
        if self.decay.busy() {
            // Keep frames coming until the measurement lands.
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(100));
        }

        let theme = Theme::current(ui.ctx());
        let params = self.params.clone();
        let kp = self.shown_params();
        let full = ui.available_rect_before_wrap();
        let pad = 8.0;
        let header_h = 30.0;

        // Header: name, the characters, freeze and bypass.
        let header = Rect::from_min_size(full.min, Vec2::new(full.width(), header_h));
        ui.scope_builder(
            UiBuilder::new().max_rect(header.shrink2(Vec2::new(pad, 2.0))),
            |ui| {
                ui.horizontal_centered(|ui| {
                    ui.label(RichText::new("GLASSWORK VERB").strong().color(theme.accent));
                    ui.label(RichText::new("algorithmic reverb").color(theme.text_dim));
                    ui.add_space(16.0);
                    let current = params.current_character();
                    for c in Character::ALL {
                        let selected = current == Some(c);
                        if ui
                            .selectable_label(selected, character_name(c))
                            .on_hover_text("Sets decay, size, pre-delay, diffusion, balance, damping and modulation; keeps mix, width, cuts and ducking")
                            .clicked()
                        {
                            apply_character(&params, c, &setter);
                        }
                    }
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        ui.add(ParamToggle::for_param(&params.bypass, &setter));
                        ui.add(ParamToggle::for_param(&params.decay.freeze, &setter));
                    });
                });
            },
        );

        // Controls at the bottom, the decay plot and meters above.
        let controls_h = (full.height() * 0.36).clamp(180.0, 220.0);
        let controls = Rect::from_min_max(
            Pos2::new(full.min.x + pad, full.max.y - pad - controls_h),
            full.max - Vec2::splat(pad),
        );
        let body = Rect::from_min_max(
            full.min + Vec2::new(pad, header_h + pad * 0.5),
            Pos2::new(full.max.x - pad, controls.min.y - pad),
        );
        let meter_w = (full.width() * 0.045).clamp(34.0, 52.0);
        let in_m = Rect::from_min_size(body.min, Vec2::new(meter_w, body.height()));
        let out_m = Rect::from_min_max(Pos2::new(body.max.x - meter_w, body.min.y), body.max);
        let wet_m = Rect::from_min_max(
            Pos2::new(out_m.min.x - pad * 0.5 - meter_w, body.min.y),
            Pos2::new(out_m.min.x - pad * 0.5, body.max.y),
        );
        let plot = Rect::from_min_max(
            Pos2::new(in_m.max.x + pad, body.min.y),
            Pos2::new(wet_m.min.x - pad, body.max.y),
        );
        for (rect, state, label) in [
            (in_m, &mut self.input, "IN"),
            (wet_m, &mut self.wet, "WET"),
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
        decay_view::paint(
            ui.painter(),
            plot,
            &kp,
            key,
            self.decay.latest(),
            self.decay.busy(),
            &theme,
        );

        self.draw_controls(ui, controls, &setter, &theme);
    }

    fn draw_controls(&self, ui: &mut egui::Ui, rect: Rect, setter: &ParamSetter, theme: &Theme) {
        let params = &self.params;
        let rects = weighted_columns(rect, &[5.0, 4.4, 5.0, 3.0], 6.0);
        let knob = |inner: Rect, cols: usize| {
            (inner.width() / cols as f32 * 0.68)
                .min(inner.height() * 0.4)
                .clamp(26.0, 58.0)
        };
        let row = |ui: &mut egui::Ui, inner: Rect, knobs: &[&FloatParam]| {
            let d = knob(inner, knobs.len());
            for (col, p) in columns(inner, knobs.len()).into_iter().zip(knobs) {
                in_rect(ui, col, |ui| {
                    ui.add(ParamKnob::for_param(*p, setter).with_diameter(d));
                });
            }
        };
        let split = |inner: Rect, top: f32| {
            let h = inner.height() * top;
            (
                Rect::from_min_size(inner.min, Vec2::new(inner.width(), h)),
                Rect::from_min_max(Pos2::new(inner.min.x, inner.min.y + h), inner.max),
            )
        };

        // DECAY: the mid decay large, the band multipliers and crossovers.
        let inner = group(ui, rects[0], "Decay", theme);
        let (main, rest) = (
            Rect::from_min_size(inner.min, Vec2::new(inner.width() * 0.3, inner.height())),
            Rect::from_min_max(
                Pos2::new(inner.min.x + inner.width() * 0.3, inner.min.y),
                inner.max,
            ),
        );
        in_rect(ui, main, |ui| {
            ui.add_space(inner.height() * 0.12);
            ui.add(
                ParamKnob::for_param(&params.decay.decay, setter)
                    .with_diameter((knob(main, 1) * 1.25).min(main.width() - 8.0)),
            );
        });
        let (top, bottom) = split(rest, 0.5);
        row(ui, top, &[&params.decay.low_mult, &params.decay.high_mult]);
        row(
            ui,
            bottom,
            &[&params.decay.low_xover, &params.decay.high_xover],
        );

        // SPACE: size, pre-delay (free or a synced note), diffusion,
        // early/late, and the sync readout.
        let inner = group(ui, rects[1], "Space", theme);
        let (top, bottom) = split(inner, 0.5);
        let cols = columns(top, 2);
        let d = knob(top, 2);
        in_rect(ui, cols[0], |ui| {
            ui.add(ParamKnob::for_param(&params.space.size, setter).with_diameter(d));
        });
        in_rect(ui, cols[1], |ui| {
            if params.space.predelay_sync.value() {
                let w = cols[1].width() - 10.0;
                ui.add(
                    ParamChoice::for_param(&params.space.predelay_note, setter)
                        .combo()
                        .with_width(w),
                );
                ui.add(
                    ParamChoice::for_param(&params.space.predelay_note_mod, setter)
                        .combo()
                        .without_label()
                        .with_width(w),
                );
            } else {
                ui.add(ParamKnob::for_param(&params.space.predelay, setter).with_diameter(d));
            }
        });
        let sync_h = 22.0;
        let (knobs, sync_row) = (
            Rect::from_min_max(bottom.min, Pos2::new(bottom.max.x, bottom.max.y - sync_h)),
            Rect::from_min_max(Pos2::new(bottom.min.x, bottom.max.y - sync_h), bottom.max),
        );
        row(
            ui,
            knobs,
            &[&params.space.diffusion, &params.space.early_late],
        );
        ui.scope_builder(
            UiBuilder::new()
                .max_rect(sync_row)
                .layout(Layout::left_to_right(Align::Center)),
            |ui| {
                ui.add(ParamToggle::for_param(&params.space.predelay_sync, setter));
                ui.label(
                    RichText::new(pre_delay_readout(params, self.tempo()))
                        .size(glass_ui::theme::SMALL_TEXT_PT)
                        .color(theme.text_dim),
                );
            },
        );

        // TONE: damping and modulation, the wet filters.
        let inner = group(ui, rects[2], "Tone", theme);
        let (top, bottom) = split(inner, 0.5);
        row(
            ui,
            top,
            &[
                &params.tone.damping,
                &params.tone.mod_depth,
                &params.tone.mod_rate,
            ],
        );
        row(ui, bottom, &[&params.tone.low_cut, &params.tone.high_cut]);

        // OUTPUT: width, ducking, mix.
        let inner = group(ui, rects[3], "Output", theme);
        let (top, bottom) = split(inner, 0.5);
        row(ui, top, &[&params.output.width, &params.output.ducking]);
        row(ui, bottom, &[&params.output.mix]);
    }
}
