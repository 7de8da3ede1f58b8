//! Sizing shared by the widgets that fill the space they are given, and the
//! rect arithmetic editors lay their control groups out with.

use crate::Theme;
use egui::{Align, Align2, FontId, Layout, Pos2, Rect, Stroke, Ui, UiBuilder, Vec2};

/// What `ui` offers on each axis where that is a usable number (finite and
/// above `min` points), else `fallback` on that axis (points). Editors are
/// resizable, so widgets take their size from the space they are placed in;
/// the fallback covers layouts that offer unbounded or no space.
pub fn available_or(ui: &Ui, fallback: Vec2, min: f32) -> Vec2 {
    let a = ui.available_size();
    let pick = |v: f32, f: f32| if v.is_finite() && v > min { v } else { f };
    Vec2::new(pick(a.x, fallback.x), pick(a.y, fallback.y))
}

/// Paints a captioned group panel (the caption upper-cased, small, dim) over
/// `rect` and returns the area left inside it for the group's controls (6 pt
/// margins, 20 pt for the caption), in points.
pub fn group(ui: &Ui, rect: Rect, title: &str, theme: &Theme) -> Rect {
    let painter = ui.painter();
    painter.rect(
        rect,
        4.0,
        theme.panel,
        Stroke::new(1.0, theme.outline),
        egui::StrokeKind::Inside,
    );
    painter.text(
        rect.min + Vec2::new(8.0, 5.0),
        Align2::LEFT_TOP,
        title.to_uppercase(),
        FontId::proportional(crate::theme::SMALL_TEXT_PT),
        theme.text_dim,
    );
    Rect::from_min_max(rect.min + Vec2::new(6.0, 20.0), rect.max - Vec2::splat(6.0))
}

/// `rect` split into `n` (at least 1) equal columns, left to right.
pub fn columns(rect: Rect, n: usize) -> Vec<Rect> {
    let w = rect.width() / n.max(1) as f32;
    (0..n.max(1))
        .map(|i| {
            Rect::from_min_size(
                Pos2::new(rect.min.x + i as f32 * w, rect.min.y),
                Vec2::new(w, rect.height()),
            )
        })
        .collect()
}

/// `rect` split left to right into widths proportional to `weights`, with
/// `gap` points between neighbours.
pub fn weighted_columns(rect: Rect, weights: &[f32], gap: f32) -> Vec<Rect> {
    let total: f32 = weights.iter().sum::<f32>().max(f32::MIN_POSITIVE);
    let usable = rect.width() - gap * weights.len().saturating_sub(1) as f32;
    let mut x = rect.min.x;
    weights
        .iter()
        .map(|w| {
            let width = usable * w / total;
            let r = Rect::from_min_size(Pos2::new(x, rect.min.y), Vec2::new(width, rect.height()));
            x += width + gap;
            r
        })
        .collect()
}

/// Runs `add` in a child ui confined to `rect`, its widgets stacked top to
/// bottom and centred horizontally.
pub fn in_rect(ui: &mut Ui, rect: Rect, add: impl FnOnce(&mut Ui)) {
    ui.scope_builder(
        UiBuilder::new()
            .max_rect(rect)
            .layout(Layout::top_down(Align::Center)),
        add,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::{Context, RawInput, Rect, UiBuilder};

    #[test]
    fn takes_the_offered_space_or_the_fallback() {
        let ctx = Context::default();
        let mut out = ctx.run_ui(RawInput::default(), |ui| {
            let rect = Rect::from_min_size(egui::pos2(0.0, 0.0), Vec2::new(300.0, 10.0));
            ui.scope_builder(UiBuilder::new().max_rect(rect), |ui| {
                let s = available_or(ui, Vec2::new(50.0, 80.0), 16.0);
                assert_eq!(s, Vec2::new(300.0, 80.0));
            });
        });
        out.textures_delta.clear();
    }

    #[test]
    fn columns_tile_the_rect() {
        let rect = Rect::from_min_size(egui::pos2(10.0, 5.0), Vec2::new(300.0, 40.0));
        let cols = columns(rect, 3);
        assert_eq!(cols.len(), 3);
        assert_eq!(cols[0].min, rect.min);
        assert_eq!(cols[2].max, rect.max);
        assert!((cols[1].width() - 100.0).abs() < 1e-4);
        let w = weighted_columns(rect, &[1.0, 2.0], 6.0);
        assert!((w[0].width() - 98.0).abs() < 1e-3);
        assert!((w[1].width() - 196.0).abs() < 1e-3);
        assert!((w[1].max.x - rect.max.x).abs() < 1e-3);
    }
}
