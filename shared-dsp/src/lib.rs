//! Glasswork's DSP kernels and building blocks.
//!
//! Nothing in this crate knows about a plugin framework: every kernel follows
//! the same lifecycle (`new` → `prepare(sample_rate, max_block, channels)` →
//! `reset` → `set_params` → `process`), takes plain slices, and does no
//! allocation, locking or I/O after `prepare`. See `DESIGN.md` beside the
//! workspace for the contract.

#![warn(missing_docs)]

pub mod analog;
pub mod biquad;
pub mod biquad_pair;
pub mod cascade;
pub mod compressor;
pub mod control;
pub mod decay_analysis;
pub mod delay_bank;
pub mod delay_line;
pub mod denormal;
pub mod diffuser;
pub mod dither;
pub mod echo;
pub mod envelope;
pub mod eq;
pub mod eq_band;
pub mod fast_math;
pub mod fdn;
pub mod fir;
pub mod gain_computer;
pub mod level_detector;
pub mod limiter;
pub mod linear_phase;
pub mod loudness;
pub mod lpc;
pub mod matched;
pub mod matched_fit;
pub mod oversampler;
pub mod pitch_correct;
pub mod pitch_detect;
pub mod poly;
pub mod psola;
pub mod response;
pub mod reverb;
pub mod saturation;
pub mod scale;
pub mod sliding;
pub mod smoother;
pub mod spectrum_analyser;
pub mod svf;
pub mod synthetic_voice;
pub mod tape;
pub mod tempo;
pub mod transpose;
pub mod true_peak;
pub mod tuner;
pub mod util;
