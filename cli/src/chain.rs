//! What the user asks a plugin chain to be, before any plugin is loaded: the inline syntax
//! `eq(Low Gain=2) | comp(@gentle.json, ratio=4) | limit(ceiling=-1)`, and JSON presets.
//!
//! A preset is a JSON object with the parameters under the names the plugins show:
//!
//! ```json
//! { "plugin": "Glasswork Comp",
//!   "params": { "Threshold": -24, "Ratio": "4:1", "Auto Makeup": true } }
//! ```
//!
//! Numbers and strings are read like `--set` values (the plugin's display units); `true` and
//! `false` switch on/off parameters. A chain file holds `{ "chain": [preset, preset, ...] }`
//! (or just the array), each preset naming its plugin.

use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A value as written by the user.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingValue {
    /// Text in the plugin's display units (`-1`, `-1 dB`, `4:1`, `On`).
    Text(String),
    /// On or off, for switch parameters.
    Bool(bool),
}

/// One parameter assignment and where it came from (for error messages).
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// Parameter name (matched case-insensitively) or numeric id.
    pub name: String,
    /// The value to set.
    pub value: SettingValue,
    /// Where it was written, e.g. `--set` or `preset gentle.json`.
    pub source: String,
}

/// One stage of a chain: a plugin name and its settings, applied in order (later ones win).
#[derive(Debug, Clone, PartialEq)]
pub struct StageSpec {
    /// Plugin name as the user wrote it (`comp`, `Glasswork Comp`, a CLAP id, a path).
    pub plugin: String,
    /// Settings in the order they were given.
    pub settings: Vec<Setting>,
}

/// Splits `text` at `separator` outside double quotes and parentheses.
fn split_top(text: &str, separator: char) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut depth) = (false, 0usize);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| format!("unbalanced ')' in {text:?}"))?;
            }
            _ => {}
        }
        if c == separator && !quoted && depth == 0 {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    if quoted {
        return Err(format!("unclosed quote in {text:?}"));
    }
    if depth != 0 {
        return Err(format!("unclosed '(' in {text:?}"));
    }
    parts.push(current);
    Ok(parts)
}

fn unquote(text: &str) -> String {
    let t = text.trim();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        t[1..t.len() - 1].to_string()
    } else {
        t.to_string()
    }
}

/// Parses one `NAME=VALUE` assignment (the `--set` syntax).
pub fn parse_assignment(text: &str, source: &str) -> Result<Setting, String> {
    let (name, value) = crate::param_text::split_assignment(text)?;
    Ok(Setting {
        name: unquote(name),
        value: SettingValue::Text(unquote(value)),
        source: source.to_string(),
    })
}

/// Parses a chain: `@file.json`, or stages `plugin(args)` separated by `|`, where args are
/// `NAME=VALUE` and `@preset.json` items separated by commas (quote values that contain
/// commas). Relative preset paths are taken from the current directory.
pub fn parse_chain(text: &str) -> Result<Vec<StageSpec>, String> {
    let text = text.trim();
    if let Some(path) = text.strip_prefix('@') {
        return load_chain_file(Path::new(path.trim()));
    }
    let mut stages = Vec::new();
    for (i, part) in split_top(text, '|')?.into_iter().enumerate() {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("stage {} of the chain {text:?} is empty", i + 1));
        }
        let (plugin, args) = match part.find('(') {
            Some(open) => {
                let inner = part[open + 1..]
                    .strip_suffix(')')
                    .ok_or_else(|| format!("{part:?}: expected ')' at the end"))?;
                (part[..open].trim(), inner)
            }
            None => (part, ""),
        };
        if plugin.is_empty() {
            return Err(format!("{part:?}: no plugin name before '('"));
        }
        let mut settings = Vec::new();
        for arg in split_top(args, ',')? {
            let arg = arg.trim();
            if arg.is_empty() {
                continue;
            }
            if let Some(path) = arg.strip_prefix('@') {
                let preset = load_preset(Path::new(&unquote(path)))?;
                settings.extend(preset.settings);
            } else {
                settings.push(parse_assignment(
                    arg,
                    &format!("the chain's {plugin}(...)"),
                )?);
            }
        }
        stages.push(StageSpec {
            plugin: unquote(plugin),
            settings,
        });
    }
    Ok(stages)
}

/// A preset file: the plugin it names (if any) and its settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    /// The `"plugin"` field.
    pub plugin: Option<String>,
    /// The settings of the `"preset"` it builds on, then its `"params"`.
    pub settings: Vec<Setting>,
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
}

fn preset_from_value(value: &Value, source: &str, base: &Path) -> Result<Preset, String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("{source}: expected a JSON object"))?;
    for key in object.keys() {
        if !matches!(key.as_str(), "plugin" | "params" | "preset") {
            return Err(format!(
                "{source}: unknown field {key:?} (a preset has \"plugin\", \"params\" and \
                 optionally \"preset\", another preset file it builds on)"
            ));
        }
    }
    let plugin = match object.get("plugin") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(format!("{source}: \"plugin\" must be a string")),
    };
    let mut settings = Vec::new();
    if let Some(base_preset) = object.get("preset") {
        let file = base_preset
            .as_str()
            .ok_or_else(|| format!("{source}: \"preset\" must be a file name"))?;
        settings.extend(load_preset(&base.join(file))?.settings);
    }
    match object.get("params") {
        None => {}
        Some(Value::Object(params)) => settings.extend(settings_from_map(params, source)?),
        Some(_) => return Err(format!("{source}: \"params\" must be an object")),
    }
    Ok(Preset { plugin, settings })
}

fn settings_from_map(params: &Map<String, Value>, source: &str) -> Result<Vec<Setting>, String> {
    params
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Value::String(s) => SettingValue::Text(s.clone()),
                Value::Number(n) => SettingValue::Text(n.to_string()),
                Value::Bool(b) => SettingValue::Bool(*b),
                _ => {
                    return Err(format!(
                        "{source}: the value of {name:?} must be a number, a string or true/false"
                    ))
                }
            };
            Ok(Setting {
                name: name.clone(),
                value,
                source: source.to_string(),
            })
        })
        .collect()
}

fn base_dir(path: &Path) -> PathBuf {
    path.parent().map_or_else(PathBuf::new, Path::to_path_buf)
}

/// Loads a preset file.
pub fn load_preset(path: &Path) -> Result<Preset, String> {
    let source = format!("preset {}", path.display());
    preset_from_value(&read_json(path)?, &source, &base_dir(path))
}

/// Loads a chain file: `{"chain": [...]}` or a bare array of presets, each with `"plugin"`.
pub fn load_chain_file(path: &Path) -> Result<Vec<StageSpec>, String> {
    let value = read_json(path)?;
    let list = match &value {
        Value::Array(list) => list,
        Value::Object(o) => match o.get("chain") {
            Some(Value::Array(list)) => list,
            _ => {
                return Err(format!(
                    "{}: expected {{\"chain\": [...]}} or an array of presets",
                    path.display()
                ))
            }
        },
        _ => {
            return Err(format!(
                "{}: expected a JSON array or object",
                path.display()
            ))
        }
    };
    if list.is_empty() {
        return Err(format!("{}: the chain is empty", path.display()));
    }
    list.iter()
        .enumerate()
        .map(|(i, stage)| {
            let source = format!("{} stage {}", path.display(), i + 1);
            let preset = preset_from_value(stage, &source, &base_dir(path))?;
            let plugin = preset
                .plugin
                .ok_or_else(|| format!("{source}: no \"plugin\""))?;
            Ok(StageSpec {
                plugin,
                settings: preset.settings,
            })
        })
        .collect()
}

/// A preset as JSON text, parameters in the given order (the plugin's) with their display
/// texts. Written by hand because `serde_json`'s map sorts its keys.
pub fn preset_json(plugin: &str, params: &[(String, String)]) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let mut text = format!("{{\n  \"plugin\": {},\n  \"params\": {{\n", quote(plugin));
    for (i, (name, value)) in params.iter().enumerate() {
        let comma = if i + 1 < params.len() { "," } else { "" };
        text.push_str(&format!("    {}: {}{comma}\n", quote(name), quote(value)));
    }
    text.push_str("  }\n}\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(name: &str, value: &str) -> (String, SettingValue) {
        (name.to_string(), SettingValue::Text(value.to_string()))
    }

    fn pairs(stage: &StageSpec) -> Vec<(String, SettingValue)> {
        stage
            .settings
            .iter()
            .map(|s| (s.name.clone(), s.value.clone()))
            .collect()
    }

    #[test]
    fn inline_chains_split_into_stages_and_settings() {
        let chain =
            parse_chain("eq | comp(threshold=-20 dB, Stereo Link = 50) | limit(ceiling=-1)")
                .expect("parse");
        assert_eq!(chain.len(), 3);
        assert_eq!(chain[0].plugin, "eq");
        assert!(chain[0].settings.is_empty());
        assert_eq!(
            pairs(&chain[1]),
            vec![text("threshold", "-20 dB"), text("Stereo Link", "50")]
        );
        assert_eq!(pairs(&chain[2]), vec![text("ceiling", "-1")]);
        let quoted = parse_chain(r#"x(name="a, b | c")"#).expect("quoted");
        assert_eq!(pairs(&quoted[0]), vec![text("name", "a, b | c")]);
    }

    #[test]
    fn malformed_chains_are_explained() {
        for (bad, needle) in [
            ("comp(ratio=4", "unclosed '('"),
            ("comp | | limit", "stage 2"),
            ("(ratio=4)", "no plugin name"),
            ("comp(ratio)", "NAME=VALUE"),
            (r#"comp(x="4)"#, "unclosed quote"),
        ] {
            let err = parse_chain(bad).unwrap_err();
            assert!(err.contains(needle), "{bad}: {err}");
        }
    }

    #[test]
    fn presets_and_chain_files_load_in_order() {
        let dir = std::env::temp_dir().join(format!("glass-chain-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let base = dir.join("base.json");
        std::fs::write(
            &base,
            r#"{"plugin": "comp", "params": {"Ratio": 2, "Knee": "6 dB"}}"#,
        )
        .expect("write");
        let preset = dir.join("p.json");
        std::fs::write(
            &preset,
            r#"{"plugin": "comp", "preset": "base.json", "params": {"Ratio": 4, "Auto Makeup": true}}"#,
        )
        .expect("write");
        let loaded = load_preset(&preset).expect("load");
        assert_eq!(loaded.plugin.as_deref(), Some("comp"));
        // The base preset's settings come first, so the preset's own win where both set one.
        let last = |name: &str| {
            loaded
                .settings
                .iter()
                .rev()
                .find(|s| s.name == name)
                .map(|s| s.value.clone())
        };
        assert_eq!(loaded.settings.len(), 4);
        assert_eq!(last("Ratio"), Some(SettingValue::Text("4".into())));
        assert_eq!(last("Knee"), Some(SettingValue::Text("6 dB".into())));
        assert_eq!(last("Auto Makeup"), Some(SettingValue::Bool(true)));
        let chain_file = dir.join("chain.json");
        std::fs::write(
            &chain_file,
            r#"{"chain": [{"plugin": "comp", "params": {"Ratio": 3}}, {"plugin": "limit"}]}"#,
        )
        .expect("write");
        let chain = parse_chain(&format!("@{}", chain_file.display())).expect("chain");
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[1].plugin, "limit");
        let inline = parse_chain(&format!("comp(@{}, ratio=8)", preset.display())).expect("inline");
        assert_eq!(inline[0].settings.len(), 5);
        std::fs::write(&preset, r#"{"params": {"Ratio": [1]}}"#).expect("write");
        assert!(load_preset(&preset)
            .unwrap_err()
            .contains("must be a number"));
        std::fs::write(&preset, r#"{"parms": {}}"#).expect("write");
        assert!(load_preset(&preset).unwrap_err().contains("unknown field"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn presets_round_trip_through_json() {
        let json = preset_json(
            "Glasswork \"Limit\"",
            &[
                ("Ceiling".into(), "-1.00 dB".into()),
                ("Auto Release".into(), "On".into()),
            ],
        );
        assert!(
            json.find("Ceiling") < json.find("Auto Release"),
            "plugin order kept"
        );
        let value: Value = serde_json::from_str(&json).expect("valid JSON");
        let preset = preset_from_value(&value, "test", Path::new(".")).expect("preset");
        assert_eq!(preset.plugin.as_deref(), Some("Glasswork \"Limit\""));
        assert_eq!(preset.settings.len(), 2);
        let ceiling = preset
            .settings
            .iter()
            .find(|s| s.name == "Ceiling")
            .expect("ceiling");
        assert_eq!(ceiling.value, SettingValue::Text("-1.00 dB".into()));
        let empty: Value = serde_json::from_str(&preset_json("x", &[])).expect("valid JSON");
        assert_eq!(empty["params"], serde_json::json!({}));
    }
}
