//! Response-curve plot on a log-frequency / dB grid, with optional fills, an analyser underlay
//! and draggable nodes.
//!
//! Curves are closures `freq_hz -> dB`, evaluated once per physical pixel column, so a filter's
//! closed-form `response(freq)` (the same function its tests check) draws itself at full
//! resolution at any window size or zoom. Nodes are reported back rather than mutated: the plot
//! says which node moved where and the caller turns that into parameter gestures.

use crate::layout::available_or;
use egui::{Align2, Color32, FontId, Id, Pos2, Rect, Response, Sense, Shape, Stroke, Ui, Vec2};

use crate::axis::{paint_freq_db_grid, paint_plot_frame, DbAxis, FreqAxis};
use crate::history::fill_to_baseline;
use crate::spectrum::Spectrum;
use crate::theme::{lighten, Theme, BODY_TEXT_PT, SMALL_TEXT_PT};

/// One curve: a response function and how to draw it.
pub struct Curve<'a> {
    response: Box<dyn Fn(f32) -> f32 + 'a>,
    colour: Option<Color32>,
    width_pt: f32,
    fill_alpha: Option<f32>,
}

impl<'a> Curve<'a> {
    /// A curve of `response(freq_hz) -> dB`, drawn in the theme accent. Non-finite results leave a
    /// gap.
    pub fn new(response: impl Fn(f32) -> f32 + 'a) -> Self {
        Self {
            response: Box::new(response),
            colour: None,
            width_pt: 2.0,
            fill_alpha: None,
        }
    }

    /// Line colour (default: the theme accent).
    pub fn colour(mut self, colour: Color32) -> Self {
        self.colour = Some(colour);
        self
    }

    /// Line width in points (default 2).
    pub fn width(mut self, width_pt: f32) -> Self {
        self.width_pt = width_pt.max(0.5);
        self
    }

    /// Fill between the curve and 0 dB at `alpha` (0..=1) of the line colour.
    pub fn filled(mut self, alpha: f32) -> Self {
        self.fill_alpha = Some(alpha.clamp(0.0, 1.0));
        self
    }

    /// Evaluate the curve at one frequency (Hz).
    pub fn eval(&self, freq_hz: f32) -> f32 {
        (self.response)(freq_hz)
    }
}

/// A draggable point on the plot, in the plot's own units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurveNode {
    /// Horizontal position, Hz.
    pub freq_hz: f32,
    /// Vertical position, dB.
    pub db: f32,
    /// Fill colour (default: the theme accent).
    pub colour: Option<Color32>,
    /// Whether the node can be dragged vertically (false for nodes whose gain is fixed, such as
    /// high-pass filters); it is then drawn on its curve at `db` but only moves in frequency.
    pub vertical: bool,
}

impl CurveNode {
    /// A node at `freq_hz` (Hz) and `db` (dB), draggable in both directions.
    pub fn new(freq_hz: f32, db: f32) -> Self {
        Self {
            freq_hz,
            db,
            colour: None,
            vertical: true,
        }
    }

    /// Colour of the node.
    pub fn colour(mut self, colour: Color32) -> Self {
        self.colour = Some(colour);
        self
    }

    /// Restrict dragging to the frequency axis.
    pub fn horizontal_only(mut self) -> Self {
        self.vertical = false;
        self
    }
}

/// Which phase of a node drag a [`NodeDrag`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DragPhase {
    /// The pointer just grabbed the node (begin the parameter gestures here).
    Started,
    /// The node moved.
    Moved,
    /// The pointer released the node (end the gestures here).
    Stopped,
}

/// A node drag reported by [`ResponsePlot::show`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeDrag {
    /// Index of the node in the slice passed to [`ResponsePlot::nodes`].
    pub index: usize,
    /// Where the node is now, Hz (clamped to the frequency axis).
    pub freq_hz: f32,
    /// Where the node is now, dB (clamped to the dB axis; the node's own value when it is
    /// horizontal-only).
    pub db: f32,
    /// Phase of the drag.
    pub phase: DragPhase,
}

/// What the plot reports back.
#[derive(Debug, Clone)]
pub struct PlotResponse {
    /// Response of the plot background (hover, clicks on empty space).
    pub response: Response,
    /// The plot area in points.
    pub rect: Rect,
    /// A node being dragged this frame, if any.
    pub drag: Option<NodeDrag>,
    /// Node under the pointer (for wheel-to-Q, tooltips), if any.
    pub hovered_node: Option<usize>,
    /// Node double-clicked this frame (e.g. to reset or remove it), if any.
    pub double_clicked_node: Option<usize>,
    /// Frequency (Hz) and level (dB) under the pointer, if it is over the plot.
    pub pointer: Option<(f32, f32)>,
}

/// The response-curve plot.
#[must_use = "show the plot with `plot.show(ui)`"]
pub struct ResponsePlot<'a> {
    id_salt: Id,
    freq: FreqAxis,
    db: DbAxis,
    curves: Vec<Curve<'a>>,
    nodes: &'a [CurveNode],
    spectrum: Option<Spectrum<'a>>,
    spectrum_db: DbAxis,
    size: Option<Vec2>,
}

impl<'a> ResponsePlot<'a> {
    /// A plot over 10 Hz – 30 kHz and ±24 dB. `id_salt` keeps node drags apart when an editor
    /// shows several plots.
    pub fn new(id_salt: impl std::hash::Hash + std::fmt::Debug) -> Self {
        Self {
            id_salt: Id::unique(("glass_ui::curve", id_salt)),
            freq: FreqAxis::default(),
            db: DbAxis::new(-24.0, 24.0),
            curves: Vec::new(),
            nodes: &[],
            spectrum: None,
            spectrum_db: DbAxis::new(-96.0, 0.0),
            size: None,
        }
    }

    /// Frequency range in Hz.
    pub fn freq_range(mut self, min_hz: f32, max_hz: f32) -> Self {
        self.freq = FreqAxis::new(min_hz, max_hz);
        self
    }

    /// dB range (bottom, top).
    pub fn db_range(mut self, min_db: f32, max_db: f32) -> Self {
        self.db = DbAxis::new(min_db, max_db);
        self
    }

    /// Add a curve; curves are drawn in the order added, after fills.
    pub fn curve(mut self, curve: Curve<'a>) -> Self {
        self.curves.push(curve);
        self
    }

    /// Draggable nodes, drawn on top of the curves.
    pub fn nodes(mut self, nodes: &'a [CurveNode]) -> Self {
        self.nodes = nodes;
        self
    }

    /// Draw `spectrum` under the curves on its own dB range (bottom, top), e.g. -90..0 dBFS.
    pub fn spectrum(mut self, spectrum: Spectrum<'a>, min_db: f32, max_db: f32) -> Self {
        self.spectrum = Some(spectrum);
        self.spectrum_db = DbAxis::new(min_db, max_db);
        self
    }

    /// Size in points. Default: all the available space.
    pub fn with_size(mut self, size: Vec2) -> Self {
        self.size = Some(size);
        self
    }

    /// The frequency axis in use.
    pub fn freq_axis(&self) -> FreqAxis {
        self.freq
    }

    /// The dB axis in use.
    pub fn db_axis(&self) -> DbAxis {
        self.db
    }

    /// Screen position of a node in `rect`.
    pub fn node_pos(&self, node: &CurveNode, rect: Rect) -> Pos2 {
        Pos2::new(
            self.freq.freq_to_x(node.freq_hz, rect.x_range()),
            self.db.db_to_y_clamped(node.db, rect.y_range()),
        )
    }

    /// Paint the plot (frame, grid, spectrum, fills, curves) into `rect`, without nodes or
    /// interaction; for custom layouts and screenshots.
    pub fn paint(&self, painter: &egui::Painter, rect: Rect, theme: &Theme) {
        paint_plot_frame(painter, rect, theme);
        let plot = rect.shrink(1.0);
        let painter = painter.with_clip_rect(plot.intersect(painter.clip_rect()));
        if let Some(s) = &self.spectrum {
            s.paint(&painter, plot, &self.freq, &self.spectrum_db, theme);
        }
        paint_freq_db_grid(&painter, plot, &self.freq, &self.db, theme);

        let ppp = painter.pixels_per_point();
        let zero_y = self.db.db_to_y_clamped(0.0, plot.y_range());
        for c in &self.curves {
            let colour = c.colour.unwrap_or(theme.accent);
            let points = sample_columns(&self.freq, &self.db, plot, ppp, |f| c.eval(f));
            if let Some(alpha) = c.fill_alpha {
                painter.add(fill_to_baseline(
                    &points,
                    zero_y,
                    colour.gamma_multiply(alpha),
                ));
            }
            let mut run = Vec::new();
            for &(x, y) in &points {
                match y {
                    Some(y) => run.push(Pos2::new(x, y)),
                    None => {
                        if run.len() > 1 {
                            painter.add(Shape::line(
                                std::mem::take(&mut run),
                                Stroke::new(c.width_pt, colour),
                            ));
                        }
                        run.clear();
                    }
                }
            }
            if run.len() > 1 {
                painter.add(Shape::line(run, Stroke::new(c.width_pt, colour)));
            }
        }
    }

    /// Allocate the plot, draw it, and handle node interaction.
    pub fn show(self, ui: &mut Ui) -> PlotResponse {
        let theme = Theme::current(ui.ctx());
        let size = self.size.unwrap_or_else(|| {
            available_or(
                ui,
                Vec2::new(BODY_TEXT_PT * 36.0, BODY_TEXT_PT * 16.0),
                16.0,
            )
        });
        let (rect, response) = ui.allocate_exact_size(size, Sense::click());
        let plot = rect.shrink(1.0);

        // Nodes are interacted with after the background so they sit on top of it.
        let node_r = BODY_TEXT_PT * 0.45;
        let grab_r = node_r * 1.8;
        let mut drag = None;
        let mut hovered_node = None;
        let mut double_clicked_node = None;
        let mut node_states = Vec::with_capacity(self.nodes.len());
        for (i, node) in self.nodes.iter().enumerate() {
            let pos = self.node_pos(node, plot);
            let r = ui.interact(
                Rect::from_center_size(pos, Vec2::splat(2.0 * grab_r)),
                self.id_salt.with(i),
                Sense::click_and_drag(),
            );
            if r.hovered() {
                hovered_node = Some(i);
            }
            if r.double_clicked() {
                double_clicked_node = Some(i);
            }
            let phase = if r.drag_started() {
                Some(DragPhase::Started)
            } else if r.drag_stopped() {
                Some(DragPhase::Stopped)
            } else if r.dragged() {
                Some(DragPhase::Moved)
            } else {
                None
            };
            // Keep the offset between the node centre and where it was grabbed, so the node
            // does not jump under the pointer when grabbed off-centre.
            let grab_id = self.id_salt.with(("grab", i));
            if r.drag_started() {
                let origin = ui.input(|inp| inp.pointer.press_origin()).unwrap_or(pos);
                ui.data_mut(|d| d.insert_temp(grab_id, pos - origin));
            }
            let offset: Vec2 = ui.data(|d| d.get_temp(grab_id)).unwrap_or(Vec2::ZERO);
            if r.drag_stopped() {
                ui.data_mut(|d| d.remove::<Vec2>(grab_id));
            }
            if let (Some(phase), None) = (phase, drag) {
                let p = r.interact_pointer_pos().map_or(pos, |p| p + offset);
                let (freq_hz, db) = self.pointer_to_node(node, p, plot);
                drag = Some(NodeDrag {
                    index: i,
                    freq_hz,
                    db,
                    phase,
                });
            }
            node_states.push((pos, r.hovered() || r.dragged()));
        }

        if ui.is_rect_visible(rect) {
            let painter = ui.painter();
            self.paint(painter, rect, &theme);
            let painter = painter.with_clip_rect(rect.intersect(painter.clip_rect()));
            for (i, (node, (pos, hot))) in self.nodes.iter().zip(&node_states).enumerate() {
                // While dragging, draw the node where the pointer put it, so it does not lag a
                // frame behind the parameter round trip.
                let pos = match drag {
                    Some(d) if d.index == i && d.phase != DragPhase::Stopped => Pos2::new(
                        self.freq.freq_to_x(d.freq_hz, plot.x_range()),
                        self.db.db_to_y_clamped(d.db, plot.y_range()),
                    ),
                    _ => *pos,
                };
                let fill = node.colour.unwrap_or(theme.accent);
                let fill = if *hot { lighten(fill, 0.25) } else { fill };
                let r = if *hot { node_r * 1.2 } else { node_r };
                painter.circle(pos, r, fill, Stroke::new(1.5, theme.background));
                painter.text(
                    pos,
                    Align2::CENTER_CENTER,
                    format!("{}", i + 1),
                    FontId::proportional(SMALL_TEXT_PT * 0.85),
                    theme.background,
                );
            }
        }

        let pointer = response.hover_pos().filter(|p| plot.contains(*p)).map(|p| {
            (
                self.freq.x_to_freq(p.x, plot.x_range()),
                self.db.y_to_db(p.y, plot.y_range()),
            )
        });

        PlotResponse {
            response,
            rect: plot,
            drag,
            hovered_node,
            double_clicked_node,
            pointer,
        }
    }

    /// Node position for a pointer at `p`, clamped to the axes.
    fn pointer_to_node(&self, node: &CurveNode, p: Pos2, plot: Rect) -> (f32, f32) {
        let x = p.x.clamp(plot.min.x, plot.max.x);
        let y = p.y.clamp(plot.min.y, plot.max.y);
        let freq = self.freq.x_to_freq(x, plot.x_range());
        let db = if node.vertical {
            self.db.y_to_db(y, plot.y_range())
        } else {
            node.db
        };
        (freq, db)
    }
}

/// Evaluate `f(freq_hz) -> dB` once per physical pixel column of `rect` (at `ppp` pixels per
/// point) and return (x, y) screen points; non-finite values give `None`. y is clamped a little
/// outside the rect so off-scale parts run along the edge instead of vanishing.
pub fn sample_columns(
    freq: &FreqAxis,
    db: &DbAxis,
    rect: Rect,
    ppp: f32,
    f: impl Fn(f32) -> f32,
) -> Vec<(f32, Option<f32>)> {
    let columns = ((rect.width() * ppp.max(0.25)).round() as usize).max(2);
    let y_range = egui::Rangef::new(rect.min.y - 2.0, rect.max.y + 2.0);
    (0..columns)
        .map(|i| {
            let x = rect.min.x + (i as f32 + 0.5) / columns as f32 * rect.width();
            let v = f(freq.x_to_freq(x, rect.x_range()));
            let y = v.is_finite().then(|| {
                db.db_to_y(v, rect.y_range())
                    .clamp(y_range.min, y_range.max)
            });
            (x, y)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_host::Harness;

    #[test]
    fn columns_sample_the_closure_at_each_pixel() {
        let freq = FreqAxis::new(20.0, 20_000.0);
        let db = DbAxis::new(-24.0, 24.0);
        let rect = Rect::from_min_size(Pos2::new(0.0, 0.0), Vec2::new(300.0, 480.0));
        // A 6 dB/octave tilt through 0 dB at 632 Hz (the geometric middle).
        let mid = (20.0f32 * 20_000.0).sqrt();
        let tilt = |f: f32| 6.0 * (f / mid).log2();
        let pts = sample_columns(&freq, &db, rect, 2.0, tilt);
        assert_eq!(pts.len(), 600, "one sample per physical pixel at 2x");
        // The curve is a straight line on a log axis: equal y steps per column, and 0 dB at the
        // middle of the plot (y = 240).
        let ys: Vec<f32> = pts.iter().map(|p| p.1.expect("finite")).collect();
        let on_scale: Vec<f32> = ys
            .iter()
            .copied()
            .filter(|y| (0.0..=480.0).contains(y))
            .collect();
        // ±24 dB of the ±29.9 dB swing is on scale: about 80 % of the columns.
        assert!(on_scale.len() > 470, "{}", on_scale.len());
        let step = on_scale[1] - on_scale[0];
        for w in on_scale.windows(2) {
            assert!((w[1] - w[0] - step).abs() < 1e-2);
        }
        let centre = (ys[299] + ys[300]) * 0.5;
        assert!((centre - 240.0).abs() < 0.1, "{centre}");
        // At the right edge: 6 dB/oct * log2(1000)/2 ≈ 29.9 dB, above the +24 dB top: clamped
        // just outside the rect.
        assert!((ys[599] - (-2.0)).abs() < 1e-3);
    }

    #[test]
    fn non_finite_values_leave_gaps() {
        let freq = FreqAxis::default();
        let db = DbAxis::new(-24.0, 24.0);
        let rect = Rect::from_min_size(Pos2::ZERO, Vec2::new(100.0, 100.0));
        let pts = sample_columns(&freq, &db, rect, 1.0, |f| {
            if f > 1000.0 {
                f32::NAN
            } else {
                0.0
            }
        });
        assert!(pts.iter().any(|p| p.1.is_none()));
        assert!(pts.iter().any(|p| p.1 == Some(50.0)));
    }

    #[test]
    fn dragging_a_node_reports_its_new_position() {
        let nodes = [
            CurveNode::new(1000.0, 0.0),
            CurveNode::new(100.0, 6.0).horizontal_only(),
        ];
        let mut h = Harness::new();
        let size = Vec2::new(602.0, 402.0);
        let build = |ui: &mut egui::Ui| {
            ResponsePlot::new("eq")
                .freq_range(20.0, 20_000.0)
                .db_range(-20.0, 20.0)
                .nodes(&nodes)
                .with_size(size)
                .show(ui)
        };
        let first = h.frame(vec![], build);
        let plot = first.rect;
        let freq = FreqAxis::new(20.0, 20_000.0);
        let db = DbAxis::new(-20.0, 20.0);
        let start = Pos2::new(
            freq.freq_to_x(1000.0, plot.x_range()),
            db.db_to_y(0.0, plot.y_range()),
        );
        // Drag node 0 one octave up and 5 dB up.
        let octave = plot.width() / 1000f32.log2();
        let delta = Vec2::new(octave, -5.0 * plot.height() / 40.0);

        let mut reports = Vec::new();
        let mut record = |r: PlotResponse| {
            if let Some(d) = r.drag {
                reports.push(d);
            }
        };
        record(h.frame(vec![Harness::moved(start)], build));
        let press = h.button(start, true);
        record(h.frame(vec![press], build));
        for i in 1..=4 {
            let p = start + delta * (i as f32 / 4.0);
            record(h.frame(vec![Harness::moved(p)], build));
        }
        let release = h.button(start + delta, false);
        record(h.frame(vec![release], build));

        assert_eq!(reports.first().map(|d| d.phase), Some(DragPhase::Started));
        assert_eq!(reports.last().map(|d| d.phase), Some(DragPhase::Stopped));
        assert!(reports.iter().all(|d| d.index == 0));
        let last_move = reports
            .iter()
            .rev()
            .find(|d| d.phase != DragPhase::Stopped)
            .expect("moves reported");
        assert!(
            (last_move.freq_hz / 2000.0 - 1.0).abs() < 1e-3,
            "{last_move:?}"
        );
        assert!((last_move.db - 5.0).abs() < 1e-3, "{last_move:?}");

        // Horizontal-only nodes keep their level whatever the pointer does.
        let n1 = Pos2::new(
            freq.freq_to_x(100.0, plot.x_range()),
            db.db_to_y(6.0, plot.y_range()),
        );
        h.wait(1.0);
        let mut last = None;
        h.frame(vec![Harness::moved(n1)], build);
        let press = h.button(n1, true);
        h.frame(vec![press], build);
        for i in 1..=3 {
            let p = n1 + Vec2::new(10.0 * i as f32, 30.0 * i as f32);
            if let Some(d) = h.frame(vec![Harness::moved(p)], build).drag {
                last = Some(d);
            }
        }
        let d = last.expect("node 1 dragged");
        assert_eq!(d.index, 1);
        assert_eq!(d.db, 6.0);
        assert!(d.freq_hz > 100.0);
    }
}
