//! Renders egui UIs to PNG without a window or GPU: for looking at editors
//! in documentation and tests, at any size and pixel density.
//!
//! egui's own tessellator produces the triangles (with its anti-aliasing
//! feather) and a small software rasteriser fills them, so the picture is
//! what an egui backend would draw, minus sub-pixel text hinting.

use std::collections::HashMap;

use egui::epaint::{ClippedPrimitive, ImageData, Mesh, Primitive, TextureId};
use egui::{Color32, Context, Pos2, RawInput, Rect, Ui, Vec2};
use nice_plug::prelude::{GuiContextInner, ParamPtr, ParamSetter, PluginApi, PluginState};

/// A host that accepts every gesture and changes nothing: a snapshot is a
/// still picture.
pub struct StillHost;

impl GuiContextInner for StillHost {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    unsafe fn raw_begin_set_parameter(&self, _param: ParamPtr) {}
    unsafe fn raw_set_parameter_normalized(&self, _param: ParamPtr, _normalized: f32) {}
    unsafe fn raw_end_set_parameter(&self, _param: ParamPtr) {}
    fn get_state(&self) -> PluginState {
        PluginState {
            version: String::new(),
            params: Default::default(),
            fields: Default::default(),
        }
    }
    fn set_state(&self, _state: PluginState) {}
    fn request_restart(&self) {}
}

/// A rendered picture.
pub struct Snapshot {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// RGB8 pixels, rows top to bottom.
    pub rgb: Vec<u8>,
}

impl Snapshot {
    /// The picture as PNG bytes.
    pub fn to_png(&self) -> Vec<u8> {
        png(self.width, self.height, &self.rgb)
    }

    /// The pixel at (x, y) as RGB (black outside the picture).
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        if x >= self.width || y >= self.height {
            return [0; 3];
        }
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
}

/// Runs `draw` for `frames` frames (some widgets settle over a few) on a
/// `size` (points) screen at `pixels_per_point`, with `setup` applied to the
/// context first (theme, fonts), and rasterises the last frame.
pub fn render(
    size: Vec2,
    pixels_per_point: f32,
    frames: usize,
    setup: impl FnOnce(&Context),
    mut draw: impl FnMut(&mut Ui, &ParamSetter),
) -> Snapshot {
    let ctx = Context::default();
    ctx.set_pixels_per_point(pixels_per_point);
    setup(&ctx);
    let host = StillHost;
    let setter = ParamSetter::new(&host);
    let mut textures: HashMap<TextureId, Texture> = HashMap::new();
    let mut primitives: Vec<ClippedPrimitive> = Vec::new();
    for frame in 0..frames.max(1) {
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, size)),
            time: Some(frame as f64 / 60.0),
            ..Default::default()
        };
        let output = ctx.run_ui(input, |ui| draw(ui, &setter));
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
    let ppp = pixels_per_point;
    let w = (size.x * ppp).round().max(1.0) as usize;
    let h = (size.y * ppp).round().max(1.0) as usize;
    let mut canvas = Canvas::new(w, h);
    for p in &primitives {
        if let Primitive::Mesh(mesh) = &p.primitive {
            canvas.draw(mesh, p.clip_rect, ppp, textures.get(&mesh.texture_id));
        }
    }
    Snapshot {
        width: w,
        height: h,
        rgb: canvas.to_rgb(),
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

/// Encodes RGB8 pixels (`w · h · 3` bytes, rows top to bottom) as a PNG
/// with stored (uncompressed) deflate blocks: larger files, no dependency.
pub fn png(w: usize, h: usize, rgb: &[u8]) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_filled_rect_where_it_was_painted() {
        let shot = render(
            Vec2::new(40.0, 30.0),
            2.0,
            1,
            |_| {},
            |ui, _| {
                ui.painter().rect_filled(
                    Rect::from_min_size(Pos2::new(10.0, 10.0), Vec2::new(10.0, 5.0)),
                    0.0,
                    Color32::from_rgb(200, 40, 10),
                );
            },
        );
        assert_eq!((shot.width, shot.height), (80, 60));
        assert_eq!(shot.pixel(30, 25), [200, 40, 10]);
        assert_ne!(shot.pixel(5, 5), [200, 40, 10]);
        let png = shot.to_png();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}

/// Where and how big a plugin's example picture is drawn, from the command
/// line `OUT [WIDTH HEIGHT [PIXELS_PER_POINT]]` (what `cargo xtask snapshot`
/// passes); anything missing or invalid takes the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct PictureArgs {
    /// Output PNG path.
    pub out: String,
    /// Logical size in points.
    pub size: Vec2,
    /// Pixels per point (1 = standard, 2 = HiDPI).
    pub pixels_per_point: f32,
}

impl PictureArgs {
    /// Reads the process arguments, with `out` and `size` as defaults.
    pub fn from_args(out: &str, size: (f32, f32)) -> Self {
        let args: Vec<String> = std::env::args().collect();
        Self::parse(&args, out, size)
    }

    fn parse(args: &[String], out: &str, size: (f32, f32)) -> Self {
        let number = |i: usize, default: f32| {
            args.get(i)
                .and_then(|s| s.parse::<f32>().ok())
                .filter(|v| v.is_finite() && *v > 0.0)
                .unwrap_or(default)
        };
        Self {
            out: args.get(1).cloned().unwrap_or_else(|| out.to_owned()),
            size: Vec2::new(number(2, size.0), number(3, size.1)),
            pixels_per_point: number(4, 1.0),
        }
    }
}

/// Renders an editor body (three frames, so layout settles) in its accent
/// theme and writes it as a PNG to `args.out`, creating the folder.
pub fn write_editor_png<B: crate::hosted::EditorBody>(
    body: &mut B,
    args: &PictureArgs,
) -> std::io::Result<()> {
    use std::io::Write;
    let accent = body.accent();
    let shot = render(
        args.size,
        args.pixels_per_point,
        3,
        |ctx| crate::Theme::with_accent(accent).apply(ctx),
        |ui, setter| body.frame(ui, setter, 1.0 / 60.0),
    );
    if let Some(dir) = std::path::Path::new(&args.out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::File::create(&args.out)?.write_all(&shot.to_png())?;
    println!("wrote {} ({}x{} px)", args.out, shot.width, shot.height);
    Ok(())
}

#[cfg(test)]
mod picture_args_tests {
    use super::*;

    #[test]
    fn missing_or_bad_arguments_take_the_defaults() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let d = PictureArgs::parse(&args(&["bin"]), "docs/x.png", (900.0, 560.0));
        assert_eq!(d.out, "docs/x.png");
        assert_eq!(d.size, Vec2::new(900.0, 560.0));
        assert_eq!(d.pixels_per_point, 1.0);
        let p = PictureArgs::parse(
            &args(&["bin", "o.png", "640", "nan", "2"]),
            "docs/x.png",
            (900.0, 560.0),
        );
        assert_eq!(p.out, "o.png");
        assert_eq!(p.size, Vec2::new(640.0, 560.0));
        assert_eq!(p.pixels_per_point, 2.0);
    }
}
