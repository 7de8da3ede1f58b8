//! Gain-reduction meter: a bar growing down from 0 dB at the top, with the held maximum and its
//! readout.
//!
//! Gain reduction is handled as a magnitude in dB (3.0 = 3 dB of attenuation); the sign of the
//! input is ignored so either convention from the DSP side displays the same.

use crate::layout::available_or;
use egui::{Align2, FontId, Rect, Response, Sense, Stroke, Ui, Vec2, Widget};

use crate::axis::{paint_db_scale, DbAxis};
use crate::level_meter::MeterLayout;
use crate::theme::{Theme, BODY_TEXT_PT, SMALL_TEXT_PT};

/// Default fall-back (recovery) rate of the displayed reduction, dB per second. Faster than a
/// level meter's: the limiter's own release already smooths the value, the GUI only bridges the
/// frames between audio blocks.
pub const GR_FALL_DB_PER_S: f32 = 30.0;

/// GUI-side state of a gain-reduction meter.
#[derive(Debug, Clone, PartialEq)]
pub struct GrMeterState {
    /// Displayed reduction in dB (≥ 0), after fall-back.
    pub gr_db: f32,
    /// Largest reduction since the last reset, dB (≥ 0).
    pub max_gr_db: f32,
    /// Fall-back rate of the bar, dB per second.
    pub fall_db_per_s: f32,
}

impl Default for GrMeterState {
    fn default() -> Self {
        Self {
            gr_db: 0.0,
            max_gr_db: 0.0,
            fall_db_per_s: GR_FALL_DB_PER_S,
        }
    }
}

impl GrMeterState {
    /// A meter at rest (no reduction).
    pub fn new() -> Self {
        Self::default()
    }

    /// Advance by `dt_s` seconds and take in the largest reduction since the previous frame
    /// (dB, sign ignored; e.g. from [`crate::MeterValue::take`]).
    pub fn update(&mut self, reduction_db: f32, dt_s: f32) {
        let r = if reduction_db.is_finite() {
            reduction_db.abs()
        } else {
            0.0
        };
        let dt = if dt_s.is_finite() { dt_s.max(0.0) } else { 0.0 };
        self.gr_db = (self.gr_db - self.fall_db_per_s.max(0.0) * dt)
            .max(r)
            .max(0.0);
        self.max_gr_db = self.max_gr_db.max(r);
    }

    /// Clear the held maximum.
    pub fn reset_hold(&mut self) {
        self.max_gr_db = 0.0;
    }
}

/// A vertical gain-reduction meter; click to clear the held maximum.
#[must_use = "add the meter to a Ui with `ui.add(meter)`"]
pub struct GrMeter<'a> {
    state: &'a mut GrMeterState,
    range_db: f32,
    label: Option<String>,
    size: Option<Vec2>,
}

impl<'a> GrMeter<'a> {
    /// A meter showing 0..24 dB of reduction from `state`.
    pub fn new(state: &'a mut GrMeterState) -> Self {
        Self {
            state,
            range_db: 24.0,
            label: None,
            size: None,
        }
    }

    /// Deepest reduction on the scale, in dB (positive; default 24).
    pub fn with_range(mut self, range_db: f32) -> Self {
        self.range_db = if range_db.is_finite() {
            range_db.abs().max(1.0)
        } else {
            24.0
        };
        self
    }

    /// Caption under the meter ("GR").
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Size in points. Default: about three body-text heights wide, all the available height.
    pub fn with_size(mut self, size: Vec2) -> Self {
        self.size = Some(size);
        self
    }
}

impl Widget for GrMeter<'_> {
    fn ui(self, ui: &mut Ui) -> Response {
        let theme = Theme::current(ui.ctx());
        let size = self.size.unwrap_or_else(|| {
            let h = available_or(ui, Vec2::splat(BODY_TEXT_PT * 16.0), 40.0).y;
            Vec2::new(BODY_TEXT_PT * 3.4, h)
        });
        let (rect, response) = ui.allocate_exact_size(size, Sense::click());
        if response.clicked() {
            self.state.reset_hold();
        }
        if ui.is_rect_visible(rect) {
            paint_gr_meter(
                ui.painter(),
                rect,
                self.state,
                self.range_db,
                self.label.as_deref(),
                &theme,
            );
        }
        response.on_hover_text("Click to reset the held maximum")
    }
}

/// Screen y of the bottom edge of a reduction bar of `gr_db` (sign ignored) in a meter whose bar
/// area spans `y` and whose scale is 0..`range_db`; clamped to the area.
pub fn gr_to_y(gr_db: f32, range_db: f32, y: egui::Rangef) -> f32 {
    let axis = DbAxis::new(-range_db.abs(), 0.0);
    axis.db_to_y_clamped(-gr_db.abs(), y)
}

/// Paint a gain-reduction meter into `rect`; the widget's drawing, usable in custom layouts.
pub fn paint_gr_meter(
    painter: &egui::Painter,
    rect: Rect,
    state: &GrMeterState,
    range_db: f32,
    label: Option<&str>,
    theme: &Theme,
) {
    let layout = MeterLayout::new(rect, 1, label.is_some());
    let bars = layout.bars;
    let axis = DbAxis::new(-range_db.abs(), 0.0);

    painter.text(
        layout.readout.center(),
        Align2::CENTER_CENTER,
        if state.max_gr_db < 0.05 {
            "0.0".to_owned()
        } else {
            format!("-{:.1}", state.max_gr_db)
        },
        FontId::proportional(BODY_TEXT_PT),
        if state.max_gr_db >= 0.05 {
            theme.gain_reduction
        } else {
            theme.text_dim
        },
    );

    painter.rect_filled(bars, 1.0, theme.background);
    let bottom = gr_to_y(state.gr_db, range_db, bars.y_range());
    if bottom > bars.min.y {
        painter.rect_filled(
            Rect::from_x_y_ranges(bars.x_range(), bars.min.y..=bottom),
            0.0,
            theme.gain_reduction,
        );
    }
    if state.max_gr_db > 0.0 {
        let y = gr_to_y(state.max_gr_db, range_db, bars.y_range());
        painter.hline(bars.x_range(), y, Stroke::new(2.0, theme.text));
    }
    painter.rect_stroke(
        bars,
        1.0,
        Stroke::new(1.0, theme.outline),
        egui::StrokeKind::Outside,
    );
    paint_db_scale(painter, layout.scale, &axis, theme, egui::Align::Max);

    if let (Some(text), Some(r)) = (label, layout.caption) {
        painter.text(
            r.center(),
            Align2::CENTER_CENTER,
            text,
            FontId::proportional(SMALL_TEXT_PT),
            theme.text_dim,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_grows_down_from_the_top() {
        let y = egui::Rangef::new(100.0, 340.0);
        assert_eq!(gr_to_y(0.0, 24.0, y), 100.0);
        // 240 points over 24 dB: 10 pt per dB, either sign.
        assert!((gr_to_y(6.0, 24.0, y) - 160.0).abs() < 1e-4);
        assert!((gr_to_y(-6.0, 24.0, y) - 160.0).abs() < 1e-4);
        assert_eq!(gr_to_y(40.0, 24.0, y), 340.0, "clamped at the bottom");
    }

    #[test]
    fn state_falls_back_and_holds() {
        let mut s = GrMeterState::new();
        s.update(-6.0, 0.0);
        assert_eq!(s.gr_db, 6.0);
        s.update(0.0, 0.1);
        assert!((s.gr_db - (6.0 - 0.1 * GR_FALL_DB_PER_S)).abs() < 1e-5);
        s.update(0.0, 1.0);
        assert_eq!(s.gr_db, 0.0, "never below zero");
        assert_eq!(s.max_gr_db, 6.0);
        s.update(f32::NAN, 0.0);
        assert_eq!(s.gr_db, 0.0);
        s.reset_hold();
        assert_eq!(s.max_gr_db, 0.0);
    }
}
