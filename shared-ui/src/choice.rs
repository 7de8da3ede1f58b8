//! Selector for stepped parameters: a segmented control (all options visible, one click) or a
//! drop-down for long lists.
//!
//! It works on any parameter through the `Param` trait: the options are the parameter's steps
//! (`step_count() + 1` of them) and their captions come from the parameter's own formatter, so
//! `EnumParam<T>` for any `T`, `IntParam` and `BoolParam` all work without per-type code.

use egui::{Align2, FontId, Pos2, Rect, Response, Sense, Stroke, Ui, Vec2, Widget};
use nice_plug::prelude::{Param, ParamSetter};

use crate::theme::{lighten, Theme, BODY_TEXT_PT, SMALL_TEXT_PT};

/// Most options a segmented control shows before [`ParamChoice`] falls back to a drop-down.
pub const MAX_SEGMENTS: usize = 8;

/// How a [`ParamChoice`] presents its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceStyle {
    /// Segments side by side when there are at most [`MAX_SEGMENTS`] options, else a drop-down.
    Auto,
    /// Always segments side by side.
    Segmented,
    /// Always a drop-down (combo box).
    Combo,
}

/// A selector for a stepped parameter. Selecting an option is one host gesture.
#[must_use = "add the selector to a Ui with `ui.add(choice)`"]
pub struct ParamChoice<'a, P: Param> {
    param: &'a P,
    setter: &'a ParamSetter<'a>,
    style: ChoiceStyle,
    show_label: bool,
    width: Option<f32>,
}

impl<'a, P: Param> ParamChoice<'a, P> {
    /// A selector for `param` with its name as caption above.
    pub fn for_param(param: &'a P, setter: &'a ParamSetter<'a>) -> Self {
        Self {
            param,
            setter,
            style: ChoiceStyle::Auto,
            show_label: true,
            width: None,
        }
    }

    /// Force segments side by side.
    pub fn segmented(mut self) -> Self {
        self.style = ChoiceStyle::Segmented;
        self
    }

    /// Force a drop-down.
    pub fn combo(mut self) -> Self {
        self.style = ChoiceStyle::Combo;
        self
    }

    /// Hide the caption above the selector.
    pub fn without_label(mut self) -> Self {
        self.show_label = false;
        self
    }

    /// Total width in points. Default: all the available width, or a width that fits the captions
    /// when the available width is unbounded.
    pub fn with_width(mut self, width_pt: f32) -> Self {
        self.width = Some(width_pt.max(8.0));
        self
    }

    fn select(&self, index: usize, steps: usize) {
        let normalized = option_to_normalized(index, steps);
        let plain = self.param.preview_plain(normalized);
        if plain != self.param.unmodulated_plain_value() {
            self.setter.begin_set_parameter(self.param);
            self.setter.set_parameter(self.param, plain);
            self.setter.end_set_parameter(self.param);
        }
    }
}

/// Normalised value of option `index` of a parameter with `steps` steps (`steps + 1` options).
pub fn option_to_normalized(index: usize, steps: usize) -> f32 {
    if steps == 0 {
        0.0
    } else {
        index.min(steps) as f32 / steps as f32
    }
}

/// Option index nearest to a normalised value for a parameter with `steps` steps.
pub fn normalized_to_option(normalized: f32, steps: usize) -> usize {
    let n = if normalized.is_nan() {
        0.0
    } else {
        normalized.clamp(0.0, 1.0)
    };
    ((n * steps as f32).round() as usize).min(steps)
}

impl<P: Param> Widget for ParamChoice<'_, P> {
    fn ui(self, ui: &mut Ui) -> Response {
        let theme = Theme::current(ui.ctx());
        let Some(steps) = self.param.step_count() else {
            // A continuous parameter has no options to pick from; show its value instead of
            // failing, so a mis-wired editor is visible rather than broken.
            return ui.label(format!("{}: {}", self.param.name(), self.param));
        };
        let options: Vec<String> = (0..=steps)
            .map(|i| {
                self.param
                    .normalized_value_to_string(option_to_normalized(i, steps), false)
            })
            .collect();
        let selected = normalized_to_option(self.param.unmodulated_normalized_value(), steps);
        let segmented = match self.style {
            ChoiceStyle::Auto => options.len() <= MAX_SEGMENTS,
            ChoiceStyle::Segmented => true,
            ChoiceStyle::Combo => false,
        };

        let font = FontId::proportional(BODY_TEXT_PT);
        let label_font = FontId::proportional(SMALL_TEXT_PT);
        let widest = ui.fonts_mut(|f| {
            options
                .iter()
                .map(|o| {
                    f.layout_no_wrap(o.clone(), font.clone(), theme.text)
                        .size()
                        .x
                })
                .fold(0.0f32, f32::max)
        });
        let pad = BODY_TEXT_PT * 0.7;
        let natural = if segmented {
            (widest + 2.0 * pad) * options.len() as f32
        } else {
            widest + 4.0 * pad
        };
        let available = ui.available_width();
        let width = self
            .width
            .unwrap_or(if available.is_finite() && available > 8.0 {
                available.min(natural.max(available * 0.5))
            } else {
                natural
            });

        ui.vertical(|ui| {
            if self.show_label {
                ui.label(
                    egui::RichText::new(self.param.name())
                        .font(label_font)
                        .color(theme.text_dim),
                );
            }
            if segmented {
                self.segments_ui(ui, &options, selected, steps, width, &theme)
            } else {
                let mut picked = None;
                let inner = egui::ComboBox::from_id_salt(("glass_choice", self.param.name()))
                    .selected_text(options[selected].as_str())
                    .width(width)
                    .show_ui(ui, |ui| {
                        for (i, o) in options.iter().enumerate() {
                            if ui
                                .add(egui::Button::selectable(i == selected, o.as_str()))
                                .clicked()
                            {
                                picked = Some(i);
                            }
                        }
                    });
                let mut response = inner.response;
                if let Some(i) = picked {
                    self.select(i, steps);
                    response.mark_changed();
                }
                response
            }
        })
        .inner
    }
}

impl<P: Param> ParamChoice<'_, P> {
    fn segments_ui(
        &self,
        ui: &mut Ui,
        options: &[String],
        selected: usize,
        steps: usize,
        width: f32,
        theme: &Theme,
    ) -> Response {
        let height = BODY_TEXT_PT * 1.9;
        let (rect, mut response) = ui.allocate_exact_size(Vec2::new(width, height), Sense::click());
        let n = options.len().max(1);
        let seg_w = rect.width() / n as f32;
        let segment = |i: usize| {
            Rect::from_min_size(
                Pos2::new(rect.min.x + i as f32 * seg_w, rect.min.y),
                Vec2::new(seg_w, rect.height()),
            )
        };
        let hover = response
            .hover_pos()
            .map(|p| (((p.x - rect.min.x) / seg_w).floor().max(0.0) as usize).min(n - 1));

        if response.clicked() {
            if let Some(i) = hover {
                if i != selected {
                    self.select(i, steps);
                    response.mark_changed();
                }
            }
        }

        if ui.is_rect_visible(rect) {
            let painter = ui.painter();
            let corner = height * 0.25;
            painter.rect_filled(rect, corner, theme.panel);
            for (i, o) in options.iter().enumerate() {
                let r = segment(i).shrink(1.5);
                let is_sel = i == selected;
                if is_sel {
                    painter.rect_filled(r, corner * 0.8, theme.accent.gamma_multiply(0.85));
                } else if hover == Some(i) {
                    painter.rect_filled(r, corner * 0.8, lighten(theme.raised, 0.05));
                }
                painter.text(
                    r.center(),
                    Align2::CENTER_CENTER,
                    o,
                    FontId::proportional(BODY_TEXT_PT),
                    if is_sel {
                        theme.background
                    } else {
                        theme.text_dim
                    },
                );
            }
            painter.rect_stroke(
                rect,
                corner,
                Stroke::new(1.0, theme.outline),
                egui::StrokeKind::Inside,
            );
        }
        let name = self.param.name().to_owned();
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TabList, true, &name));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_mapping_round_trips() {
        // An enum with 4 variants has 3 steps: 0, 1/3, 2/3, 1.
        assert_eq!(option_to_normalized(0, 3), 0.0);
        assert!((option_to_normalized(2, 3) - 2.0 / 3.0).abs() < 1e-6);
        assert_eq!(option_to_normalized(9, 3), 1.0);
        for i in 0..=3 {
            assert_eq!(normalized_to_option(option_to_normalized(i, 3), 3), i);
        }
        // Nearest option for values between steps (host automation may send any value).
        assert_eq!(normalized_to_option(0.49, 3), 1);
        assert_eq!(normalized_to_option(0.51, 3), 2);
        assert_eq!(normalized_to_option(f32::NAN, 3), 0);
        assert_eq!(option_to_normalized(0, 0), 0.0);
    }
}
