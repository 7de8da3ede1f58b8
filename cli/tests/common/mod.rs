//! What every test of built plugin binaries shares: the one list of plugins
//! and how their binaries are found and loaded.

#![allow(dead_code)]

pub mod display;

use glass::discovery::{build_dir, cdylib_path};
use glass::render::BlockPlan;
use glass::{AudioConfig, ParamChange, Plugin, PluginLibrary};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Library names of the plugin crates under test (`glass-limit` builds `libglass_limit.so`).
/// Adding a plugin here runs every check below on it.
pub const PLUGINS: &[&str] = &[
    "glass_limit",
    "glass_comp",
    "glass_echo",
    "glass_verb",
    "glass_eq",
    "glass_tune",
];

/// Largest block any test declares at activation.
pub const MAX_BLOCK: u32 = 4096;

/// One plugin of one binary.
pub struct Target {
    pub lib: &'static str,
    pub library: &'static PluginLibrary,
    pub id: String,
}

/// Loads each binary once per test process: reloading a library per test would run its
/// initialisers and `dlclose` over and over while other tests' instances live.
pub fn library(lib: &'static str) -> &'static PluginLibrary {
    static LIBRARIES: OnceLock<Mutex<HashMap<&'static str, &'static PluginLibrary>>> =
        OnceLock::new();
    let mut loaded = LIBRARIES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    loaded.entry(lib).or_insert_with(|| {
        let dir =
            build_dir().expect("cannot locate the cargo target directory from the test executable");
        let path = cdylib_path(&dir, lib);
        let package = lib.replace('_', "-");
        assert!(
            path.exists(),
            "{lib}: {} is missing. Build it first: \
             cargo build -p {package} --features {package}/assert_process_allocs \
             (`cargo xtask test` does this)",
            path.display()
        );
        let library = PluginLibrary::load(&path).unwrap_or_else(|e| panic!("{lib}: {e}"));
        assert!(
            !library.plugins().is_empty(),
            "{lib}: the factory of {} offers no plugin",
            path.display()
        );
        Box::leak(Box::new(library))
    })
}

/// Every plugin of every binary in [`PLUGINS`].
pub fn targets() -> Vec<Target> {
    PLUGINS
        .iter()
        .flat_map(|&lib| {
            let library = library(lib);
            library.plugins().iter().map(move |d| Target {
                lib,
                library,
                id: d.id.clone(),
            })
        })
        .collect()
}

impl Target {
    /// "glass_limit (audio.glasswork.limit), <test>, <rate> Hz, block <plan>" for messages.
    pub fn at(&self, test: &str, sample_rate: f64, plan: &BlockPlan) -> String {
        format!(
            "{} ({}), {test}, {sample_rate} Hz, blocks {plan:?}",
            self.lib, self.id
        )
    }

    pub fn instantiate(&self) -> Plugin {
        self.library
            .instantiate(&self.id)
            .unwrap_or_else(|e| panic!("{} ({}): {e}", self.lib, self.id))
    }

    pub fn activated(&self, sample_rate: f64) -> Plugin {
        let mut plugin = self.instantiate();
        plugin
            .activate(AudioConfig::new(sample_rate, MAX_BLOCK))
            .unwrap_or_else(|e| panic!("{} ({}), {sample_rate} Hz: {e}", self.lib, self.id));
        plugin
    }
}

/// Runs `check` on every target; each conformance test is one call of this.
pub fn for_each_target(check: impl Fn(&Target)) {
    for target in targets() {
        check(&target);
    }
}

/// Frequency of the steady tone in `x`, sampled at `fs` Hz, searched
/// between `lo` and `hi` Hz, from the autocorrelation's peak (the shortest
/// lag within 10 % of the highest peak, so not an octave below) refined by
/// a parabola through it, Hz. Accurate to a fraction of a cent on a steady
/// tone of a few hundred periods.
pub fn tone_frequency(x: &[f32], fs: f64, lo: f64, hi: f64) -> f64 {
    let min_lag = ((fs / hi) as usize).max(2);
    let max_lag = (fs / lo) as usize + 1;
    if x.len() < 2 * max_lag + 2 {
        return 0.0;
    }
    let n = x.len() - max_lag - 1;
    let r = |lag: usize| -> f64 {
        (0..n)
            .map(|i| f64::from(x[i]) * f64::from(x[i + lag]))
            .sum::<f64>()
    };
    let rs: Vec<f64> = (min_lag - 1..=max_lag + 1).map(r).collect();
    let top = rs.iter().copied().fold(f64::MIN, f64::max);
    let Some(best) =
        (1..rs.len() - 1).find(|&i| rs[i] >= 0.9 * top && rs[i] >= rs[i - 1] && rs[i] >= rs[i + 1])
    else {
        return 0.0;
    };
    let (a, b, c) = (rs[best - 1], rs[best], rs[best + 1]);
    let curve = a - 2.0 * b + c;
    let shift = if curve < 0.0 {
        0.5 * (a - c) / curve
    } else {
        0.0
    };
    fs / ((min_lag - 1 + best) as f64 + shift)
}

/// The plugin `id` of binary `lib`, instantiated and activated at `fs` Hz
/// with blocks of up to [`MAX_BLOCK`].
pub fn activated(lib: &'static str, id: &str, fs: f64) -> Plugin {
    let library = library(lib);
    assert!(
        library.plugins().iter().any(|d| d.id == id),
        "{lib} does not offer {id}"
    );
    let mut plugin = library
        .instantiate(id)
        .unwrap_or_else(|e| panic!("{lib}: instantiate {id}: {e}"));
    plugin
        .activate(AudioConfig::new(fs, MAX_BLOCK))
        .unwrap_or_else(|e| panic!("{lib}: activate: {e}"));
    plugin
}

/// Parameter changes at time 0 by name, each value given as the text a user
/// would type (the plugin's own text-to-value conversion maps it; CLAP
/// values are plain).
pub fn changes(plugin: &mut Plugin, values: &[(&str, &str)]) -> Vec<ParamChange> {
    let params = plugin.params();
    values
        .iter()
        .map(|(name, text)| {
            let p = params
                .iter()
                .find(|p| p.name == *name)
                .unwrap_or_else(|| panic!("no parameter {name:?}"));
            let value = plugin
                .text_to_value(p.id, text)
                .unwrap_or_else(|e| panic!("{name} = {text:?}: {e}"));
            ParamChange {
                time: 0,
                id: p.id,
                value,
            }
        })
        .collect()
}

/// A melody sung off pitch at `fs` Hz (a synthetic /a/, 2.9 s): D3 +30
/// cents, F3 −35, A3 +20 with a ±30-cent vibrato, then a held C4 +25. The
/// notes and the signal.
pub fn sung_melody(fs: f64) -> (Vec<glass_dsp::synthetic_voice::Note>, Vec<f32>) {
    use glass_dsp::synthetic_voice::{sing, Note, A};
    let notes: Vec<Note> = [
        (0.10, 0.50, 50.0, 30.0, 0.0),
        (0.70, 0.50, 53.0, -35.0, 0.0),
        (1.30, 0.60, 57.0, 20.0, 30.0),
        (2.00, 0.70, 60.0, 25.0, 0.0),
    ]
    .iter()
    .map(|&(start, len, midi, detune, vib)| Note {
        start,
        len,
        midi,
        detune_cents: detune,
        vib_hz: 5.5,
        vib_cents: vib,
    })
    .collect();
    let x = sing(fs, &notes, A, 2.9, 0.5);
    (notes, x)
}
