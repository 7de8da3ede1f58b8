//! What a host shows of each plugin before any audio runs: feature tags,
//! parameter names, units and groups in a generic editor, remote-control
//! pages for hardware controllers, port names, and the VST3 units. A user
//! meets these first; they are checked through the real binaries.

mod common;

use common::{targets, PLUGINS};
use glass::discovery::{build_dir, cdylib_path};
use glass::rng::Rng;
use glass::vst3host::{Vst3Library, AUDIO_MODULE_CLASS};
use glass::ParamChange;
use std::collections::{HashMap, HashSet};

/// CLAP feature tags a host files an effect under (`clap/plugin-features.h`).
const CATEGORY_TAGS: &[&str] = &[
    "equalizer",
    "compressor",
    "limiter",
    "reverb",
    "delay",
    "pitch-correction",
    "dynamics",
    "filter",
];

#[test]
fn clap_descriptors_are_filed_where_users_look() {
    for t in targets() {
        let d = t
            .library
            .plugins()
            .iter()
            .find(|d| d.id == t.id)
            .expect("descriptor");
        assert!(
            d.name.starts_with("Glasswork "),
            "{}: name {:?}",
            t.lib,
            d.name
        );
        assert_eq!(d.vendor, "Glasswork", "{}: vendor", t.lib);
        assert!(!d.version.is_empty(), "{}: no version", t.lib);
        assert!(!d.description.is_empty(), "{}: no description", t.lib);
        assert!(
            d.features.iter().any(|f| f == "audio-effect"),
            "{}: not tagged audio-effect: {:?}",
            t.lib,
            d.features
        );
        assert!(
            d.features
                .iter()
                .any(|f| CATEGORY_TAGS.contains(&f.as_str())),
            "{}: no category tag a host can file it under: {:?}",
            t.lib,
            d.features
        );
    }
}

#[test]
fn clap_parameters_read_well_in_a_generic_editor() {
    for t in targets() {
        let mut plugin = t.instantiate();
        let params = plugin.params();
        assert!(!params.is_empty(), "{}: no parameters", t.lib);
        let mut names = HashSet::new();
        for p in &params {
            let what = format!("{} parameter {:?}", t.lib, p.name);
            assert!(
                !p.name.trim().is_empty(),
                "{}: parameter {} unnamed",
                t.lib,
                p.id
            );
            assert!(
                p.name.len() <= 24,
                "{what}: name too long for a host's column"
            );
            assert!(names.insert(p.name.clone()), "{what}: name used twice");
            // Every parameter but the host-facing bypass sits in a group, so
            // a generic editor shows folders rather than one long list.
            if !p.is_bypass() {
                assert!(!p.module.is_empty(), "{what}: in no group");
            }
            // Text typed back and printed again reads the same, everywhere
            // in the range (hosts and validators check this).
            for t in [0.0101, 0.0303, 0.25, 0.5, 0.75, 0.97, 0.999] {
                let value = p.min + t * (p.max - p.min);
                let value = if p.is_stepped() { value.round() } else { value };
                let text = plugin.value_to_text(p.id, value).expect("value_to_text");
                let back = plugin
                    .text_to_value(p.id, &text)
                    .unwrap_or_else(|e| panic!("{what}: text_to_value({text:?}): {e}"));
                let again = plugin.value_to_text(p.id, back).expect("value_to_text");
                assert_eq!(
                    again, text,
                    "{what}: {value} prints {text:?}, reads back {back}"
                );
            }
            // What the host prints for the default, minimum and maximum is
            // short, finite, and typed back in gives the same value.
            for value in [p.min, p.default, p.max] {
                let text = plugin
                    .value_to_text(p.id, value)
                    .unwrap_or_else(|e| panic!("{what}: value_to_text({value}): {e}"));
                assert!(!text.trim().is_empty(), "{what}: empty text for {value}");
                assert!(text.len() <= 24, "{what}: text {text:?} too long");
                assert!(
                    !text.to_lowercase().contains("nan") && !text.contains("inf"),
                    "{what}: text {text:?}"
                );
                let back = plugin
                    .text_to_value(p.id, &text)
                    .unwrap_or_else(|e| panic!("{what}: text_to_value({text:?}): {e}"));
                let span = (p.max - p.min).abs().max(1e-9);
                assert!(
                    (back - value).abs() <= 0.01 * span,
                    "{what}: {value} printed as {text:?} reads back as {back}"
                );
            }
        }
    }
}

#[test]
fn clap_remote_control_pages_reach_every_parameter() {
    for t in targets() {
        let mut plugin = t.instantiate();
        let params = plugin.params();
        let ids: HashMap<u32, &str> = params.iter().map(|p| (p.id, p.name.as_str())).collect();
        let pages = plugin.remote_control_pages();
        assert!(!pages.is_empty(), "{}: no remote-control pages", t.lib);
        let mut page_ids = HashSet::new();
        let mut reached = HashSet::new();
        for page in &pages {
            assert!(!page.name.is_empty(), "{}: unnamed page", t.lib);
            assert!(
                page_ids.insert(page.id),
                "{}: page id {} twice",
                t.lib,
                page.id
            );
            for id in page.params.iter().flatten() {
                assert!(
                    ids.contains_key(id),
                    "{}: page {:?} maps unknown parameter {id}",
                    t.lib,
                    page.name
                );
                reached.insert(*id);
            }
        }
        for p in &params {
            assert!(
                reached.contains(&p.id),
                "{}: {:?} is on no remote-control page",
                t.lib,
                p.name
            );
        }
    }
}

#[test]
fn clap_ports_are_named_and_extra_inputs_are_optional() {
    for t in targets() {
        let plugin = t.instantiate();
        let layout = plugin.layout().clone();
        assert!(layout.main_input().is_some(), "{}: no main input", t.lib);
        assert!(layout.main_output().is_some(), "{}: no main output", t.lib);
        for port in layout.inputs.iter().chain(&layout.outputs) {
            assert!(!port.name.trim().is_empty(), "{}: unnamed port", t.lib);
            assert!((1..=2).contains(&port.channels), "{}: {port:?}", t.lib);
        }
        // A sidechain is an extra input that is not the main one: hosts
        // leave it unconnected unless the user routes something to it.
        for port in layout.inputs.iter().filter(|p| !p.is_main) {
            assert!(
                port.name.to_lowercase().contains("sidechain"),
                "{}: extra input {:?} should say it is a sidechain",
                t.lib,
                port.name
            );
        }
        assert_eq!(
            layout.inputs.iter().filter(|p| p.is_main).count(),
            1,
            "{}: one main input",
            t.lib
        );
    }
}

#[test]
fn vst3_parameters_sit_in_named_units() {
    let dir = build_dir().expect("cannot locate the cargo target directory");
    for lib in PLUGINS {
        let library =
            Vst3Library::load(&cdylib_path(&dir, lib)).unwrap_or_else(|e| panic!("{lib}: {e}"));
        let class = library
            .classes()
            .into_iter()
            .find(|c| c.category == AUDIO_MODULE_CLASS)
            .unwrap_or_else(|| panic!("{lib}: no audio effect class"));
        let plugin = library
            .create(&class.cid)
            .unwrap_or_else(|e| panic!("{lib}: {e}"));
        let units = plugin.units();
        let unit_names: HashMap<i32, &str> =
            units.iter().map(|u| (u.id, u.name.as_str())).collect();
        for u in &units {
            assert!(!u.name.trim().is_empty(), "{lib}: unnamed unit {}", u.id);
            // The root unit (0) is implied; every other parent must exist.
            assert!(
                u.parent <= 0 || unit_names.contains_key(&u.parent),
                "{lib}: unit {:?} has an unknown parent {}",
                u.name,
                u.parent
            );
        }
        for p in plugin.params() {
            if p.is_bypass() {
                continue;
            }
            assert!(
                p.unit_id != 0 && unit_names.contains_key(&p.unit_id),
                "{lib}: VST3 parameter {:?} is in no named unit (unit {})",
                p.title,
                p.unit_id
            );
        }
    }
}

/// Saved state framing used by the CLAP wrapper: a little-endian u64 length,
/// then the JSON document.
fn state_json(bytes: &[u8]) -> serde_json::Value {
    let len = u64::from_le_bytes(bytes[..8].try_into().expect("length prefix")) as usize;
    serde_json::from_slice(&bytes[8..8 + len]).expect("state is JSON")
}

fn framed(json: &serde_json::Value) -> Vec<u8> {
    let body = serde_json::to_vec(json).expect("serialise");
    let mut out = (body.len() as u64).to_le_bytes().to_vec();
    out.extend(body);
    out
}

#[test]
fn state_from_an_older_version_loads_what_it_knows() {
    for t in targets() {
        let mut plugin = t.instantiate();
        let params: Vec<_> = plugin
            .params()
            .into_iter()
            .filter(|p| !p.is_bypass())
            .collect();
        let mut rng = Rng::new(5);
        let changes: Vec<ParamChange> = params
            .iter()
            .map(|p| {
                let mut v = p.min + (p.max - p.min) * rng.next_f64();
                if p.is_stepped() {
                    v = v.round();
                }
                ParamChange {
                    time: 0,
                    id: p.id,
                    value: v,
                }
            })
            .collect();
        plugin.flush_params(&changes).expect("flush");
        let saved: Vec<f64> = params
            .iter()
            .map(|p| plugin.param_value(p.id).expect("value"))
            .collect();
        let mut json = state_json(&plugin.save_state().expect("save"));

        // An older version: another version string, one of today's
        // parameters unknown to it, and one it had that is gone now.
        let missing_id = json["params"]
            .as_object()
            // A continuous parameter: its random value is surely not its
            // default, so the one left at its default can be found below.
            .and_then(|m| {
                m.iter()
                    .find(|(k, v)| *k != "bypass" && v.get("f32").is_some())
                    .map(|(k, _)| k.clone())
            })
            .expect("a saved parameter");
        json["version"] = serde_json::Value::from("0.0.1");
        let map = json["params"].as_object_mut().expect("params map");
        map.remove(&missing_id);
        map.insert("retired_knob".into(), serde_json::json!({ "f32": 0.5 }));

        let mut fresh = t.instantiate();
        let defaults: Vec<f64> = params
            .iter()
            .map(|p| fresh.param_value(p.id).expect("value"))
            .collect();
        fresh
            .load_state(&framed(&json))
            .unwrap_or_else(|e| panic!("{}: an older state was refused: {e}", t.lib));
        let loaded: Vec<f64> = params
            .iter()
            .map(|p| fresh.param_value(p.id).expect("value"))
            .collect();
        // The parameter the old state lacks keeps its default; every other
        // one is restored. (Values were drawn at random, so the one left at
        // its default is the one that was missing.)
        let mut at_default = Vec::new();
        for (i, p) in params.iter().enumerate() {
            if loaded[i].to_bits() == saved[i].to_bits() {
                continue;
            }
            assert!(
                loaded[i].to_bits() == defaults[i].to_bits(),
                "{}: {:?} loaded as {}, saved as {}, default {}",
                t.lib,
                p.name,
                loaded[i],
                saved[i],
                defaults[i]
            );
            at_default.push(p.name.clone());
        }
        assert!(
            at_default.len() == 1,
            "{}: removing {missing_id:?} from the state should leave exactly one parameter at \
             its default, got {at_default:?}",
            t.lib
        );
    }
}
