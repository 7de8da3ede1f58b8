//! Turning what a user types (`--set Ceiling=-1.5`) into a CLAP parameter value, with the
//! plugin's own text conversion, range checks in display units, and suggestions.

use crate::discovery::suggestions;
use crate::params::ParamInfo;
use crate::plugin::Plugin;

/// Stepped parameters with at most this many steps are matched against each step's text.
const MAX_LISTED_STEPS: f64 = 64.0;

/// Splits `NAME=VALUE` at the first `=`, trimming both sides.
pub fn split_assignment(text: &str) -> Result<(&str, &str), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() && !value.trim().is_empty() => {
            Ok((name.trim(), value.trim()))
        }
        _ => Err(format!("expected NAME=VALUE, got {text:?}")),
    }
}

/// `name` lower-cased with everything but letters and digits dropped: `Stereo Link`,
/// `stereo_link` and `stereo-link` all read `stereolink`.
fn loose(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The parameter called `name` (case-insensitive; spaces, `_`, `-` and `/` optional when that
/// is unambiguous) or with numeric id `name`.
pub fn find_param<'a>(params: &'a [ParamInfo], name: &str) -> Result<&'a ParamInfo, String> {
    let wanted = name.to_lowercase();
    if let Some(p) = params.iter().find(|p| p.name.to_lowercase() == wanted) {
        return Ok(p);
    }
    let wanted_loose = loose(name);
    let mut loose_matches = params
        .iter()
        .filter(|p| !wanted_loose.is_empty() && loose(&p.name) == wanted_loose);
    if let (Some(p), None) = (loose_matches.next(), loose_matches.next()) {
        return Ok(p);
    }
    if let Some(p) = name
        .parse::<u32>()
        .ok()
        .and_then(|id| params.iter().find(|p| p.id == id))
    {
        return Ok(p);
    }
    let close = suggestions(name, params.iter().map(|p| p.name.as_str()));
    let mut message = format!("unknown parameter {name:?}");
    if close.is_empty() {
        let all: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        message.push_str(&format!("; parameters: {}", all.join(", ")));
    } else {
        message.push_str(&format!("; did you mean {}?", close.join(", ")));
    }
    Err(message)
}

/// Splits a display text such as `-1.50 dB` into its leading number and the rest (`dB`).
pub fn split_number(text: &str) -> Option<(f64, &str)> {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && i == 0))
                && !((c == 'e' || c == 'E') && i > 0)
        })
        .map_or(text.len(), |(i, _)| i);
    let number = text[..end].parse::<f64>().ok()?;
    Some((number, text[end..].trim()))
}

/// The plain value the plugin makes of `text` for `param`, or a message saying why it cannot
/// be used (unparsable, out of range in the plugin's own display units).
pub fn parse_value(plugin: &mut Plugin, param: &ParamInfo, text: &str) -> Result<f64, String> {
    let bound_text = |plugin: &mut Plugin, v: f64| {
        plugin
            .value_to_text(param.id, v)
            .unwrap_or_else(|_| v.to_string())
    };
    let min_text = bound_text(plugin, param.min);
    let max_text = bound_text(plugin, param.max);
    let range = format!("{min_text} .. {max_text}");

    if param.is_stepped() && param.max - param.min <= MAX_LISTED_STEPS {
        let mut step = param.min;
        while step <= param.max {
            if bound_text(plugin, step).eq_ignore_ascii_case(text) {
                return Ok(step);
            }
            step += 1.0;
        }
    }
    let value = plugin
        .text_to_value(param.id, text)
        .map_err(|_| format!("{:?} cannot parse {text:?} (range {range})", param.name))?;
    if !param.accepts(value) {
        return Err(format!(
            "{text:?} is out of range for {:?} ({range})",
            param.name
        ));
    }
    // CLAP truncates stepped values, so 1.9999999 from an f32 round trip would mean 1.
    let value = if param.is_stepped() {
        value.round()
    } else {
        value
    };
    // Plugins clamp what they parse, so a value on a bound may stand for anything beyond it:
    // compare the typed number with the bound's displayed number, in the same unit.
    if value == param.min || value == param.max {
        let at_max = value == param.max;
        let (bound_text, other_text) = if at_max {
            (&max_text, &min_text)
        } else {
            (&min_text, &max_text)
        };
        let (Some((typed, typed_unit)), Some((bound, unit))) =
            (split_number(text), split_number(bound_text))
        else {
            return Ok(value);
        };
        // The other end may have no number at all (`∞:1`, `Off`).
        let other = split_number(other_text);
        // A typed unit must be the bound's; a bare number only compares when the other end
        // does not show a different unit (no `Hz` → `kHz` switch in between).
        let comparable = if typed_unit.is_empty() {
            other.is_none_or(|(_, u)| u == unit)
        } else {
            typed_unit.eq_ignore_ascii_case(unit)
        };
        // Displays normally grow with the value; trust the bounds' numbers when comparable.
        let increasing = match other {
            Some((o, u)) if u == unit => {
                if at_max {
                    bound >= o
                } else {
                    o >= bound
                }
            }
            _ => true,
        };
        let outward = if at_max == increasing {
            typed - bound
        } else {
            bound - typed
        };
        // Half a unit in the bound's last displayed digit absorbs display rounding.
        let decimals = split_number_decimals(bound_text);
        let tolerance = 0.5 * 10f64.powi(-(decimals as i32)) + 1e-9 * bound.abs();
        if comparable && outward > tolerance {
            return Err(format!(
                "{text:?} is out of range for {:?} ({range})",
                param.name
            ));
        }
    }
    Ok(value)
}

fn split_number_decimals(text: &str) -> usize {
    let number = text
        .trim()
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("");
    number.split_once('.').map_or(0, |(_, frac)| {
        frac.chars().take_while(char::is_ascii_digit).count()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ParamInfoFlags;

    fn param(name: &str, id: u32) -> ParamInfo {
        ParamInfo {
            id,
            name: name.into(),
            module: String::new(),
            min: 0.0,
            max: 1.0,
            default: 0.5,
            flags: ParamInfoFlags::empty(),
        }
    }

    #[test]
    fn assignments_split_at_the_first_equals_sign() {
        assert_eq!(
            split_assignment("Ceiling = -1 dB"),
            Ok(("Ceiling", "-1 dB"))
        );
        assert_eq!(split_assignment("a=b=c"), Ok(("a", "b=c")));
        assert!(split_assignment("Ceiling").is_err());
        assert!(split_assignment("=3").is_err());
    }

    #[test]
    fn numbers_split_from_their_unit() {
        assert_eq!(split_number("-1.50 dB"), Some((-1.5, "dB")));
        assert_eq!(split_number("+12"), Some((12.0, "")));
        assert_eq!(split_number("1e3 Hz"), Some((1000.0, "Hz")));
        assert_eq!(split_number("20.0 kHz"), Some((20.0, "kHz")));
        assert_eq!(split_number("Off"), None);
        assert_eq!(split_number_decimals("-1.50 dB"), 2);
        assert_eq!(split_number_decimals("3 ms"), 0);
    }

    #[test]
    fn parameters_resolve_by_name_or_id_with_suggestions() {
        let params = [param("Ceiling", 10), param("Release", 11)];
        assert_eq!(find_param(&params, "ceiling").map(|p| p.id), Ok(10));
        assert_eq!(find_param(&params, "11").map(|p| p.id), Ok(11));
        let spaced = [param("Stereo Link", 3), param("Peak/RMS", 4)];
        assert_eq!(find_param(&spaced, "stereo_link").map(|p| p.id), Ok(3));
        assert_eq!(find_param(&spaced, "peak-rms").map(|p| p.id), Ok(4));
        let err = find_param(&params, "celing").unwrap_err();
        assert!(err.contains("did you mean Ceiling"), "{err}");
        let err = find_param(&params, "zzzz").unwrap_err();
        assert!(err.contains("Ceiling, Release"), "{err}");
    }
}
