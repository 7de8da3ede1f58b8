//! Glasswork's shared editor look and egui widgets.

pub mod axis;
pub mod choice;
pub mod control;
pub mod db;
pub mod gr_meter;
pub mod knob;
pub mod level_meter;
pub mod shared;
pub mod slider;
pub mod theme;
pub mod toggle;

pub use db::{db_to_gain, gain_to_db, SILENCE_DB};
pub use shared::{HistoryFifo, MeterValue, StereoMeter, StereoReading};

#[cfg(test)]
mod test_host;
