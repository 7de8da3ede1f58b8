//! The editor: the repeats on a time line with their levels, the tempo-sync
//! readout, level meters, and the controls in groups (time, rhythm,
//! feedback, tone, output, and the taps in the multi-tap mode).

use crate::engine::EchoShared;
use crate::params::{EchoPluginParams, Mode};
use egui::{Align, Align2, Color32, FontId, Layout, Pos2, Rect, RichText, Stroke, UiBuilder, Vec2};
use glass_dsp::echo::{repeat_pattern, shaping_magnitude, EchoParams, Repeat, MAX_TAPS};
use glass_dsp::tempo::valid_tempo;
use glass_ui::hosted::HostedEditor;
use glass_ui::layout::{columns, group, in_rect, weighted_columns};
use glass_ui::{
    accent, LevelMeter, LevelMeterState, ParamChoice, ParamKnob, ParamToggle, StereoReading, Theme,
};
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditor, EguiEditorState, RepaintNotifier};
use std::sync::Arc;

/// Logical size the editor opens at, in points.
const DEFAULT_SIZE: (f32, f32) = (980.0, 620.0);
/// Smallest logical size that still shows every control.
const MIN_SIZE: (f32, f32) = (880.0, 560.0);
/// Lowest level drawn on the time line, dB.
const FLOOR_DB: f32 = -48.0;

/// The editor's initial size and scale.
pub fn default_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(LogicalSize::new(DEFAULT_SIZE.0, DEFAULT_SIZE.1), 1.0)
}

/// GUI-side state of an open editor.
pub struct EchoEditor {
    params: Arc<EchoPluginParams>,
    shared: Arc<EchoShared>,
    input: LevelMeterState,
    output: LevelMeterState,
}

impl EchoEditor {
    /// An editor over `params`, showing what the engine publishes in
    /// `shared`.
    pub fn new(params: Arc<EchoPluginParams>, shared: Arc<EchoShared>) -> Self {
        Self {
            params,
            shared,
            input: LevelMeterState::new(),
            output: LevelMeterState::new(),
        }
    }
}

/// Builds the editor.
pub fn create(
    params: Arc<EchoPluginParams>,
    shared: Arc<EchoShared>,
    state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
) -> Option<EguiEditor<HostedEditor<EchoEditor>>> {
    let app = EchoEditor::new(params, shared);
    glass_ui::hosted::create(app, "Glasswork Echo", MIN_SIZE, state, repaint)
}

impl glass_ui::hosted::EditorBody for EchoEditor {
    fn accent(&self) -> egui::Color32 {
        accent::ECHO
    }

    fn frame(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        self.draw(ui, setter, dt);
    }
}

/// "1/8." style name of a synced note.
fn note_label(note: glass_dsp::tempo::Note) -> String {
    format!("{}{}", note.value.label(), note.modifier.suffix())
}

/// The sync readout: what the time is and where it comes from.
pub fn sync_readout(p: &EchoParams) -> String {
    let timing = p.timing();
    let dual = p.mode == glass_dsp::echo::EchoMode::Dual;
    let ms = |v: f64| {
        if v >= 1000.0 {
            format!("{:.3} s", v / 1000.0)
        } else {
            format!("{v:.1} ms")
        }
    };
    let times = if dual {
        format!("L {} · R {}", ms(timing.left_ms), ms(timing.right_ms))
    } else {
        ms(timing.left_ms)
    };
    if !p.sync {
        return format!("Free time: {times}");
    }
    let notes = if dual {
        format!("{} · {}", note_label(p.note), note_label(p.note_r))
    } else {
        note_label(p.note)
    };
    match valid_tempo(p.tempo_bpm) {
        Some(t) if timing.synced => {
            let swing = if p.swing > 0.5 {
                format!(" · swing {:.0} %", p.swing * 100.0)
            } else {
                String::new()
            };
            format!("{notes} at {t:.1} BPM = {times}{swing}")
        }
        _ => format!("{notes}: no host tempo, free time {times}"),
    }
}

impl EchoEditor {
    /// The kernel parameters the editor shows: the current values at the
    /// tempo the audio thread last saw.
    fn shown_params(&self) -> EchoParams {
        let tempo = self.shared.tempo_bpm.load();
        self.params
            .kernel_params((tempo > 0.0).then_some(f64::from(tempo)))
    }

    /// Draws the whole editor into `ui`'s available rect, `dt` seconds after
    /// the previous frame (meter ballistics).
    pub fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        let setter = ParamSetter::new(setter.raw_context);
        let to_reading = |r: StereoReading| r;
        self.input.update(&to_reading(self.shared.input.take()), dt);
        self.output
            .update(&to_reading(self.shared.output.take()), dt);

        let theme = Theme::current(ui.ctx());
        let params = self.params.clone();
        let kp = self.shown_params();
        let full = ui.available_rect_before_wrap();
        let pad = 8.0;
        let header_h = 30.0;
        let multitap = params.timing.mode.value() == Mode::MultiTap;

        // Header: name, sync readout, bypass and freeze.
        let header = Rect::from_min_size(full.min, Vec2::new(full.width(), header_h));
        ui.scope_builder(
            UiBuilder::new().max_rect(header.shrink2(Vec2::new(pad, 2.0))),
            |ui| {
                ui.horizontal_centered(|ui| {
                    ui.label(RichText::new("GLASSWORK ECHO").strong().color(theme.accent));
                    ui.label(RichText::new("tempo-synced delay").color(theme.text_dim));
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        ui.add(ParamToggle::for_param(&params.bypass, &setter));
                        ui.add(ParamToggle::for_param(&params.repeats.freeze, &setter));
                    });
                });
            },
        );

        // Layout from the bottom up: controls, taps strip, time line.
        let controls_h = (full.height() * 0.34).clamp(170.0, 210.0);
        let taps_h = if multitap {
            (full.height() * 0.2).clamp(104.0, 130.0)
        } else {
            0.0
        };
        let controls = Rect::from_min_max(
            Pos2::new(full.min.x + pad, full.max.y - pad - controls_h),
            full.max - Vec2::splat(pad),
        );
        let taps_rect = Rect::from_min_max(
            Pos2::new(full.min.x + pad, controls.min.y - pad - taps_h),
            Pos2::new(full.max.x - pad, controls.min.y - pad),
        );
        let body_bottom = if multitap {
            taps_rect.min.y - pad
        } else {
            controls.min.y - pad
        };
        let body = Rect::from_min_max(
            full.min + Vec2::new(pad, header_h + pad * 0.5),
            Pos2::new(full.max.x - pad, body_bottom),
        );
        let meter_w = (full.width() * 0.05).clamp(36.0, 56.0);
        let in_rect_m = Rect::from_min_size(body.min, Vec2::new(meter_w, body.height()));
        let out_rect_m = Rect::from_min_max(Pos2::new(body.max.x - meter_w, body.min.y), body.max);
        let line_rect = Rect::from_min_max(
            Pos2::new(in_rect_m.max.x + pad, body.min.y),
            Pos2::new(out_rect_m.min.x - pad, body.max.y),
        );
        ui.scope_builder(UiBuilder::new().max_rect(in_rect_m), |ui| {
            ui.add(
                LevelMeter::new(&mut self.input)
                    .with_label("IN")
                    .with_size(in_rect_m.size()),
            );
        });
        ui.scope_builder(UiBuilder::new().max_rect(out_rect_m), |ui| {
            ui.add(
                LevelMeter::new(&mut self.output)
                    .with_label("OUT")
                    .with_size(out_rect_m.size()),
            );
        });
        draw_time_line(ui, line_rect, &kp, &theme);

        if multitap {
            self.draw_taps(ui, taps_rect, &setter, &theme);
        }
        self.draw_controls(ui, controls, &setter, &theme, &kp);
    }

    fn draw_taps(&self, ui: &mut egui::Ui, rect: Rect, setter: &ParamSetter, theme: &Theme) {
        let params = &self.params;
        let inner = group(ui, rect, "Taps", theme);
        let count_w = (inner.width() * 0.12).clamp(70.0, 110.0);
        let count = Rect::from_min_size(inner.min, Vec2::new(count_w, inner.height()));
        in_rect(ui, count, |ui| {
            ui.add(
                ParamKnob::for_param(&params.rhythm.taps, setter)
                    .with_diameter((inner.height() * 0.45).clamp(26.0, 44.0)),
            );
        });
        let rest = Rect::from_min_max(Pos2::new(count.max.x + 4.0, inner.min.y), inner.max);
        let used = params.rhythm.taps.value().clamp(1, MAX_TAPS as i32) as usize;
        let small = FontId::proportional(glass_ui::theme::SMALL_TEXT_PT);
        for (k, col) in columns(rest, MAX_TAPS).into_iter().enumerate() {
            let tap = &params.tap[k];
            let col = col.shrink2(Vec2::new(2.0, 0.0));
            ui.painter().text(
                Pos2::new(col.center().x, col.min.y),
                Align2::CENTER_TOP,
                format!("{}", k + 1),
                small.clone(),
                if k < used {
                    theme.accent
                } else {
                    theme.text_dim
                },
            );
            let knobs = Rect::from_min_max(col.min + Vec2::new(0.0, 14.0), col.max);
            let d = (knobs.width() * 0.5 - 10.0)
                .min(knobs.height() * 0.55)
                .clamp(18.0, 36.0);
            for (half, (p, bipolar)) in columns(knobs, 2)
                .into_iter()
                .zip([(&tap.level, false), (&tap.pan, true)])
            {
                ui.scope_builder(
                    UiBuilder::new()
                        .max_rect(half)
                        .layout(Layout::top_down(Align::Center)),
                    |ui| {
                        if k >= used {
                            ui.disable();
                        }
                        let knob = ParamKnob::for_param(p, setter)
                            .without_label()
                            .with_diameter(d);
                        ui.add(if bipolar { knob.bipolar() } else { knob });
                    },
                );
            }
        }
        ui.painter().text(
            Pos2::new(rest.max.x, rect.min.y + 5.0),
            Align2::RIGHT_TOP,
            "level · pan",
            small,
            theme.text_dim,
        );
    }

    fn draw_controls(
        &self,
        ui: &mut egui::Ui,
        rect: Rect,
        setter: &ParamSetter,
        theme: &Theme,
        kp: &EchoParams,
    ) {
        let params = &self.params;
        let dual = params.timing.mode.value() == Mode::Dual;
        let synced = params.timing.sync.value();
        // Group widths in proportion to their contents.
        let weights = if dual {
            [3.2f32, 2.0, 2.2, 3.8, 1.7]
        } else {
            [2.4f32, 2.2, 1.5, 4.0, 1.8]
        };
        let rects = weighted_columns(rect, &weights, 6.0);
        let knob = |inner: Rect, cols: usize| {
            (inner.width() / cols as f32 * 0.7)
                .min(inner.height() * 0.42)
                .clamp(28.0, 60.0)
        };

        // TIME: sync, the time (or note) of each side, glide/crossfade.
        let inner = group(ui, rects[0], "Time", theme);
        let top_h = inner.height() * 0.74;
        let top = Rect::from_min_size(inner.min, Vec2::new(inner.width(), top_h));
        let bottom = Rect::from_min_max(Pos2::new(inner.min.x, inner.min.y + top_h), inner.max);
        let cols = columns(top, if dual { 2 } else { 1 });
        let d = knob(top, 2);
        let sides: [(&FloatParam, &EnumParam<_>, &EnumParam<_>); 2] = [
            (
                &params.timing.time,
                &params.timing.note,
                &params.timing.note_mod,
            ),
            (
                &params.timing.time_r,
                &params.timing.note_r,
                &params.timing.note_mod_r,
            ),
        ];
        for (col, (time, note, modifier)) in cols.into_iter().zip(sides) {
            in_rect(ui, col.shrink2(Vec2::new(4.0, 0.0)), |ui| {
                if synced {
                    let w = col.width() - 10.0;
                    ui.add(ParamChoice::for_param(note, setter).combo().with_width(w));
                    ui.add(
                        ParamChoice::for_param(modifier, setter)
                            .combo()
                            .with_width(w),
                    );
                } else {
                    ui.add(ParamKnob::for_param(time, setter).with_diameter(d));
                }
            });
        }
        ui.scope_builder(
            UiBuilder::new()
                .max_rect(bottom)
                .layout(Layout::left_to_right(Align::Center)),
            |ui| {
                ui.add(ParamToggle::for_param(&params.timing.sync, setter));
                let w = (bottom.width() - 72.0).max(60.0);
                let change = ParamChoice::for_param(&params.timing.change, setter)
                    .without_label()
                    .with_width(w);
                // Two segments need about 150 points; a drop-down below that.
                ui.add(if w >= 150.0 {
                    change.segmented()
                } else {
                    change.combo()
                });
            },
        );

        // RHYTHM: routing, offset, swing.
        let inner = group(ui, rects[1], "Rhythm", theme);
        let mode_h = 42.0;
        let mode_rect = Rect::from_min_size(inner.min, Vec2::new(inner.width(), mode_h));
        in_rect(ui, mode_rect, |ui| {
            ui.add(
                ParamChoice::for_param(&params.timing.mode, setter)
                    .combo()
                    .with_width(inner.width() - 8.0),
            );
        });
        let knobs = Rect::from_min_max(Pos2::new(inner.min.x, inner.min.y + mode_h), inner.max);
        let d = knob(knobs, 2);
        let cols = columns(knobs, 2);
        in_rect(ui, cols[0], |ui| {
            // Dual sets each side's time; multi-tap places taps by pan.
            if dual || params.timing.mode.value() == Mode::MultiTap {
                ui.disable();
            }
            ui.add(
                ParamKnob::for_param(&params.rhythm.offset, setter)
                    .bipolar()
                    .with_diameter(d),
            );
        });
        in_rect(ui, cols[1], |ui| {
            if !kp.timing().synced {
                // Swing applies to synced times only.
                ui.disable();
            }
            ui.add(ParamKnob::for_param(&params.rhythm.swing, setter).with_diameter(d));
        });

        // FEEDBACK.
        let inner = group(ui, rects[2], "Feedback", theme);
        let n = if dual { 2 } else { 1 };
        let d = knob(inner, n)
            .max(knob(inner, 2) * 1.2)
            .min(inner.width() / n as f32 - 8.0);
        let cols = columns(inner, n);
        in_rect(ui, cols[0], |ui| {
            ui.add(ParamKnob::for_param(&params.repeats.feedback, setter).with_diameter(d));
        });
        if dual {
            in_rect(ui, cols[1], |ui| {
                ui.add(ParamKnob::for_param(&params.repeats.feedback_r, setter).with_diameter(d));
            });
        }

        // TONE: filters in the loop, character, wow/flutter, diffusion.
        let inner = group(ui, rects[3], "Tone", theme);
        let char_h = 28.0;
        let char_rect = Rect::from_min_size(
            Pos2::new(inner.min.x, inner.max.y - char_h),
            Vec2::new(inner.width(), char_h),
        );
        let knobs = Rect::from_min_max(inner.min, Pos2::new(inner.max.x, char_rect.min.y));
        let d = knob(knobs, 4);
        let tone: [&FloatParam; 4] = [
            &params.tone.hpf,
            &params.tone.lpf,
            &params.tone.wow,
            &params.tone.diffusion,
        ];
        for (col, p) in columns(knobs, 4).into_iter().zip(tone) {
            in_rect(ui, col, |ui| {
                ui.add(ParamKnob::for_param(p, setter).with_diameter(d));
            });
        }
        ui.scope_builder(UiBuilder::new().max_rect(char_rect), |ui| {
            ui.add(
                ParamChoice::for_param(&params.tone.character, setter)
                    .segmented()
                    .without_label()
                    .with_width(char_rect.width()),
            );
        });

        // OUTPUT: ducking and mix.
        let inner = group(ui, rects[4], "Output", theme);
        let d = knob(inner, 2);
        let cols = columns(inner, 2);
        in_rect(ui, cols[0], |ui| {
            ui.add(ParamKnob::for_param(&params.levels.ducking, setter).with_diameter(d));
        });
        in_rect(ui, cols[1], |ui| {
            ui.add(ParamKnob::for_param(&params.levels.mix, setter).with_diameter(d));
        });
    }
}

/// `from` blended towards `to` by `t` (0..=1), per channel.
fn mix_colour(from: Color32, to: Color32, t: f32) -> Color32 {
    let t = t.clamp(0.0, 1.0);
    let m = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
    Color32::from_rgb(
        m(from.r(), to.r()),
        m(from.g(), to.g()),
        m(from.b(), to.b()),
    )
}

/// Level in dB mapped to 0..1 of the half height.
fn level_to_unit(gain: f32) -> f32 {
    if gain <= 0.0 {
        return 0.0;
    }
    let db = 20.0 * gain.log10();
    ((db - FLOOR_DB) / -FLOOR_DB).clamp(0.0, 1.0)
}

/// A tidy grid step (1, 2, 2.5 or 5 × 10^k ms) giving about `n` lines over
/// `span_ms`.
fn grid_step_ms(span_ms: f64, n: f64) -> f64 {
    let raw = span_ms / n;
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if raw <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

/// The time line: the dry hit at 0, every repeat as a bar (left channel up,
/// right channel down) whose height is its level on a dB scale (feedback,
/// mix, pan and the loop filters at 1 kHz) and whose colour darkens with the
/// treble the loop has taken from it, over a beat grid when synced or a ms
/// grid otherwise.
pub fn draw_time_line(ui: &egui::Ui, rect: Rect, p: &EchoParams, theme: &Theme) {
    let painter = ui.painter_at(rect);
    painter.rect(
        rect,
        4.0,
        theme.panel,
        Stroke::new(1.0, theme.outline),
        egui::StrokeKind::Inside,
    );
    let timing = p.timing();
    let longest = timing.left_ms.max(timing.right_ms) * (1.0 + f64::from(p.offset.abs()));
    let per_view = match p.mode {
        glass_dsp::echo::EchoMode::MultiTap => 3.0,
        _ => 8.0,
    };
    let horizon = (longest * per_view).clamp(50.0, 40_000.0);
    let label_h = 16.0;
    let plot = Rect::from_min_max(
        rect.min + Vec2::new(28.0, 8.0),
        rect.max - Vec2::new(10.0, label_h + 4.0),
    );
    let mid = plot.center().y;
    let half = plot.height() * 0.5 - 2.0;
    let x_of = |ms: f64| plot.min.x + (ms / horizon) as f32 * plot.width();
    let small = FontId::proportional(glass_ui::theme::SMALL_TEXT_PT);

    // dB grid (mirrored) and the centre line.
    for db in [-12.0f32, -24.0, -36.0] {
        let u = (db - FLOOR_DB) / -FLOOR_DB;
        for sign in [-1.0f32, 1.0] {
            let y = mid + sign * u * half;
            painter.hline(plot.x_range(), y, Stroke::new(1.0, theme.grid));
        }
        for sign in [-1.0f32, 1.0] {
            painter.text(
                Pos2::new(rect.min.x + 4.0, mid + sign * u * half),
                Align2::LEFT_CENTER,
                format!("{db:.0}"),
                small.clone(),
                theme.text_dim,
            );
        }
    }
    painter.hline(plot.x_range(), mid, Stroke::new(1.0, theme.grid_major));
    painter.text(
        Pos2::new(rect.min.x + 4.0, plot.min.y + 4.0),
        Align2::LEFT_TOP,
        "L",
        small.clone(),
        theme.text,
    );
    painter.text(
        Pos2::new(rect.min.x + 4.0, plot.max.y - 4.0),
        Align2::LEFT_BOTTOM,
        "R",
        small.clone(),
        theme.text,
    );

    // Time grid: beats (bars stronger) when synced, round ms otherwise.
    let beat_ms = valid_tempo(p.tempo_bpm)
        .filter(|_| timing.synced)
        .map(|t| 60_000.0 / t);
    // Beats labelled per bar when synced; round times otherwise.
    let (step, beats_per_line) = match beat_ms {
        Some(beat) => {
            let mut every = 1usize;
            while horizon / (beat * every as f64) > 32.0 {
                every *= 2;
            }
            (beat * every as f64, Some(every))
        }
        None => (grid_step_ms(horizon, 8.0), None),
    };
    let label = |k: usize, ms: f64| match beats_per_line {
        Some(every) => {
            let beats = k * every;
            beats
                .is_multiple_of(4)
                .then(|| format!("bar {}", beats / 4 + 1))
        }
        None => Some(if ms >= 1000.0 {
            format!("{:.2} s", ms / 1000.0)
        } else {
            format!("{ms:.0} ms")
        }),
    };
    let mut k = 0usize;
    while (k as f64) * step <= horizon + 1e-9 && k < 400 {
        let ms = k as f64 * step;
        let x = x_of(ms);
        let text = label(k, ms);
        let strong = text.is_some();
        painter.vline(
            x,
            plot.y_range(),
            Stroke::new(1.0, if strong { theme.grid_major } else { theme.grid }),
        );
        if let Some(t) = text.filter(|_| x + 40.0 < plot.max.x) {
            painter.text(
                Pos2::new(x + 2.0, plot.max.y + 3.0),
                Align2::LEFT_TOP,
                t,
                small.clone(),
                theme.text_dim,
            );
        }
        k += 1;
    }

    // The dry hit.
    let (dry, _) = p.mix_gains();
    let x0 = x_of(0.0);
    let dry_u = level_to_unit(dry);
    painter.line_segment(
        [
            Pos2::new(x0, mid - dry_u * half),
            Pos2::new(x0, mid + dry_u * half),
        ],
        Stroke::new(3.0, theme.output),
    );

    // Repeats.
    let mut repeats = [Repeat::default(); 256];
    let n = repeat_pattern(p, horizon, &mut repeats);
    let left_colour = theme.accent;
    let right_colour = glass_ui::theme::lighten(theme.accent, 0.35);
    let bar_w = (plot.width() / 90.0).clamp(2.0, 6.0);
    let sustained = p.freeze || p.feedback >= 1.0;
    // What the loop's filters do to each pass, as designed (at 48 kHz; the
    // corners are far below Nyquist): the level at 1 kHz sets the height,
    // the treble lost against it (at 5 kHz) darkens the bar.
    let mid_gain = shaping_magnitude(p, 48_000.0, 1_000.0);
    let treble = (shaping_magnitude(p, 48_000.0, 5_000.0) / mid_gain.max(1e-6)).min(1.0);
    let dark = theme.text_dim;
    for r in &repeats[..n] {
        let x = x_of(r.time_ms);
        let passes = r.passes as i32;
        let shaped = mid_gain.powi(passes);
        let brightness = treble.powi(passes);
        for (gain, sign, colour) in [(r.left, -1.0f32, left_colour), (r.right, 1.0, right_colour)] {
            let colour = mix_colour(dark, colour, brightness);
            let u = level_to_unit(gain * shaped);
            if u <= 0.0 {
                continue;
            }
            let top = mid + sign * u * half;
            let bar = Rect::from_two_pos(
                Pos2::new(x - bar_w * 0.5, mid),
                Pos2::new(x + bar_w * 0.5, top),
            );
            painter.rect_filled(bar, 1.0, colour.gamma_multiply(0.35 + 0.65 * u));
            painter.circle_filled(Pos2::new(x, top), bar_w * 0.6, colour);
        }
    }
    // The sync readout, where the time comes from and what it is.
    painter.text(
        Pos2::new(plot.max.x - 6.0, plot.min.y + 2.0),
        Align2::RIGHT_TOP,
        sync_readout(p),
        FontId::monospace(glass_ui::theme::BODY_TEXT_PT),
        theme.text,
    );
    if sustained {
        let text = if p.freeze {
            "FROZEN: the loop holds"
        } else {
            "feedback ≥ 100 %: repeats sustain (soft-clipped)"
        };
        painter.text(
            Pos2::new(plot.max.x - 6.0, plot.min.y + 22.0),
            Align2::RIGHT_TOP,
            text,
            small,
            Color32::from_rgb(0xf2, 0xa5, 0x3a),
        );
    }
}

impl std::fmt::Debug for EchoEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EchoEditor").finish_non_exhaustive()
    }
}
