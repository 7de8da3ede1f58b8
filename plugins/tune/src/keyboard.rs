//! One octave of piano keys showing the scale and the current note, and
//! choosing the custom scale's notes.
//!
//! Keys in the scale are lit in the accent; the note the voice is on has a
//! bright outline and a dot, held MIDI target notes a ring. Clicking a key
//! is reported to the editor, which toggles that note of the custom scale.

use egui::{Align2, Color32, FontId, Pos2, Rect, Response, Sense, Stroke, Ui, Vec2};
use glass_dsp::scale::NOTE_NAMES;
use glass_ui::theme::SMALL_TEXT_PT;
use glass_ui::Theme;

/// What the keyboard shows; pitch-class masks have bit 0 = C.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyboardState {
    /// Notes allowed as targets (the scale, or the held MIDI notes).
    pub scale: u16,
    /// Pitch class the voice is on now (nearest to the detected pitch).
    pub current: Option<u8>,
    /// Pitch class of the target note now.
    pub target: Option<u8>,
    /// Pitch classes of the MIDI notes held on the target input.
    pub held: u16,
}

/// Pitch classes of the black keys.
const BLACK: [u8; 5] = [1, 3, 6, 8, 10];
/// White key index (0..7) of each white pitch class.
const WHITE: [(u8, usize); 7] = [(0, 0), (2, 1), (4, 2), (5, 3), (7, 4), (9, 5), (11, 6)];

/// The rect of pitch class `pc`'s key in a keyboard drawn in `rect`.
pub fn key_rect(rect: Rect, pc: u8) -> Rect {
    let w = rect.width() / 7.0;
    if let Some(&(_, i)) = WHITE.iter().find(|(p, _)| *p == pc) {
        return Rect::from_min_size(
            Pos2::new(rect.left() + i as f32 * w, rect.top()),
            Vec2::new(w, rect.height()),
        );
    }
    // A black key sits over the boundary after the white key below it.
    let below = WHITE
        .iter()
        .rev()
        .find(|(p, _)| *p < pc)
        .map_or(0, |(_, i)| *i);
    let bw = w * 0.62;
    let x = rect.left() + (below + 1) as f32 * w - 0.5 * bw;
    Rect::from_min_size(Pos2::new(x, rect.top()), Vec2::new(bw, rect.height() * 0.6))
}

/// The pitch class under `pos`, black keys first (they lie on top).
pub fn key_at(rect: Rect, pos: Pos2) -> Option<u8> {
    if !rect.contains(pos) {
        return None;
    }
    BLACK
        .iter()
        .chain(WHITE.iter().map(|(p, _)| p))
        .copied()
        .find(|&pc| key_rect(rect, pc).contains(pos))
}

/// Draws the keyboard filling `rect` and returns the response with the
/// clicked pitch class, if a key was clicked.
pub fn show(
    ui: &mut Ui,
    rect: Rect,
    state: KeyboardState,
    theme: &Theme,
) -> (Response, Option<u8>) {
    let response = ui.allocate_rect(rect, Sense::click());
    let painter = ui.painter_at(rect.expand(2.0));
    let hover = response.hover_pos().and_then(|p| key_at(rect, p));
    let font = FontId::proportional(SMALL_TEXT_PT);
    let paint_key = |pc: u8, black: bool| {
        let r = key_rect(rect, pc).shrink(0.5);
        let on = state.scale >> pc & 1 == 1;
        let base = match (black, on) {
            (false, true) => theme.accent.gamma_multiply(0.75),
            (false, false) => Color32::from_gray(0x9a),
            (true, true) => theme.accent.gamma_multiply(0.55),
            (true, false) => Color32::from_gray(0x1c),
        };
        let fill = if hover == Some(pc) {
            glass_ui::theme::lighten(base, 0.15)
        } else {
            base
        };
        painter.rect_filled(r, 2.0, fill);
        let current = state.current == Some(pc);
        painter.rect_stroke(
            r,
            2.0,
            if current {
                Stroke::new(2.5, theme.text)
            } else {
                Stroke::new(1.0, theme.background)
            },
            egui::StrokeKind::Inside,
        );
        let text_colour = if black || !on {
            theme.text
        } else {
            theme.background
        };
        let bottom = Pos2::new(r.center().x, r.bottom() - 4.0);
        painter.text(
            bottom,
            Align2::CENTER_BOTTOM,
            NOTE_NAMES[usize::from(pc)],
            font.clone(),
            text_colour,
        );
        let mark = Pos2::new(r.center().x, r.bottom() - 4.0 - SMALL_TEXT_PT * 1.6);
        let radius = (r.width() * 0.16).clamp(2.5, 6.0);
        if state.target == Some(pc) {
            painter.circle_filled(mark, radius, text_colour);
        }
        if state.held >> pc & 1 == 1 {
            painter.circle_stroke(mark, radius + 2.5, Stroke::new(1.5, text_colour));
        }
    };
    for (pc, _) in WHITE {
        paint_key(pc, false);
    }
    for pc in BLACK {
        paint_key(pc, true);
    }
    let clicked = if response.clicked() {
        response
            .interact_pointer_pos()
            .and_then(|p| key_at(rect, p))
    } else {
        None
    };
    (response, clicked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_found_where_it_is_drawn() {
        let rect = Rect::from_min_size(Pos2::new(10.0, 20.0), Vec2::new(280.0, 100.0));
        for pc in 0..12u8 {
            let r = key_rect(rect, pc);
            // A point low on a white key (below the black keys), high on a
            // black one.
            let p = if BLACK.contains(&pc) {
                Pos2::new(r.center().x, r.top() + 5.0)
            } else {
                Pos2::new(r.center().x, r.bottom() - 5.0)
            };
            assert_eq!(key_at(rect, p), Some(pc), "pitch class {pc}");
        }
        assert_eq!(key_at(rect, Pos2::new(0.0, 0.0)), None);
        // Black keys lie on top of the white ones.
        let cs = key_rect(rect, 1);
        assert_eq!(
            key_at(rect, Pos2::new(cs.left() + 1.0, cs.top() + 1.0)),
            Some(1)
        );
    }
}
