//! Renders every glass-ui widget into a PNG without a window or GPU, to review the look.
//!
//! ```text
//! cargo run -p glass-ui --example gallery -- [out.png] [pixels_per_point] [width_pt] [height_pt]
//! ```
//!
//! The picture comes from [`glass_ui::snapshot`].

use std::f32::consts::PI;
use std::io::Write;

use egui::{Pos2, Rect, Ui, UiBuilder, Vec2};
use glass_ui::{
    accent, snapshot, CurveNode, GrMeter, GrMeterState, HistoryBuffer, HistoryGraph, LevelMeter,
    LevelMeterState, ParamChoice, ParamKnob, ParamSlider, ParamToggle, ResponsePlot, Spectrum,
    StereoReading, Theme, Trace, TraceStyle, ValueKnob,
};
use nice_plug::prelude::{BoolParam, Enum, EnumParam, FloatParam, FloatRange, ParamSetter};

#[derive(Enum, Debug, PartialEq, Clone, Copy)]
enum Style {
    Transparent,
    Punchy,
    Dense,
    Safe,
}

struct Params {
    gain: FloatParam,
    ceiling: FloatParam,
    release: FloatParam,
    lookahead: FloatParam,
    link: FloatParam,
    true_peak: BoolParam,
    bypass: BoolParam,
    style: EnumParam<Style>,
}

fn params() -> Params {
    let db = |name: &str, default: f32, min: f32, max: f32| {
        FloatParam::new(name, default, FloatRange::Linear { min, max })
            .with_unit(" dB")
            .with_step_size(0.1)
    };
    Params {
        gain: db("Gain", 4.5, -12.0, 24.0),
        ceiling: db("Ceiling", -1.0, -24.0, 0.0),
        release: FloatParam::new(
            "Release",
            120.0,
            FloatRange::Skewed {
                min: 1.0,
                max: 1000.0,
                factor: FloatRange::skew_factor(-2.0),
            },
        )
        .with_unit(" ms")
        .with_step_size(1.0),
        lookahead: FloatParam::new(
            "Lookahead",
            2.0,
            FloatRange::Linear {
                min: 0.0,
                max: 10.0,
            },
        )
        .with_unit(" ms")
        .with_step_size(0.1),
        link: FloatParam::new(
            "Stereo link",
            75.0,
            FloatRange::Linear {
                min: 0.0,
                max: 100.0,
            },
        )
        .with_unit(" %")
        .with_step_size(1.0),
        true_peak: BoolParam::new("True peak", true),
        bypass: BoolParam::new("Bypass", false),
        style: EnumParam::new("Style", Style::Punchy),
    }
}

/// Synthetic program material for the graphs: a kick-like level envelope with a limiter
/// holding the output at the ceiling.
fn history() -> HistoryBuffer<3> {
    let mut h = HistoryBuffer::<3>::new(6.0, 60.0);
    for i in 0..h.capacity() {
        let t = i as f32 / 60.0;
        let beat = (t * 2.0).fract();
        let input = -14.0 + 16.0 * (-beat * 6.0).exp() + 2.0 * (t * 1.3).sin();
        let gr = (input + 4.5 - (-1.0)).max(0.0);
        let output = (input + 4.5).min(-1.0);
        h.push([input, output, gr]);
    }
    h
}

/// A pink-ish noise spectrum with a few tones, 4096-point FFT at 48 kHz.
fn spectrum_bins() -> Vec<f32> {
    let n = 2049;
    let bin_hz = 48_000.0 / 4096.0;
    let mut seed = 0x1234_5678u32;
    (0..n)
        .map(|k| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 8) as f32 / (1u32 << 24) as f32;
            let f = (k as f32 * bin_hz).max(10.0);
            let mut db = -30.0 - 3.0 * (f / 100.0).log2() - 6.0 * noise;
            for (tone, level) in [(55.0f32, -12.0f32), (440.0, -24.0), (3000.0, -36.0)] {
                let d = (f - tone) / bin_hz;
                db = db.max(level - 6.0 * d * d);
            }
            db
        })
        .collect()
}

/// An RBJ peaking-EQ magnitude in dB, for the demo curve.
fn bell(f: f32, f0: f32, gain_db: f32, q: f32) -> f32 {
    let sr = 48_000.0f32;
    let a = 10f32.powf(gain_db / 40.0);
    let w0 = 2.0 * PI * f0 / sr;
    let alpha = w0.sin() / (2.0 * q);
    let (b0, b1, b2) = (1.0 + alpha * a, -2.0 * w0.cos(), 1.0 - alpha * a);
    let (a0, a1, a2) = (1.0 + alpha / a, -2.0 * w0.cos(), 1.0 - alpha / a);
    let w = 2.0 * PI * f / sr;
    let mag2 = |c0: f32, c1: f32, c2: f32| {
        let re = c0 + c1 * w.cos() + c2 * (2.0 * w).cos();
        let im = -(c1 * w.sin() + c2 * (2.0 * w).sin());
        re * re + im * im
    };
    10.0 * (mag2(b0, b1, b2) / mag2(a0, a1, a2)).log10()
}

struct Gallery {
    params: Params,
    history: HistoryBuffer<3>,
    bins: Vec<f32>,
    input: LevelMeterState,
    output: LevelMeterState,
    gr: GrMeterState,
    analyser_range: f32,
}

impl Gallery {
    fn new() -> Self {
        let mut input = LevelMeterState::new();
        input.update(
            &StereoReading {
                peak: [1.12, 0.89],
                true_peak: [1.2, 0.95],
                rms: [0.35, 0.3],
            },
            0.0,
        );
        let mut output = LevelMeterState::new();
        output.update(
            &StereoReading {
                peak: [0.87, 0.85],
                true_peak: [0.89, 0.88],
                rms: [0.5, 0.48],
            },
            0.0,
        );
        let mut gr = GrMeterState::new();
        gr.update(7.5, 0.0);
        gr.update(4.2, 0.1);
        Self {
            params: params(),
            history: history(),
            bins: spectrum_bins(),
            input,
            output,
            gr,
            analyser_range: -90.0,
        }
    }

    fn ui(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let p = &self.params;
        let full = ui.max_rect().shrink(12.0);
        ui.painter()
            .rect_filled(ui.max_rect(), 0.0, Theme::current(ui.ctx()).background);
        let header_h = 40.0;
        let header = Rect::from_min_size(full.min, Vec2::new(full.width(), header_h));
        ui.scope_builder(UiBuilder::new().max_rect(header), |ui| {
            ui.horizontal(|ui| {
                ui.heading("Glasswork Limit");
                ui.add_space(16.0);
                ui.add(ParamToggle::for_param(&p.true_peak, setter));
                ui.add(ParamToggle::for_param(&p.bypass, setter));
                ui.add_space(16.0);
                ui.add(
                    ParamChoice::for_param(&p.style, setter)
                        .without_label()
                        .with_width(360.0),
                );
            });
        });

        let body = Rect::from_min_max(Pos2::new(full.min.x, header.max.y + 8.0), full.max);
        let meters_w = 190.0;
        let left = Rect::from_min_max(body.min, Pos2::new(body.max.x - meters_w - 8.0, body.max.y));
        let right = Rect::from_min_max(Pos2::new(left.max.x + 8.0, body.min.y), body.max);

        let graph = Rect::from_min_size(left.min, Vec2::new(left.width(), left.height() * 0.36));
        ui.scope_builder(UiBuilder::new().max_rect(graph), |ui| {
            ui.add(
                HistoryGraph::new(&self.history)
                    .with_range(-30.0, 0.0)
                    .trace(Trace::new(
                        0,
                        TraceStyle::Filled,
                        Theme::current(ui.ctx()).input,
                    ))
                    .trace(Trace::new(
                        1,
                        TraceStyle::Line,
                        Theme::current(ui.ctx()).output,
                    ))
                    .trace(Trace::new(
                        2,
                        TraceStyle::Reduction,
                        Theme::current(ui.ctx()).gain_reduction,
                    )),
            );
        });

        let curve = Rect::from_min_max(
            Pos2::new(left.min.x, graph.max.y + 8.0),
            Pos2::new(left.max.x, graph.max.y + 8.0 + left.height() * 0.36),
        );
        let nodes = [
            CurveNode::new(90.0, 4.0),
            CurveNode::new(2500.0, -3.0),
            CurveNode::new(30.0, 0.0).horizontal_only(),
        ];
        ui.scope_builder(UiBuilder::new().max_rect(curve), |ui| {
            let curve_fn = |f: f32| bell(f, 90.0, 4.0, 0.8) + bell(f, 2500.0, -3.0, 2.0);
            ResponsePlot::new("gallery")
                .db_range(-12.0, 12.0)
                .spectrum(
                    Spectrum::new(&self.bins, 48_000.0),
                    self.analyser_range,
                    0.0,
                )
                .curve(glass_ui::Curve::new(curve_fn).filled(0.2))
                .nodes(&nodes)
                .show(ui);
        });

        let controls = Rect::from_min_max(Pos2::new(left.min.x, curve.max.y + 8.0), left.max);
        ui.scope_builder(UiBuilder::new().max_rect(controls), |ui| {
            let theme = Theme::current(ui.ctx());
            ui.set_min_size(controls.size());
            theme.panel_frame().show(ui, |ui| {
                ui.set_min_size(ui.available_size());
                ui.label(theme.caption("Limiter"));
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Min), |ui| {
                    ui.add(ParamKnob::for_param(&p.gain, setter));
                    ui.add(ParamKnob::for_param(&p.ceiling, setter));
                    ui.add(ParamKnob::for_param(&p.release, setter));
                    ui.add(ParamKnob::for_param(&p.lookahead, setter).with_diameter(40.0));
                    ui.add(
                        ValueKnob::new(&mut self.analyser_range, -120.0..=-30.0, "Analyser")
                            .map(|c| c.with_unit(" dB").with_decimals(0)),
                    );
                    let slider_len = controls.width() * 0.25;
                    ui.vertical(|ui| {
                        ui.add(ParamSlider::for_param(&p.link, setter).with_length(slider_len));
                        ui.add_space(6.0);
                        ui.add(ParamSlider::for_param(&p.gain, setter).with_length(slider_len));
                    });
                    ui.add(ParamSlider::for_param(&p.ceiling, setter).vertical());
                });
            });
        });

        ui.scope_builder(UiBuilder::new().max_rect(right), |ui| {
            // A top-aligned row keeps the full height available; `ui.horizontal` would start
            // from one text row's height.
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Min), |ui| {
                ui.add(
                    LevelMeter::new(&mut self.input)
                        .with_rms(true)
                        .with_label("IN"),
                );
                ui.add(GrMeter::new(&mut self.gr).with_label("GR"));
                ui.add(
                    LevelMeter::new(&mut self.output)
                        .with_rms(true)
                        .with_ceiling(-1.0)
                        .with_label("OUT"),
                );
            });
        });
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "target/glass-ui-gallery.png".to_owned());
    let arg = |i: usize, default: f32| {
        args.get(i)
            .and_then(|s| s.parse::<f32>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
            .unwrap_or(default)
    };
    let ppp = arg(2, 1.0);
    let size = Vec2::new(arg(3, 1100.0), arg(4, 720.0));
    let mut gallery = Gallery::new();
    let shot = snapshot::render(
        size,
        ppp,
        3,
        |ctx| Theme::with_accent(accent::LIMIT).apply(ctx),
        |ui, setter| gallery.ui(ui, setter),
    );
    std::fs::File::create(&out)?.write_all(&shot.to_png())?;
    println!("wrote {out} ({}x{} px)", shot.width, shot.height);
    Ok(())
}
