//! Rotary knob: caption above, value arc around a dial, formatted value below.
//!
//! The dial sweeps 270°, from 7:30 to 4:30 on a clock face, the convention of hardware pots that
//! leaves the gap at the bottom where the value text sits. The arc grows from the control's
//! origin, so a ±24 dB gain shows its boost or cut from 12 o'clock.

use std::f32::consts::PI;
use std::ops::RangeInclusive;

use egui::{Align2, FontId, Pos2, Rect, Response, Sense, Stroke, Ui, Vec2, Widget};
use nice_plug::prelude::{Param, ParamSetter};

use crate::control::{interact, value_entry, Control, DragGeometry, ParamControl, ValueControl};
use crate::theme::{lighten, Theme, BODY_TEXT_PT, SMALL_TEXT_PT};

/// Half the dial's sweep, in radians: the dial covers -135°..+135° around 12 o'clock.
pub const HALF_SWEEP_RAD: f32 = 0.75 * PI;

/// Default dial diameter, in points, relative to the body text size (about 54 pt at 13.5 pt text).
const DEFAULT_DIAMETER_EM: f32 = 4.0;

/// Dial angle of a normalised value, in radians clockwise from 12 o'clock: 0 → -135°,
/// 0.5 → 0°, 1 → +135°. Out-of-range input is clamped.
pub fn normalized_to_angle(normalized: f32) -> f32 {
    let n = if normalized.is_nan() {
        0.0
    } else {
        normalized.clamp(0.0, 1.0)
    };
    -HALF_SWEEP_RAD + n * 2.0 * HALF_SWEEP_RAD
}

/// Normalised value of a dial angle in radians clockwise from 12 o'clock (inverse of
/// [`normalized_to_angle`], clamped to 0..=1).
pub fn angle_to_normalized(angle_rad: f32) -> f32 {
    ((angle_rad + HALF_SWEEP_RAD) / (2.0 * HALF_SWEEP_RAD)).clamp(0.0, 1.0)
}

/// Screen point at `radius` points from `centre` at dial angle `angle_rad` (clockwise from 12
/// o'clock; screen y grows downwards).
pub fn dial_point(centre: Pos2, radius: f32, angle_rad: f32) -> Pos2 {
    centre + radius * Vec2::new(angle_rad.sin(), -angle_rad.cos())
}

/// A rotary knob bound to any [`Control`]. Use [`ParamKnob::for_param`] for plugin parameters
/// and [`ValueKnob::new`] for plain values.
#[must_use = "add the knob to a Ui with `ui.add(knob)`"]
pub struct Knob<C: Control> {
    control: C,
    diameter: Option<f32>,
    origin: Option<f32>,
    show_label: bool,
    show_value: bool,
    /// Caption shown instead of the control's label.
    caption: Option<String>,
}

/// A knob driving a nice-plug parameter.
pub type ParamKnob<'a, P> = Knob<ParamControl<'a, P>>;

/// A knob editing a plain `f32`.
pub type ValueKnob<'a> = Knob<ValueControl<'a>>;

impl<'a, P: Param> Knob<ParamControl<'a, P>> {
    /// A knob for `param`, reporting gestures through `setter`. Label: the parameter name;
    /// value: the parameter's own formatter with its unit.
    pub fn for_param(param: &'a P, setter: &'a ParamSetter<'a>) -> Self {
        Self::new_with(ParamControl::new(param, setter))
    }
}

impl<'a> Knob<ValueControl<'a>> {
    /// A knob editing `value` within `range`, labelled `label`. Chain [`Knob::map`] to set the
    /// unit, default or log mapping of the underlying [`ValueControl`].
    pub fn new(value: &'a mut f32, range: RangeInclusive<f32>, label: &str) -> Self {
        Self::new_with(ValueControl::new(value, range).with_label(label))
    }

    /// Adjust the underlying [`ValueControl`], e.g. `.map(|c| c.with_unit(" Hz").logarithmic(true))`.
    pub fn map(mut self, f: impl FnOnce(ValueControl<'a>) -> ValueControl<'a>) -> Self {
        self.control = f(self.control);
        self
    }
}

impl<C: Control> Knob<C> {
    /// A knob for any [`Control`].
    pub fn new_with(control: C) -> Self {
        Self {
            control,
            diameter: None,
            origin: None,
            show_label: true,
            show_value: true,
            caption: None,
        }
    }

    /// Use `text` as the caption instead of the control's label (e.g.
    /// "Gain" for a parameter named "Band 4 Gain" shown under its band).
    pub fn with_caption(mut self, text: impl Into<String>) -> Self {
        self.caption = Some(text.into());
        self
    }

    /// Dial diameter in points. Default: four times the body text size, shrunk to the available
    /// width.
    pub fn with_diameter(mut self, diameter_pt: f32) -> Self {
        self.diameter = Some(diameter_pt.max(8.0));
        self
    }

    /// Grow the value arc from 12 o'clock (normalised 0.5).
    pub fn bipolar(self) -> Self {
        self.with_origin(0.5)
    }

    /// Grow the value arc from the minimum.
    pub fn unipolar(self) -> Self {
        self.with_origin(0.0)
    }

    /// Grow the value arc from this normalised position (0..=1).
    pub fn with_origin(mut self, origin: f32) -> Self {
        self.origin = Some(origin.clamp(0.0, 1.0));
        self
    }

    /// Hide the caption above the dial.
    pub fn without_label(mut self) -> Self {
        self.show_label = false;
        self
    }

    /// Hide the value text below the dial.
    pub fn without_value(mut self) -> Self {
        self.show_value = false;
        self
    }
}

impl<C: Control> Widget for Knob<C> {
    fn ui(mut self, ui: &mut Ui) -> Response {
        let theme = Theme::current(ui.ctx());
        let label_font = FontId::proportional(SMALL_TEXT_PT);
        let value_font = FontId::proportional(BODY_TEXT_PT);
        let label_h = if self.show_label {
            ui.fonts_mut(|f| f.row_height(&label_font))
        } else {
            0.0
        };
        let value_h = if self.show_value {
            ui.fonts_mut(|f| f.row_height(&value_font))
        } else {
            0.0
        };
        let gap = SMALL_TEXT_PT * 0.3;

        let available = ui.available_size();
        let mut diameter = self.diameter.unwrap_or(BODY_TEXT_PT * DEFAULT_DIAMETER_EM);
        // Room either side of the dial for captions wider than the dial itself.
        const WIDTH_PER_DIAMETER: f32 = 1.35;
        if available.x.is_finite() && available.x > 0.0 {
            diameter = diameter.min(available.x / WIDTH_PER_DIAMETER);
        }
        diameter = diameter.max(8.0);
        let width = diameter * WIDTH_PER_DIAMETER;
        let height = label_h + diameter + value_h + 2.0 * gap;
        let (rect, mut response) =
            ui.allocate_exact_size(Vec2::new(width, height), Sense::click_and_drag());

        let dial = Rect::from_center_size(
            Pos2::new(rect.center().x, rect.min.y + label_h + gap + diameter * 0.5),
            Vec2::splat(diameter),
        );
        let value_rect =
            Rect::from_min_max(Pos2::new(rect.min.x, dial.max.y + gap * 0.5), rect.max);

        interact(ui, &mut response, &mut self.control, DragGeometry::knob());
        let editing =
            self.show_value && value_entry(ui, &mut response, &mut self.control, value_rect);
        if response.hovered() || response.dragged() {
            let over_value = response.hover_pos().is_some_and(|p| value_rect.contains(p));
            ui.ctx().set_cursor_icon(if over_value && self.show_value {
                egui::CursorIcon::Text
            } else {
                egui::CursorIcon::ResizeVertical
            });
        }

        if ui.is_rect_visible(rect) {
            let painter = ui.painter();
            if self.show_label {
                painter.text(
                    Pos2::new(rect.center().x, rect.min.y),
                    Align2::CENTER_TOP,
                    self.caption.as_deref().unwrap_or(self.control.label()),
                    label_font,
                    theme.text_dim,
                );
            }
            let origin = self.origin.unwrap_or_else(|| self.control.origin());
            paint_dial(
                painter,
                dial,
                self.control.normalized(),
                origin,
                &theme,
                response.hovered() || response.dragged(),
            );
            if self.show_value && !editing {
                painter.text(
                    Pos2::new(rect.center().x, dial.max.y + gap),
                    Align2::CENTER_TOP,
                    self.control.value_text(),
                    value_font,
                    theme.text,
                );
            }
        }

        let label = self.control.label().to_owned();
        let value = self.control.normalized() as f64;
        response.widget_info(|| egui::WidgetInfo::slider(true, value, label.as_str()));
        response
    }
}

/// Paint a knob dial in `rect` (the dial is the largest circle that fits): track arc, value arc
/// from `origin` to `normalized`, body and pointer. Both values are normalised 0..=1.
pub fn paint_dial(
    painter: &egui::Painter,
    rect: Rect,
    normalized: f32,
    origin: f32,
    theme: &Theme,
    highlight: bool,
) {
    let centre = rect.center();
    let r = rect.width().min(rect.height()) * 0.5;
    let arc_r = r * 0.86;
    let arc_w = (r * 0.13).max(1.5);

    let start = normalized_to_angle(0.0);
    let end = normalized_to_angle(1.0);
    painter.add(arc(
        centre,
        arc_r,
        start,
        end,
        Stroke::new(arc_w, theme.outline),
    ));

    let a_origin = normalized_to_angle(origin);
    let a_value = normalized_to_angle(normalized);
    if (a_value - a_origin).abs() > 1e-4 {
        painter.add(arc(
            centre,
            arc_r,
            a_origin.min(a_value),
            a_origin.max(a_value),
            Stroke::new(arc_w, theme.accent),
        ));
    }

    let body_r = r * 0.64;
    let body = if highlight {
        lighten(theme.raised, 0.08)
    } else {
        theme.raised
    };
    painter.circle(centre, body_r, body, Stroke::new(1.0, theme.outline));
    painter.line_segment(
        [
            dial_point(centre, body_r * 0.35, a_value),
            dial_point(centre, body_r * 0.92, a_value),
        ],
        Stroke::new((r * 0.08).max(1.5), theme.text),
    );
}

/// A polyline arc around `centre` from `from` to `to` (dial angles in radians), with segments of
/// about 2 points so it stays smooth at any size.
fn arc(centre: Pos2, radius: f32, from: f32, to: f32, stroke: Stroke) -> egui::Shape {
    let length = (to - from).abs() * radius;
    let segments = ((length / 2.0).ceil() as usize).clamp(2, 256);
    let points = (0..=segments)
        .map(|i| {
            let t = i as f32 / segments as f32;
            dial_point(centre, radius, from + t * (to - from))
        })
        .collect();
    egui::Shape::line(points, stroke)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angle_mapping_covers_270_degrees() {
        assert!((normalized_to_angle(0.0) + 135f32.to_radians()).abs() < 1e-6);
        assert_eq!(normalized_to_angle(0.5), 0.0);
        assert!((normalized_to_angle(1.0) - 135f32.to_radians()).abs() < 1e-6);
        assert_eq!(normalized_to_angle(2.0), normalized_to_angle(1.0));
        assert_eq!(normalized_to_angle(f32::NAN), normalized_to_angle(0.0));
        for n in [0.0, 0.1, 0.37, 0.5, 0.9, 1.0] {
            assert!((angle_to_normalized(normalized_to_angle(n)) - n).abs() < 1e-6);
        }
    }

    #[test]
    fn dial_points_follow_the_clock_face() {
        let c = Pos2::new(100.0, 100.0);
        // 12 o'clock is straight up (smaller y).
        let up = dial_point(c, 10.0, normalized_to_angle(0.5));
        assert!((up - Pos2::new(100.0, 90.0)).length() < 1e-5);
        // Minimum at 7:30: down-left; maximum at 4:30: down-right.
        let lo = dial_point(c, 10.0, normalized_to_angle(0.0));
        let hi = dial_point(c, 10.0, normalized_to_angle(1.0));
        let d = 10.0 / 2f32.sqrt();
        assert!((lo - Pos2::new(100.0 - d, 100.0 + d)).length() < 1e-4);
        assert!((hi - Pos2::new(100.0 + d, 100.0 + d)).length() < 1e-4);
        // Quarter value at 9 o'clock minus 45°: angle -67.5°.
        assert!((normalized_to_angle(0.25) + 67.5f32.to_radians()).abs() < 1e-6);
    }
}
