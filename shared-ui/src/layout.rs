//! Sizing shared by the widgets that fill the space they are given.

use egui::{Ui, Vec2};

/// What `ui` offers on each axis where that is a usable number (finite and
/// above `min` points), else `fallback` on that axis (points). Editors are
/// resizable, so widgets take their size from the space they are placed in;
/// the fallback covers layouts that offer unbounded or no space.
pub fn available_or(ui: &Ui, fallback: Vec2, min: f32) -> Vec2 {
    let a = ui.available_size();
    let pick = |v: f32, f: f32| if v.is_finite() && v > min { v } else { f };
    Vec2::new(pick(a.x, fallback.x), pick(a.y, fallback.y))
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
}
