//! Spectrum analyser view: FFT magnitudes on the same log-frequency axis as the response curve,
//! smoothed across frequency and time, filled, with optional slope compensation.
//!
//! Input is one frame of magnitudes in dB over linear FFT bins, `bins_db[k]` at
//! `k · sample_rate / (2 · (len − 1))` Hz, i.e. the `fft_size / 2 + 1` bins of a real FFT. Where a
//! pixel column spans several bins (high frequencies) it shows their maximum, so a pure tone reads
//! its true level however many bins share the column; where a column is narrower than a bin (low
//! frequencies) the bins are interpolated linearly in dB so the trace does not staircase.
//!
//! Slope compensation adds `slope · log2(f / pivot)` dB. Music falls at roughly 3–6 dB/octave;
//! 4.5 dB/octave around 1 kHz (the Pro-Q default) makes a typical mix read flat, so deviations
//! stand out.

use crate::layout::available_or;
use egui::{Color32, Pos2, Rect, Response, Sense, Shape, Stroke, Ui, Vec2};

use crate::axis::{paint_freq_db_grid, paint_plot_frame, DbAxis, FreqAxis};
use crate::db::SILENCE_DB;
use crate::history::fill_to_baseline;
use crate::theme::{Theme, BODY_TEXT_PT};

/// Default slope compensation, dB per octave.
pub const DEFAULT_TILT_DB_PER_OCT: f32 = 4.5;
/// Default pivot of the slope compensation, Hz.
pub const DEFAULT_PIVOT_HZ: f32 = 1000.0;
/// Default frequency smoothing width, octaves.
pub const DEFAULT_SMOOTHING_OCT: f32 = 1.0 / 6.0;

/// Slope-compensation offset in dB at `freq_hz` for `slope_db_per_oct` around `pivot_hz`.
pub fn tilt_db(freq_hz: f32, pivot_hz: f32, slope_db_per_oct: f32) -> f32 {
    if slope_db_per_oct == 0.0 || freq_hz <= 0.0 || pivot_hz <= 0.0 {
        0.0
    } else {
        slope_db_per_oct * (freq_hz / pivot_hz).log2()
    }
}

/// Centre frequency (Hz, geometric) of pixel column `i` of `columns` across `freq`.
pub fn column_centre_hz(freq: &FreqAxis, i: usize, columns: usize) -> f32 {
    freq.fraction_to_freq((i as f32 + 0.5) / columns.max(1) as f32)
}

/// One analyser frame prepared for drawing.
#[derive(Clone, Copy)]
pub struct Spectrum<'a> {
    bins_db: &'a [f32],
    sample_rate_hz: f32,
    tilt_db_per_oct: f32,
    pivot_hz: f32,
    smoothing_oct: f32,
    colour: Option<Color32>,
    fill_alpha: f32,
}

impl<'a> Spectrum<'a> {
    /// A spectrum of `bins_db` (dB over the `fft_size / 2 + 1` linear bins of a real FFT) at
    /// `sample_rate_hz`, with the default 4.5 dB/oct tilt and 1/6-octave smoothing.
    pub fn new(bins_db: &'a [f32], sample_rate_hz: f32) -> Self {
        Self {
            bins_db,
            sample_rate_hz,
            tilt_db_per_oct: DEFAULT_TILT_DB_PER_OCT,
            pivot_hz: DEFAULT_PIVOT_HZ,
            smoothing_oct: DEFAULT_SMOOTHING_OCT,
            colour: None,
            fill_alpha: 0.35,
        }
    }

    /// Slope compensation in dB per octave (0 = off) around `pivot_hz`.
    pub fn tilt(mut self, db_per_oct: f32, pivot_hz: f32) -> Self {
        self.tilt_db_per_oct = if db_per_oct.is_finite() {
            db_per_oct
        } else {
            0.0
        };
        self.pivot_hz = if pivot_hz.is_finite() && pivot_hz > 0.0 {
            pivot_hz
        } else {
            DEFAULT_PIVOT_HZ
        };
        self
    }

    /// Frequency smoothing width in octaves (0 = off).
    pub fn smoothing(mut self, octaves: f32) -> Self {
        self.smoothing_oct = if octaves.is_finite() {
            octaves.max(0.0)
        } else {
            0.0
        };
        self
    }

    /// Line colour (default: the theme's analyser colour); the fill uses it at `fill_alpha`.
    pub fn colour(mut self, colour: Color32) -> Self {
        self.colour = Some(colour);
        self
    }

    /// Opacity of the fill under the trace, 0..=1 (default 0.35; 0 = no fill).
    pub fn fill(mut self, alpha: f32) -> Self {
        self.fill_alpha = alpha.clamp(0.0, 1.0);
        self
    }

    /// Width of one bin in Hz, or `None` with fewer than two bins or a bad sample rate.
    pub fn bin_hz(&self) -> Option<f32> {
        let n = self.bins_db.len();
        (n >= 2 && self.sample_rate_hz.is_finite() && self.sample_rate_hz > 0.0)
            .then(|| self.sample_rate_hz / (2.0 * (n - 1) as f32))
    }

    /// Level in dB (before tilt and smoothing) at `freq_hz`, interpolated linearly between bins;
    /// `None` above Nyquist or without data.
    pub fn interpolated_db(&self, freq_hz: f32) -> Option<f32> {
        let bin_hz = self.bin_hz()?;
        let pos = freq_hz / bin_hz;
        let last = (self.bins_db.len() - 1) as f32;
        if !(0.0..=last).contains(&pos) {
            return None;
        }
        let k = (pos.floor() as usize).min(self.bins_db.len() - 2);
        let t = pos - k as f32;
        let (a, b) = (clean(self.bins_db[k]), clean(self.bins_db[k + 1]));
        Some(a + (b - a) * t)
    }

    /// Level in dB per pixel column across `freq` (tilt and smoothing applied); `None` for
    /// columns above Nyquist.
    pub fn column_levels(&self, freq: &FreqAxis, columns: usize) -> Vec<Option<f32>> {
        let Some(bin_hz) = self.bin_hz() else {
            return vec![None; columns];
        };
        let last_bin = self.bins_db.len() - 1;
        let mut raw: Vec<Option<f32>> = (0..columns)
            .map(|i| {
                let lo = freq.fraction_to_freq(i as f32 / columns as f32);
                let hi = freq.fraction_to_freq((i + 1) as f32 / columns as f32);
                let centre = (lo * hi).sqrt();
                let first = (lo / bin_hz).ceil() as usize;
                let end = (hi / bin_hz).floor() as usize;
                if first > last_bin {
                    None
                } else if end >= first && hi - lo >= bin_hz {
                    let end = end.min(last_bin);
                    let max = self.bins_db[first..=end]
                        .iter()
                        .map(|&v| clean(v))
                        .fold(f32::NEG_INFINITY, f32::max);
                    Some(max)
                } else {
                    self.interpolated_db(centre)
                }
            })
            .collect();

        if self.smoothing_oct > 0.0 && columns > 1 {
            let oct_per_col = freq.octaves() / columns as f32;
            let half = (0.5 * self.smoothing_oct / oct_per_col).round() as usize;
            if half > 0 {
                raw = box_smooth(&raw, half);
            }
        }
        if self.tilt_db_per_oct != 0.0 {
            for (i, v) in raw.iter_mut().enumerate() {
                if let Some(v) = v {
                    let f = column_centre_hz(freq, i, columns);
                    *v += tilt_db(f, self.pivot_hz, self.tilt_db_per_oct);
                }
            }
        }
        raw
    }

    /// Paint the trace and fill into `rect` over the given axes (no frame or grid), e.g. under a
    /// [`crate::ResponsePlot`].
    pub fn paint(
        &self,
        painter: &egui::Painter,
        rect: Rect,
        freq: &FreqAxis,
        db: &DbAxis,
        theme: &Theme,
    ) {
        let columns = ((rect.width() * painter.pixels_per_point()).round() as usize).max(2);
        let levels = self.column_levels(freq, columns);
        let col_w = rect.width() / columns as f32;
        let points: Vec<(f32, Option<f32>)> = levels
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    rect.min.x + (i as f32 + 0.5) * col_w,
                    v.map(|v| db.db_to_y_clamped(v, rect.y_range())),
                )
            })
            .collect();
        let colour = self.colour.unwrap_or(theme.analyser);
        if self.fill_alpha > 0.0 {
            painter.add(fill_to_baseline(
                &points,
                rect.max.y,
                colour.gamma_multiply(self.fill_alpha),
            ));
        }
        let line: Vec<Pos2> = points
            .iter()
            .filter_map(|&(x, y)| y.map(|y| Pos2::new(x, y)))
            .collect();
        if line.len() > 1 {
            painter.add(Shape::line(
                line,
                Stroke::new(1.0, colour.gamma_multiply(0.8)),
            ));
        }
    }

    /// A stand-alone analyser: frame, grid and trace over 10 Hz – 30 kHz and `min_db..max_db`,
    /// filling the available space.
    pub fn show(self, ui: &mut Ui, min_db: f32, max_db: f32) -> Response {
        let theme = Theme::current(ui.ctx());
        let size = available_or(
            ui,
            Vec2::new(BODY_TEXT_PT * 36.0, BODY_TEXT_PT * 16.0),
            16.0,
        );
        let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
        if ui.is_rect_visible(rect) {
            let painter = ui.painter();
            paint_plot_frame(painter, rect, &theme);
            let plot = rect.shrink(1.0);
            let painter = painter.with_clip_rect(plot.intersect(painter.clip_rect()));
            let freq = FreqAxis::default();
            let db = DbAxis::new(min_db, max_db);
            self.paint(&painter, plot, &freq, &db, &theme);
            paint_freq_db_grid(&painter, plot, &freq, &db, &theme);
        }
        response
    }
}

/// GUI-side time smoothing of analyser frames: each bin jumps up to a louder value at once and
/// falls back at `fall_db_per_s`, the usual analyser "release".
#[derive(Debug, Clone)]
pub struct SpectrumAverager {
    bins_db: Vec<f32>,
    /// Fall-back rate in dB per second.
    pub fall_db_per_s: f32,
}

impl SpectrumAverager {
    /// An averager for `bins` bins starting at silence, falling at `fall_db_per_s`.
    pub fn new(bins: usize, fall_db_per_s: f32) -> Self {
        Self {
            bins_db: vec![SILENCE_DB; bins],
            fall_db_per_s: fall_db_per_s.max(0.0),
        }
    }

    /// Take in a new frame (dB per bin) after `dt_s` seconds. A frame of a different length
    /// resets the state to that length.
    pub fn update(&mut self, frame_db: &[f32], dt_s: f32) {
        if frame_db.len() != self.bins_db.len() {
            self.bins_db = vec![SILENCE_DB; frame_db.len()];
        }
        let fall = self.fall_db_per_s * if dt_s.is_finite() { dt_s.max(0.0) } else { 0.0 };
        for (s, &new) in self.bins_db.iter_mut().zip(frame_db) {
            *s = (*s - fall).max(clean(new)).max(SILENCE_DB);
        }
    }

    /// The smoothed frame, dB per bin.
    pub fn bins_db(&self) -> &[f32] {
        &self.bins_db
    }
}

fn clean(db: f32) -> f32 {
    if db.is_nan() {
        SILENCE_DB
    } else {
        db.clamp(SILENCE_DB, 200.0)
    }
}

/// Centred moving average over ±`half` columns, skipping missing columns.
fn box_smooth(values: &[Option<f32>], half: usize) -> Vec<Option<f32>> {
    let n = values.len();
    // Prefix sums over defined values make this O(n) whatever the width.
    let mut sum = vec![0.0f64; n + 1];
    let mut count = vec![0usize; n + 1];
    for (i, v) in values.iter().enumerate() {
        sum[i + 1] = sum[i] + v.map_or(0.0, f64::from);
        count[i + 1] = count[i] + usize::from(v.is_some());
    }
    (0..n)
        .map(|i| {
            values[i]?;
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(n);
            let c = count[hi] - count[lo];
            (c > 0).then(|| ((sum[hi] - sum[lo]) / c as f64) as f32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f32 = 48_000.0;

    #[test]
    fn bin_width_of_a_real_fft() {
        let bins = vec![0.0; 1025];
        let s = Spectrum::new(&bins, SR);
        assert_eq!(s.bin_hz(), Some(23.4375));
        assert_eq!(Spectrum::new(&bins[..1], SR).bin_hz(), None);
        assert_eq!(Spectrum::new(&bins, 0.0).bin_hz(), None);
    }

    #[test]
    fn a_tone_reads_its_level_in_its_column() {
        let mut bins = vec![-100.0; 1025];
        bins[100] = 0.0; // 2343.75 Hz
        let freq = FreqAxis::new(20.0, 20_000.0);
        let s = Spectrum::new(&bins, SR).tilt(0.0, 1000.0).smoothing(0.0);
        let cols = s.column_levels(&freq, 500);
        let (i, v) = cols
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i, v)))
            .fold((0, f32::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
        assert_eq!(v, 0.0);
        let lo = freq.fraction_to_freq(i as f32 / 500.0);
        let hi = freq.fraction_to_freq((i + 1) as f32 / 500.0);
        assert!(lo <= 2343.75 && 2343.75 <= hi, "{lo}..{hi}");
        // Exactly one column holds the tone.
        assert_eq!(cols.iter().filter(|v| **v == Some(0.0)).count(), 1);
    }

    #[test]
    fn low_columns_interpolate_between_bins() {
        // A ramp linear in frequency: bins_db[k] = -0.5 k.
        let bins: Vec<f32> = (0..1025).map(|k| -0.5 * k as f32).collect();
        let freq = FreqAxis::new(20.0, 20_000.0);
        let s = Spectrum::new(&bins, SR).tilt(0.0, 1000.0).smoothing(0.0);
        let cols = s.column_levels(&freq, 500);
        let bin_hz = 23.4375;
        for i in [0usize, 10, 50, 100] {
            let fc = column_centre_hz(&freq, i, 500);
            let expected = -0.5 * fc / bin_hz;
            let got = cols[i].expect("below Nyquist");
            assert!(
                (got - expected).abs() < 1e-3,
                "col {i}: {got} vs {expected}"
            );
        }
    }

    #[test]
    fn slope_compensation_is_db_per_octave_around_the_pivot() {
        assert_eq!(tilt_db(1000.0, 1000.0, 4.5), 0.0);
        assert!((tilt_db(2000.0, 1000.0, 4.5) - 4.5).abs() < 1e-5);
        assert!((tilt_db(250.0, 1000.0, 4.5) + 9.0).abs() < 1e-5);

        let bins = vec![-50.0; 1025];
        let freq = FreqAxis::new(20.0, 20_000.0);
        let s = Spectrum::new(&bins, SR).tilt(4.5, 1000.0);
        let cols = s.column_levels(&freq, 400);
        for i in [5usize, 200, 390] {
            let fc = column_centre_hz(&freq, i, 400);
            let expected = -50.0 + 4.5 * (fc / 1000.0).log2();
            assert!((cols[i].expect("data") - expected).abs() < 1e-3);
        }
    }

    #[test]
    fn nothing_is_drawn_above_nyquist() {
        let bins = vec![-20.0; 513];
        let freq = FreqAxis::new(20.0, 20_000.0);
        let s = Spectrum::new(&bins, 16_000.0).tilt(0.0, 1000.0);
        let cols = s.column_levels(&freq, 300);
        for (i, v) in cols.iter().enumerate() {
            let lo = freq.fraction_to_freq(i as f32 / 300.0);
            if lo > 8000.0 {
                assert!(v.is_none(), "column {i} at {lo} Hz");
            } else if freq.fraction_to_freq((i + 1) as f32 / 300.0) < 8000.0 {
                assert_eq!(*v, Some(-20.0));
            }
        }
    }

    #[test]
    fn smoothing_keeps_flat_spectra_flat_and_spreads_peaks() {
        let flat = vec![-30.0; 1025];
        let freq = FreqAxis::new(20.0, 20_000.0);
        let cols = Spectrum::new(&flat, SR)
            .tilt(0.0, 1000.0)
            .smoothing(1.0)
            .column_levels(&freq, 400);
        assert!(cols
            .iter()
            .all(|v| v.is_some_and(|v| (v + 30.0).abs() < 1e-4)));

        let spike = [
            Some(-100.0),
            Some(-100.0),
            Some(0.0),
            Some(-100.0),
            Some(-100.0),
        ];
        let s = box_smooth(&spike, 1);
        // Each output is the mean of three neighbours (two at the ends).
        assert!((s[2].expect("v") - (-200.0 / 3.0)).abs() < 1e-4);
        assert!((s[1].expect("v") - (-200.0 / 3.0)).abs() < 1e-4);
        assert!((s[0].expect("v") + 100.0).abs() < 1e-4);
        assert_eq!(box_smooth(&[None, Some(1.0)], 3), vec![None, Some(1.0)]);
    }

    #[test]
    fn averager_rises_at_once_and_falls_at_its_rate() {
        let mut a = SpectrumAverager::new(2, 20.0);
        a.update(&[-10.0, -40.0], 0.0);
        assert_eq!(a.bins_db(), &[-10.0, -40.0]);
        a.update(&[-100.0, -20.0], 0.5);
        assert_eq!(a.bins_db(), &[-20.0, -20.0]);
        a.update(&[f32::NAN, -100.0], 0.25);
        assert_eq!(a.bins_db(), &[-25.0, -25.0]);
        a.update(&[0.0; 3], 0.1);
        assert_eq!(a.bins_db().len(), 3);
    }
}
