//! The scrolling pitch graph: detected, target and output pitch over the
//! last seconds on a note grid, newest at the right edge.
//!
//! The audio thread queues one [`PitchFrame`] per 32-sample control tick;
//! the editor moves them into a [`PitchHistory`] each frame and paints it
//! with [`paint`]. The vertical axis is in MIDI notes at the plugin's
//! reference pitch, so a corrected note sits exactly on its lane; scale
//! notes get lighter lanes, as in a piano roll. The view follows the voice:
//! its centre eases toward the median of the recent detected notes.

use egui::{Align2, Color32, FontId, Painter, Pos2, Rect, Shape, Stroke, Vec2};
use glass_dsp::pitch_detect::VoiceType;
use glass_dsp::scale::{note_of_hz, NOTE_NAMES};
use glass_dsp::tuner::PitchFrame;
use glass_ui::axis::paint_plot_frame;
use glass_ui::theme::SMALL_TEXT_PT;
use glass_ui::Theme;

/// Seconds of history the graph shows.
pub const SHOWN_S: f32 = 6.0;
/// Semitones from the bottom to the top of the graph.
pub const SPAN_SEMITONES: f32 = 24.0;
/// Time constant of the view's centre following the voice, s.
const FOLLOW_S: f32 = 0.6;
/// Span of recent history the view centres on, s.
const FOLLOW_WINDOW_S: f32 = 2.0;

/// Name of MIDI note `note` with its octave (60 = "C4").
pub fn note_name(note: i32) -> String {
    let pc = note.rem_euclid(12) as usize;
    format!("{}{}", NOTE_NAMES[pc], note.div_euclid(12) - 1)
}

/// GUI-side ring of the most recent pitch frames and the view that follows
/// them.
#[derive(Debug, Clone)]
pub struct PitchHistory {
    frames: Vec<PitchFrame>,
    /// Index the next frame is written to.
    next: usize,
    len: usize,
    frame_rate_hz: f32,
    /// MIDI note at the graph's vertical centre.
    centre: f32,
}

impl PitchHistory {
    /// A history of [`SHOWN_S`] seconds at `frame_rate_hz` frames per second
    /// (sample rate / 32). Allocates.
    pub fn new(frame_rate_hz: f32) -> Self {
        let rate = if frame_rate_hz.is_finite() && frame_rate_hz > 0.0 {
            frame_rate_hz
        } else {
            1500.0
        };
        let n = (SHOWN_S * rate).ceil().max(2.0) as usize;
        Self {
            frames: vec![PitchFrame::default(); n],
            next: 0,
            len: 0,
            frame_rate_hz: rate,
            centre: 57.0,
        }
    }

    /// Frames per second the history was made for.
    pub fn frame_rate_hz(&self) -> f32 {
        self.frame_rate_hz
    }

    /// Appends one frame, dropping the oldest when full.
    pub fn push(&mut self, frame: PitchFrame) {
        let cap = self.frames.len();
        self.frames[self.next] = frame;
        self.next = (self.next + 1) % cap;
        self.len = (self.len + 1).min(cap);
    }

    /// Frames held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no frame has arrived yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The frame `age` frames before the newest (0 = newest), if held.
    pub fn back(&self, age: usize) -> Option<&PitchFrame> {
        if age >= self.len {
            return None;
        }
        let cap = self.frames.len();
        Some(&self.frames[(self.next + cap - 1 - age) % cap])
    }

    /// The newest frame, or a silent one.
    pub fn latest(&self) -> PitchFrame {
        self.back(0).copied().unwrap_or_default()
    }

    /// MIDI note at the graph's vertical centre.
    pub fn centre(&self) -> f32 {
        self.centre
    }

    /// Moves the view's centre toward the median detected note of the last
    /// two seconds (or the middle of `voice`'s range without one), `dt`
    /// seconds after the previous call; `jump` places it at once.
    pub fn follow(&mut self, voice: VoiceType, reference_hz: f32, dt: f32, jump: bool) {
        let window = ((FOLLOW_WINDOW_S * self.frame_rate_hz) as usize).min(self.len);
        let mut notes: Vec<f32> = (0..window)
            .step_by(8)
            .filter_map(|age| self.back(age))
            .filter(|f| f.voiced && f.detected_hz > 0.0)
            .map(|f| note_of_hz(f64::from(f.detected_hz), f64::from(reference_hz)) as f32)
            .filter(|n| n.is_finite())
            .collect();
        let (lo, hi) = voice.range_hz();
        let lo = note_of_hz(f64::from(lo), f64::from(reference_hz)) as f32;
        let hi = note_of_hz(f64::from(hi), f64::from(reference_hz)) as f32;
        let goal = if notes.is_empty() {
            if jump {
                0.5 * (lo + hi)
            } else {
                self.centre
            }
        } else {
            notes.sort_by(f32::total_cmp);
            notes[notes.len() / 2]
        };
        let goal = goal.clamp(lo.min(hi), hi.max(lo));
        if jump || !self.centre.is_finite() {
            self.centre = goal;
        } else {
            let k = 1.0 - (-dt.max(0.0) / FOLLOW_S).exp();
            self.centre += k * (goal - self.centre);
        }
    }
}

/// Which lines the graph draws, and in what colour.
#[derive(Clone, Copy, Debug)]
pub struct GraphColours {
    /// The detected (input) pitch.
    pub detected: Color32,
    /// The target note.
    pub target: Color32,
    /// The output pitch.
    pub output: Color32,
}

impl GraphColours {
    /// The graph's colours in `theme`: the input grey-blue, the target dim
    /// white, the output in the accent.
    pub fn of(theme: &Theme) -> Self {
        Self {
            detected: theme.analyser,
            target: theme.text_dim,
            output: theme.accent,
        }
    }
}

/// Vertical mapping of the graph: MIDI notes (fractional) to y.
#[derive(Clone, Copy, Debug)]
pub struct NoteAxis {
    /// Note at the bottom edge.
    pub bottom: f32,
    /// Note at the top edge.
    pub top: f32,
}

impl NoteAxis {
    /// An axis of [`SPAN_SEMITONES`] centred on `centre`.
    pub fn around(centre: f32) -> Self {
        Self {
            bottom: centre - 0.5 * SPAN_SEMITONES,
            top: centre + 0.5 * SPAN_SEMITONES,
        }
    }

    /// Y of note `note` in `rect`.
    pub fn y(&self, note: f32, rect: Rect) -> f32 {
        let t = (note - self.bottom) / (self.top - self.bottom);
        rect.bottom() - t * rect.height()
    }
}

/// Paints the graph of `history` into `rect`: lanes (scale notes of
/// `scale_mask` lighter, bit 0 = C), note names down the left edge, one
/// line per second, then the target, detected and output pitch, each
/// broken where the voice is unvoiced. `reference_hz` is A4.
pub fn paint(
    painter: &Painter,
    rect: Rect,
    history: &PitchHistory,
    scale_mask: u16,
    reference_hz: f32,
    theme: &Theme,
) {
    paint_plot_frame(painter, rect, theme);
    let label_w = 34.0;
    let plot = Rect::from_min_max(
        rect.min + Vec2::new(label_w, 1.0),
        rect.max - Vec2::splat(1.0),
    );
    let axis = NoteAxis::around(history.centre());
    let painter = painter.with_clip_rect(rect);
    let lane_h = plot.height() / SPAN_SEMITONES;
    let font = FontId::proportional(SMALL_TEXT_PT);

    // Lanes, one per semitone, centred on the note.
    let first = axis.bottom.floor() as i32;
    let last = axis.top.ceil() as i32;
    for note in first..=last {
        let y = axis.y(note as f32, plot);
        let lane = Rect::from_min_max(
            Pos2::new(plot.left(), y - 0.5 * lane_h),
            Pos2::new(plot.right(), y + 0.5 * lane_h),
        );
        let pc = note.rem_euclid(12) as u16;
        let in_scale = scale_mask >> pc & 1 == 1;
        if in_scale {
            painter.rect_filled(lane, 0.0, theme.raised.gamma_multiply(0.55));
        }
        let c = pc == 0;
        let line = if c { theme.grid_major } else { theme.grid };
        painter.line_segment(
            [
                Pos2::new(plot.left(), lane.bottom()),
                Pos2::new(plot.right(), lane.bottom()),
            ],
            Stroke::new(if c { 1.0 } else { 0.5 }, line),
        );
        // Names of the scale's notes when the lanes are tall enough, of the
        // Cs always.
        if c || (in_scale && lane_h >= SMALL_TEXT_PT * 0.95) {
            painter.text(
                Pos2::new(rect.left() + 4.0, y),
                Align2::LEFT_CENTER,
                note_name(note),
                font.clone(),
                if in_scale { theme.text } else { theme.text_dim },
            );
        }
    }

    // One line per second, with its age.
    let px_per_s = plot.width() / SHOWN_S;
    for s in 1..SHOWN_S as i32 {
        let x = plot.right() - s as f32 * px_per_s;
        painter.line_segment(
            [Pos2::new(x, plot.top()), Pos2::new(x, plot.bottom())],
            Stroke::new(0.5, theme.grid),
        );
        painter.text(
            Pos2::new(x + 3.0, plot.bottom() - 2.0),
            Align2::LEFT_BOTTOM,
            format!("−{s} s"),
            font.clone(),
            theme.text_dim,
        );
    }

    let colours = GraphColours::of(theme);
    let reference = f64::from(reference_hz);
    let to_note = |hz: f32| -> Option<f32> {
        (hz > 0.0)
            .then(|| note_of_hz(f64::from(hz), reference) as f32)
            .filter(|n| n.is_finite())
    };
    // One sample per point of width, newest at the right edge.
    let frames_per_pt = history.frame_rate_hz() / px_per_s;
    let columns = plot.width().max(1.0) as usize;
    let sample = |col: usize| -> Option<&PitchFrame> {
        let age = ((columns - 1 - col) as f32 * frames_per_pt) as usize;
        history.back(age)
    };
    type Pick = fn(&PitchFrame) -> f32;
    let lanes: [(Pick, Color32, f32); 3] = [
        (|f| f.target_hz, colours.target, 4.0),
        (|f| f.detected_hz, colours.detected, 1.5),
        (|f| f.output_hz, colours.output, 2.0),
    ];
    for (pick, colour, width) in lanes {
        let mut run: Vec<Pos2> = Vec::new();
        let flush = |run: &mut Vec<Pos2>| {
            if run.len() >= 2 {
                painter.add(Shape::line(std::mem::take(run), Stroke::new(width, colour)));
            }
            run.clear();
        };
        for col in 0..columns {
            let x = plot.left() + col as f32 + 0.5;
            let point = sample(col)
                .filter(|f| f.voiced)
                .and_then(|f| to_note(pick(f)))
                .map(|n| Pos2::new(x, axis.y(n, plot)));
            match point {
                // A jump of more than a semitone between columns (a new
                // note) starts a new line rather than a vertical stroke.
                Some(p) if run.last().is_some_and(|q| (p.y - q.y).abs() > 1.2 * lane_h) => {
                    flush(&mut run);
                    run.push(p);
                }
                Some(p) => run.push(p),
                None => flush(&mut run),
            }
        }
        flush(&mut run);
    }

    // Legend.
    let mut x = plot.left() + 8.0;
    for (name, colour) in [
        ("detected", colours.detected),
        ("target", colours.target),
        ("output", colours.output),
    ] {
        let y = plot.top() + 10.0;
        painter.line_segment(
            [Pos2::new(x, y), Pos2::new(x + 14.0, y)],
            Stroke::new(2.0, colour),
        );
        let r = painter.text(
            Pos2::new(x + 18.0, y),
            Align2::LEFT_CENTER,
            name,
            font.clone(),
            theme.text,
        );
        x = r.right() + 14.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voiced(hz: f32) -> PitchFrame {
        PitchFrame {
            voiced: true,
            detected_hz: hz,
            target_hz: hz,
            output_hz: hz,
            ..PitchFrame::default()
        }
    }

    #[test]
    fn notes_are_named_with_their_octave() {
        assert_eq!(note_name(60), "C4");
        assert_eq!(note_name(69), "A4");
        assert_eq!(note_name(59), "B3");
        assert_eq!(note_name(0), "C-1");
    }

    #[test]
    fn history_keeps_the_newest_frames() {
        let mut h = PitchHistory::new(10.0);
        assert!(h.is_empty());
        for i in 0..100 {
            h.push(voiced(100.0 + i as f32));
        }
        assert_eq!(h.len(), 60);
        assert_eq!(h.latest().detected_hz, 199.0);
        assert_eq!(h.back(59).map(|f| f.detected_hz), Some(140.0));
        assert!(h.back(60).is_none());
    }

    #[test]
    fn the_view_follows_the_voice_within_its_range() {
        let mut h = PitchHistory::new(1500.0);
        for _ in 0..3000 {
            h.push(voiced(440.0));
        }
        h.follow(VoiceType::TenorAlto, 440.0, 0.0, true);
        assert!((h.centre() - 69.0).abs() < 1e-3, "{}", h.centre());
        // A bass range holds the view below its top (400 Hz ≈ G4 − 33 ct).
        h.follow(VoiceType::Bass, 440.0, 0.0, true);
        assert!(h.centre() < 68.0);
        // Easing: part of the way after 0.1 s.
        let mut h = PitchHistory::new(1500.0);
        h.follow(VoiceType::TenorAlto, 440.0, 0.0, true);
        let start = h.centre();
        for _ in 0..3000 {
            h.push(voiced(220.0));
        }
        h.follow(VoiceType::TenorAlto, 440.0, 0.1, false);
        let moved = (h.centre() - start) / (57.0 - start);
        assert!((0.1..0.3).contains(&moved), "{moved}");
    }

    #[test]
    fn the_axis_puts_the_centre_mid_height() {
        let a = NoteAxis::around(60.0);
        let r = Rect::from_min_size(Pos2::ZERO, Vec2::new(100.0, 240.0));
        assert!((a.y(60.0, r) - 120.0).abs() < 1e-4);
        assert!((a.y(72.0, r) - 0.0).abs() < 1e-4);
    }
}
