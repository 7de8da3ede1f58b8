//! Linear fader, horizontal or vertical, with the same interaction rules as the knob.
//!
//! Horizontal sliders carry their caption and value inside the bar (left and right), which keeps
//! rows of settings compact; vertical faders put the caption above and the value below. Dragging
//! is relative and one slider length covers the whole range, so the fill follows the pointer.

use std::ops::RangeInclusive;

use egui::{Align2, FontId, Pos2, Rect, Response, Sense, Stroke, Ui, Vec2, Widget};
use nice_plug::prelude::{Param, ParamSetter};

use crate::control::{interact, value_entry, Control, DragGeometry, ParamControl, ValueControl};
use crate::theme::{lighten, Theme, BODY_TEXT_PT, SMALL_TEXT_PT};

/// Direction of a [`Slider`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// Minimum at the left.
    Horizontal,
    /// Minimum at the bottom.
    Vertical,
}

/// A linear slider bound to any [`Control`]. Use [`ParamSlider::for_param`] for plugin
/// parameters and [`ValueSlider::new`] for plain values.
#[must_use = "add the slider to a Ui with `ui.add(slider)`"]
pub struct Slider<C: Control> {
    control: C,
    orientation: Orientation,
    length: Option<f32>,
    thickness: Option<f32>,
    origin: Option<f32>,
}

/// A slider driving a nice-plug parameter.
pub type ParamSlider<'a, P> = Slider<ParamControl<'a, P>>;

/// A slider editing a plain `f32`.
pub type ValueSlider<'a> = Slider<ValueControl<'a>>;

impl<'a, P: Param> Slider<ParamControl<'a, P>> {
    /// A horizontal slider for `param`, reporting gestures through `setter`.
    pub fn for_param(param: &'a P, setter: &'a ParamSetter<'a>) -> Self {
        Self::new_with(ParamControl::new(param, setter))
    }
}

impl<'a> Slider<ValueControl<'a>> {
    /// A horizontal slider editing `value` within `range`, labelled `label`.
    pub fn new(value: &'a mut f32, range: RangeInclusive<f32>, label: &str) -> Self {
        Self::new_with(ValueControl::new(value, range).with_label(label))
    }

    /// Adjust the underlying [`ValueControl`] (unit, default, log mapping).
    pub fn map(mut self, f: impl FnOnce(ValueControl<'a>) -> ValueControl<'a>) -> Self {
        self.control = f(self.control);
        self
    }
}

impl<C: Control> Slider<C> {
    /// A horizontal slider for any [`Control`].
    pub fn new_with(control: C) -> Self {
        Self {
            control,
            orientation: Orientation::Horizontal,
            length: None,
            thickness: None,
            origin: None,
        }
    }

    /// Make it a vertical fader.
    pub fn vertical(mut self) -> Self {
        self.orientation = Orientation::Vertical;
        self
    }

    /// Make it a horizontal slider (the default).
    pub fn horizontal(mut self) -> Self {
        self.orientation = Orientation::Horizontal;
        self
    }

    /// Length along the travel axis in points, including captions. Default: all the available
    /// width (horizontal) or height (vertical).
    pub fn with_length(mut self, length_pt: f32) -> Self {
        self.length = Some(length_pt.max(8.0));
        self
    }

    /// Size across the travel axis in points. Default: about twice the body text height.
    pub fn with_thickness(mut self, thickness_pt: f32) -> Self {
        self.thickness = Some(thickness_pt.max(4.0));
        self
    }

    /// Grow the fill from the middle (normalised 0.5).
    pub fn bipolar(mut self) -> Self {
        self.origin = Some(0.5);
        self
    }

    /// Grow the fill from this normalised position (0..=1).
    pub fn with_origin(mut self, origin: f32) -> Self {
        self.origin = Some(origin.clamp(0.0, 1.0));
        self
    }
}

impl<C: Control> Widget for Slider<C> {
    fn ui(mut self, ui: &mut Ui) -> Response {
        let theme = Theme::current(ui.ctx());
        let body_font = FontId::proportional(BODY_TEXT_PT);
        let small_font = FontId::proportional(SMALL_TEXT_PT);
        let available = ui.available_size();
        let fallback_length = BODY_TEXT_PT * 12.0;
        let along = |avail: f32| {
            if avail.is_finite() && avail > 8.0 {
                avail
            } else {
                fallback_length
            }
        };

        let (size, vertical) = match self.orientation {
            Orientation::Horizontal => (
                Vec2::new(
                    self.length.unwrap_or_else(|| along(available.x)),
                    self.thickness.unwrap_or(BODY_TEXT_PT * 1.9),
                ),
                false,
            ),
            Orientation::Vertical => (
                Vec2::new(
                    self.thickness.unwrap_or(BODY_TEXT_PT * 3.2),
                    self.length.unwrap_or_else(|| along(available.y)),
                ),
                true,
            ),
        };
        let (rect, mut response) = ui.allocate_exact_size(size, Sense::click_and_drag());

        let small_h = ui.fonts_mut(|f| f.row_height(&small_font));
        let body_h = ui.fonts_mut(|f| f.row_height(&body_font));
        let gap = SMALL_TEXT_PT * 0.3;
        let track = if vertical {
            let bar_w = (rect.width() * 0.4).clamp(4.0, BODY_TEXT_PT * 1.4);
            Rect::from_min_max(
                Pos2::new(rect.center().x - bar_w * 0.5, rect.min.y + small_h + gap),
                Pos2::new(rect.center().x + bar_w * 0.5, rect.max.y - body_h - gap),
            )
        } else {
            rect
        };
        let geometry = if vertical {
            DragGeometry {
                axis: Vec2::new(0.0, -1.0),
                range_pt: track.height(),
            }
        } else {
            DragGeometry {
                axis: Vec2::new(1.0, 0.0),
                range_pt: track.width(),
            }
        };
        interact(ui, &mut response, &mut self.control, geometry);
        let value_rect = if vertical {
            Rect::from_min_max(Pos2::new(rect.min.x, track.max.y + gap * 0.5), rect.max)
        } else {
            Rect::from_min_max(
                Pos2::new(rect.max.x - rect.width() * 0.4, rect.min.y),
                rect.max,
            )
            .shrink2(Vec2::new(
                2.0,
                (rect.height() - body_h * 1.3).max(0.0) * 0.5,
            ))
        };
        let editing = value_entry(ui, &mut response, &mut self.control, value_rect);
        if response.hovered() || response.dragged() {
            ui.ctx().set_cursor_icon(if vertical {
                egui::CursorIcon::ResizeVertical
            } else {
                egui::CursorIcon::ResizeHorizontal
            });
        }

        if ui.is_rect_visible(rect) {
            let painter = ui.painter();
            let hot = response.hovered() || response.dragged();
            let value = self.control.normalized();
            let origin = self.origin.unwrap_or_else(|| self.control.origin());
            let well = if hot {
                lighten(theme.background, 0.04)
            } else {
                theme.background
            };
            let corner = (track.width().min(track.height()) * 0.2).min(4.0);
            painter.rect_filled(track, corner, well);
            let fill = fill_rect(track, origin, value, vertical);
            painter.rect_filled(fill, corner, theme.accent.gamma_multiply(0.45));
            // A bright edge marks the exact value.
            let edge = Stroke::new(2.0, theme.accent);
            if vertical {
                let y = track.max.y - value * track.height();
                painter.hline(track.x_range(), y, edge);
            } else {
                let x = track.min.x + value * track.width();
                painter.vline(x, track.y_range(), edge);
            }
            painter.rect_stroke(
                track,
                corner,
                Stroke::new(1.0, theme.outline),
                egui::StrokeKind::Inside,
            );

            if vertical {
                painter.text(
                    Pos2::new(rect.center().x, rect.min.y),
                    Align2::CENTER_TOP,
                    self.control.label(),
                    small_font,
                    theme.text_dim,
                );
                if !editing {
                    painter.text(
                        Pos2::new(rect.center().x, rect.max.y),
                        Align2::CENTER_BOTTOM,
                        self.control.value_text(),
                        body_font,
                        theme.text,
                    );
                }
            } else {
                let pad = BODY_TEXT_PT * 0.5;
                painter.text(
                    Pos2::new(rect.min.x + pad, rect.center().y),
                    Align2::LEFT_CENTER,
                    self.control.label(),
                    body_font.clone(),
                    theme.text_dim,
                );
                if !editing {
                    painter.text(
                        Pos2::new(rect.max.x - pad, rect.center().y),
                        Align2::RIGHT_CENTER,
                        self.control.value_text(),
                        body_font,
                        theme.text,
                    );
                }
            }
        }

        let label = self.control.label().to_owned();
        let value = self.control.normalized() as f64;
        response.widget_info(|| egui::WidgetInfo::slider(true, value, label.as_str()));
        response
    }
}

/// The part of `track` between the normalised `origin` and `value` (both 0..=1), along the
/// slider's travel axis.
pub fn fill_rect(track: Rect, origin: f32, value: f32, vertical: bool) -> Rect {
    let (a, b) = (origin.min(value), origin.max(value));
    let (a, b) = (a.clamp(0.0, 1.0), b.clamp(0.0, 1.0));
    if vertical {
        Rect::from_x_y_ranges(
            track.x_range(),
            (track.max.y - b * track.height())..=(track.max.y - a * track.height()),
        )
    } else {
        Rect::from_x_y_ranges(
            (track.min.x + a * track.width())..=(track.min.x + b * track.width()),
            track.y_range(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_grows_from_the_origin() {
        let track = Rect::from_min_max(Pos2::new(0.0, 0.0), Pos2::new(200.0, 20.0));
        let r = fill_rect(track, 0.0, 0.25, false);
        assert_eq!((r.min.x, r.max.x), (0.0, 50.0));
        let r = fill_rect(track, 0.5, 0.25, false);
        assert_eq!((r.min.x, r.max.x), (50.0, 100.0));
        assert_eq!(r.y_range(), track.y_range());

        let track = Rect::from_min_max(Pos2::new(0.0, 0.0), Pos2::new(20.0, 100.0));
        let r = fill_rect(track, 0.0, 0.3, true);
        assert!((r.min.y - 70.0).abs() < 1e-4 && r.max.y == 100.0, "{r:?}");
        let r = fill_rect(track, 0.5, 0.8, true);
        assert!((r.min.y - 20.0).abs() < 1e-4 && (r.max.y - 50.0).abs() < 1e-4);
    }
}
