//! Glasswork's shared editor look and egui widgets.
//!
//! - [`theme`]: the palette and egui style ([`theme::apply`], [`Theme`]).
//! - Controls bound to nice-plug parameters or plain values: [`ParamKnob`], [`ParamSlider`],
//!   [`ParamToggle`], [`ParamChoice`] (and [`ValueKnob`], [`ValueSlider`], [`Toggle`]).
//! - Meters: [`LevelMeter`], [`GrMeter`]; graphs: [`HistoryGraph`], [`ResponsePlot`],
//!   [`Spectrum`].
//! - [`shared`]: the lock-free audio → GUI hand-off ([`MeterValue`], [`StereoMeter`],
//!   [`HistoryFifo`]).
//!
//! Every widget sizes itself from the space egui offers and from the theme's text size, in
//! points, so editors can be resized and scaled freely. Full-height widgets (meters, vertical
//! sliders, graphs) take the available height: place them in a rect (`ui.scope_builder` with
//! `UiBuilder::new().max_rect(..)`) or a top-aligned row
//! (`ui.with_layout(Layout::left_to_right(Align::Min), ..)`); `ui.horizontal` starts its rows
//! one text line high.
//!
//! [`snapshot`] renders any egui UI to a PNG without a window or GPU;
//! `cargo run -p glass-ui --example gallery -- out.png 2` renders every widget with it, at 2
//! pixels per point.

#![warn(missing_docs)]

pub mod axis;
pub mod choice;
pub mod control;
pub mod curve;
pub mod db;
pub mod gr_meter;
pub mod history;
pub mod hosted;
pub mod io_layouts;
pub mod knob;
pub mod layout;
pub mod level_meter;
pub mod note_param;
pub mod param_text;
pub mod shared;
pub mod slider;
pub mod snapshot;
pub mod spectrum;
pub mod theme;
pub mod toggle;

pub use axis::{DbAxis, FreqAxis};
pub use choice::ParamChoice;
pub use control::{Control, ParamControl, ValueControl};
pub use curve::{Curve, CurveNode, DragPhase, NodeDrag, PlotResponse, ResponsePlot};
pub use db::{db_to_gain, gain_to_db, SILENCE_DB};
pub use gr_meter::{GrMeter, GrMeterState};
pub use history::{HistoryBuffer, HistoryGraph, Trace, TraceStyle};
pub use knob::{Knob, ParamKnob, ValueKnob};
pub use level_meter::{LevelMeter, LevelMeterState};
pub use shared::{HistoryFifo, MeterValue, StereoMeter, StereoReading};
pub use slider::{ParamSlider, Slider, ValueSlider};
pub use spectrum::{Spectrum, SpectrumAverager};
pub use theme::{accent, apply, apply_with_accent, Theme};
pub use toggle::{ParamToggle, Toggle};

#[cfg(test)]
mod test_host;
