//! The part of every Glasswork editor that faces nice-plug-egui: the theme
//! in the plugin's accent, the GUI context while the window is open, the
//! time between frames, and the editor window's settings. A plugin writes
//! only its [`EditorBody`].

use crate::Theme;
use egui::Color32;
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::{ParamSetter, ResizeHint};
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, RepaintNotifier,
};
use std::sync::Arc;
use std::time::Instant;

/// What a plugin's editor draws; [`HostedEditor`] does the rest.
pub trait EditorBody: Send + 'static {
    /// The plugin's accent colour (see [`crate::accent`]).
    fn accent(&self) -> Color32;

    /// Draws one frame into `ui`, `dt` seconds (0..0.5) after the previous
    /// one, changing parameters through `setter`.
    fn frame(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32);
}

/// An [`EditorBody`] inside nice-plug-egui.
pub struct HostedEditor<B> {
    body: B,
    context: Option<GuiContext>,
    last_frame: Option<Instant>,
}

impl<B: EditorBody> HostedEditor<B> {
    /// Hosts `body`.
    pub fn new(body: B) -> Self {
        Self {
            body,
            context: None,
            last_frame: None,
        }
    }
}

impl<B: EditorBody> nice_plug_egui::NiceEguiApp for HostedEditor<B> {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        Theme::with_accent(self.body.accent()).apply(&egui_ctx);
        self.context = Some(nice_gui_ctx);
        Ok(())
    }

    fn editor_closed(&mut self) {
        self.context = None;
        self.last_frame = None;
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(context) = self.context.clone() else {
            return;
        };
        let setter = context.param_setter();
        let now = Instant::now();
        // Long pauses (a hidden window) count as half a second, so meters
        // fall back smoothly instead of jumping.
        let dt = self
            .last_frame
            .map_or(0.0, |t| now.duration_since(t).as_secs_f32().min(0.5));
        self.last_frame = Some(now);
        self.body.frame(ui, &setter, dt);
    }
}

/// A resizable editor window titled `title` (e.g. "Glasswork Limit") that
/// can shrink to `min_size` logical points and no further.
pub fn create<B: EditorBody>(
    body: B,
    title: &str,
    min_size: (f32, f32),
    state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
) -> Option<EguiEditor<HostedEditor<B>>> {
    create_egui_editor(
        state,
        repaint,
        EguiNiceSettings::new().with_tile(title).with_resize_hint(
            ResizeHint::resizable().with_min_logical_size(LogicalSize::new(min_size.0, min_size.1)),
        ),
        HostedEditor::new(body),
    )
}
