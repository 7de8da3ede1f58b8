//! Glasswork Comp's sidechain through the CLAP ABI: the port a host routes a
//! sidechain to, left unconnected (silent) and connected. Built and loaded
//! like the other conformance tests (`cargo xtask test` builds the binary).

mod common;

use common::{library, Target};
use glass::{ParamChange, Plugin};

const LIB: &str = "glass_comp";
const FS: f64 = 48_000.0;
const BLOCK: usize = 256;

fn comp() -> Plugin {
    let library = library(LIB);
    let id = library
        .plugins()
        .first()
        .map(|d| d.id.clone())
        .unwrap_or_else(|| panic!("{LIB} offers no plugin"));
    Target {
        lib: LIB,
        library,
        id,
    }
    .activated(FS)
}

/// A parameter change to `text` (as the plugin parses it) for the
/// parameter named `name`.
fn set(plugin: &mut Plugin, name: &str, text: &str) -> ParamChange {
    let id = plugin
        .params()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no parameter {name:?}"))
        .id;
    let value = plugin
        .text_to_value(id, text)
        .unwrap_or_else(|e| panic!("{name} = {text:?}: {e}"));
    ParamChange { time: 0, id, value }
}

/// Square wave at `db` dBFS, period 64 samples: its peak and RMS are both
/// its amplitude, so the detector reads exactly that level.
fn square(n: usize, db: f64) -> Vec<f32> {
    let a = 10f64.powf(db / 20.0) as f32;
    (0..n)
        .map(|i| if (i / 32) % 2 == 0 { a } else { -a })
        .collect()
}

/// Runs stereo `main` (and `key` on the sidechain port, if given) through
/// the plugin in blocks, sending `events` with the first block.
fn run(
    plugin: &mut Plugin,
    main: &[f32],
    key: Option<&[f32]>,
    events: &[ParamChange],
) -> Vec<Vec<f32>> {
    plugin
        .run(|audio| {
            let mut out = vec![vec![0.0f32; main.len()]; 2];
            let mut first = true;
            for start in (0..main.len()).step_by(BLOCK) {
                let end = (start + BLOCK).min(main.len());
                let input = [&main[start..end], &main[start..end]];
                let (l, r) = out.split_at_mut(1);
                let mut output = [&mut l[0][start..end], &mut r[0][start..end]];
                let ev: Vec<ParamChange> = if first { events.to_vec() } else { Vec::new() };
                first = false;
                match key {
                    Some(k) => {
                        let aux = [&k[start..end], &k[start..end]];
                        audio.process_with_aux(&input, &aux, &mut output, ev)
                    }
                    None => audio.process(&input, &mut output, ev),
                }
                .unwrap_or_else(|e| panic!("process: {e}"));
            }
            out
        })
        .unwrap_or_else(|e| panic!("run: {e}"))
}

fn level_db(x: f32) -> f64 {
    20.0 * f64::from(x.abs()).log10()
}

/// Threshold −30 dB, ∞:1, hard knee, 1 ms attack, external detection.
fn keyed(plugin: &mut Plugin, external: bool) -> Vec<ParamChange> {
    vec![
        set(plugin, "Threshold", "-30"),
        set(plugin, "Ratio", "∞"),
        set(plugin, "Knee", "0"),
        set(plugin, "Attack", "1"),
        set(
            plugin,
            "External Sidechain",
            if external { "On" } else { "Off" },
        ),
    ]
}

#[test]
fn offers_an_auxiliary_input_named_sidechain() {
    let plugin = comp();
    let layout = plugin.layout();
    assert_eq!(layout.inputs.len(), 2, "{layout:?}");
    let main = layout.main_input().expect("a main input");
    let aux = &layout.inputs[1 - main];
    assert_eq!(aux.name, "Sidechain");
    assert!(!aux.is_main);
    assert_eq!(aux.channels, layout.inputs[main].channels);
}

#[test]
fn connected_sidechain_sets_the_gain_reduction() {
    // Quiet main input (−40 dB, below the threshold on its own), key 24 dB
    // over the −30 dB threshold: at ∞:1 the main input loses 24 dB.
    let mut plugin = comp();
    let events = keyed(&mut plugin, true);
    let main = square(24_000, -40.0);
    let key = square(24_000, -6.0);
    let out = run(&mut plugin, &main, Some(&key), &events);
    for ch in &out {
        let reduction = level_db(main[23_999]) - level_db(ch[23_999]);
        assert!((reduction - 24.0).abs() < 0.05, "reduction {reduction} dB");
    }
}

#[test]
fn unconnected_or_silent_sidechain_means_no_reduction() {
    // A loud main input that would be compressed by 30 dB if it were the
    // key: with external detection and nothing on the sidechain port (the
    // host fills an unconnected port with silence) it passes untouched.
    let main = square(24_000, 0.0);
    for key in [None, Some(vec![0.0f32; 24_000])] {
        let mut plugin = comp();
        let events = keyed(&mut plugin, true);
        let out = run(&mut plugin, &main, key.as_deref(), &events);
        for ch in &out {
            assert_eq!(ch, &main, "key {:?}", key.as_ref().map(|_| "silent"));
        }
    }
}

#[test]
fn sidechain_is_ignored_unless_external_detection_is_on() {
    // Same loud key, external detection off: the quiet main input is its
    // own key and stays below the threshold.
    let mut plugin = comp();
    let events = keyed(&mut plugin, false);
    let main = square(24_000, -40.0);
    let key = square(24_000, -6.0);
    let out = run(&mut plugin, &main, Some(&key), &events);
    for ch in &out {
        assert_eq!(ch, &main);
    }
}

#[test]
fn nan_on_the_sidechain_never_reaches_the_output() {
    let mut plugin = comp();
    let events = keyed(&mut plugin, true);
    let main = square(24_000, -20.0);
    let mut key = square(24_000, -6.0);
    for v in &mut key[4_000..4_100] {
        *v = f32::NAN;
    }
    for v in &mut key[8_000..8_100] {
        *v = f32::INFINITY;
    }
    let out = run(&mut plugin, &main, Some(&key), &events);
    for ch in &out {
        assert!(ch.iter().all(|v| v.is_finite()));
        let reduction = level_db(main[23_999]) - level_db(ch[23_999]);
        assert!((reduction - 24.0).abs() < 0.05, "reduction {reduction} dB");
    }
}
