//! The audio port layouts Glasswork plugins offer hosts, in one place so
//! every plugin reads alike in a host's routing (stereo first: a host's
//! default and what `glass` feeds any file; mono for mono tracks).

use nice_plug::prelude::{new_nonzero_u32, AudioIOLayout, PortNames};
use std::num::NonZeroU32;

/// Name of a sidechain input port, as hosts show it.
pub const SIDECHAIN_PORT: &str = "Sidechain";

const SIDECHAIN_NAMES: PortNames = PortNames {
    aux_inputs: &[SIDECHAIN_PORT],
    ..PortNames::const_default()
};

/// Stereo in and out, or mono in and out.
pub const STEREO_OR_MONO: &[AudioIOLayout] = &[
    AudioIOLayout {
        main_input_channels: NonZeroU32::new(2),
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    },
    AudioIOLayout {
        main_input_channels: NonZeroU32::new(1),
        main_output_channels: NonZeroU32::new(1),
        ..AudioIOLayout::const_default()
    },
];

/// Stereo or mono with a sidechain input of the same width, then the same
/// without one (hosts that cannot route a sidechain pick those).
pub const SIDECHAINED: &[AudioIOLayout] = &[
    AudioIOLayout {
        main_input_channels: NonZeroU32::new(2),
        main_output_channels: NonZeroU32::new(2),
        aux_input_ports: &[new_nonzero_u32(2)],
        names: SIDECHAIN_NAMES,
        ..AudioIOLayout::const_default()
    },
    AudioIOLayout {
        main_input_channels: NonZeroU32::new(1),
        main_output_channels: NonZeroU32::new(1),
        aux_input_ports: &[new_nonzero_u32(1)],
        names: SIDECHAIN_NAMES,
        ..AudioIOLayout::const_default()
    },
    AudioIOLayout {
        main_input_channels: NonZeroU32::new(2),
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    },
    AudioIOLayout {
        main_input_channels: NonZeroU32::new(1),
        main_output_channels: NonZeroU32::new(1),
        ..AudioIOLayout::const_default()
    },
];
