//! Standalone Glasswork Tune (JACK/ALSA/dummy audio backend), used to look
//! at the editor without a host.

fn main() {
    nice_plug::nice_export_standalone::<glass_tune::GlassTune>();
}
