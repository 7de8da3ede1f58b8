//! Small latching button for on/off settings (bypass, link, true-peak mode).
//!
//! The button shows an indicator dot and its caption; when on, the dot and outline take the
//! accent colour, so a row of toggles reads at a glance without a second label.

use egui::{Align2, FontId, Pos2, Response, Sense, Stroke, Ui, Vec2, Widget};
use nice_plug::prelude::{Param, ParamSetter};

use crate::theme::{lighten, Theme, BODY_TEXT_PT};

/// A toggle button for a two-state parameter (`BoolParam`, or any parameter where normalised
/// values above 0.5 mean "on"). One click is one host gesture.
#[must_use = "add the toggle to a Ui with `ui.add(toggle)`"]
pub struct ParamToggle<'a, P: Param> {
    param: &'a P,
    setter: &'a ParamSetter<'a>,
    text: Option<String>,
}

impl<'a, P: Param> ParamToggle<'a, P> {
    /// A toggle for `param` captioned with the parameter's name.
    pub fn for_param(param: &'a P, setter: &'a ParamSetter<'a>) -> Self {
        Self {
            param,
            setter,
            text: None,
        }
    }

    /// Use `text` as the caption instead of the parameter name.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }
}

impl<P: Param> Widget for ParamToggle<'_, P> {
    fn ui(self, ui: &mut Ui) -> Response {
        let on = self.param.unmodulated_normalized_value() > 0.5;
        let text = self.text.as_deref().unwrap_or(self.param.name());
        let mut response = toggle_ui(ui, on, text);
        if response.clicked() {
            self.setter.begin_set_parameter(self.param);
            let target = if on { 0.0 } else { 1.0 };
            self.setter
                .set_parameter(self.param, self.param.preview_plain(target));
            self.setter.end_set_parameter(self.param);
            response.mark_changed();
        }
        response
    }
}

/// A toggle button editing a plain `bool`.
#[must_use = "add the toggle to a Ui with `ui.add(toggle)`"]
pub struct Toggle<'a> {
    value: &'a mut bool,
    text: String,
}

impl<'a> Toggle<'a> {
    /// A toggle editing `value`, captioned `text`.
    pub fn new(value: &'a mut bool, text: impl Into<String>) -> Self {
        Self {
            value,
            text: text.into(),
        }
    }
}

impl Widget for Toggle<'_> {
    fn ui(self, ui: &mut Ui) -> Response {
        let mut response = toggle_ui(ui, *self.value, &self.text);
        if response.clicked() {
            *self.value = !*self.value;
            response.mark_changed();
        }
        response
    }
}

/// Allocate and paint a toggle; the caller applies the click.
fn toggle_ui(ui: &mut Ui, on: bool, text: &str) -> Response {
    let theme = Theme::current(ui.ctx());
    let font = FontId::proportional(BODY_TEXT_PT);
    let text_w = ui.fonts_mut(|f| {
        f.layout_no_wrap(text.to_owned(), font.clone(), theme.text)
            .size()
            .x
    });
    let pad = BODY_TEXT_PT * 0.6;
    let dot_r = BODY_TEXT_PT * 0.28;
    let height = BODY_TEXT_PT * 1.9;
    let width = pad + 2.0 * dot_r + pad * 0.7 + text_w + pad;
    let (rect, response) = ui.allocate_exact_size(Vec2::new(width, height), Sense::click());

    if ui.is_rect_visible(rect) {
        let painter = ui.painter();
        let face = if response.hovered() {
            lighten(theme.raised, 0.06)
        } else {
            theme.raised
        };
        let outline = if on { theme.accent } else { theme.outline };
        let corner = height * 0.25;
        painter.rect(
            rect,
            corner,
            face,
            Stroke::new(1.0, outline),
            egui::StrokeKind::Inside,
        );
        let dot = Pos2::new(rect.min.x + pad + dot_r, rect.center().y);
        if on {
            painter.circle_filled(dot, dot_r, theme.accent);
        } else {
            painter.circle(dot, dot_r, theme.panel, Stroke::new(1.0, theme.outline));
        }
        painter.text(
            Pos2::new(dot.x + dot_r + pad * 0.7, rect.center().y),
            Align2::LEFT_CENTER,
            text,
            font,
            if on { theme.text } else { theme.text_dim },
        );
    }
    let info_text = text.to_owned();
    response.widget_info(|| {
        egui::WidgetInfo::selected(egui::Role::CheckBox, true, on, info_text.as_str())
    });
    response
}
