//! Parameter metadata as the plugin reports it through `clap_plugin_params`.

pub use clack_extensions::params::ParamInfoFlags;

/// One parameter, owned copy of `clap_param_info`.
///
/// Values are CLAP "plain" values in `[min, max]`; what they mean is up to the plugin (nice-plug
/// plugins report normalised 0..1 values for continuous parameters and step indices for stepped
/// ones). Use [`crate::Plugin::value_to_text`] to show them to a user.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    /// Stable CLAP parameter id.
    pub id: u32,
    /// Display name, e.g. `Ceiling`.
    pub name: String,
    /// Module path, `/`-separated (may be empty).
    pub module: String,
    /// Smallest plain value.
    pub min: f64,
    /// Largest plain value.
    pub max: f64,
    /// Default plain value, in `[min, max]`.
    pub default: f64,
    /// CLAP flags (stepped, bypass, automatable, ...).
    pub flags: ParamInfoFlags,
}

impl ParamInfo {
    /// True for the parameter the host's bypass button should drive (`CLAP_PARAM_IS_BYPASS`).
    pub fn is_bypass(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_BYPASS)
    }

    /// True if only integer values in `[min, max]` are valid (`CLAP_PARAM_IS_STEPPED`).
    pub fn is_stepped(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_STEPPED)
    }

    /// True if the host must not change the value (`CLAP_PARAM_IS_READONLY`).
    pub fn is_readonly(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_READONLY)
    }

    /// True if the parameter should not be shown (`CLAP_PARAM_IS_HIDDEN`).
    pub fn is_hidden(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_HIDDEN)
    }

    /// Maps `t` in `[0, 1]` linearly onto `[min, max]`, rounding to an integer for stepped
    /// parameters (CLAP truncates stepped values, so we send exact integers).
    pub fn lerp(&self, t: f64) -> f64 {
        let v = self.min + t.clamp(0.0, 1.0) * (self.max - self.min);
        if self.is_stepped() {
            v.round().clamp(self.min, self.max)
        } else {
            v
        }
    }

    /// True if `value` is finite and in `[min, max]`. Stepped values are not required to be
    /// integral: plugins report values such as 1.0000000298 (an f32 step through f64).
    pub fn accepts(&self, value: f64) -> bool {
        value.is_finite() && value >= self.min && value <= self.max
    }
}
