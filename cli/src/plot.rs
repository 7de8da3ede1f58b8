//! Loudness-over-time plots (`glass loudness --plot out.png`): one panel per file with the
//! momentary and short-term loudness, the integrated loudness and the target line.
//!
//! Drawn with plotters into an RGB buffer and written with the `png` encoder; the text uses the
//! Ubuntu Light font that ships inside `epaint_default_fonts` (the one the editors use), so
//! nothing depends on the fonts installed on the machine.

use crate::atomic::write_atomically;
use crate::loudness::{LoudnessCurve, LoudnessReport};
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::Once;

/// Picture width in pixels.
pub const WIDTH: u32 = 1200;
/// Height of one file's panel in pixels.
pub const PANEL_HEIGHT: u32 = 380;

/// One file to draw.
pub struct PlotItem<'a> {
    /// Panel title (the file name).
    pub title: String,
    /// Its figures.
    pub report: &'a LoudnessReport,
    /// Its loudness over time.
    pub curve: &'a LoudnessCurve,
}

const FONT: &str = "glass-sans";

fn register_font() -> Result<(), String> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        )
        .map_err(|_| "the built-in plot font could not be loaded".to_string());
    });
    result
}

const MOMENTARY: RGBColor = RGBColor(140, 190, 235);
const SHORT_TERM: RGBColor = RGBColor(20, 80, 170);
const TARGET: RGBColor = RGBColor(210, 40, 40);
const INTEGRATED: RGBColor = RGBColor(30, 150, 70);

/// Runs of finite values as (time, value) points, values clamped to `floor`.
fn segments(values: &[f32], step_s: f64, floor: f64) -> Vec<Vec<(f64, f64)>> {
    let mut runs = Vec::new();
    let mut run = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if v.is_finite() {
            run.push(((i + 1) as f64 * step_s, f64::from(*v).max(floor)));
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// The loudness axis: from 12 LU under the quieter of the target and the 10th percentile of
/// the short-term loudness (at least -70) to 3 LU over the loudest momentary value or the
/// target, in whole multiples of 3 LU.
fn y_range(item: &PlotItem<'_>, target: f64) -> (f64, f64) {
    let mut finite: Vec<f64> = item
        .curve
        .short_term
        .iter()
        .chain(&item.curve.momentary)
        .filter(|v| v.is_finite())
        .map(|&v| f64::from(v))
        .collect();
    finite.sort_by(f64::total_cmp);
    let low = finite.get(finite.len() / 10).copied().unwrap_or(target);
    let high = finite.last().copied().unwrap_or(target);
    let lo = ((low.min(target) - 12.0) / 3.0).floor() * 3.0;
    let hi = ((high.max(target) + 3.0) / 3.0).ceil() * 3.0;
    (lo.max(-72.0), hi.min(12.0).max(lo + 6.0))
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    item: &PlotItem<'_>,
    target: f64,
) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("plot: {e}");
    let (lo, hi) = y_range(item, target);
    let r = item.report;
    let number = |v: f64, unit: &str| {
        if v.is_finite() {
            format!("{v:.1} {unit}")
        } else {
            "-".to_string()
        }
    };
    let caption = format!(
        "{}   integrated {}, LRA {}, true peak {}",
        item.title,
        number(r.integrated_lufs, "LUFS"),
        number(r.loudness_range_lu, "LU"),
        number(r.true_peak_dbtp, "dBTP")
    );
    let duration = r.duration_s.max(item.curve.step_s);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..duration, lo..hi)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("loudness (LUFS)")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(205, 205, 205))
        .draw()
        .map_err(|e| err(&e))?;
    let series: [(&[f32], RGBColor, u32, &str); 2] = [
        (&item.curve.momentary, MOMENTARY, 1, "momentary (400 ms)"),
        (&item.curve.short_term, SHORT_TERM, 2, "short-term (3 s)"),
    ];
    for (values, colour, width, label) in series {
        for (i, run) in segments(values, item.curve.step_s, lo)
            .into_iter()
            .enumerate()
        {
            let drawn = chart
                .draw_series(LineSeries::new(run, colour.stroke_width(width)))
                .map_err(|e| err(&e))?;
            if i == 0 {
                drawn.label(label).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(width))
                });
            }
        }
    }
    chart
        .draw_series(LineSeries::new(
            [(0.0, target), (duration, target)],
            TARGET.stroke_width(2),
        ))
        .map_err(|e| err(&e))?
        .label(format!("target {target} LUFS"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], TARGET.stroke_width(2)));
    if r.integrated_lufs.is_finite() {
        let i = r.integrated_lufs;
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, i), (duration, i)],
                8,
                5,
                INTEGRATED.stroke_width(2),
            ))
            .map_err(|e| err(&e))?
            .label(format!("integrated {i:.1} LUFS"))
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], INTEGRATED.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(190, 190, 190))
        .draw()
        .map_err(|e| err(&e))?;
    Ok(())
}

/// Draws `items` stacked (one panel each) with the `target` line, as an RGB8 picture of
/// [`WIDTH`] × (`items` × [`PANEL_HEIGHT`]) pixels.
pub fn render(items: &[PlotItem<'_>], target: f64) -> Result<(u32, u32, Vec<u8>), String> {
    register_font()?;
    let height = PANEL_HEIGHT * items.len().max(1) as u32;
    let mut rgb = vec![255u8; (WIDTH * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| format!("plot: {e}"))?;
        let panels = root.split_evenly((items.len().max(1), 1));
        for (area, item) in panels.iter().zip(items) {
            draw_panel(area, item, target)?;
        }
        root.present().map_err(|e| format!("plot: {e}"))?;
    }
    Ok((WIDTH, height, rgb))
}

/// Draws `items` and writes the picture to `path` as PNG, atomically.
pub fn write_png(path: &Path, items: &[PlotItem<'_>], target: f64) -> Result<(), String> {
    let (width, height, rgb) = render(items, target)?;
    write_atomically(path, |out| {
        let mut encoder = png::Encoder::new(out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
        writer
            .write_image_data(&rgb)
            .map_err(std::io::Error::other)?;
        writer.finish().map_err(std::io::Error::other)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silent_stretches_split_the_trace() {
        let values = [f32::NEG_INFINITY, -20.0, -21.0, f32::NEG_INFINITY, -90.0];
        let runs = segments(&values, 0.1, -60.0);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0], vec![(0.2, -20.0), (0.30000000000000004, -21.0)]);
        assert_eq!(runs[1], vec![(0.5, -60.0)]);
    }

    #[test]
    fn the_target_line_is_drawn_where_the_axis_puts_it() {
        let curve = LoudnessCurve {
            step_s: 0.1,
            momentary: vec![-14.0; 100],
            short_term: vec![-14.0; 100],
        };
        let report = LoudnessReport {
            integrated_lufs: -14.0,
            short_term_max_lufs: -14.0,
            momentary_max_lufs: -14.0,
            loudness_range_lu: 0.0,
            true_peak_dbtp: -1.0,
            sample_peak_dbfs: -1.0,
            plr_db: 13.0,
            duration_s: 10.0,
        };
        let item = PlotItem {
            title: "x".into(),
            report: &report,
            curve: &curve,
        };
        let (w, h, rgb) = render(&[item], -23.0).expect("render");
        assert_eq!((w, h), (WIDTH, PANEL_HEIGHT));
        let count = |colour: RGBColor| {
            rgb.chunks_exact(3)
                .filter(|p| p[0] == colour.0 && p[1] == colour.1 && p[2] == colour.2)
                .count()
        };
        // The red target line and the blue traces are there, and text was rendered (dark
        // anti-aliased pixels other than the trace colours).
        assert!(count(TARGET) > 500, "target line pixels: {}", count(TARGET));
        assert!(
            count(SHORT_TERM) > 500,
            "short-term pixels: {}",
            count(SHORT_TERM)
        );
        let dark = rgb
            .chunks_exact(3)
            .filter(|p| p[0] < 100 && p[1] < 100 && p[2] < 100)
            .count();
        assert!(dark > 500, "no text drawn ({dark} dark pixels)");
    }
}
