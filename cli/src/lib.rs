//! Glasswork's offline CLAP host.
//!
//! The library loads plugin binaries through the CLAP ABI (with `clack-host`), never through the
//! plugins' Rust types, so everything it exercises is exactly what a DAW would see. It serves two
//! users: the `glass` command-line tool and the conformance tests in
//! `tests/clap_conformance.rs`.
//!
//! Lifecycle, as CLAP prescribes it: [`PluginLibrary::load`] a binary, [`PluginLibrary::instantiate`]
//! one of its plugins, query parameters and state on the main thread ([`Plugin`]), then
//! [`Plugin::activate`] and [`Plugin::run`] a processing session on a dedicated audio thread
//! ([`AudioThread`]). [`render`] builds whole-signal rendering on top of that.

#![warn(missing_docs)]

pub mod atomic;
mod audio;
pub mod catalog;
pub mod clip;
pub mod decode;
pub mod discovery;
pub mod encode;
mod error;
pub mod gui;
mod host;
pub mod interrupt;
mod library;
pub mod loudness;
pub mod metadata;
pub mod param_text;
mod params;
pub mod plot;
mod plugin;
pub mod render;
pub mod resample;
pub mod rng;
pub mod signal;
pub mod vst3host;
pub mod wav;

pub use audio::{AudioThread, ParamChange, Tail};
pub use error::HostError;
pub use library::{PluginDescription, PluginLibrary};
pub use params::{ParamInfo, ParamInfoFlags};
pub use plugin::{AudioConfig, AudioLayout, AudioPortInfo, Plugin};
