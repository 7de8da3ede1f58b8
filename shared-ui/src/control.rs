//! What knobs and sliders drive, and the interaction rules they share.
//!
//! A [`Control`] is a value seen through a normalised 0..=1 window: either a nice-plug parameter
//! ([`ParamControl`], which reports gestures to the host) or a plain `f32` with a range
//! ([`ValueControl`], for UI-only settings). The gesture code in this module is the same for every
//! widget so that all Glasswork editors feel alike:
//!
//! - drag moves the value relative to where it was (no jump on click),
//! - Shift while dragging or scrolling is ten times finer,
//! - the mouse wheel steps the value (one notch = one parameter step, or 2 % of the range),
//! - double-click, or Ctrl/Cmd-click, returns to the default,
//! - a single click on the value text opens a text field: Enter applies, Escape or clicking
//!   elsewhere cancels.

use std::ops::RangeInclusive;

use egui::{Event, MouseWheelUnit, Rect, Response, Ui, Vec2};
use nice_plug::prelude::{Param, ParamSetter};

/// Drag distance in points that sweeps a knob over its whole range. 200 points keeps a full
/// sweep within one comfortable hand movement while giving 0.5 % per point.
pub const KNOB_DRAG_RANGE_PT: f32 = 200.0;

/// Shift-drag and Shift-wheel divide the sensitivity by this factor.
pub const FINE_FACTOR: f32 = 10.0;

/// Wheel travel, in points, that counts as one notch when the platform reports smooth (pixel)
/// scrolling, e.g. trackpads. egui reports one line of a wheel as 40 points on most platforms.
const POINTS_PER_NOTCH: f32 = 40.0;

/// Something a knob or slider can adjust, expressed as a normalised value in 0..=1.
pub trait Control {
    /// Caption shown with the widget (parameter name).
    fn label(&self) -> &str;
    /// Current value, normalised to 0..=1.
    fn normalized(&self) -> f32;
    /// Default value, normalised to 0..=1; double-click returns here.
    fn default_normalized(&self) -> f32;
    /// Normalised position the value arc or bar grows from: 0 for unipolar controls, the position
    /// of the neutral value (0 dB, centre pan) for bipolar ones.
    fn origin(&self) -> f32;
    /// Start of a user gesture (the host records one undo step / automation pass per gesture).
    fn begin(&mut self);
    /// Set the value from a normalised position in 0..=1 (snapped to the control's steps).
    fn set_normalized(&mut self, normalized: f32);
    /// End of a user gesture.
    fn end(&mut self);
    /// The value formatted for display, including its unit.
    fn value_text(&self) -> String;
    /// Normalised value for typed text (the unit may be included), or `None` if it does not
    /// parse.
    fn parse_text(&self, text: &str) -> Option<f32>;
    /// Normalised value one step up or down from `from`; `fine` takes a smaller step.
    fn step(&self, from: f32, up: bool, fine: bool) -> f32 {
        let size = if fine { 0.005 } else { 0.02 };
        let to = if up { from + size } else { from - size };
        to.clamp(0.0, 1.0)
    }
}

/// A nice-plug parameter driven through the host's [`ParamSetter`], so gestures are recorded as
/// automation and the displayed text uses the parameter's own `value_to_string` and unit.
pub struct ParamControl<'a, P: Param> {
    param: &'a P,
    setter: &'a ParamSetter<'a>,
    origin: f32,
}

impl<'a, P: Param> ParamControl<'a, P> {
    /// Bind to `param`. The arc origin is found automatically: if the parameter's text parser
    /// places "0" strictly inside the range (a ±dB gain, a pan, a tilt), values grow from there;
    /// otherwise from the minimum.
    pub fn new(param: &'a P, setter: &'a ParamSetter<'a>) -> Self {
        let origin = match param.string_to_normalized_value("0") {
            Some(n) if n.is_finite() && n > 0.01 && n < 0.99 => n,
            _ => 0.0,
        };
        Self {
            param,
            setter,
            origin,
        }
    }

    /// Override the normalised origin of the value arc (0..=1).
    pub fn with_origin(mut self, origin: f32) -> Self {
        self.origin = origin.clamp(0.0, 1.0);
        self
    }

    /// The bound parameter.
    pub fn param(&self) -> &'a P {
        self.param
    }
}

impl<P: Param> Control for ParamControl<'_, P> {
    fn label(&self) -> &str {
        self.param.name()
    }

    fn normalized(&self) -> f32 {
        // The unmodulated value is what the user owns; host modulation must not fight the drag.
        self.param.unmodulated_normalized_value()
    }

    fn default_normalized(&self) -> f32 {
        self.param.default_normalized_value()
    }

    fn origin(&self) -> f32 {
        self.origin
    }

    fn begin(&mut self) {
        self.setter.begin_set_parameter(self.param);
    }

    fn set_normalized(&mut self, normalized: f32) {
        // Snap through the plain value so stepped parameters land exactly on their steps and the
        // host sees the same normalised value the parameter reports back.
        let plain = self.param.preview_plain(normalized.clamp(0.0, 1.0));
        if plain != self.param.unmodulated_plain_value() {
            self.setter.set_parameter(self.param, plain);
        }
    }

    fn end(&mut self) {
        self.setter.end_set_parameter(self.param);
    }

    fn value_text(&self) -> String {
        self.param
            .normalized_value_to_string(self.param.unmodulated_normalized_value(), true)
    }

    fn parse_text(&self, text: &str) -> Option<f32> {
        self.param
            .string_to_normalized_value(text)
            .filter(|n| n.is_finite())
    }

    fn step(&self, from: f32, up: bool, fine: bool) -> f32 {
        if up {
            self.param.next_normalized_step(from, fine)
        } else {
            self.param.previous_normalized_step(from, fine)
        }
    }
}

/// A plain `f32` edited through a range, for settings that are not plugin parameters (analyser
/// range, display options).
pub struct ValueControl<'a> {
    value: &'a mut f32,
    min: f32,
    max: f32,
    default: f32,
    logarithmic: bool,
    label: String,
    unit: String,
    decimals: Option<usize>,
    origin: f32,
}

impl<'a> ValueControl<'a> {
    /// Edit `value` within `range` (swapped bounds are put in order). The default (double-click)
    /// is the value at construction; the label and unit are empty.
    pub fn new(value: &'a mut f32, range: RangeInclusive<f32>) -> Self {
        let (a, b) = (*range.start(), *range.end());
        let (min, max) = if a <= b { (a, b) } else { (b, a) };
        let default = if value.is_finite() {
            value.clamp(min, max)
        } else {
            min
        };
        Self {
            value,
            min,
            max,
            default,
            logarithmic: false,
            label: String::new(),
            unit: String::new(),
            decimals: None,
            origin: 0.0,
        }
    }

    /// Caption shown with the widget.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Unit appended to the value text, including any leading space (e.g. `" dB"`).
    pub fn with_unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = unit.into();
        self
    }

    /// Value restored by double-click, in the value's own unit.
    pub fn with_default(mut self, default: f32) -> Self {
        self.default = default.clamp(self.min, self.max);
        self
    }

    /// Map the range logarithmically (equal travel = equal ratio), for frequencies and times.
    /// Ignored unless both bounds are positive.
    pub fn logarithmic(mut self, logarithmic: bool) -> Self {
        self.logarithmic = logarithmic && self.min > 0.0;
        self
    }

    /// Fixed number of decimals in the value text (default: 2 below 10, 1 below 100, else 0).
    pub fn with_decimals(mut self, decimals: usize) -> Self {
        self.decimals = Some(decimals);
        self
    }

    /// Normalised origin of the value arc (0..=1).
    pub fn with_origin(mut self, origin: f32) -> Self {
        self.origin = origin.clamp(0.0, 1.0);
        self
    }

    /// Normalised position of `plain` in the range.
    pub fn to_normalized(&self, plain: f32) -> f32 {
        if !plain.is_finite() || self.max <= self.min {
            return 0.0;
        }
        let p = plain.clamp(self.min, self.max);
        if self.logarithmic {
            (p / self.min).ln() / (self.max / self.min).ln()
        } else {
            (p - self.min) / (self.max - self.min)
        }
    }

    /// Plain value at normalised position `normalized` (clamped to 0..=1).
    pub fn from_normalized(&self, normalized: f32) -> f32 {
        let n = if normalized.is_nan() {
            0.0
        } else {
            normalized.clamp(0.0, 1.0)
        };
        if self.logarithmic {
            self.min * (self.max / self.min).powf(n)
        } else {
            self.min + n * (self.max - self.min)
        }
    }
}

impl Control for ValueControl<'_> {
    fn label(&self) -> &str {
        &self.label
    }

    fn normalized(&self) -> f32 {
        self.to_normalized(*self.value)
    }

    fn default_normalized(&self) -> f32 {
        self.to_normalized(self.default)
    }

    fn origin(&self) -> f32 {
        self.origin
    }

    fn begin(&mut self) {}

    fn set_normalized(&mut self, normalized: f32) {
        *self.value = self.from_normalized(normalized);
    }

    fn end(&mut self) {}

    fn value_text(&self) -> String {
        let v = *self.value;
        let decimals = self.decimals.unwrap_or(if v.abs() < 10.0 {
            2
        } else if v.abs() < 100.0 {
            1
        } else {
            0
        });
        format!("{v:.decimals$}{}", self.unit)
    }

    fn parse_text(&self, text: &str) -> Option<f32> {
        let t = text.trim();
        let t = t.strip_suffix(self.unit.trim()).unwrap_or(t).trim();
        t.parse::<f32>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| self.to_normalized(v))
    }
}

/// How pointer travel maps to value change for one widget.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DragGeometry {
    /// Direction of increasing value in screen space (unit length or a sum of unit axes).
    pub axis: Vec2,
    /// Travel along `axis`, in points, for the whole 0..=1 range.
    pub range_pt: f32,
}

impl DragGeometry {
    /// Knobs: up or right increases, [`KNOB_DRAG_RANGE_PT`] for the full range.
    pub fn knob() -> Self {
        Self {
            axis: Vec2::new(1.0, -1.0),
            range_pt: KNOB_DRAG_RANGE_PT,
        }
    }

    /// Normalised change for a pointer movement of `delta` points.
    pub fn delta_normalized(&self, delta: Vec2, fine: bool) -> f32 {
        let travel = delta.dot(self.axis);
        let d = travel / self.range_pt.max(1.0);
        if fine {
            d / FINE_FACTOR
        } else {
            d
        }
    }
}

/// Per-widget state that lives in egui memory between frames.
#[derive(Debug, Clone, Copy, Default)]
struct GestureMemory {
    /// Unsnapped value that the drag accumulates into, so stepped parameters still move when
    /// each frame's motion is smaller than one step.
    drag_value: Option<f32>,
    /// Wheel travel not yet turned into a step, in notches.
    wheel_notches: f32,
}

/// Apply the shared interaction rules to `control` for a widget whose response is `response`.
/// Marks the response as changed when the value moved.
pub(crate) fn interact<C: Control>(
    ui: &Ui,
    response: &mut Response,
    control: &mut C,
    geometry: DragGeometry,
) {
    let id = response.id;
    let mut mem: GestureMemory = ui.data(|d| d.get_temp(id)).unwrap_or_default();
    let (fine, command) = ui.input(|i| (i.modifiers.shift, i.modifiers.command));

    // Reset: double-click, or Ctrl/Cmd-click. A drag that is in progress keeps its gesture open
    // and simply continues from the default.
    let reset = response.double_clicked() || (response.clicked() && command);
    if reset {
        let in_drag = mem.drag_value.is_some();
        if !in_drag {
            control.begin();
        }
        control.set_normalized(control.default_normalized());
        if in_drag {
            mem.drag_value = Some(control.normalized());
        } else {
            control.end();
        }
        response.mark_changed();
    }

    let mut delta_pt = response.drag_delta();
    if response.drag_started() || (response.dragged() && mem.drag_value.is_none()) {
        control.begin();
        mem.drag_value = Some(control.normalized());
        // egui only reports a drag once the pointer has left the click radius; count the travel
        // up to that point too, so the value follows the whole hand movement.
        delta_pt = response.total_drag_delta().unwrap_or(delta_pt);
    }
    if response.dragged() {
        if let Some(value) = mem.drag_value.as_mut() {
            let delta = geometry.delta_normalized(delta_pt, fine);
            if delta != 0.0 {
                *value = (*value + delta).clamp(0.0, 1.0);
                let before = control.normalized();
                control.set_normalized(*value);
                if control.normalized() != before {
                    response.mark_changed();
                }
            }
        }
    }
    if response.drag_stopped() && mem.drag_value.take().is_some() {
        control.end();
    }

    if response.hovered() && mem.drag_value.is_none() {
        let notches = wheel_notches(ui);
        if notches != 0.0 {
            // Swallow the scroll so an enclosing scroll area does not move as well.
            ui.ctx().input_mut(|i| i.smooth_scroll_delta = Vec2::ZERO);
            mem.wheel_notches += notches;
            let steps = mem.wheel_notches.trunc();
            mem.wheel_notches -= steps;
            if steps != 0.0 {
                let mut value = control.normalized();
                control.begin();
                for _ in 0..(steps.abs() as usize).min(64) {
                    value = control.step(value, steps > 0.0, fine);
                }
                control.set_normalized(value);
                control.end();
                response.mark_changed();
            }
        }
    }

    ui.data_mut(|d| d.insert_temp(id, mem));
}

/// State of an open value-entry field, kept in egui memory.
#[derive(Debug, Clone)]
struct EntryState {
    text: String,
    /// Opened by last frame's click; focus and select-all are still to be applied. They wait a
    /// frame because egui hands focus back when a click lands on a widget that did not exist
    /// in the previous frame.
    fresh: bool,
}

/// Inline text entry over `value_rect`: opened by a plain click inside it, applied on Enter as
/// one gesture. Returns true while the field is open (the caller then skips drawing the value).
pub(crate) fn value_entry<C: Control>(
    ui: &mut Ui,
    response: &mut Response,
    control: &mut C,
    value_rect: Rect,
) -> bool {
    let edit_id = response.id.with("value_entry");
    let state: Option<EntryState> = ui.data(|d| d.get_temp(edit_id));
    let Some(mut state) = state else {
        let command = ui.input(|i| i.modifiers.command);
        let clicked_value = response.clicked()
            && !command
            && response
                .interact_pointer_pos()
                .is_some_and(|p| value_rect.contains(p));
        if clicked_value {
            let state = EntryState {
                text: control.value_text(),
                fresh: true,
            };
            ui.data_mut(|d| d.insert_temp(edit_id, state));
            ui.ctx().request_repaint();
        }
        return false;
    };

    if state.fresh {
        state.fresh = false;
        ui.memory_mut(|m| m.request_focus(edit_id));
        // Select everything so typing replaces the old value.
        let mut edit = egui::text_edit::TextEditState::default();
        let all = egui::text::CCursorRange::two(
            egui::text::CCursor::new(0),
            egui::text::CCursor::new(state.text.chars().count()),
        );
        edit.cursor.set_char_range(Some(all));
        edit.store(ui.ctx(), edit_id);
    }

    let theme = crate::Theme::current(ui.ctx());
    let field = ui.put(
        value_rect,
        egui::TextEdit::singleline(&mut state.text)
            .id(edit_id)
            .font(egui::FontId::proportional(crate::theme::BODY_TEXT_PT))
            .align(egui::Align2::CENTER_CENTER)
            .text_color(theme.text)
            .background_color(theme.background)
            .desired_width(value_rect.width()),
    );
    let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
    let escape = ui.input(|i| i.key_pressed(egui::Key::Escape));
    if escape || !field.has_focus() {
        if enter && !escape {
            if let Some(n) = control.parse_text(&state.text) {
                control.begin();
                control.set_normalized(n);
                control.end();
                response.mark_changed();
            }
        }
        ui.data_mut(|d| d.remove::<EntryState>(edit_id));
        ui.memory_mut(|m| m.surrender_focus(edit_id));
        false
    } else {
        ui.data_mut(|d| d.insert_temp(edit_id, state));
        true
    }
}

/// Wheel movement this frame in notches (positive = up/away from the user).
fn wheel_notches(ui: &Ui) -> f32 {
    ui.input(|i| {
        i.events
            .iter()
            .map(|e| match e {
                Event::MouseWheel { unit, delta, .. } => {
                    // Shift+wheel arrives as horizontal scroll on some platforms.
                    let d = if delta.y != 0.0 { delta.y } else { delta.x };
                    match unit {
                        MouseWheelUnit::Line => d,
                        MouseWheelUnit::Point => d / POINTS_PER_NOTCH,
                        MouseWheelUnit::Page => d * 10.0,
                    }
                }
                _ => 0.0,
            })
            .sum()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_control_linear_mapping() {
        let mut v = 0.0;
        let c = ValueControl::new(&mut v, -24.0..=24.0);
        assert_eq!(c.to_normalized(-24.0), 0.0);
        assert_eq!(c.to_normalized(0.0), 0.5);
        assert_eq!(c.to_normalized(100.0), 1.0);
        assert_eq!(c.from_normalized(0.75), 12.0);
        assert_eq!(c.from_normalized(f32::NAN), -24.0);
    }

    #[test]
    fn value_control_log_mapping_is_geometric() {
        let mut v = 1000.0;
        let c = ValueControl::new(&mut v, 20.0..=20_000.0).logarithmic(true);
        // sqrt(20 * 20000) = 632.46 Hz sits in the middle.
        assert!((c.from_normalized(0.5) - 632.455_5).abs() < 0.01);
        assert!((c.to_normalized(200.0) - 1.0 / 3.0).abs() < 1e-5);
    }

    #[test]
    fn value_control_set_and_text() {
        let mut v = 5.0;
        {
            let mut c = ValueControl::new(&mut v, 0.0..=10.0)
                .with_unit(" dB")
                .with_default(2.0);
            assert_eq!(c.value_text(), "5.00 dB");
            c.set_normalized(c.default_normalized());
            assert_eq!(c.value_text(), "2.00 dB");
            c.set_normalized(c.step(c.normalized(), true, false));
        }
        assert!((v - 2.2).abs() < 1e-5);
    }

    #[test]
    fn drag_sensitivity() {
        let g = DragGeometry::knob();
        // Dragging up by the full range distance covers the full range.
        assert!(
            (g.delta_normalized(Vec2::new(0.0, -KNOB_DRAG_RANGE_PT), false) - 1.0).abs() < 1e-6
        );
        assert!((g.delta_normalized(Vec2::new(0.0, 20.0), false) + 0.1).abs() < 1e-6);
        assert!((g.delta_normalized(Vec2::new(0.0, -20.0), true) - 0.01).abs() < 1e-6);
    }
}
