//! Vertical stereo level meter: peak bars with fall-back, optional RMS bars, a held maximum with
//! a numeric readout, the true-peak maximum, and an optional ceiling line.
//!
//! Ballistics live on the GUI side ([`LevelMeterState`]) so the audio thread only publishes raw
//! maxima ([`crate::StereoMeter`]). The fall-back rate defaults to IEC 60268-18's peak programme
//! meter return time, 20 dB in 1.7 s. The held maximum never falls; click the meter to clear it.

use crate::layout::available_or;
use egui::{Align2, FontId, Pos2, Rect, Response, Sense, Stroke, Ui, Vec2, Widget};

use crate::axis::{paint_db_scale, DbAxis};
use crate::db::{gain_to_db, SILENCE_DB};
use crate::shared::StereoReading;
use crate::theme::{lighten, Theme, BODY_TEXT_PT, SMALL_TEXT_PT};

/// Default peak fall-back rate in dB per second: 20 dB in 1.7 s (IEC 60268-18).
pub const PEAK_FALL_DB_PER_S: f32 = 20.0 / 1.7;

/// Meters turn yellow this many dB below the clip threshold.
pub const WARN_MARGIN_DB: f32 = 6.0;

/// Colour zone of a level on a meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeterZone {
    /// More than [`WARN_MARGIN_DB`] below the clip threshold.
    Safe,
    /// Within [`WARN_MARGIN_DB`] of the clip threshold.
    Warn,
    /// Above the clip threshold (0 dBFS or the ceiling).
    Over,
}

/// Zone of `level_db` on a meter whose clip threshold is `clip_db` (0 dBFS, or the limiter
/// ceiling). A level exactly at the threshold is not over.
pub fn meter_zone(level_db: f32, clip_db: f32) -> MeterZone {
    if level_db > clip_db {
        MeterZone::Over
    } else if level_db > clip_db - WARN_MARGIN_DB {
        MeterZone::Warn
    } else {
        MeterZone::Safe
    }
}

/// The theme colour of a zone.
pub fn zone_colour(theme: &Theme, zone: MeterZone) -> egui::Color32 {
    match zone {
        MeterZone::Safe => theme.meter_green,
        MeterZone::Warn => theme.meter_yellow,
        MeterZone::Over => theme.meter_red,
    }
}

/// Peak-meter ballistics: the displayed level jumps up to a new maximum at once and falls back at
/// `fall_db_per_s`. Returns the new displayed level in dB, never below [`SILENCE_DB`].
pub fn fall_back(displayed_db: f32, new_db: f32, fall_db_per_s: f32, dt_s: f32) -> f32 {
    let dt = if dt_s.is_finite() { dt_s.max(0.0) } else { 0.0 };
    let fallen = displayed_db - fall_db_per_s.max(0.0) * dt;
    let new_db = if new_db.is_nan() { SILENCE_DB } else { new_db };
    fallen.max(new_db).max(SILENCE_DB)
}

/// Format a level for a readout: one decimal with sign, or "-inf" for silence.
pub fn format_level(db: f32) -> String {
    if db <= SILENCE_DB + 0.05 || db.is_nan() {
        "-inf".to_owned()
    } else if db.abs() < 0.05 {
        "0.0".to_owned()
    } else if db > 0.0 {
        format!("+{db:.1}")
    } else {
        format!("{db:.1}")
    }
}

/// GUI-side state of a stereo level meter. Keep one per meter in the editor and feed it once per
/// frame with [`LevelMeterState::update`].
#[derive(Debug, Clone, PartialEq)]
pub struct LevelMeterState {
    /// Displayed sample peak per channel, dBFS (after fall-back).
    pub peak_db: [f32; 2],
    /// Displayed RMS per channel, dBFS (after fall-back).
    pub rms_db: [f32; 2],
    /// Highest sample peak since the last reset, per channel, dBFS.
    pub max_peak_db: [f32; 2],
    /// Highest true peak since the last reset over both channels, dBTP.
    pub max_true_peak_db: f32,
    /// Fall-back rate of the bars, dB per second.
    pub fall_db_per_s: f32,
}

impl Default for LevelMeterState {
    fn default() -> Self {
        Self {
            peak_db: [SILENCE_DB; 2],
            rms_db: [SILENCE_DB; 2],
            max_peak_db: [SILENCE_DB; 2],
            max_true_peak_db: SILENCE_DB,
            fall_db_per_s: PEAK_FALL_DB_PER_S,
        }
    }
}

impl LevelMeterState {
    /// A silent meter with the IEC fall-back rate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Advance the ballistics by `dt_s` seconds (use `ui.input(|i| i.unstable_dt)`) and take in
    /// the maxima read from the audio thread (linear amplitudes, see
    /// [`crate::StereoMeter::take`]).
    pub fn update(&mut self, reading: &StereoReading, dt_s: f32) {
        for ch in 0..2 {
            let peak = gain_to_db(reading.peak[ch]);
            self.peak_db[ch] = fall_back(self.peak_db[ch], peak, self.fall_db_per_s, dt_s);
            let rms = gain_to_db(reading.rms[ch]);
            self.rms_db[ch] = fall_back(self.rms_db[ch], rms, self.fall_db_per_s, dt_s);
            self.max_peak_db[ch] = self.max_peak_db[ch].max(peak);
            self.max_true_peak_db = self.max_true_peak_db.max(gain_to_db(reading.true_peak[ch]));
        }
    }

    /// Clear the held maxima (peak and true peak).
    pub fn reset_hold(&mut self) {
        self.max_peak_db = [SILENCE_DB; 2];
        self.max_true_peak_db = SILENCE_DB;
    }

    /// Highest held sample peak over both channels, dBFS.
    pub fn max_peak(&self) -> f32 {
        self.max_peak_db[0].max(self.max_peak_db[1])
    }
}

/// A vertical stereo level meter drawn from a [`LevelMeterState`]. Clicking it clears the held
/// maxima.
#[must_use = "add the meter to a Ui with `ui.add(meter)`"]
pub struct LevelMeter<'a> {
    state: &'a mut LevelMeterState,
    axis: DbAxis,
    ceiling_db: Option<f32>,
    show_rms: bool,
    label: Option<String>,
    size: Option<Vec2>,
}

impl<'a> LevelMeter<'a> {
    /// A meter over -60..+6 dBFS showing `state`.
    pub fn new(state: &'a mut LevelMeterState) -> Self {
        Self {
            state,
            axis: DbAxis::new(-60.0, 6.0),
            ceiling_db: None,
            show_rms: false,
            label: None,
            size: None,
        }
    }

    /// Scale range in dBFS (bottom, top).
    pub fn with_range(mut self, min_db: f32, max_db: f32) -> Self {
        self.axis = DbAxis::new(min_db, max_db);
        self
    }

    /// Draw a ceiling line at `ceiling_db` (dBFS) and colour levels above it red.
    pub fn with_ceiling(mut self, ceiling_db: f32) -> Self {
        self.ceiling_db = ceiling_db.is_finite().then_some(ceiling_db);
        self
    }

    /// Draw the RMS levels as lighter strips inside the peak bars.
    pub fn with_rms(mut self, show: bool) -> Self {
        self.show_rms = show;
        self
    }

    /// Caption under the meter ("IN", "OUT").
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Size in points. Default: about four body-text heights wide, all the available height.
    pub fn with_size(mut self, size: Vec2) -> Self {
        self.size = Some(size);
        self
    }
}

impl Widget for LevelMeter<'_> {
    fn ui(self, ui: &mut Ui) -> Response {
        let theme = Theme::current(ui.ctx());
        let size = self.size.unwrap_or_else(|| {
            let h = available_or(ui, Vec2::splat(BODY_TEXT_PT * 16.0), 40.0).y;
            Vec2::new(BODY_TEXT_PT * 4.2, h)
        });
        let (rect, response) = ui.allocate_exact_size(size, Sense::click());
        if response.clicked() {
            self.state.reset_hold();
        }
        if ui.is_rect_visible(rect) {
            paint_level_meter(
                ui.painter(),
                rect,
                self.state,
                &self.axis,
                self.ceiling_db,
                self.show_rms,
                self.label.as_deref(),
                &theme,
            );
        }
        response.on_hover_text("Click to reset the held peaks")
    }
}

/// Geometry of a vertical meter: readout band on top, bars plus scale column, optional caption.
pub(crate) struct MeterLayout {
    pub readout: Rect,
    pub bars: Rect,
    pub scale: Rect,
    pub caption: Option<Rect>,
}

impl MeterLayout {
    pub fn new(rect: Rect, readout_rows: usize, caption: bool) -> Self {
        let row = BODY_TEXT_PT * 1.25;
        let gap = SMALL_TEXT_PT * 0.4;
        let top = rect.min.y + readout_rows as f32 * row;
        let bottom = if caption {
            rect.max.y - row
        } else {
            rect.max.y
        };
        let scale_w = (SMALL_TEXT_PT * 2.2).min(rect.width() * 0.45);
        let bars = Rect::from_min_max(
            Pos2::new(rect.min.x, top + gap),
            Pos2::new(rect.max.x - scale_w, bottom - gap),
        );
        Self {
            readout: Rect::from_min_max(rect.min, Pos2::new(rect.max.x, top)),
            scale: Rect::from_min_max(
                Pos2::new(bars.max.x, bars.min.y),
                Pos2::new(rect.max.x, bars.max.y),
            ),
            bars,
            caption: caption.then(|| {
                Rect::from_min_max(
                    Pos2::new(rect.min.x, bottom),
                    Pos2::new(bars.max.x, rect.max.y),
                )
            }),
        }
    }
}

/// Paint a stereo level meter into `rect`; the widget's drawing, usable in custom layouts.
#[allow(clippy::too_many_arguments)]
pub fn paint_level_meter(
    painter: &egui::Painter,
    rect: Rect,
    state: &LevelMeterState,
    axis: &DbAxis,
    ceiling_db: Option<f32>,
    show_rms: bool,
    label: Option<&str>,
    theme: &Theme,
) {
    let layout = MeterLayout::new(rect, 2, label.is_some());
    let clip_db = ceiling_db.unwrap_or(0.0);
    let font = FontId::proportional(SMALL_TEXT_PT);

    // Readouts: held sample peak, then true peak.
    let max_peak = state.max_peak();
    let row_h = layout.readout.height() / 2.0;
    let cx = layout.bars.center().x;
    let over_colour = |db: f32| {
        if db > clip_db {
            theme.meter_red
        } else {
            theme.text
        }
    };
    painter.text(
        Pos2::new(cx, layout.readout.min.y + row_h * 0.5),
        Align2::CENTER_CENTER,
        format_level(max_peak),
        FontId::proportional(BODY_TEXT_PT),
        over_colour(max_peak),
    );
    painter.text(
        Pos2::new(cx, layout.readout.min.y + row_h * 1.5),
        Align2::CENTER_CENTER,
        format!("TP {}", format_level(state.max_true_peak_db)),
        font.clone(),
        if state.max_true_peak_db > clip_db {
            theme.meter_red
        } else {
            theme.text_dim
        },
    );

    let bars = layout.bars;
    let gap = (bars.width() * 0.08).clamp(1.0, 3.0);
    let bar_w = (bars.width() - gap) * 0.5;
    for ch in 0..2 {
        let bar = Rect::from_min_size(
            Pos2::new(bars.min.x + ch as f32 * (bar_w + gap), bars.min.y),
            Vec2::new(bar_w, bars.height()),
        );
        painter.rect_filled(bar, 1.0, theme.background);
        paint_zoned_bar(painter, bar, axis, state.peak_db[ch], clip_db, theme, 0.0);
        if show_rms {
            // RMS as a lighter inner strip: both readings stay legible without mixing colours.
            let inner = bar.shrink2(Vec2::new(bar.width() * 0.3, 0.0));
            paint_zoned_bar(painter, inner, axis, state.rms_db[ch], clip_db, theme, 0.45);
        }
        // Held maximum marker.
        let held = state.max_peak_db[ch];
        if held >= axis.min_db {
            let y = axis.db_to_y_clamped(held, bar.y_range());
            painter.hline(
                bar.x_range(),
                y,
                Stroke::new(2.0, zone_colour(theme, meter_zone(held, clip_db))),
            );
        }
    }

    if let Some(c) = ceiling_db {
        if c >= axis.min_db && c <= axis.max_db {
            let y = axis.db_to_y(c, bars.y_range());
            painter.hline(
                (bars.min.x - 1.0)..=(bars.max.x + 1.0),
                y,
                Stroke::new(1.5, theme.accent),
            );
        }
    }
    painter.rect_stroke(
        bars,
        1.0,
        Stroke::new(1.0, theme.outline),
        egui::StrokeKind::Outside,
    );
    paint_db_scale(painter, layout.scale, axis, theme, egui::Align::Max);

    if let (Some(text), Some(r)) = (label, layout.caption) {
        painter.text(
            r.center(),
            Align2::CENTER_CENTER,
            text,
            font,
            theme.text_dim,
        );
    }
}

/// Paint a bar from the bottom of `bar` up to `level_db`, green/yellow/red by zone, each zone
/// colour lightened by `lighten_by` (0..=1).
fn paint_zoned_bar(
    painter: &egui::Painter,
    bar: Rect,
    axis: &DbAxis,
    level_db: f32,
    clip_db: f32,
    theme: &Theme,
    lighten_by: f32,
) {
    if level_db < axis.min_db {
        return;
    }
    let zones = [
        (axis.min_db, clip_db - WARN_MARGIN_DB, theme.meter_green),
        (clip_db - WARN_MARGIN_DB, clip_db, theme.meter_yellow),
        (clip_db, f32::INFINITY, theme.meter_red),
    ];
    for (lo, hi, colour) in zones {
        let top = level_db.min(hi);
        if top <= lo {
            continue;
        }
        let y0 = axis.db_to_y_clamped(lo.max(axis.min_db), bar.y_range());
        let y1 = axis.db_to_y_clamped(top, bar.y_range());
        if y0 - y1 > 0.0 {
            painter.rect_filled(
                Rect::from_x_y_ranges(bar.x_range(), y1..=y0),
                0.0,
                lighten(colour, lighten_by),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_against_zero_dbfs_and_a_ceiling() {
        assert_eq!(meter_zone(-12.0, 0.0), MeterZone::Safe);
        assert_eq!(meter_zone(-6.0, 0.0), MeterZone::Safe);
        assert_eq!(meter_zone(-5.9, 0.0), MeterZone::Warn);
        assert_eq!(meter_zone(0.0, 0.0), MeterZone::Warn);
        assert_eq!(meter_zone(0.1, 0.0), MeterZone::Over);
        // A -1 dBTP ceiling moves every threshold down by 1 dB.
        assert_eq!(meter_zone(-0.5, -1.0), MeterZone::Over);
        assert_eq!(meter_zone(-6.5, -1.0), MeterZone::Warn);
        assert_eq!(meter_zone(-7.5, -1.0), MeterZone::Safe);
        let t = Theme::default();
        assert_eq!(zone_colour(&t, MeterZone::Over), t.meter_red);
    }

    #[test]
    fn fall_back_is_linear_in_db() {
        // After t seconds without signal the bar has fallen rate * t dB.
        let mut d = 0.0;
        for _ in 0..60 {
            d = fall_back(d, SILENCE_DB, PEAK_FALL_DB_PER_S, 1.0 / 60.0);
        }
        assert!((d + PEAK_FALL_DB_PER_S).abs() < 1e-3, "{d}");
        // The IEC figure: 20 dB in 1.7 s.
        assert!((fall_back(0.0, SILENCE_DB, PEAK_FALL_DB_PER_S, 1.7) + 20.0).abs() < 1e-4);
        // A new peak replaces a lower displayed value at once.
        assert_eq!(fall_back(-30.0, -3.0, PEAK_FALL_DB_PER_S, 0.016), -3.0);
        // Never below silence, NaN input and dt are harmless.
        assert_eq!(fall_back(SILENCE_DB, SILENCE_DB, 100.0, 10.0), SILENCE_DB);
        assert_eq!(fall_back(-10.0, f32::NAN, 10.0, f32::NAN), -10.0);
    }

    #[test]
    fn state_holds_maxima_until_reset() {
        let mut s = LevelMeterState::new();
        let reading = StereoReading {
            peak: [0.5, 1.0],
            true_peak: [0.6, 1.122],
            rms: [0.25, 0.5],
        };
        s.update(&reading, 0.0);
        assert!((s.peak_db[0] + 6.0206).abs() < 1e-3);
        assert!((s.peak_db[1]).abs() < 1e-4);
        assert!((s.rms_db[0] + 12.041).abs() < 1e-3);
        assert!((s.max_true_peak_db - 1.0).abs() < 0.01);
        // Silence for 2 s: bars fall by 2 * rate, held maxima stay.
        s.update(&StereoReading::default(), 2.0);
        assert!((s.peak_db[1] + 2.0 * PEAK_FALL_DB_PER_S).abs() < 1e-3);
        assert!(s.max_peak().abs() < 1e-4);
        s.reset_hold();
        assert_eq!(s.max_peak(), SILENCE_DB);
        assert_eq!(s.max_true_peak_db, SILENCE_DB);
    }

    #[test]
    fn readout_format() {
        assert_eq!(format_level(-0.34), "-0.3");
        assert_eq!(format_level(1.26), "+1.3");
        assert_eq!(format_level(0.0), "0.0");
        assert_eq!(format_level(-0.04), "0.0");
        assert_eq!(format_level(SILENCE_DB), "-inf");
    }

    #[test]
    fn layout_fits_inside_the_rect() {
        let rect = Rect::from_min_size(Pos2::new(10.0, 20.0), Vec2::new(60.0, 300.0));
        let l = MeterLayout::new(rect, 2, true);
        for r in [l.readout, l.bars, l.scale, l.caption.expect("caption")] {
            assert!(rect.expand(0.01).contains_rect(r), "{r:?}");
        }
        assert!(l.bars.height() > 200.0);
        assert_eq!(l.bars.max.x, l.scale.min.x);
    }
}
