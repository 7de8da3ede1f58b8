//! Axis mappings shared by the plots and meters: log-frequency ↔ x, dB ↔ y, and the grid/labels
//! drawn behind them.
//!
//! The mappings are plain functions of a screen range so that the curve, the analyser and the EQ
//! nodes all agree to the pixel, and so that they can be tested without a window.

use egui::{Align2, FontId, Painter, Pos2, Rangef, Rect, Stroke};

use crate::theme::{Theme, SMALL_TEXT_PT};

/// Lowest frequency that can be placed on a [`FreqAxis`], in Hz; guards the logarithm.
pub const MIN_AXIS_HZ: f32 = 1.0;

/// A logarithmic frequency axis: equal distances are equal frequency ratios.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FreqAxis {
    /// Frequency at the left edge, in Hz (≥ [`MIN_AXIS_HZ`]).
    pub min_hz: f32,
    /// Frequency at the right edge, in Hz (> `min_hz`).
    pub max_hz: f32,
}

impl Default for FreqAxis {
    /// 10 Hz – 30 kHz, which covers the audio band with room for shelving curves either side.
    fn default() -> Self {
        Self::new(10.0, 30_000.0)
    }
}

impl FreqAxis {
    /// An axis from `min_hz` to `max_hz` (Hz). Bounds are sanitised: the lower one is raised to
    /// [`MIN_AXIS_HZ`] and the upper one kept at least a tenth of an octave above it.
    pub fn new(min_hz: f32, max_hz: f32) -> Self {
        let min_hz = if min_hz.is_finite() {
            min_hz.max(MIN_AXIS_HZ)
        } else {
            MIN_AXIS_HZ
        };
        let floor = min_hz * 2f32.powf(0.1);
        let max_hz = if max_hz.is_finite() {
            max_hz.max(floor)
        } else {
            floor
        };
        Self { min_hz, max_hz }
    }

    /// Span of the axis in octaves.
    pub fn octaves(&self) -> f32 {
        (self.max_hz / self.min_hz).log2()
    }

    /// Position of `freq_hz` as a fraction of the axis width (0 = left edge, 1 = right edge;
    /// frequencies outside the axis give values outside 0..=1).
    pub fn freq_to_fraction(&self, freq_hz: f32) -> f32 {
        (freq_hz.max(f32::MIN_POSITIVE) / self.min_hz).log2() / self.octaves()
    }

    /// Frequency in Hz at `fraction` of the axis width (inverse of [`Self::freq_to_fraction`]).
    pub fn fraction_to_freq(&self, fraction: f32) -> f32 {
        self.min_hz * 2f32.powf(fraction * self.octaves())
    }

    /// Screen x (points) of `freq_hz` across the horizontal range `x`.
    pub fn freq_to_x(&self, freq_hz: f32, x: Rangef) -> f32 {
        x.min + self.freq_to_fraction(freq_hz) * x.span()
    }

    /// Frequency in Hz at screen x (points) across the horizontal range `x`.
    pub fn x_to_freq(&self, pos_x: f32, x: Rangef) -> f32 {
        let span = x.span();
        if span <= 0.0 {
            return self.min_hz;
        }
        self.fraction_to_freq((pos_x - x.min) / span)
    }

    /// Grid frequencies within the axis: 1-2-5 steps per decade, with the decades (10, 100, 1k,
    /// 10k) marked major. When the axis is narrow (`width_pt` below about 50 points per decade)
    /// only 1 and 2 steps or only decades are kept so labels never collide.
    pub fn ticks(&self, width_pt: f32) -> Vec<Tick> {
        let per_decade = width_pt / (self.octaves() / std::f32::consts::LOG2_10).max(1e-3);
        let multipliers: &[f32] = if per_decade >= 110.0 {
            &[1.0, 2.0, 5.0]
        } else if per_decade >= 50.0 {
            &[1.0, 2.0]
        } else {
            &[1.0]
        };
        let mut ticks = Vec::new();
        let mut decade = 10f32.powf(self.min_hz.log10().floor());
        while decade <= self.max_hz {
            for &m in multipliers {
                let f = decade * m;
                if f >= self.min_hz * 0.999 && f <= self.max_hz * 1.001 {
                    ticks.push(Tick {
                        value: f,
                        major: m == 1.0,
                    });
                }
            }
            decade *= 10.0;
        }
        ticks
    }
}

/// A linear dB axis, `max_db` at the top of the range and `min_db` at the bottom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DbAxis {
    /// Level at the bottom edge, in dB.
    pub min_db: f32,
    /// Level at the top edge, in dB (> `min_db`).
    pub max_db: f32,
}

impl DbAxis {
    /// An axis from `min_db` (bottom) to `max_db` (top). Swapped bounds are put in order and a
    /// zero span is widened to 1 dB.
    pub fn new(min_db: f32, max_db: f32) -> Self {
        let (lo, hi) = if min_db <= max_db {
            (min_db, max_db)
        } else {
            (max_db, min_db)
        };
        let hi = if hi - lo < 1e-3 { lo + 1.0 } else { hi };
        Self {
            min_db: lo,
            max_db: hi,
        }
    }

    /// Span of the axis in dB.
    pub fn span_db(&self) -> f32 {
        self.max_db - self.min_db
    }

    /// Screen y (points) of `db` across the vertical range `y` (`y.min` is the top). Values
    /// outside the axis map outside the range; callers clamp where they need to.
    pub fn db_to_y(&self, db: f32, y: Rangef) -> f32 {
        y.max - (db - self.min_db) / self.span_db() * y.span()
    }

    /// Level in dB at screen y (points) across the vertical range `y`.
    pub fn y_to_db(&self, pos_y: f32, y: Rangef) -> f32 {
        let span = y.span();
        if span <= 0.0 {
            return self.min_db;
        }
        self.min_db + (y.max - pos_y) / span * self.span_db()
    }

    /// Screen y of `db` clamped into the range `y`.
    pub fn db_to_y_clamped(&self, db: f32, y: Rangef) -> f32 {
        let v = if db.is_nan() { self.min_db } else { db };
        self.db_to_y(v, y).clamp(y.min, y.max)
    }

    /// Grid levels at a step from the 1-2-3-6-10-12-20-24 dB series, the smallest that keeps
    /// grid lines at least `min_gap_pt` points apart over `height_pt`. Multiples of twice the step
    /// (and 0 dB) are major.
    pub fn ticks(&self, height_pt: f32, min_gap_pt: f32) -> Vec<Tick> {
        let step = self.tick_step(height_pt, min_gap_pt);
        let mut ticks = Vec::new();
        let mut i = (self.min_db / step).ceil() as i64;
        loop {
            let v = i as f32 * step;
            if v > self.max_db + 1e-3 {
                break;
            }
            ticks.push(Tick {
                value: v,
                major: i % 2 == 0 || v == 0.0,
            });
            i += 1;
        }
        ticks
    }

    /// The grid step in dB chosen by [`Self::ticks`].
    pub fn tick_step(&self, height_pt: f32, min_gap_pt: f32) -> f32 {
        const STEPS: [f32; 10] = [1.0, 2.0, 3.0, 6.0, 10.0, 12.0, 20.0, 24.0, 48.0, 96.0];
        let pt_per_db = height_pt.max(1.0) / self.span_db();
        STEPS
            .iter()
            .copied()
            .find(|s| s * pt_per_db >= min_gap_pt)
            .unwrap_or(STEPS[STEPS.len() - 1])
    }
}

/// One grid position on an axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tick {
    /// Position in the axis unit (Hz or dB).
    pub value: f32,
    /// Drawn stronger and always labelled.
    pub major: bool,
}

/// Label for a frequency tick: "20", "500", "1k", "2k", "10k".
pub fn format_freq(freq_hz: f32) -> String {
    if freq_hz >= 1000.0 {
        let k = freq_hz / 1000.0;
        if (k - k.round()).abs() < 1e-3 {
            format!("{}k", k.round() as i64)
        } else {
            format!("{k:.1}k")
        }
    } else if freq_hz >= 10.0 || (freq_hz - freq_hz.round()).abs() < 1e-3 {
        format!("{}", freq_hz.round() as i64)
    } else {
        format!("{freq_hz:.1}")
    }
}

/// Label for a dB tick: "0", "+6", "-12". A `+` sign marks boosts so that EQ plots read at a
/// glance.
pub fn format_db(db: f32) -> String {
    let r = db.round() as i64;
    if r > 0 {
        format!("+{r}")
    } else {
        format!("{r}")
    }
}

/// Paint a log-frequency / dB grid into `rect`, with frequency labels along the bottom edge and
/// dB labels along the left edge, inside the rect so plots can use all of their space.
pub fn paint_freq_db_grid(
    painter: &Painter,
    rect: Rect,
    freq: &FreqAxis,
    db: &DbAxis,
    theme: &Theme,
) {
    let font = FontId::proportional(SMALL_TEXT_PT);
    let minor = Stroke::new(1.0, theme.grid);
    let major = Stroke::new(1.0, theme.grid_major);
    let label_gap = SMALL_TEXT_PT * 0.3;

    for t in freq.ticks(rect.width()) {
        let x = freq.freq_to_x(t.value, rect.x_range());
        painter.vline(x, rect.y_range(), if t.major { major } else { minor });
        painter.text(
            Pos2::new(x + label_gap, rect.max.y - label_gap),
            Align2::LEFT_BOTTOM,
            format_freq(t.value),
            font.clone(),
            theme.text_dim,
        );
    }

    paint_db_lines(painter, rect, db, theme, Align2::LEFT_BOTTOM);
}

/// Paint horizontal dB grid lines across `rect` with labels anchored by `label_align` (for
/// example [`Align2::LEFT_BOTTOM`] to sit just above each line at the left edge, or
/// [`Align2::RIGHT_BOTTOM`] for the right edge).
pub fn paint_db_lines(
    painter: &Painter,
    rect: Rect,
    db: &DbAxis,
    theme: &Theme,
    label_align: Align2,
) {
    let font = FontId::proportional(SMALL_TEXT_PT);
    let minor = Stroke::new(1.0, theme.grid);
    let major = Stroke::new(1.0, theme.grid_major);
    let gap = SMALL_TEXT_PT * 0.3;
    let x = if label_align.x() == egui::Align::Max {
        rect.max.x - gap
    } else {
        rect.min.x + gap
    };
    // Three text heights between lines keeps plots calm: 6 dB steps on a typical graph.
    for t in db.ticks(rect.height(), SMALL_TEXT_PT * 3.0) {
        let y = db.db_to_y(t.value, rect.y_range());
        painter.hline(rect.x_range(), y, if t.major { major } else { minor });
        // Labels at the very top/bottom would be clipped or collide with the frequency labels.
        if y - rect.min.y > SMALL_TEXT_PT && rect.max.y - y > SMALL_TEXT_PT * 1.5 {
            painter.text(
                Pos2::new(x, y - gap * 0.5),
                label_align,
                format_db(t.value),
                font.clone(),
                theme.text_dim,
            );
        }
    }
}

/// Paint a meter scale: dB labels in the column `rect`, each centred vertically on its level and
/// aligned to the column's left (`Align::Min`), centre or right (`Align::Max`), with a short tick
/// on the side facing the meter. Labels that would touch the rect's ends are skipped so the column
/// never spills.
pub fn paint_db_scale(
    painter: &Painter,
    rect: Rect,
    db: &DbAxis,
    theme: &Theme,
    align: egui::Align,
) {
    let font = FontId::proportional(SMALL_TEXT_PT);
    let tick_len = SMALL_TEXT_PT * 0.3;
    let stroke = Stroke::new(1.0, theme.grid_major);
    let (x, anchor, tick) = match align {
        egui::Align::Min => (
            rect.min.x + tick_len * 1.5,
            Align2::LEFT_CENTER,
            rect.min.x..=rect.min.x + tick_len,
        ),
        egui::Align::Center => (
            rect.center().x,
            Align2::CENTER_CENTER,
            rect.min.x..=rect.min.x,
        ),
        egui::Align::Max => (
            rect.max.x - tick_len * 1.5,
            Align2::RIGHT_CENTER,
            rect.max.x - tick_len..=rect.max.x,
        ),
    };
    let half_row = SMALL_TEXT_PT * 0.6;
    // Two and a half text rows between labels keeps the column calm at any meter height.
    for t in db.ticks(rect.height(), SMALL_TEXT_PT * 2.5) {
        let y = db.db_to_y(t.value, rect.y_range());
        if y - rect.min.y < half_row || rect.max.y - y < half_row {
            continue;
        }
        if align != egui::Align::Center {
            painter.hline(tick.clone(), y, stroke);
        }
        painter.text(
            Pos2::new(x, y),
            anchor,
            format!("{}", t.value.round() as i64),
            font.clone(),
            theme.text_dim,
        );
    }
}

/// Fill `rect` with the plot background and draw its outline.
pub fn paint_plot_frame(painter: &Painter, rect: Rect, theme: &Theme) {
    painter.rect_filled(rect, 3.0, theme.panel);
    painter.rect_stroke(
        rect,
        3.0,
        Stroke::new(1.0, theme.outline),
        egui::StrokeKind::Inside,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: Rangef = Rangef {
        min: 100.0,
        max: 700.0,
    };
    const Y: Rangef = Rangef {
        min: 50.0,
        max: 350.0,
    };

    #[test]
    fn freq_axis_is_logarithmic() {
        let a = FreqAxis::new(10.0, 30_000.0);
        assert_eq!(a.freq_to_x(10.0, X), X.min);
        assert!((a.freq_to_x(30_000.0, X) - X.max).abs() < 1e-3);
        // One octave is always the same distance: width / log2(3000).
        let octave = X.span() / 3000f32.log2();
        for f in [20.0, 440.0, 5000.0] {
            let d = a.freq_to_x(2.0 * f, X) - a.freq_to_x(f, X);
            assert!((d - octave).abs() < 1e-3, "{f} Hz: {d} vs {octave}");
        }
        // Geometric centre of the axis sits in the middle.
        let mid = (10.0f32 * 30_000.0).sqrt();
        assert!((a.freq_to_x(mid, X) - 400.0).abs() < 1e-3);
    }

    #[test]
    fn freq_axis_round_trips() {
        let a = FreqAxis::default();
        for f in [10.0, 31.6, 1000.0, 12_345.0, 30_000.0] {
            let back = a.x_to_freq(a.freq_to_x(f, X), X);
            assert!((back / f - 1.0).abs() < 1e-5, "{f} -> {back}");
        }
    }

    #[test]
    fn freq_axis_sanitises_bounds() {
        let a = FreqAxis::new(0.0, f32::NAN);
        assert_eq!(a.min_hz, MIN_AXIS_HZ);
        assert!(a.max_hz > a.min_hz);
        assert!(a.x_to_freq(5.0, Rangef::new(5.0, 5.0)).is_finite());
    }

    #[test]
    fn db_axis_is_linear_with_top_at_max() {
        let a = DbAxis::new(-24.0, 24.0);
        assert_eq!(a.db_to_y(24.0, Y), Y.min);
        assert_eq!(a.db_to_y(-24.0, Y), Y.max);
        assert_eq!(a.db_to_y(0.0, Y), 200.0);
        // 300 points over 48 dB: 6.25 pt/dB.
        assert!((a.db_to_y(-6.0, Y) - a.db_to_y(0.0, Y) - 37.5).abs() < 1e-4);
        for db in [-24.0, -3.0, 0.0, 11.5] {
            assert!((a.y_to_db(a.db_to_y(db, Y), Y) - db).abs() < 1e-4);
        }
        assert_eq!(a.db_to_y_clamped(100.0, Y), Y.min);
        assert_eq!(a.db_to_y_clamped(f32::NAN, Y), Y.max);
    }

    #[test]
    fn db_axis_orders_and_widens_bounds() {
        let a = DbAxis::new(6.0, -60.0);
        assert_eq!((a.min_db, a.max_db), (-60.0, 6.0));
        let z = DbAxis::new(0.0, 0.0);
        assert_eq!(z.span_db(), 1.0);
    }

    #[test]
    fn db_ticks_keep_their_minimum_gap() {
        let a = DbAxis::new(-60.0, 6.0);
        for height in [80.0, 200.0, 600.0, 2000.0] {
            let step = a.tick_step(height, 24.0);
            assert!(step * height / a.span_db() >= 24.0 || step == 96.0);
            let ticks = a.ticks(height, 24.0);
            assert!(ticks.iter().any(|t| t.value == 0.0 && t.major));
            for w in ticks.windows(2) {
                assert!((w[1].value - w[0].value - step).abs() < 1e-4);
            }
        }
        // 66 dB over 660 pt = 10 pt/dB: a 24 pt gap needs 3 dB steps.
        assert_eq!(a.tick_step(660.0, 24.0), 3.0);
    }

    #[test]
    fn freq_ticks_follow_the_1_2_5_series() {
        let a = FreqAxis::new(10.0, 30_000.0);
        let wide: Vec<f32> = a.ticks(2000.0).iter().map(|t| t.value).collect();
        for f in [10.0, 20.0, 50.0, 100.0, 1000.0, 5000.0, 20_000.0] {
            assert!(wide.iter().any(|&v| (v - f).abs() < 1e-2), "{f} missing");
        }
        assert!(wide.iter().all(|v| (10.0..=30_000.0).contains(v)));
        let narrow: Vec<f32> = a.ticks(100.0).iter().map(|t| t.value).collect();
        assert_eq!(narrow, vec![10.0, 100.0, 1000.0, 10_000.0]);
    }

    #[test]
    fn labels() {
        assert_eq!(format_freq(20.0), "20");
        assert_eq!(format_freq(1000.0), "1k");
        assert_eq!(format_freq(2500.0), "2.5k");
        assert_eq!(format_freq(20_000.0), "20k");
        assert_eq!(format_db(6.0), "+6");
        assert_eq!(format_db(0.0), "0");
        assert_eq!(format_db(-12.0), "-12");
    }
}
