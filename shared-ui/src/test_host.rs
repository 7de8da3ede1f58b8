//! Headless host for widget tests: a recording `GuiContextInner` and an egui frame driver that
//! feeds scripted pointer input.

use std::sync::Mutex;

use egui::{
    Context, Event, Modifiers, MouseWheelSource, MouseWheelUnit, PointerButton, Pos2, RawInput,
    Rect, TouchPhase, Ui, Vec2,
};
use nice_plug::prelude::{GuiContextInner, ParamPtr, PluginApi, PluginState};

/// A gesture call seen by the host.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Call {
    Begin,
    Set(f32),
    End,
}

/// Records parameter gestures and applies the values like a real wrapper would.
#[derive(Default)]
pub struct MockHost {
    pub calls: Mutex<Vec<Call>>,
}

impl MockHost {
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn record(&self, call: Call) {
        if let Ok(mut c) = self.calls.lock() {
            c.push(call);
        }
    }

    /// Every Begin is closed by an End before the next Begin, and every Set is inside a gesture.
    pub fn gestures_balanced(&self) -> bool {
        let mut open = false;
        for c in self.calls() {
            match c {
                Call::Begin if open => return false,
                Call::Begin => open = true,
                Call::Set(_) if !open => return false,
                Call::Set(_) => {}
                Call::End if !open => return false,
                Call::End => open = false,
            }
        }
        !open
    }

    pub fn count(&self, call: fn(&Call) -> bool) -> usize {
        self.calls().iter().filter(|c| call(c)).count()
    }
}

impl GuiContextInner for MockHost {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }

    unsafe fn raw_begin_set_parameter(&self, _param: ParamPtr) {
        self.record(Call::Begin);
    }

    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        self.record(Call::Set(normalized));
        // SAFETY: the tests keep every parameter alive for the whole frame.
        unsafe {
            param._internal_set_normalized_value(normalized);
        }
    }

    unsafe fn raw_end_set_parameter(&self, _param: ParamPtr) {
        self.record(Call::End);
    }

    fn get_state(&self) -> PluginState {
        panic!("widgets never read the plugin state")
    }

    fn set_state(&self, _state: PluginState) {}

    fn request_restart(&self) {}
}

/// Drives egui frames at 60 Hz with scripted input.
pub struct Harness {
    pub ctx: Context,
    time: f64,
    pub modifiers: Modifiers,
}

impl Harness {
    pub fn new() -> Self {
        let ctx = Context::default();
        crate::theme::apply(&ctx);
        Self {
            ctx,
            time: 0.0,
            modifiers: Modifiers::NONE,
        }
    }

    /// Run one frame with `events`, building the UI with `build`; returns what `build` returned
    /// on the frame's final pass.
    pub fn frame<R>(&mut self, events: Vec<Event>, mut build: impl FnMut(&mut Ui) -> R) -> R {
        self.time += 1.0 / 60.0;
        let events = std::iter::once(Event::ModifiersChanged(self.modifiers))
            .chain(events)
            .collect();
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, Vec2::new(800.0, 600.0))),
            time: Some(self.time),
            events,
            ..Default::default()
        };
        let mut out = None;
        let mut output = self.ctx.run_ui(input, |ui| out = Some(build(ui)));
        // No renderer here: discard the font atlas uploads egui asks for.
        output.textures_delta.clear();
        out.expect("egui ran the UI closure")
    }

    /// Let time pass (e.g. to separate two clicks so they do not form a double-click).
    pub fn wait(&mut self, seconds: f64) {
        self.time += seconds;
    }

    pub fn moved(pos: Pos2) -> Event {
        Event::PointerMoved(pos)
    }

    pub fn button(&self, pos: Pos2, pressed: bool) -> Event {
        Event::PointerButton {
            pos,
            button: PointerButton::Primary,
            pressed,
            modifiers: self.modifiers,
        }
    }

    pub fn wheel(&self, lines: f32) -> Event {
        Event::MouseWheel {
            unit: MouseWheelUnit::Line,
            delta: Vec2::new(0.0, lines),
            phase: TouchPhase::Move,
            source: MouseWheelSource::Unknown,
            modifiers: self.modifiers,
        }
    }

    /// Press at `from`, move by `delta` in `steps` equal frames, release; `build` runs every
    /// frame.
    pub fn drag(&mut self, from: Pos2, delta: Vec2, steps: usize, mut build: impl FnMut(&mut Ui)) {
        self.frame(vec![Self::moved(from)], &mut build);
        let press = self.button(from, true);
        self.frame(vec![press], &mut build);
        for i in 1..=steps {
            let p = from + delta * (i as f32 / steps as f32);
            self.frame(vec![Self::moved(p)], &mut build);
        }
        let release = self.button(from + delta, false);
        self.frame(vec![release], &mut build);
    }

    pub fn key(&self, key: egui::Key) -> Event {
        Event::Key {
            key,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers: self.modifiers,
        }
    }

    /// A single click at `pos`.
    pub fn click(&mut self, pos: Pos2, mut build: impl FnMut(&mut Ui)) {
        self.frame(vec![Self::moved(pos)], &mut build);
        let press = self.button(pos, true);
        self.frame(vec![press], &mut build);
        let release = self.button(pos, false);
        self.frame(vec![release], &mut build);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::choice::ParamChoice;
    use crate::control::{Control, ParamControl, KNOB_DRAG_RANGE_PT};
    use crate::knob::{Knob, ParamKnob};
    use crate::slider::ParamSlider;
    use crate::toggle::ParamToggle;
    use nice_plug::prelude::{
        BoolParam, Enum, EnumParam, FloatParam, FloatRange, IntParam, IntRange, Param, ParamSetter,
    };

    fn gain() -> FloatParam {
        FloatParam::new(
            "Gain",
            0.0,
            FloatRange::Linear {
                min: -24.0,
                max: 24.0,
            },
        )
        .with_unit(" dB")
    }

    /// Lay out one widget and return its rect.
    fn place(h: &mut Harness, build: &mut impl FnMut(&mut Ui) -> egui::Response) -> Rect {
        h.frame(vec![], |ui| build(ui).rect)
    }

    #[test]
    fn knob_drag_moves_by_travel_over_range() {
        let host = MockHost::default();
        let setter = ParamSetter::new(&host);
        let p = gain();
        let mut h = Harness::new();
        let mut build = |ui: &mut Ui| ui.add(ParamKnob::for_param(&p, &setter));
        let rect = place(&mut h, &mut build);
        // 50 points up = 50 / 200 of the range = 12 dB on a 48 dB range.
        h.drag(rect.center(), Vec2::new(0.0, -50.0), 10, |ui| {
            build(ui);
        });
        let expected = 48.0 * 50.0 / KNOB_DRAG_RANGE_PT;
        assert!(
            (p.value() - expected).abs() < 1e-3,
            "{} vs {expected}",
            p.value()
        );
        assert!(host.gestures_balanced(), "{:?}", host.calls());
        assert_eq!(host.count(|c| *c == Call::Begin), 1);
        assert_eq!(host.count(|c| *c == Call::End), 1);
    }

    #[test]
    fn knob_shift_drag_is_ten_times_finer() {
        let host = MockHost::default();
        let setter = ParamSetter::new(&host);
        let p = gain();
        let mut h = Harness::new();
        let mut build = |ui: &mut Ui| ui.add(ParamKnob::for_param(&p, &setter));
        let rect = place(&mut h, &mut build);
        h.modifiers = Modifiers::SHIFT;
        h.drag(rect.center(), Vec2::new(0.0, -50.0), 10, |ui| {
            build(ui);
        });
        assert!((p.value() - 1.2).abs() < 1e-3, "{}", p.value());
        assert!(host.gestures_balanced());
    }

    #[test]
    fn knob_double_click_and_ctrl_click_reset_to_default() {
        let host = MockHost::default();
        let setter = ParamSetter::new(&host);
        let p = gain();
        let mut h = Harness::new();
        let mut build = |ui: &mut Ui| ui.add(ParamKnob::for_param(&p, &setter));
        let rect = place(&mut h, &mut build);
        let c = rect.center();

        h.drag(c, Vec2::new(0.0, -100.0), 5, |ui| {
            build(ui);
        });
        assert!((p.value() - 24.0).abs() < 1e-3);
        h.wait(1.0);
        h.click(c, |ui| {
            build(ui);
        });
        assert!(
            (p.value() - 24.0).abs() < 1e-3,
            "a single click changes nothing"
        );
        h.click(c, |ui| {
            build(ui);
        });
        assert_eq!(p.value(), 0.0, "double-click restores the default");
        assert!(host.gestures_balanced(), "{:?}", host.calls());

        h.wait(1.0);
        h.drag(c, Vec2::new(0.0, 40.0), 4, |ui| {
            build(ui);
        });
        assert!(p.value() < -5.0);
        h.wait(1.0);
        h.modifiers = Modifiers::COMMAND;
        h.click(c, |ui| {
            build(ui);
        });
        assert_eq!(p.value(), 0.0, "Ctrl/Cmd-click restores the default");
        assert!(host.gestures_balanced());
    }

    #[test]
    fn knob_wheel_steps_two_percent_per_notch() {
        let host = MockHost::default();
        let setter = ParamSetter::new(&host);
        let p = gain();
        let mut h = Harness::new();
        let mut build = |ui: &mut Ui| ui.add(ParamKnob::for_param(&p, &setter));
        let rect = place(&mut h, &mut build);
        h.frame(vec![Harness::moved(rect.center())], |ui| {
            build(ui);
        });
        let up = h.wheel(1.0);
        h.frame(vec![up], |ui| {
            build(ui);
        });
        // nice-plug's float step: 2 % of the normalised range = 0.96 dB here.
        assert!((p.value() - 0.96).abs() < 1e-3, "{}", p.value());
        h.modifiers = Modifiers::SHIFT;
        let down = h.wheel(-2.0);
        h.frame(vec![down], |ui| {
            build(ui);
        });
        // Two fine steps of 0.5 % = 0.48 dB down.
        assert!((p.value() - 0.48).abs() < 1e-3, "{}", p.value());
        assert!(host.gestures_balanced());
    }

    #[test]
    fn value_knob_edits_a_plain_float() {
        let mut v = 100.0f32;
        let mut h = Harness::new();
        let rect = h.frame(vec![], |ui| {
            ui.add(Knob::new(&mut v, 20.0..=20_000.0, "Freq").map(|c| c.logarithmic(true)))
                .rect
        });
        h.drag(rect.center(), Vec2::new(0.0, -100.0), 5, |ui| {
            ui.add(Knob::new(&mut v, 20.0..=20_000.0, "Freq").map(|c| c.logarithmic(true)));
        });
        // Half the range up on a 3-decade log scale from 100 Hz: x 10^1.5.
        let expected = 100.0 * 10f32.powf(1.5);
        assert!((v / expected - 1.0).abs() < 1e-3, "{v} vs {expected}");
    }

    #[test]
    fn typed_value_applies_on_enter_and_cancels_on_escape() {
        let host = MockHost::default();
        let setter = ParamSetter::new(&host);
        let p = gain();
        let mut h = Harness::new();
        let mut build = |ui: &mut Ui| ui.add(ParamKnob::for_param(&p, &setter));
        let rect = place(&mut h, &mut build);
        // The value text sits at the bottom of the knob.
        let value_pos = Pos2::new(rect.center().x, rect.max.y - 4.0);
        h.click(value_pos, |ui| {
            build(ui);
        });
        assert!(host.calls().is_empty(), "opening the field changes nothing");
        // The old text is selected, so typing replaces it; the unit is optional.
        let typed = vec![Event::Text("-6.5 dB".into()), h.key(egui::Key::Enter)];
        h.frame(typed, |ui| {
            build(ui);
        });
        h.frame(vec![], |ui| {
            build(ui);
        });
        assert!((p.value() + 6.5).abs() < 1e-4, "{}", p.value());
        assert_eq!(
            host.calls(),
            vec![
                Call::Begin,
                Call::Set(p.unmodulated_normalized_value()),
                Call::End
            ]
        );

        h.wait(1.0);
        h.click(value_pos, |ui| {
            build(ui);
        });
        let typed = vec![Event::Text("12".into()), h.key(egui::Key::Escape)];
        h.frame(typed, |ui| {
            build(ui);
        });
        assert!((p.value() + 6.5).abs() < 1e-4, "Escape keeps the old value");

        h.wait(1.0);
        h.click(value_pos, |ui| {
            build(ui);
        });
        let typed = vec![Event::Text("loud".into()), h.key(egui::Key::Enter)];
        h.frame(typed, |ui| {
            build(ui);
        });
        assert!((p.value() + 6.5).abs() < 1e-4, "unparsable text is ignored");
        assert!(host.gestures_balanced());
    }

    #[test]
    fn slider_drag_tracks_its_length() {
        let host = MockHost::default();
        let setter = ParamSetter::new(&host);
        let p = gain();
        let mut h = Harness::new();
        let mut build =
            |ui: &mut Ui| ui.add(ParamSlider::for_param(&p, &setter).with_length(300.0));
        let rect = place(&mut h, &mut build);
        assert!((rect.width() - 300.0).abs() < 1e-3);
        h.drag(rect.center(), Vec2::new(75.0, 0.0), 5, |ui| {
            build(ui);
        });
        // 75 of 300 points = a quarter of 48 dB.
        assert!((p.value() - 12.0).abs() < 1e-3, "{}", p.value());
        assert!(host.gestures_balanced());
    }

    #[test]
    fn toggle_flips_a_bool_param_in_one_gesture() {
        let host = MockHost::default();
        let setter = ParamSetter::new(&host);
        let p = BoolParam::new("Link", false);
        let mut h = Harness::new();
        let mut build = |ui: &mut Ui| ui.add(ParamToggle::for_param(&p, &setter));
        let rect = place(&mut h, &mut build);
        h.click(rect.center(), |ui| {
            build(ui);
        });
        assert!(p.value());
        h.wait(1.0);
        h.click(rect.center(), |ui| {
            build(ui);
        });
        assert!(!p.value());
        assert_eq!(
            host.calls(),
            vec![
                Call::Begin,
                Call::Set(1.0),
                Call::End,
                Call::Begin,
                Call::Set(0.0),
                Call::End
            ]
        );
    }

    #[derive(Enum, Debug, PartialEq, Clone, Copy)]
    enum Mode {
        Clean,
        Punchy,
        Loud,
    }

    #[test]
    fn segmented_choice_selects_the_clicked_variant() {
        let host = MockHost::default();
        let setter = ParamSetter::new(&host);
        let p = EnumParam::new("Mode", Mode::Clean);
        let mut h = Harness::new();
        let mut build = |ui: &mut Ui| {
            ui.add(
                ParamChoice::for_param(&p, &setter)
                    .segmented()
                    .without_label()
                    .with_width(300.0),
            )
        };
        let rect = place(&mut h, &mut build);
        // Three segments of 100 points: the last one is "Loud".
        h.click(Pos2::new(rect.min.x + 250.0, rect.center().y), |ui| {
            build(ui);
        });
        assert_eq!(p.value(), Mode::Loud);
        h.wait(1.0);
        h.click(Pos2::new(rect.min.x + 150.0, rect.center().y), |ui| {
            build(ui);
        });
        assert_eq!(p.value(), Mode::Punchy);
        assert!(host.gestures_balanced());
        assert_eq!(host.count(|c| *c == Call::Begin), 2);
    }

    #[test]
    fn choice_on_int_param_lists_every_step() {
        let host = MockHost::default();
        let setter = ParamSetter::new(&host);
        let p = IntParam::new("Oversampling", 1, IntRange::Linear { min: 0, max: 3 });
        let mut h = Harness::new();
        let mut build = |ui: &mut Ui| {
            ui.add(
                ParamChoice::for_param(&p, &setter)
                    .without_label()
                    .with_width(400.0),
            )
        };
        let rect = place(&mut h, &mut build);
        h.click(Pos2::new(rect.min.x + 50.0, rect.center().y), |ui| {
            build(ui);
        });
        assert_eq!(p.value(), 0);
        h.wait(1.0);
        h.click(Pos2::new(rect.max.x - 50.0, rect.center().y), |ui| {
            build(ui);
        });
        assert_eq!(p.value(), 3);
    }

    #[test]
    fn arc_origin_is_found_from_the_zero_point() {
        let host = MockHost::default();
        let setter = ParamSetter::new(&host);
        let g = gain();
        assert!((ParamControl::new(&g, &setter).origin() - 0.5).abs() < 1e-6);
        let trim = FloatParam::new(
            "Trim",
            0.0,
            FloatRange::Linear {
                min: -12.0,
                max: 6.0,
            },
        );
        assert!((ParamControl::new(&trim, &setter).origin() - 12.0 / 18.0).abs() < 1e-6);
        let threshold = FloatParam::new(
            "Threshold",
            -6.0,
            FloatRange::Linear {
                min: -60.0,
                max: 0.0,
            },
        );
        assert_eq!(ParamControl::new(&threshold, &setter).origin(), 0.0);
        let freq = FloatParam::new(
            "Freq",
            1000.0,
            FloatRange::Skewed {
                min: 20.0,
                max: 20_000.0,
                factor: 0.3,
            },
        );
        assert_eq!(ParamControl::new(&freq, &setter).origin(), 0.0);
        assert_eq!(
            ParamControl::new(&freq, &setter).with_origin(0.5).origin(),
            0.5
        );
        // The displayed text is the parameter's own, with unit.
        assert_eq!(ParamControl::new(&g, &setter).value_text(), g.to_string());
    }
}
