//! The decay display: reverberation time against frequency, as set (the
//! three bands and their crossovers) and as measured from the impulse
//! response of the current settings.
//!
//! The measurement renders a fresh kernel's impulse response and fits T30
//! per octave band (`glass_dsp::decay_analysis`), which takes tens of
//! milliseconds to a second depending on the decay, so it runs on a worker
//! thread the editor starts once the settings have rested for a moment;
//! the plot shows the last result, dimmed while it belongs to older
//! settings.

use egui::{Align2, Color32, FontId, Pos2, Rect, Shape, Stroke};
use glass_dsp::decay_analysis::measure_band_decays_while;
use glass_dsp::fdn::FdnParams;
use glass_dsp::reverb::ReverbParams;
use glass_ui::axis::{format_freq, paint_plot_frame, FreqAxis};
use glass_ui::theme::SMALL_TEXT_PT;
use glass_ui::Theme;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Octave-band centres measured, Hz.
pub const BANDS_HZ: [f32; 8] = [
    63.0, 125.0, 250.0, 500.0, 1_000.0, 2_000.0, 4_000.0, 8_000.0,
];
/// How long the settings must rest before a new measurement starts, s
/// (a knob being turned would otherwise start one per frame).
const SETTLE_S: f64 = 0.25;

/// The part of the parameters that shapes the decay, and the sample rate:
/// a measurement is current while these are unchanged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecayKey {
    /// The network's parameters (freeze off: the decay shown is the one the
    /// room has when it is released).
    pub fdn: FdnParams,
    /// Sample rate, Hz.
    pub sample_rate: f32,
}

impl DecayKey {
    /// The key of `params` at `sample_rate` Hz.
    pub fn of(params: &ReverbParams, sample_rate: f32) -> Self {
        Self {
            fdn: FdnParams {
                freeze: false,
                ..params.sanitised().fdn()
            },
            sample_rate,
        }
    }
}

/// One measurement: the settings and the T30 (s) per band of [`BANDS_HZ`]
/// (`None` where the band's decay could not be fitted).
#[derive(Clone, Debug, PartialEq)]
pub struct DecayMeasurement {
    /// What was measured.
    pub key: DecayKey,
    /// RT60 by T30 per band, s.
    pub t30_s: Vec<Option<f32>>,
}

/// Measures `key` (blocking): the settings' impulse response, T30 per band.
pub fn measure(key: DecayKey) -> DecayMeasurement {
    measure_while(key, || true).unwrap_or(DecayMeasurement {
        key,
        t30_s: vec![None; BANDS_HZ.len()],
    })
}

/// [`measure`], given up (`None`) as soon as `keep_going` answers false.
fn measure_while(key: DecayKey, keep_going: impl Fn() -> bool) -> Option<DecayMeasurement> {
    let params = ReverbParams {
        decay_s: key.fdn.decay_s,
        low_multiplier: key.fdn.low_multiplier,
        high_multiplier: key.fdn.high_multiplier,
        low_crossover_hz: key.fdn.low_crossover_hz,
        high_crossover_hz: key.fdn.high_crossover_hz,
        size: key.fdn.size,
        mod_depth_ms: key.fdn.mod_depth_ms,
        mod_rate_hz: key.fdn.mod_rate_hz,
        ..ReverbParams::default()
    };
    measure_band_decays_while(&params, key.sample_rate, &BANDS_HZ, keep_going)
        .map(|t30_s| DecayMeasurement { key, t30_s })
}

/// Keeps a measurement of the current settings coming, one worker thread
/// at a time. Lives on the GUI thread. Dropping it stops and joins the
/// worker: no thread may run the plugin's code once the editor is gone (a
/// host may unload the library right after).
#[derive(Default)]
pub struct DecayMeasurer {
    latest: Option<DecayMeasurement>,
    job: Option<(DecayKey, JoinHandle<Option<DecayMeasurement>>)>,
    /// Raised to make the worker give up.
    stop: Arc<AtomicBool>,
    /// The settings last seen and when they were first seen, s.
    seen: Option<(DecayKey, f64)>,
}

impl DecayMeasurer {
    /// A measurer with nothing measured yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Collects a finished measurement and starts one for `key` once it has
    /// been unchanged for [`SETTLE_S`] at time `now_s` (seconds on any
    /// steady clock), unless it is measured or being measured already.
    pub fn update(&mut self, key: DecayKey, now_s: f64) {
        if self.job.as_ref().is_some_and(|(_, h)| h.is_finished()) {
            if let Some((_, handle)) = self.job.take() {
                // A panicking measurement leaves the previous one shown.
                if let Ok(Some(m)) = handle.join() {
                    self.latest = Some(m);
                }
            }
        }
        match self.seen {
            Some((k, _)) if k == key => {}
            _ => self.seen = Some((key, now_s)),
        }
        let rested = self.seen.is_some_and(|(_, t)| now_s - t >= SETTLE_S);
        let done = self.latest.as_ref().is_some_and(|m| m.key == key);
        if rested && !done && self.job.is_none() && key.sample_rate > 0.0 {
            let stop = self.stop.clone();
            let spawned = std::thread::Builder::new()
                .name("verb-decay".into())
                .spawn(move || measure_while(key, || !stop.load(Ordering::Relaxed)));
            // If no thread can be started the plot keeps showing the set
            // decay only.
            if let Ok(handle) = spawned {
                self.job = Some((key, handle));
            }
        }
    }

    /// True while a measurement runs.
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }

    /// The latest finished measurement, if any.
    pub fn latest(&self) -> Option<&DecayMeasurement> {
        self.latest.as_ref()
    }

    /// Waits for a running measurement and keeps it (for tests and still
    /// pictures).
    pub fn finish(&mut self) {
        if let Some((_, handle)) = self.job.take() {
            if let Ok(Some(m)) = handle.join() {
                self.latest = Some(m);
            }
        }
    }
}

impl Drop for DecayMeasurer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some((_, handle)) = self.job.take() {
            // Gives up within one 32-sample block of the reverb.
            let _ = handle.join();
        }
    }
}

/// A logarithmic seconds axis chosen to hold `values` (s) with room either
/// side: whole 1-2-5 steps from below the smallest to above the largest.
fn seconds_range(values: impl Iterator<Item = f32>) -> (f32, f32) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f32::MAX, 0.0f32), |(a, b), v| (a.min(v), b.max(v)));
    if hi <= 0.0 {
        return (0.1, 10.0);
    }
    let steps = [1.0, 2.0, 5.0];
    let below = |v: f32| {
        let d = 10f32.powf(v.log10().floor());
        steps
            .iter()
            .rev()
            .map(|s| s * d)
            .find(|&s| s <= v)
            .unwrap_or(d)
    };
    let above = |v: f32| {
        let d = 10f32.powf(v.log10().floor());
        steps
            .iter()
            .map(|s| s * d)
            .chain([10.0 * d])
            .find(|&s| s >= v)
            .unwrap_or(10.0 * d)
    };
    let lo = below(lo / 1.6).max(0.02);
    let hi = above(hi * 1.6).min(100.0).max(lo * 4.0);
    (lo, hi)
}

/// Label of a time in seconds: "0.2 s", "1.5 s", "12 s".
pub fn format_seconds(s: f32) -> String {
    if s >= 10.0 {
        format!("{s:.0} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.0} ms", s * 1000.0)
    }
}

/// Paints the decay plot into `rect`: the set RT60 per band (a line with
/// its steps at the crossovers), the measured T30 per octave band (dots,
/// dimmed when `measured` is of other settings), the frequency and seconds
/// grids and a one-line readout.
pub fn paint(
    painter: &egui::Painter,
    rect: Rect,
    params: &ReverbParams,
    key: DecayKey,
    measured: Option<&DecayMeasurement>,
    busy: bool,
    theme: &Theme,
) {
    paint_plot_frame(painter, rect, theme);
    let plot = rect.shrink(1.0);
    let p = params.sanitised();
    let fdn = p.fdn();
    let freq = FreqAxis::new(30.0, 16_000.0);
    let measured_values = measured
        .into_iter()
        .flat_map(|m| m.t30_s.iter().flatten().copied());
    let set_values = [
        fdn.decay_s,
        fdn.decay_s * fdn.low_multiplier,
        fdn.decay_s * fdn.high_multiplier,
    ];
    let (lo, hi) = seconds_range(set_values.into_iter().chain(measured_values));
    let (llo, lhi) = (lo.log10(), hi.log10());
    let top = plot.min.y + SMALL_TEXT_PT * 1.8;
    let bottom = plot.max.y - SMALL_TEXT_PT * 1.6;
    let y_of = |s: f32| {
        let t = (s.max(lo).log10() - llo) / (lhi - llo);
        bottom - t.clamp(0.0, 1.0) * (bottom - top)
    };
    let x_of = |f: f32| freq.freq_to_x(f, plot.x_range());
    let font = FontId::proportional(SMALL_TEXT_PT);

    // Grids.
    for t in freq.ticks(plot.width()) {
        let x = x_of(t.value);
        let stroke = Stroke::new(
            1.0,
            if t.major {
                theme.grid_major
            } else {
                theme.grid
            },
        );
        painter.vline(x, egui::Rangef::new(top, bottom), stroke);
        painter.text(
            Pos2::new(x + 3.0, plot.max.y - 3.0),
            Align2::LEFT_BOTTOM,
            format_freq(t.value),
            font.clone(),
            theme.text_dim,
        );
    }
    let mut decade = 10f32.powf(llo.floor());
    while decade <= hi {
        for step in [1.0, 2.0, 5.0] {
            let s = decade * step;
            if s < lo * 0.999 || s > hi * 1.001 {
                continue;
            }
            let y = y_of(s);
            let major = step == 1.0;
            painter.hline(
                plot.x_range(),
                y,
                Stroke::new(1.0, if major { theme.grid_major } else { theme.grid }),
            );
            // Labels under the readout line would collide with it.
            if y - SMALL_TEXT_PT < top {
                continue;
            }
            painter.text(
                Pos2::new(plot.min.x + 4.0, y - 1.0),
                Align2::LEFT_BOTTOM,
                format_seconds(s),
                font.clone(),
                theme.text_dim,
            );
        }
        decade *= 10.0;
    }

    // The set decay: a step function of frequency (the shelves blend
    // around the crossovers; the steps mark where).
    let set_colour = theme.accent;
    let n = plot.width().max(2.0) as usize;
    let points: Vec<Pos2> = (0..=n)
        .map(|i| {
            let x = plot.min.x + plot.width() * i as f32 / n as f32;
            let f = freq.x_to_freq(x, plot.x_range());
            Pos2::new(x, y_of(fdn.band_decay_s(f)))
        })
        .collect();
    painter.add(Shape::line(points, Stroke::new(2.0, set_colour)));
    for xover in [fdn.low_crossover_hz, fdn.high_crossover_hz] {
        let x = x_of(xover);
        painter.vline(
            x,
            egui::Rangef::new(top, bottom),
            Stroke::new(1.0, set_colour.gamma_multiply(0.35)),
        );
    }

    // The measured decay.
    let current = measured.is_some_and(|m| m.key == key);
    let dot = if current {
        theme.text
    } else {
        theme.text_dim.gamma_multiply(0.6)
    };
    if let Some(m) = measured {
        for (&f, t) in BANDS_HZ.iter().zip(&m.t30_s) {
            if let Some(t) = t {
                let c = Pos2::new(x_of(f), y_of(*t));
                painter.circle(c, 4.0, Color32::TRANSPARENT, Stroke::new(2.0, dot));
            }
        }
    }

    // Readout.
    let frozen = if p.freeze { " · FROZEN: endless" } else { "" };
    let mid = measured
        .filter(|_| current)
        .map(|m| {
            let mids: Vec<f32> = BANDS_HZ
                .iter()
                .zip(&m.t30_s)
                .filter(|(f, _)| (500.0..=2_000.0).contains(*f))
                .filter_map(|(_, t)| *t)
                .collect();
            if mids.is_empty() {
                "measured: no fit".to_owned()
            } else {
                let avg = mids.iter().sum::<f32>() / mids.len() as f32;
                format!("measured 500 Hz–2 kHz {}", format_seconds(avg))
            }
        })
        .unwrap_or_else(|| {
            if busy {
                "measuring…".to_owned()
            } else {
                String::new()
            }
        });
    painter.text(
        Pos2::new(plot.min.x + 6.0, plot.min.y + 4.0),
        Align2::LEFT_TOP,
        format!(
            "RT60  set: low {} · mid {} · high {}{frozen}",
            format_seconds(set_values[1]),
            format_seconds(set_values[0]),
            format_seconds(set_values[2]),
        ),
        font.clone(),
        set_colour,
    );
    let legend = painter.text(
        Pos2::new(plot.max.x - 6.0, plot.min.y + 4.0),
        Align2::RIGHT_TOP,
        mid,
        font,
        dot,
    );
    if measured.is_some() {
        painter.circle(
            Pos2::new(legend.min.x - 9.0, legend.center().y),
            4.0,
            Color32::TRANSPARENT,
            Stroke::new(2.0, dot),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seconds_axis_holds_every_value_on_whole_steps() {
        let (lo, hi) = seconds_range([2.0f32, 1.0, 4.0].into_iter());
        assert!(lo <= 1.0 / 1.6 && hi >= 4.0 * 1.6, "{lo} {hi}");
        for v in [lo, hi] {
            let m = v / 10f32.powf(v.log10().floor());
            assert!(
                [1.0f32, 2.0, 5.0, 10.0]
                    .iter()
                    .any(|s| (m - s).abs() < 1e-3),
                "{v}"
            );
        }
        assert_eq!(seconds_range(std::iter::empty()), (0.1, 10.0));
        let (lo, hi) = seconds_range([30.0f32, 120.0].into_iter());
        assert!(lo < 30.0 && hi <= 100.0 && hi > lo);
    }

    #[test]
    fn a_measurement_starts_once_the_settings_rest_and_matches_them() {
        let mut m = DecayMeasurer::new();
        let p = ReverbParams {
            decay_s: 0.8,
            ..ReverbParams::default()
        };
        let key = DecayKey::of(&p, 48_000.0);
        m.update(key, 0.0);
        assert!(!m.busy(), "started before the settings rested");
        m.update(key, 0.3);
        assert!(m.busy());
        m.finish();
        let got = m.latest().cloned().expect("a measurement");
        assert_eq!(got.key, key);
        // The mid bands decay as set (the kernel's tests hold it to 5 %).
        for (&f, t) in BANDS_HZ.iter().zip(&got.t30_s) {
            if (500.0..=2_000.0).contains(&f) {
                let t = t.expect("mid band fitted");
                assert!((t / 0.8 - 1.0).abs() < 0.1, "{f} Hz: {t} s");
            }
        }
        // Nothing new for unchanged settings.
        m.update(key, 1.0);
        assert!(!m.busy());
    }

    #[test]
    fn a_stopped_measurement_gives_up_instead_of_finishing() {
        // The longest decay at 192 kHz renders over 100 s of audio (seconds
        // of work); raised, the stop flag ends it at the next block, as
        // dropping the measurer does before joining.
        let p = ReverbParams {
            decay_s: 30.0,
            low_multiplier: 4.0,
            ..ReverbParams::default()
        };
        let mut m = DecayMeasurer::new();
        let key = DecayKey::of(&p, 192_000.0);
        m.update(key, 0.0);
        m.update(key, 1.0);
        assert!(m.busy());
        m.stop.store(true, Ordering::Relaxed);
        m.finish();
        assert!(m.latest().is_none(), "the measurement ran to its end");
    }
}
