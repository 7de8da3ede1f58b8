//! The cents meter: the note the voice is heading for, in large letters,
//! and how far the sung pitch is from it, on a scale of ±50 cents.
//!
//! The needle shows the input's deviation (what the singer sang); a second
//! marker shows the output's (what correction left of it). The needle is
//! green within 5 cents, amber within 20, red beyond, as on a tuner. It is
//! smoothed with a 60 ms time constant so vibrato reads as a sway, not a
//! blur, and it returns to the centre and fades when the voice stops.

use crate::pitch_graph::note_name;
use egui::{Align2, FontId, Painter, Pos2, Rect, Stroke};
use glass_dsp::scale::note_of_hz;
use glass_dsp::tuner::PitchFrame;
use glass_ui::theme::{BODY_TEXT_PT, SMALL_TEXT_PT};
use glass_ui::Theme;

/// Half the meter's range, cents.
pub const RANGE_CENTS: f32 = 50.0;
/// Needle smoothing time constant, s.
const SMOOTH_S: f32 = 0.06;
/// How long the last note stays shown after the voice stops, s.
const HOLD_S: f32 = 0.8;

/// GUI-side needle positions and the last note shown.
#[derive(Clone, Copy, Debug, Default)]
pub struct CentsMeterState {
    input: f32,
    output: f32,
    note: Option<i32>,
    /// Seconds since the last voiced frame.
    silent_s: f32,
}

impl CentsMeterState {
    /// A meter at rest.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the needles toward `frame`'s deviations, `dt` seconds after
    /// the previous call. `reference_hz` is A4.
    pub fn update(&mut self, frame: &PitchFrame, reference_hz: f32, dt: f32) {
        let k = 1.0 - (-dt.max(0.0) / SMOOTH_S).exp();
        let voiced = frame.voiced && frame.target_note >= 0 && frame.detected_hz > 0.0;
        if voiced {
            self.silent_s = 0.0;
            self.note = Some(i32::from(frame.target_note));
            let target = f32::from(frame.target_note);
            let cents = |hz: f32| {
                (100.0 * (note_of_hz(f64::from(hz), f64::from(reference_hz)) as f32 - target))
                    .clamp(-RANGE_CENTS, RANGE_CENTS)
            };
            let input = cents(frame.detected_hz);
            // The output pitch carries the transposition; its deviation is
            // taken from the nearest note.
            let output = if frame.output_hz > 0.0 {
                let n = note_of_hz(f64::from(frame.output_hz), f64::from(reference_hz)) as f32;
                (100.0 * (n - n.round())).clamp(-RANGE_CENTS, RANGE_CENTS)
            } else {
                input
            };
            if input.is_finite() && output.is_finite() {
                self.input += k * (input - self.input);
                self.output += k * (output - self.output);
            }
        } else {
            self.silent_s += dt.max(0.0);
            self.input -= k * self.input;
            self.output -= k * self.output;
            if self.silent_s > HOLD_S {
                self.note = None;
            }
        }
    }

    /// The input's deviation shown, cents (±50).
    pub fn input_cents(&self) -> f32 {
        self.input
    }

    /// The output's deviation shown, cents (±50).
    pub fn output_cents(&self) -> f32 {
        self.output
    }

    /// The note shown, if any.
    pub fn note(&self) -> Option<i32> {
        self.note
    }
}

/// Paints the meter into `rect`: the note name above, the ±50 cent scale
/// with the input needle and the output marker below.
pub fn paint(painter: &Painter, rect: Rect, state: &CentsMeterState, theme: &Theme) {
    glass_ui::axis::paint_plot_frame(painter, rect, theme);
    let inner = rect.shrink(8.0);
    let name_h = (inner.height() * 0.5).clamp(24.0, 64.0);
    let (name, reading) = match state.note() {
        Some(n) => (note_name(n), format!("{:+.1} ct", state.input_cents())),
        None => ("–".to_string(), "no pitch".to_string()),
    };
    painter.text(
        Pos2::new(inner.center().x, inner.top() + 0.5 * name_h),
        Align2::CENTER_CENTER,
        name,
        FontId::proportional(name_h * 0.8),
        if state.note().is_some() {
            theme.text
        } else {
            theme.text_dim
        },
    );
    painter.text(
        Pos2::new(inner.center().x, inner.top() + name_h + 2.0),
        Align2::CENTER_TOP,
        reading,
        FontId::proportional(BODY_TEXT_PT),
        theme.text_dim,
    );

    // The scale.
    let bar_top = inner.top() + name_h + BODY_TEXT_PT * 1.6 + 4.0;
    let bar = Rect::from_min_max(
        Pos2::new(inner.left() + 4.0, bar_top),
        Pos2::new(
            inner.right() - 4.0,
            (bar_top + 18.0).min(inner.bottom() - SMALL_TEXT_PT - 2.0),
        ),
    );
    let x_of = |c: f32| bar.center().x + c / RANGE_CENTS * 0.5 * bar.width();
    painter.rect_filled(bar, 2.0, theme.background);
    painter.rect_filled(
        Rect::from_min_max(
            Pos2::new(x_of(-5.0), bar.top()),
            Pos2::new(x_of(5.0), bar.bottom()),
        ),
        0.0,
        theme.meter_green.gamma_multiply(0.35),
    );
    let font = FontId::proportional(SMALL_TEXT_PT);
    for c in [-50, -25, -10, 0, 10, 25, 50] {
        let x = x_of(c as f32);
        let major = c % 25 == 0;
        painter.line_segment(
            [
                Pos2::new(x, bar.bottom()),
                Pos2::new(x, bar.bottom() - if major { 8.0 } else { 4.0 }),
            ],
            Stroke::new(1.0, theme.grid_major),
        );
        if major {
            painter.text(
                Pos2::new(x, bar.bottom() + 2.0),
                Align2::CENTER_TOP,
                format!("{c:+}").replace("+0", "0"),
                font.clone(),
                theme.text_dim,
            );
        }
    }
    if state.note().is_some() {
        let c = state.input_cents();
        let colour = if c.abs() <= 5.0 {
            theme.meter_green
        } else if c.abs() <= 20.0 {
            theme.meter_yellow
        } else {
            theme.meter_red
        };
        let x = x_of(c);
        painter.line_segment(
            [
                Pos2::new(x, bar.top() - 3.0),
                Pos2::new(x, bar.bottom() + 1.0),
            ],
            Stroke::new(3.0, colour),
        );
        let xo = x_of(state.output_cents());
        let h = 5.0;
        painter.add(egui::Shape::convex_polygon(
            vec![
                Pos2::new(xo, bar.top() + h),
                Pos2::new(xo - h, bar.top() - 1.0),
                Pos2::new(xo + h, bar.top() - 1.0),
            ],
            theme.accent,
            Stroke::NONE,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_needle_reads_the_deviation_from_the_target_note() {
        let mut m = CentsMeterState::new();
        // 20 cents above A4.
        let hz = 440.0 * (20.0f32 / 1200.0).exp2();
        let f = PitchFrame {
            voiced: true,
            detected_hz: hz,
            target_hz: 440.0,
            output_hz: 440.0,
            target_note: 69,
            ..PitchFrame::default()
        };
        for _ in 0..100 {
            m.update(&f, 440.0, 0.02);
        }
        assert!((m.input_cents() - 20.0).abs() < 0.01, "{}", m.input_cents());
        assert!(m.output_cents().abs() < 0.01);
        assert_eq!(m.note(), Some(69));
        // Unvoiced: the needle returns and the note goes after the hold.
        for _ in 0..100 {
            m.update(&PitchFrame::default(), 440.0, 0.02);
        }
        assert!(m.input_cents().abs() < 0.01);
        assert_eq!(m.note(), None);
    }
}
