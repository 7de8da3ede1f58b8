//! Renders every glass-ui widget into a PNG without a window or GPU, to review the look.
//!
//! ```text
//! cargo run -p glass-ui --example gallery -- [out.png] [pixels_per_point] [width_pt] [height_pt]
//! ```
//!
//! egui's own tessellator produces the triangles (with its anti-aliasing feather), and a small
//! software rasteriser fills them, so what you see is what an egui backend would draw, minus
//! sub-pixel text hinting.

use std::collections::HashMap;
use std::f32::consts::PI;
use std::io::Write;

use egui::epaint::{ClippedPrimitive, ImageData, Mesh, Primitive, TextureId};
use egui::{Color32, Context, Pos2, RawInput, Rect, Ui, UiBuilder, Vec2};
use glass_ui::{
    accent, CurveNode, GrMeter, GrMeterState, HistoryBuffer, HistoryGraph, LevelMeter,
    LevelMeterState, ParamChoice, ParamKnob, ParamSlider, ParamToggle, ResponsePlot, Spectrum,
    StereoReading, Theme, Trace, TraceStyle, ValueKnob,
};
use nice_plug::prelude::{
    BoolParam, Enum, EnumParam, FloatParam, FloatRange, GuiContextInner, ParamPtr, ParamSetter,
    PluginApi, PluginState,
};

/// A host that accepts every gesture and changes nothing (the gallery is a still picture).
struct StillHost;

impl GuiContextInner for StillHost {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    unsafe fn raw_begin_set_parameter(&self, _param: ParamPtr) {}
    unsafe fn raw_set_parameter_normalized(&self, _param: ParamPtr, _normalized: f32) {}
    unsafe fn raw_end_set_parameter(&self, _param: ParamPtr) {}
    fn get_state(&self) -> PluginState {
        panic!("the gallery never reads plugin state")
    }
    fn set_state(&self, _state: PluginState) {}
    fn request_restart(&self) {}
}

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

/// Premultiplied RGBA canvas in gamma space, the space egui blends in.
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<[f32; 4]>,
}

struct Texture {
    size: [usize; 2],
    pixels: Vec<Color32>,
}

impl Texture {
    fn sample(&self, uv: Pos2) -> [f32; 4] {
        let [w, h] = self.size;
        let x = (uv.x * w as f32 - 0.5).clamp(0.0, (w - 1) as f32);
        let y = (uv.y * h as f32 - 0.5).clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (tx, ty) = (x - x0 as f32, y - y0 as f32);
        let get = |x: usize, y: usize| {
            let c = self.pixels[y * w + x];
            [c.r(), c.g(), c.b(), c.a()].map(|v| v as f32 / 255.0)
        };
        let (a, b, c, d) = (get(x0, y0), get(x1, y0), get(x0, y1), get(x1, y1));
        std::array::from_fn(|i| {
            let top = a[i] + (b[i] - a[i]) * tx;
            let bottom = c[i] + (d[i] - c[i]) * tx;
            top + (bottom - top) * ty
        })
    }
}

impl Canvas {
    fn new(w: usize, h: usize) -> Self {
        Self {
            w,
            h,
            px: vec![[0.0, 0.0, 0.0, 1.0]; w * h],
        }
    }

    fn draw(&mut self, mesh: &Mesh, clip: Rect, ppp: f32, tex: Option<&Texture>) {
        let clip_x0 = (clip.min.x * ppp).floor().max(0.0) as usize;
        let clip_y0 = (clip.min.y * ppp).floor().max(0.0) as usize;
        let clip_x1 = ((clip.max.x * ppp).ceil() as usize).min(self.w);
        let clip_y1 = ((clip.max.y * ppp).ceil() as usize).min(self.h);
        for tri in mesh.indices.chunks_exact(3) {
            let v = [0, 1, 2].map(|i| mesh.vertices[tri[i] as usize]);
            let p = v.map(|v| Pos2::new(v.pos.x * ppp, v.pos.y * ppp));
            let area = (p[1] - p[0]).x * (p[2] - p[0]).y - (p[1] - p[0]).y * (p[2] - p[0]).x;
            if area.abs() < 1e-9 {
                continue;
            }
            let min_x = p
                .iter()
                .map(|p| p.x)
                .fold(f32::INFINITY, f32::min)
                .floor()
                .max(0.0) as usize;
            let max_x = p
                .iter()
                .map(|p| p.x)
                .fold(f32::NEG_INFINITY, f32::max)
                .ceil() as usize;
            let min_y = p
                .iter()
                .map(|p| p.y)
                .fold(f32::INFINITY, f32::min)
                .floor()
                .max(0.0) as usize;
            let max_y = p
                .iter()
                .map(|p| p.y)
                .fold(f32::NEG_INFINITY, f32::max)
                .ceil() as usize;
            for y in min_y.max(clip_y0)..max_y.min(clip_y1) {
                for x in min_x.max(clip_x0)..max_x.min(clip_x1) {
                    let c = Pos2::new(x as f32 + 0.5, y as f32 + 0.5);
                    let edge = |a: Pos2, b: Pos2| (b - a).x * (c - a).y - (b - a).y * (c - a).x;
                    let w0 = edge(p[1], p[2]) / area;
                    let w1 = edge(p[2], p[0]) / area;
                    let w2 = edge(p[0], p[1]) / area;
                    if w0 < -1e-4 || w1 < -1e-4 || w2 < -1e-4 {
                        continue;
                    }
                    let col = |k: usize| {
                        let cs = v.map(|v| {
                            [v.color.r(), v.color.g(), v.color.b(), v.color.a()][k] as f32 / 255.0
                        });
                        w0 * cs[0] + w1 * cs[1] + w2 * cs[2]
                    };
                    let mut src = [col(0), col(1), col(2), col(3)];
                    if let Some(t) = tex {
                        let uv = Pos2::new(
                            w0 * v[0].uv.x + w1 * v[1].uv.x + w2 * v[2].uv.x,
                            w0 * v[0].uv.y + w1 * v[1].uv.y + w2 * v[2].uv.y,
                        );
                        let s = t.sample(uv);
                        for i in 0..4 {
                            src[i] *= s[i];
                        }
                    }
                    let dst = &mut self.px[y * self.w + x];
                    for i in 0..4 {
                        dst[i] = src[i] + dst[i] * (1.0 - src[3]);
                    }
                }
            }
        }
    }

    fn to_rgb(&self) -> Vec<u8> {
        self.px
            .iter()
            .flat_map(|p| [p[0], p[1], p[2]].map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8))
            .collect()
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// An RGB8 PNG using stored (uncompressed) deflate blocks: larger files, no dependency.
fn png(w: usize, h: usize, rgb: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity((w * 3 + 1) * h);
    for row in rgb.chunks_exact(w * 3) {
        raw.push(0);
        raw.extend_from_slice(row);
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + byte as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(w as u32).to_be_bytes());
    ihdr.extend_from_slice(&(h as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &z);
    chunk(b"IEND", &[]);
    out
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

    let ctx = Context::default();
    ctx.set_pixels_per_point(ppp);
    Theme::with_accent(accent::LIMIT).apply(&ctx);
    let host = StillHost;
    let setter = ParamSetter::new(&host);
    let mut gallery = Gallery::new();

    let mut textures: HashMap<TextureId, Texture> = HashMap::new();
    let mut primitives: Vec<ClippedPrimitive> = Vec::new();
    for frame in 0..3 {
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, size)),
            time: Some(frame as f64 / 60.0),
            ..Default::default()
        };
        let output = ctx.run_ui(input, |ui| gallery.ui(ui, &setter));
        let mut delta = output.textures_delta;
        for (id, d) in delta
            .set
            .drain()
            .flat_map(|(id, ds)| ds.into_iter().map(move |d| (id, d)))
        {
            let ImageData::Color(image) = d.image;
            match d.pos {
                None => {
                    textures.insert(
                        id,
                        Texture {
                            size: image.size,
                            pixels: image.pixels.clone(),
                        },
                    );
                }
                Some([x0, y0]) => {
                    if let Some(t) = textures.get_mut(&id) {
                        for y in 0..image.size[1] {
                            for x in 0..image.size[0] {
                                t.pixels[(y0 + y) * t.size[0] + x0 + x] =
                                    image.pixels[y * image.size[0] + x];
                            }
                        }
                    }
                }
            }
        }
        delta.clear();
        primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
    }

    let w = (size.x * ppp).round() as usize;
    let h = (size.y * ppp).round() as usize;
    let mut canvas = Canvas::new(w, h);
    for p in &primitives {
        if let Primitive::Mesh(mesh) = &p.primitive {
            canvas.draw(mesh, p.clip_rect, ppp, textures.get(&mesh.texture_id));
        }
    }
    std::fs::File::create(&out)?.write_all(&png(w, h, &canvas.to_rgb()))?;
    println!("wrote {out} ({w}x{h} px)");
    Ok(())
}
