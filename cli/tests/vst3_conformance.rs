//! VST3 conformance of every built Glasswork plugin, through the VST3 ABI
//! (`GetPluginFactory`, `IComponent`, `IAudioProcessor`, `IEditController`,
//! `IBStream`): the same binary the `.vst3` bundle carries. Build the
//! binaries as for `clap_conformance.rs` (`cargo xtask test` does).

mod common;

use common::PLUGINS;
use glass::discovery::{build_dir, cdylib_path};
use glass::rng::Rng;
use glass::signal::{noise, peak_index};
use glass::vst3host::{ClassId, Vst3Library, Vst3Plugin, AUDIO_MODULE_CLASS};
use std::sync::OnceLock;

const MAX_BLOCK: i32 = 4096;

/// Each binary is loaded once per process and stays loaded.
fn libraries() -> &'static Vec<(&'static str, Vst3Library)> {
    static LIBS: OnceLock<Vec<(&'static str, Vst3Library)>> = OnceLock::new();
    LIBS.get_or_init(|| {
        let dir = build_dir().expect("cannot locate the cargo target directory");
        PLUGINS
            .iter()
            .map(|&lib| {
                let path = cdylib_path(&dir, lib);
                assert!(
                    path.exists(),
                    "{lib}: {} is missing; build it first (`cargo xtask test` does)",
                    path.display()
                );
                let library = Vst3Library::load(&path).unwrap_or_else(|e| panic!("{lib}: {e}"));
                (lib, library)
            })
            .collect()
    })
}

fn for_each_plugin(check: impl Fn(&str, &Vst3Library, &ClassId)) {
    for (lib, library) in libraries() {
        let classes = library.classes();
        let effects: Vec<_> = classes
            .iter()
            .filter(|c| c.category == AUDIO_MODULE_CLASS)
            .collect();
        assert!(
            !effects.is_empty(),
            "{lib}: no '{AUDIO_MODULE_CLASS}' class in {classes:?}"
        );
        for class in effects {
            check(lib, library, &class.cid);
        }
    }
}

fn activated(lib: &str, library: &Vst3Library, cid: &ClassId, rate: f64) -> Vst3Plugin {
    let mut plugin = library.create(cid).unwrap_or_else(|e| panic!("{lib}: {e}"));
    plugin
        .activate(rate, MAX_BLOCK, 2)
        .unwrap_or_else(|e| panic!("{lib}, {rate} Hz: {e}"));
    plugin
}

/// Processes `input` (stereo) in blocks of `sizes` (cycled), with `changes`
/// (id, normalised value) sent in the first block.
fn render(
    plugin: &mut Vst3Plugin,
    input: &[Vec<f32>; 2],
    sizes: &[usize],
    changes: &[(u32, f64)],
    at: &str,
) -> [Vec<f32>; 2] {
    let len = input[0].len();
    let mut out = [vec![0.0f32; len], vec![0.0f32; len]];
    let (mut start, mut k) = (0, 0);
    while start < len {
        let n = sizes[k % sizes.len()].min(len - start).max(1);
        let ins = [&input[0][start..start + n], &input[1][start..start + n]];
        let (l, r) = out.split_at_mut(1);
        let mut outs = [&mut l[0][start..start + n], &mut r[0][start..start + n]];
        let first: Vec<(u32, i32, f64)> = if k == 0 {
            changes.iter().map(|&(id, v)| (id, 0, v)).collect()
        } else {
            Vec::new()
        };
        plugin
            .process(&ins, &mut outs, &first)
            .unwrap_or_else(|e| panic!("{at}: block {k}: {e}"));
        start += n;
        k += 1;
    }
    out
}

fn stereo_noise(len: usize, gain: f32, seed: u64) -> [Vec<f32>; 2] {
    [
        noise(&mut Rng::new(seed), len, gain),
        noise(&mut Rng::new(seed + 1), len, gain),
    ]
}

#[test]
fn factory_offers_a_named_audio_effect() {
    for (lib, library) in libraries() {
        let names: Vec<String> = library
            .classes()
            .into_iter()
            .filter(|c| c.category == AUDIO_MODULE_CLASS)
            .map(|c| c.name)
            .collect();
        assert!(
            names.iter().all(|n| n.starts_with("Glasswork ")),
            "{lib}: class names {names:?}"
        );
    }
}

#[test]
fn processes_at_every_rate_and_block_size() {
    for_each_plugin(|lib, library, cid| {
        for rate in [44_100.0, 48_000.0, 96_000.0] {
            for sizes in [&[64usize][..], &[512], &[4096], &[1, 7, 333, 4096, 90]] {
                let at = format!("{lib}, {rate} Hz, blocks {sizes:?}");
                let mut plugin = activated(lib, library, cid, rate);
                let input = stereo_noise(rate as usize / 2, 0.9, 3);
                let out = render(&mut plugin, &input, sizes, &[], &at);
                assert!(
                    out.iter().flatten().all(|v| v.is_finite()),
                    "{at}: non-finite output"
                );
            }
        }
    });
}

#[test]
fn impulse_comes_out_at_the_reported_latency() {
    for_each_plugin(|lib, library, cid| {
        for rate in [44_100.0, 48_000.0, 96_000.0] {
            let at = format!("{lib}, {rate} Hz");
            let mut plugin = activated(lib, library, cid, rate);
            let latency = plugin.latency() as usize;
            let onset = rate as usize / 10;
            let len = onset + latency + rate as usize / 5;
            let mut input = [vec![0.0f32; len], vec![0.0f32; len]];
            input[0][onset] = 0.25;
            input[1][onset] = 0.25;
            let out = render(&mut plugin, &input, &[512], &[], &at);
            for (c, ch) in out.iter().enumerate() {
                assert_eq!(
                    peak_index(ch),
                    Some(onset + latency),
                    "{at}: channel {c}: reported latency {latency}"
                );
            }
        }
    });
}

#[test]
fn bypass_is_flagged_and_passes_the_input_delayed() {
    for_each_plugin(|lib, library, cid| {
        let at = format!("{lib}, bypass");
        let mut plugin = activated(lib, library, cid, 48_000.0);
        let params = plugin.params();
        let bypass = params
            .iter()
            .find(|p| p.is_bypass())
            .unwrap_or_else(|| panic!("{at}: no parameter carries kIsBypass ({params:?})"));
        let latency = plugin.latency() as usize;
        let input = stereo_noise(48_000, 1.0, 7);
        let out = render(&mut plugin, &input, &[512], &[(bypass.id, 1.0)], &at);
        for (c, (o, i)) in out.iter().zip(&input).enumerate() {
            for n in 4800.max(latency)..o.len() {
                assert!(
                    (o[n] - i[n - latency]).abs() <= 1e-6,
                    "{at}: channel {c} sample {n}: {} vs input {} delayed by {latency}",
                    o[n],
                    i[n - latency]
                );
            }
        }
    });
}

#[test]
fn state_and_normalised_values_round_trip() {
    for_each_plugin(|lib, library, cid| {
        let at = format!("{lib}, state");
        let mut plugin = activated(lib, library, cid, 48_000.0);
        let params = plugin.params();
        let mut rng = Rng::new(5);
        let silence = [vec![0.0f32; 64], vec![0.0f32; 64]];
        let randomise = |plugin: &mut Vst3Plugin, rng: &mut Rng| {
            let changes: Vec<(u32, f64)> = params
                .iter()
                .filter(|p| !p.is_bypass())
                .map(|p| (p.id, rng.next_f64()))
                .collect();
            render(plugin, &silence, &[64], &changes, &at);
        };
        randomise(&mut plugin, &mut rng);
        let saved: Vec<f64> = params
            .iter()
            .map(|p| plugin.param_normalized(p.id))
            .collect();
        let state = plugin.save_state().unwrap_or_else(|e| panic!("{at}: {e}"));
        assert!(!state.is_empty(), "{at}: empty state");
        randomise(&mut plugin, &mut rng);
        plugin
            .load_state(&state)
            .unwrap_or_else(|e| panic!("{at}: {e}"));
        for (p, want) in params.iter().zip(&saved) {
            assert_eq!(
                plugin.param_normalized(p.id),
                *want,
                "{at}: {} not restored",
                p.title
            );
        }
        // A fresh instance takes the same state.
        let fresh = library.create(cid).unwrap_or_else(|e| panic!("{at}: {e}"));
        fresh
            .load_state(&state)
            .unwrap_or_else(|e| panic!("{at}: fresh: {e}"));
        for (p, want) in params.iter().zip(&saved) {
            assert_eq!(
                fresh.param_normalized(p.id),
                *want,
                "{at}: fresh: {}",
                p.title
            );
        }
        // Garbage is refused or ignored, never a crash.
        let _ = fresh.load_state(b"not a state");
        let _ = fresh.load_state(&state[..state.len() / 2]);
    });
}

/// Waits up to a second for a latency restart request: the plugin may send
/// it from its own worker thread, a moment after the block that changed it.
fn latency_restart_arrives(plugin: &Vst3Plugin) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(1) {
        if plugin.take_latency_restart() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    false
}

#[test]
fn a_latency_change_is_announced_with_a_restart() {
    let changes = std::sync::atomic::AtomicUsize::new(0);
    for_each_plugin(|lib, library, cid| {
        let rate = 48_000.0;
        let probe = activated(lib, library, cid, rate);
        let params = probe.params();
        drop(probe);
        let silence = [vec![0.0f32; 2048], vec![0.0f32; 2048]];
        for p in params.iter().filter(|p| !p.is_bypass()) {
            for value in [0.0, 1.0] {
                let at = format!("{lib}, {} = {value}", p.title);
                let mut plugin = activated(lib, library, cid, rate);
                let before = plugin.latency();
                let _ = plugin.take_latency_restart();
                render(&mut plugin, &silence, &[256], &[(p.id, value)], &at);
                let after = plugin.latency();
                if after != before {
                    changes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    assert!(
                        latency_restart_arrives(&plugin),
                        "{at}: latency went from {before} to {after} without kLatencyChanged"
                    );
                }
            }
        }
    });
    // Limit's and Comp's lookahead change the latency: the check above ran.
    assert!(
        changes.into_inner() >= 2,
        "no parameter changed any plugin's latency; the restart check proved nothing"
    );
}

#[test]
fn tail_is_reported() {
    for_each_plugin(|lib, library, cid| {
        let mut plugin = activated(lib, library, cid, 48_000.0);
        // The tail is reported from processing; run a block first.
        let silence = [vec![0.0f32; 512], vec![0.0f32; 512]];
        render(&mut plugin, &silence, &[512], &[], lib);
        let tail = plugin.tail();
        // At least the latency must ring out (the bypass crossfade alone
        // does); "infinite" (u32::MAX) is allowed for a frozen loop.
        assert!(
            tail >= plugin.latency(),
            "{lib}: tail {tail} shorter than the latency {}",
            plugin.latency()
        );
    });
}
