//! Scrolling history graph: level and gain-reduction traces over the last few seconds, newest at
//! the right edge.
//!
//! Levels grow up from the bottom on a dB axis; gain reduction hangs down from the top edge at the
//! same dB-per-point scale, the layout of FabFilter Pro-L and Pro-C, so a 6 dB dip in the output
//! lines up with 6 dB of reduction above it.
//!
//! The audio thread pushes control-rate frames into a [`crate::HistoryFifo`]; each GUI frame
//! moves them into a [`HistoryBuffer`] with [`HistoryBuffer::drain_from`], and [`HistoryGraph`]
//! draws the buffer.

use crate::layout::available_or;
use egui::epaint::Mesh;
use egui::{Color32, Pos2, Rect, Response, Sense, Shape, Stroke, Ui, Vec2, Widget};

use crate::axis::{paint_db_lines, paint_plot_frame, DbAxis};
use crate::shared::HistoryFifo;
use crate::theme::{Theme, BODY_TEXT_PT, SMALL_TEXT_PT};

/// GUI-side ring of the most recent `capacity` frames of `N` lanes each (e.g. input dB, output
/// dB, gain reduction dB). Pushing past capacity overwrites the oldest frame.
#[derive(Debug, Clone)]
pub struct HistoryBuffer<const N: usize> {
    frames: Vec<[f32; N]>,
    /// Index the next frame is written to.
    next: usize,
    len: usize,
    frame_rate_hz: f32,
}

impl<const N: usize> HistoryBuffer<N> {
    /// A buffer holding `seconds` of history at `frame_rate_hz` frames per second (the rate at
    /// which the audio thread pushes frames). Allocates; at least one frame.
    pub fn new(seconds: f32, frame_rate_hz: f32) -> Self {
        let rate = if frame_rate_hz.is_finite() && frame_rate_hz > 0.0 {
            frame_rate_hz
        } else {
            1.0
        };
        let frames = if seconds.is_finite() && seconds > 0.0 {
            (seconds * rate).ceil() as usize
        } else {
            1
        };
        Self::with_capacity(frames.max(1), rate)
    }

    /// A buffer holding `capacity` frames produced at `frame_rate_hz`.
    pub fn with_capacity(capacity: usize, frame_rate_hz: f32) -> Self {
        Self {
            frames: vec![[0.0; N]; capacity.max(1)],
            next: 0,
            len: 0,
            frame_rate_hz: if frame_rate_hz.is_finite() && frame_rate_hz > 0.0 {
                frame_rate_hz
            } else {
                1.0
            },
        }
    }

    /// Number of frames the buffer holds when full.
    pub fn capacity(&self) -> usize {
        self.frames.len()
    }

    /// Number of frames stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if no frame is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Frames per second the buffer was set up for.
    pub fn frame_rate_hz(&self) -> f32 {
        self.frame_rate_hz
    }

    /// Time span of a full buffer in seconds.
    pub fn span_seconds(&self) -> f32 {
        self.capacity() as f32 / self.frame_rate_hz
    }

    /// Append a frame, overwriting the oldest when full.
    pub fn push(&mut self, frame: [f32; N]) {
        let cap = self.frames.len();
        self.frames[self.next] = frame;
        self.next = (self.next + 1) % cap;
        self.len = (self.len + 1).min(cap);
    }

    /// Move every waiting frame from `fifo` into the buffer; returns how many were moved.
    pub fn drain_from(&mut self, fifo: &HistoryFifo<[f32; N]>) -> usize {
        fifo.drain_into(|f| self.push(f))
    }

    /// Forget all frames.
    pub fn clear(&mut self) {
        self.len = 0;
        self.next = 0;
    }

    /// Stored frames from oldest to newest.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[f32; N]> + '_ {
        let cap = self.frames.len();
        let start = (self.next + cap - self.len) % cap;
        (0..self.len).map(move |i| &self.frames[(start + i) % cap])
    }

    /// The newest frame, if any.
    pub fn latest(&self) -> Option<&[f32; N]> {
        self.iter().next_back()
    }
}

/// How a trace is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceStyle {
    /// A line on the level axis.
    Line,
    /// An area from the bottom edge up to the level, with a line on top.
    Filled,
    /// Gain reduction: an area from the top edge down by the reduction (sign ignored), at the
    /// level axis's dB-per-point scale.
    Reduction,
}

/// One trace of a [`HistoryGraph`]: which lane of the frames, how and in what colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trace {
    /// Index into the frame (`0..N`).
    pub lane: usize,
    /// Drawing style.
    pub style: TraceStyle,
    /// Line colour; fills use it at reduced opacity.
    pub colour: Color32,
}

impl Trace {
    /// A trace of `lane` drawn with `style` in `colour`.
    pub fn new(lane: usize, style: TraceStyle, colour: Color32) -> Self {
        Self {
            lane,
            style,
            colour,
        }
    }
}

/// Column-wise reduction of the frames for drawing: for each of `columns` pixel columns across
/// the full buffer span (newest frame in the last column), the maximum of `lane` over the frames
/// that fall in it, or `None` where no frame falls (history not yet filled). Taking the maximum
/// keeps short peaks visible however many frames share a column.
pub fn column_maxima<const N: usize>(
    buffer: &HistoryBuffer<N>,
    lane: usize,
    columns: usize,
    reduction: bool,
) -> Vec<Option<f32>> {
    let mut out = vec![None; columns];
    if columns == 0 || lane >= N {
        return out;
    }
    let cap = buffer.capacity();
    let missing = cap - buffer.len();
    for (i, frame) in buffer.iter().enumerate() {
        // Position of this frame in the full-span timeline, 0 = oldest slot.
        let slot = missing + i;
        let col = ((slot as f64 + 0.5) / cap as f64 * columns as f64) as usize;
        let col = col.min(columns - 1);
        let mut v = frame[lane];
        if !v.is_finite() {
            continue;
        }
        if reduction {
            v = v.abs();
        }
        out[col] = Some(out[col].map_or(v, |m: f32| m.max(v)));
    }
    out
}

/// The history graph widget.
#[must_use = "add the graph to a Ui with `ui.add(graph)`"]
pub struct HistoryGraph<'a, const N: usize> {
    buffer: &'a HistoryBuffer<N>,
    traces: Vec<Trace>,
    axis: DbAxis,
    size: Option<Vec2>,
}

impl<'a, const N: usize> HistoryGraph<'a, N> {
    /// A graph of `buffer` with a -48..0 dB level axis and no traces yet.
    pub fn new(buffer: &'a HistoryBuffer<N>) -> Self {
        Self {
            buffer,
            traces: Vec::new(),
            axis: DbAxis::new(-48.0, 0.0),
            size: None,
        }
    }

    /// Add a trace; traces are drawn in the order added.
    pub fn trace(mut self, trace: Trace) -> Self {
        self.traces.push(trace);
        self
    }

    /// Level axis range in dB (bottom, top).
    pub fn with_range(mut self, min_db: f32, max_db: f32) -> Self {
        self.axis = DbAxis::new(min_db, max_db);
        self
    }

    /// Size in points. Default: all the available space (a fallback of 30 × 10 body-text heights
    /// in unbounded layouts).
    pub fn with_size(mut self, size: Vec2) -> Self {
        self.size = Some(size);
        self
    }

    /// Paint the graph into `rect` with `painter` (for custom layouts).
    pub fn paint(&self, painter: &egui::Painter, rect: Rect, theme: &Theme) {
        paint_plot_frame(painter, rect, theme);
        let plot = rect.shrink(1.0);
        let painter = painter.with_clip_rect(plot.intersect(painter.clip_rect()));
        paint_time_grid(&painter, plot, self.buffer.span_seconds(), theme);
        paint_db_lines(
            &painter,
            plot,
            &self.axis,
            theme,
            egui::Align2::RIGHT_BOTTOM,
        );

        // One column per physical pixel, but never more columns than frames: with fewer frames
        // than pixels every frame gets its own column and the lines join them up.
        let ppp = painter.pixels_per_point();
        let columns = ((plot.width() * ppp).round() as usize)
            .min(self.buffer.capacity())
            .max(1);
        let col_w = plot.width() / columns as f32;
        for t in &self.traces {
            let reduction = t.style == TraceStyle::Reduction;
            let values = column_maxima(self.buffer, t.lane, columns, reduction);
            let y_of = |v: f32| trace_y(v, reduction, &self.axis, plot.y_range());
            let base = if reduction { plot.min.y } else { plot.max.y };
            let points: Vec<(f32, Option<f32>)> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (plot.min.x + (i as f32 + 0.5) * col_w, v.and_then(y_of)))
                .collect();
            if t.style != TraceStyle::Line {
                let alpha = if reduction { 0.55 } else { 0.3 };
                painter.add(fill_to_baseline(
                    &points,
                    base,
                    t.colour.gamma_multiply(alpha),
                ));
            }
            for run in contiguous_runs(&points) {
                painter.add(Shape::line(run, Stroke::new(1.5, t.colour)));
            }
        }
    }
}

impl<const N: usize> Widget for HistoryGraph<'_, N> {
    fn ui(self, ui: &mut Ui) -> Response {
        let theme = Theme::current(ui.ctx());
        let size = self.size.unwrap_or_else(|| {
            available_or(
                ui,
                Vec2::new(BODY_TEXT_PT * 30.0, BODY_TEXT_PT * 10.0),
                16.0,
            )
        });
        let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
        if ui.is_rect_visible(rect) {
            self.paint(ui.painter(), rect, &theme);
        }
        response
    }
}

/// Screen y of one trace value across the plot's vertical range `y`, or `None` where nothing
/// should be drawn: levels below the axis (silence would otherwise run along the bottom edge)
/// and gain reduction under 0.01 dB (idle reduction would run along the top edge). Reduction is
/// a magnitude in dB measured down from the top at the level axis's dB-per-point scale.
pub fn trace_y(value: f32, reduction: bool, axis: &DbAxis, y: egui::Rangef) -> Option<f32> {
    if reduction {
        let gr = value.abs();
        (gr >= 0.01).then(|| (y.min + gr * y.span() / axis.span_db()).min(y.max))
    } else {
        (value >= axis.min_db).then(|| axis.db_to_y_clamped(value, y))
    }
}

/// Vertical lines every second (or every 5 s on long spans), counted back from the right edge.
fn paint_time_grid(painter: &egui::Painter, rect: Rect, span_s: f32, theme: &Theme) {
    if span_s <= 0.0 {
        return;
    }
    let min_gap = SMALL_TEXT_PT * 10.0;
    let step = [0.5f32, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0]
        .into_iter()
        .find(|s| s / span_s * rect.width() >= min_gap)
        .unwrap_or(60.0);
    let mut t = step;
    while t < span_s {
        let x = rect.max.x - t / span_s * rect.width();
        painter.vline(x, rect.y_range(), Stroke::new(1.0, theme.grid));
        painter.text(
            Pos2::new(x + 3.0, rect.max.y - 2.0),
            egui::Align2::LEFT_BOTTOM,
            format!("-{t}s"),
            egui::FontId::proportional(SMALL_TEXT_PT),
            theme.text_dim,
        );
        t += step;
    }
}

/// Runs of consecutive defined points, as polylines (gaps where history is missing).
fn contiguous_runs(points: &[(f32, Option<f32>)]) -> Vec<Vec<Pos2>> {
    let mut runs = Vec::new();
    let mut current = Vec::new();
    for &(x, y) in points {
        match y {
            Some(y) => current.push(Pos2::new(x, y)),
            None => {
                if current.len() > 1 {
                    runs.push(std::mem::take(&mut current));
                } else {
                    current.clear();
                }
            }
        }
    }
    if current.len() > 1 {
        runs.push(current);
    }
    runs
}

/// A mesh filling between each defined point and the horizontal line at `base_y`. Built as
/// vertical quads rather than a polygon because egui only fills convex paths.
pub(crate) fn fill_to_baseline(
    points: &[(f32, Option<f32>)],
    base_y: f32,
    colour: Color32,
) -> Mesh {
    let mut mesh = Mesh::default();
    let mut prev: Option<(u32, u32)> = None;
    for &(x, y) in points {
        match y {
            Some(y) => {
                let top = mesh.vertices.len() as u32;
                mesh.colored_vertex(Pos2::new(x, y), colour);
                mesh.colored_vertex(Pos2::new(x, base_y), colour);
                if let Some((pt, pb)) = prev {
                    mesh.add_triangle(pt, pb, top);
                    mesh.add_triangle(pb, top + 1, top);
                }
                prev = Some((top, top + 1));
            }
            None => prev = None,
        }
    }
    mesh
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_keeps_the_newest_frames_in_order() {
        let mut b = HistoryBuffer::<2>::with_capacity(4, 10.0);
        assert!(b.is_empty());
        for i in 0..6 {
            b.push([i as f32, -(i as f32)]);
        }
        assert_eq!(b.len(), 4);
        let lane0: Vec<f32> = b.iter().map(|f| f[0]).collect();
        assert_eq!(lane0, vec![2.0, 3.0, 4.0, 5.0]);
        assert_eq!(b.latest(), Some(&[5.0, -5.0]));
        b.clear();
        assert!(b.iter().next().is_none());
    }

    #[test]
    fn buffer_capacity_from_seconds() {
        let b = HistoryBuffer::<4>::new(5.0, 60.0);
        assert_eq!(b.capacity(), 300);
        assert!((b.span_seconds() - 5.0).abs() < 1e-6);
        let b = HistoryBuffer::<4>::new(f32::NAN, 0.0);
        assert_eq!(b.capacity(), 1);
    }

    #[test]
    fn drain_moves_fifo_frames_in_order() {
        let fifo = HistoryFifo::<[f32; 3]>::new(16);
        for i in 0..5 {
            fifo.push([i as f32, 0.0, 0.0]);
        }
        let mut b = HistoryBuffer::<3>::with_capacity(3, 100.0);
        assert_eq!(b.drain_from(&fifo), 5);
        assert!(fifo.is_empty());
        let lane0: Vec<f32> = b.iter().map(|f| f[0]).collect();
        assert_eq!(lane0, vec![2.0, 3.0, 4.0]);
    }

    #[test]
    fn columns_take_the_maximum_and_leave_unfilled_time_empty() {
        // 8 frames over 4 columns: two frames per column.
        let mut b = HistoryBuffer::<1>::with_capacity(8, 10.0);
        for v in [-10.0, -3.0, -20.0, -30.0, -1.0, -5.0, -7.0, -6.0] {
            b.push([v]);
        }
        let c = column_maxima(&b, 0, 4, false);
        assert_eq!(c, vec![Some(-3.0), Some(-20.0), Some(-1.0), Some(-6.0)]);

        // Half-filled history: the older half of the graph has no data.
        let mut b = HistoryBuffer::<1>::with_capacity(8, 10.0);
        for v in [1.0, 2.0, 3.0, 4.0] {
            b.push([v]);
        }
        let c = column_maxima(&b, 0, 4, false);
        assert_eq!(c, vec![None, None, Some(2.0), Some(4.0)]);
        // Reduction lanes compare magnitudes.
        let mut b = HistoryBuffer::<1>::with_capacity(2, 10.0);
        b.push([-6.0]);
        b.push([-2.0]);
        assert_eq!(column_maxima(&b, 0, 1, true), vec![Some(6.0)]);
        assert_eq!(
            column_maxima(&b, 5, 1, true),
            vec![None],
            "lane out of range"
        );
    }

    #[test]
    fn trace_positions_and_hidden_values() {
        let axis = DbAxis::new(-48.0, 0.0);
        let y = egui::Rangef::new(0.0, 480.0);
        // 10 points per dB.
        assert_eq!(trace_y(-12.0, false, &axis, y), Some(120.0));
        assert_eq!(
            trace_y(3.0, false, &axis, y),
            Some(0.0),
            "over the top clamps"
        );
        assert_eq!(
            trace_y(-60.0, false, &axis, y),
            None,
            "below the axis: hidden"
        );
        assert_eq!(trace_y(crate::SILENCE_DB, false, &axis, y), None);
        // Reduction hangs from the top at the same scale, either sign.
        assert_eq!(trace_y(6.0, true, &axis, y), Some(60.0));
        assert_eq!(trace_y(-6.0, true, &axis, y), Some(60.0));
        assert_eq!(trace_y(0.0, true, &axis, y), None, "no reduction: hidden");
        assert_eq!(trace_y(100.0, true, &axis, y), Some(480.0));
    }

    #[test]
    fn fill_mesh_spans_curve_to_baseline() {
        let pts = [
            (0.0, Some(10.0)),
            (1.0, Some(20.0)),
            (2.0, None),
            (3.0, Some(5.0)),
        ];
        let m = fill_to_baseline(&pts, 100.0, Color32::WHITE);
        assert_eq!(m.vertices.len(), 6);
        // One quad (two triangles) between the first two points, none across the gap.
        assert_eq!(m.indices.len(), 6);
        assert!(m
            .vertices
            .iter()
            .all(|v| v.pos.y == 100.0 || v.pos.y <= 20.0));
        let runs = contiguous_runs(&pts);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].len(), 2);
    }
}
