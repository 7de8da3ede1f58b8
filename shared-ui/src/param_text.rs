//! How parameter values read as text in a host's generic editor and in the
//! plugins' own controls, where more than a number with a unit is needed.

use std::sync::Arc;

/// Formats a value for display (nice-plug's `value_to_string` callback).
pub type ValueToString = Arc<dyn Fn(f32) -> String + Send + Sync>;
/// Parses typed text back into a value (nice-plug's `string_to_value`).
pub type StringToValue = Arc<dyn Fn(&str) -> Option<f32> + Send + Sync>;

/// Text for a filter corner in Hz whose end of range `off` switches the
/// filter off: "Off" there, otherwise "120 Hz", "20.4 Hz".
///
/// Hosts and validators check that text typed back gives a value that
/// prints the same. A corner just above `off` must therefore never print
/// as the number `off` itself (it would read back as "Off"): below 100 Hz
/// one decimal is shown, and more when that is still needed to tell the
/// value from `off` (up to four).
pub fn hz_or_off(off: f32) -> (ValueToString, StringToValue) {
    let to_string: ValueToString = Arc::new(move |v| {
        if v == off {
            return "Off".to_owned();
        }
        // 99.95 and up round to a whole number of hertz at one decimal anyway.
        let mut decimals = if v >= 99.95 { 0 } else { 1 };
        loop {
            let text = format!("{v:.decimals$}");
            let collides = text.parse::<f32>().is_ok_and(|parsed| parsed == off);
            if !collides || decimals >= 4 {
                return format!("{text} Hz");
            }
            decimals += 1;
        }
    });
    let to_value: StringToValue = Arc::new(move |s| {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") {
            return Some(off);
        }
        let number = s
            .strip_suffix("Hz")
            .or_else(|| s.strip_suffix("hz"))
            .unwrap_or(s);
        number.trim().parse().ok()
    });
    (to_string, to_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_reads_off_and_every_other_value_reads_back_the_same() {
        for off in [20.0f32, 20_000.0] {
            let (to_string, to_value) = hz_or_off(off);
            assert_eq!(to_string(off), "Off");
            assert_eq!(to_value("off"), Some(off));
            assert_eq!(to_value(" Off "), Some(off));
            // Values on both sides of the off point, including ones that
            // round to it at the usual precision.
            for v in [
                20.3f32, 20.04, 20.5, 55.55, 99.96, 150.4, 2000.0, 19_999.6, 19_999.96, 18_000.0,
            ] {
                if v == off {
                    continue;
                }
                let text = to_string(v);
                let back = to_value(&text).unwrap_or_else(|| panic!("{text:?} does not parse"));
                assert_eq!(to_string(back), text, "{v} -> {text:?} -> {back}");
                assert_ne!(text, "Off", "{v} reads as off");
            }
        }
        let (to_string, to_value) = hz_or_off(20.0);
        assert_eq!(to_string(1234.4), "1234 Hz");
        assert_eq!(to_string(20.3), "20.3 Hz");
        assert_eq!(to_value("440 Hz"), Some(440.0));
        assert_eq!(to_value("nonsense"), None);
    }
}
