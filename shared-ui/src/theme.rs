//! The Glasswork look: a dark charcoal studio theme with one accent colour per plugin.
//!
//! The palette keeps large surfaces near-neutral and low in luminance so that the only saturated
//! colours on screen are the ones that carry information (the plugin accent, meter zones, gain
//! reduction). Text sits at roughly 11:1 contrast against the panel colour, well above the WCAG AA
//! 4.5:1 figure for body text.
//!
//! [`Theme::apply`] installs the egui style and stores the palette in the context's memory, so
//! every widget of this crate can look it up with [`Theme::current`] without the editor threading
//! a palette through every call.

use egui::{Color32, Context, FontFamily, FontId, Stroke, TextStyle};

/// Built-in accent colours, one per Glasswork plugin, all of similar luminance so that the suite
/// looks coherent.
pub mod accent {
    use egui::Color32;

    /// Glasswork Limit: amber.
    pub const LIMIT: Color32 = Color32::from_rgb(0xf2, 0xa5, 0x3a);
    /// Glasswork EQ: cyan.
    pub const EQ: Color32 = Color32::from_rgb(0x3c, 0xc8, 0xe6);
    /// Glasswork Comp: orange-red.
    pub const COMP: Color32 = Color32::from_rgb(0xf0, 0x74, 0x4c);
    /// Glasswork Verb: violet.
    pub const VERB: Color32 = Color32::from_rgb(0x9c, 0x8c, 0xf5);
    /// Glasswork Echo: teal-green.
    pub const ECHO: Color32 = Color32::from_rgb(0x4c, 0xd6, 0xa8);
    /// Glasswork Tune: magenta.
    pub const TUNE: Color32 = Color32::from_rgb(0xe6, 0x6c, 0xc0);
}

/// Body text size in egui points (scales with the editor zoom and the display's pixels per point).
pub const BODY_TEXT_PT: f32 = 13.5;
/// Small text size in points: axis labels, meter scales, numeric readouts.
pub const SMALL_TEXT_PT: f32 = 11.0;
/// Heading text size in points: plugin title and section headers.
pub const HEADING_TEXT_PT: f32 = 17.0;

/// The named colours every Glasswork widget draws with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    /// Window background behind all panels.
    pub background: Color32,
    /// Panel and widget-well fill, one step lighter than the background.
    pub panel: Color32,
    /// Raised surface: knob body, button face, meter well.
    pub raised: Color32,
    /// Outlines of panels and wells.
    pub outline: Color32,
    /// Minor grid lines in plots.
    pub grid: Color32,
    /// Major grid lines (0 dB, 1 kHz, decades).
    pub grid_major: Color32,
    /// Primary text.
    pub text: Color32,
    /// Secondary text: axis labels, units, inactive captions.
    pub text_dim: Color32,
    /// The plugin's accent: value arcs, active toggles, the main curve.
    pub accent: Color32,
    /// Meter zone below the warning threshold.
    pub meter_green: Color32,
    /// Meter zone between the warning threshold and the clip threshold.
    pub meter_yellow: Color32,
    /// Meter zone above 0 dBFS or the ceiling.
    pub meter_red: Color32,
    /// Gain reduction bars and traces.
    pub gain_reduction: Color32,
    /// Input level trace in history graphs and analysers.
    pub input: Color32,
    /// Output level trace in history graphs and analysers.
    pub output: Color32,
    /// Spectrum analyser trace and fill: a muted steel blue that stays behind the curves.
    pub analyser: Color32,
}

impl Default for Theme {
    fn default() -> Self {
        Self::with_accent(accent::LIMIT)
    }
}

impl Theme {
    /// The standard palette with the given plugin accent colour.
    pub const fn with_accent(accent: Color32) -> Self {
        Self {
            background: Color32::from_rgb(0x17, 0x18, 0x1b),
            panel: Color32::from_rgb(0x1f, 0x21, 0x25),
            raised: Color32::from_rgb(0x2b, 0x2e, 0x33),
            outline: Color32::from_rgb(0x3a, 0x3d, 0x44),
            grid: Color32::from_rgb(0x2c, 0x2f, 0x35),
            grid_major: Color32::from_rgb(0x44, 0x48, 0x50),
            text: Color32::from_rgb(0xe6, 0xe8, 0xec),
            text_dim: Color32::from_rgb(0x9a, 0x9f, 0xa8),
            accent,
            meter_green: Color32::from_rgb(0x4c, 0xc3, 0x6a),
            meter_yellow: Color32::from_rgb(0xe8, 0xc8, 0x3c),
            meter_red: Color32::from_rgb(0xe8, 0x44, 0x3c),
            gain_reduction: Color32::from_rgb(0xe8, 0x5a, 0x6e),
            input: Color32::from_rgb(0x6c, 0x74, 0x80),
            output: Color32::from_rgb(0xc8, 0xd0, 0xdc),
            analyser: Color32::from_rgb(0x5f, 0x77, 0x9a),
        }
    }

    /// The accent at reduced opacity, for filled areas under curves. `alpha` is 0..=1.
    pub fn accent_fill(&self, alpha: f32) -> Color32 {
        self.accent.gamma_multiply(alpha.clamp(0.0, 1.0))
    }

    /// A frame for grouping controls into a panel: panel fill, outline, rounded corners and an
    /// inner margin of about half a text line. Use as `theme.panel_frame().show(ui, |ui| ..)`.
    pub fn panel_frame(&self) -> egui::Frame {
        egui::Frame::NONE
            .fill(self.panel)
            .stroke(Stroke::new(1.0, self.outline))
            .corner_radius(4.0)
            .inner_margin(BODY_TEXT_PT * 0.6)
    }

    /// Caption text for a panel or section: small, dim, in capitals as hardware labels are.
    pub fn caption(&self, text: &str) -> egui::RichText {
        egui::RichText::new(text.to_uppercase())
            .size(SMALL_TEXT_PT)
            .color(self.text_dim)
    }

    /// Install this palette as the egui style of `ctx` (all themes) and remember it for
    /// [`Theme::current`]. Call it from the editor's `build` callback, or again whenever the accent
    /// changes; it does not need to run every frame.
    pub fn apply(&self, ctx: &Context) {
        let theme = *self;
        ctx.all_styles_mut(|style| theme.style_into(style));
        ctx.data_mut(|data| data.insert_temp(theme_id(), theme));
    }

    /// The palette last installed with [`Theme::apply`] on this context, or the default palette.
    pub fn current(ctx: &Context) -> Self {
        ctx.data(|data| data.get_temp(theme_id()))
            .unwrap_or_default()
    }

    fn style_into(&self, style: &mut egui::Style) {
        style.text_styles = [
            (
                TextStyle::Small,
                FontId::new(SMALL_TEXT_PT, FontFamily::Proportional),
            ),
            (
                TextStyle::Body,
                FontId::new(BODY_TEXT_PT, FontFamily::Proportional),
            ),
            (
                TextStyle::Button,
                FontId::new(BODY_TEXT_PT, FontFamily::Proportional),
            ),
            (
                TextStyle::Heading,
                FontId::new(HEADING_TEXT_PT, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(12.5, FontFamily::Monospace),
            ),
        ]
        .into();

        let v = &mut style.visuals;
        *v = egui::Visuals::dark();
        v.override_text_color = Some(self.text);
        v.panel_fill = self.background;
        v.window_fill = self.panel;
        v.window_stroke = Stroke::new(1.0, self.outline);
        v.extreme_bg_color = self.background;
        v.faint_bg_color = self.panel;
        v.code_bg_color = self.raised;
        v.hyperlink_color = self.accent;
        v.selection.bg_fill = self.accent.gamma_multiply(0.55);
        v.selection.stroke = Stroke::new(1.0, self.text);
        v.slider_trailing_fill = true;

        let corner = egui::CornerRadius::same(3);
        let w = &mut v.widgets;
        w.noninteractive.bg_fill = self.panel;
        w.noninteractive.weak_bg_fill = self.panel;
        w.noninteractive.bg_stroke = Stroke::new(1.0, self.outline);
        w.noninteractive.fg_stroke = Stroke::new(1.0, self.text_dim);
        w.noninteractive.corner_radius = corner;

        w.inactive.bg_fill = self.raised;
        w.inactive.weak_bg_fill = self.raised;
        w.inactive.bg_stroke = Stroke::new(1.0, self.outline);
        w.inactive.fg_stroke = Stroke::new(1.0, self.text);
        w.inactive.corner_radius = corner;

        let hovered = lighten(self.raised, 0.08);
        w.hovered.bg_fill = hovered;
        w.hovered.weak_bg_fill = hovered;
        w.hovered.bg_stroke = Stroke::new(1.0, self.text_dim);
        w.hovered.fg_stroke = Stroke::new(1.5, self.text);
        w.hovered.corner_radius = corner;

        let active = lighten(self.raised, 0.14);
        w.active.bg_fill = active;
        w.active.weak_bg_fill = active;
        w.active.bg_stroke = Stroke::new(1.0, self.accent);
        w.active.fg_stroke = Stroke::new(2.0, self.text);
        w.active.corner_radius = corner;

        w.open = w.active;
    }
}

/// Install the default Glasswork palette (Limit's amber accent) on `ctx`.
pub fn apply(ctx: &Context) {
    Theme::default().apply(ctx);
}

/// Install the Glasswork palette with the plugin's `accent` colour on `ctx`.
pub fn apply_with_accent(ctx: &Context, accent: Color32) {
    Theme::with_accent(accent).apply(ctx);
}

/// Mix `colour` towards white by `amount` (0..=1), keeping its alpha.
pub fn lighten(colour: Color32, amount: f32) -> Color32 {
    let t = amount.clamp(0.0, 1.0);
    let mix = |c: u8| (c as f32 + (255.0 - c as f32) * t).round() as u8;
    Color32::from_rgba_unmultiplied(
        mix(colour.r()),
        mix(colour.g()),
        mix(colour.b()),
        colour.a(),
    )
}

fn theme_id() -> egui::Id {
    egui::Id::unique("glass_ui::theme")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG 2 relative luminance of an sRGB colour.
    fn luminance(c: Color32) -> f32 {
        let lin = |v: u8| {
            let s = v as f32 / 255.0;
            if s <= 0.040_45 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(c.r()) + 0.7152 * lin(c.g()) + 0.0722 * lin(c.b())
    }

    fn contrast(a: Color32, b: Color32) -> f32 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn text_meets_wcag_aa_on_every_surface() {
        let t = Theme::default();
        for surface in [t.background, t.panel, t.raised] {
            assert!(
                contrast(t.text, surface) >= 7.0,
                "primary text on {surface:?}"
            );
            assert!(
                contrast(t.text_dim, surface) >= 4.5,
                "dim text on {surface:?}"
            );
        }
    }

    #[test]
    fn accents_are_readable_on_the_panel() {
        let t = Theme::default();
        for a in [
            accent::LIMIT,
            accent::EQ,
            accent::COMP,
            accent::VERB,
            accent::ECHO,
            accent::TUNE,
        ] {
            assert!(contrast(a, t.panel) >= 4.5, "accent {a:?}");
        }
    }

    #[test]
    fn apply_stores_the_palette_in_the_context() {
        let ctx = Context::default();
        assert_eq!(Theme::current(&ctx), Theme::default());
        apply_with_accent(&ctx, accent::EQ);
        assert_eq!(Theme::current(&ctx).accent, accent::EQ);
        let body = ctx.global_style().text_styles[&TextStyle::Body].size;
        assert!((13.0..=14.0).contains(&body));
    }

    #[test]
    fn lighten_interpolates_towards_white() {
        let c = lighten(Color32::from_rgb(0, 100, 255), 0.5);
        assert_eq!((c.r(), c.g(), c.b()), (128, 178, 255));
    }
}
