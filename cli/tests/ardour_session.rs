//! Every Glasswork VST3 in a real DAW: Debian's Ardour, driven headless
//! through its Lua session tool (`ardour<N>-lua`) on the "None (Dummy)"
//! audio backend, with no display and no sound card.
//!
//! For each plugin the test makes a VST3 bundle of the built library, scans
//! it with Ardour's own scanner, then in one Ardour process: creates a
//! session with a track fed by the dummy backend's sine generator, inserts
//! the plugin, sets parameters by name, exports the master bus with the
//! plugin running and again with it deactivated (the dry reference), and
//! saves. A second Ardour process reopens the session, reads the parameters
//! back and exports once more. The exported audio must show the plugin's
//! effect (checked per plugin against what its parameters promise), and the
//! reopened session must carry the same values and sound the same.
//!
//! Ardour 7.3's `luasession` corrupts its own heap on some exports even with
//! no plugin in the session (seen here in about one run in three: a glibc
//! abort in `ExportGraphBuilder::SFC::~SFC` or a later `SIGSEGV`, with a
//! session containing one plain audio track). A run that Ardour ends with a
//! signal is therefore repeated, up to [`ATTEMPTS`] times, and each repeat is
//! reported; a script error (exit status 1: a plugin not found, a parameter
//! missing, an export refused) fails at once. A plugin that crashed Ardour
//! every time would still fail the test.
//!
//! Needs Debian's `ardour` package (`.ci/run` installs it). Without it the
//! test fails with instructions; `GLASS_SKIP_ARDOUR=1` skips it explicitly.

mod common;

use common::PLUGINS;
use glass::discovery::{build_dir, cdylib_path};
use glass::vst3host::{Vst3Library, AUDIO_MODULE_CLASS};
use glass::wav;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

/// How often a run that Ardour itself crashed is tried in all.
const ATTEMPTS: usize = 16;

/// Sample rate of the session.
const RATE: u32 = 48_000;

/// Length of each export, seconds.
const SECONDS: u32 = 2;

/// Export preset written to the scratch configuration: WAV, 32-bit float,
/// session rate, no dither, no normalisation, so the plugin's output is read
/// back exactly.
const PRESET_ID: &str = "0f3e8a52-9b64-4c1d-8e27-5d6c7b8a9e01";
const FORMAT_ID: &str = "6c1d2f7e-5a7b-4f0e-9d1c-3b2a1f0e9d8c";

/// What a plugin is asked to do in the session, and how its effect is judged.
struct Case {
    /// Library name, as in [`PLUGINS`].
    lib: &'static str,
    /// The dummy backend's generator on the track's input ("Sine Wave",
    /// "Impulses", ...).
    device: &'static str,
    /// The track's input trim (linear gain, 0.1..10) ahead of the plugin.
    trim: f64,
    /// Parameters set by their display name, in plain units.
    set: &'static [(&'static str, f64)],
    /// Judges the processed export against the dry one; returns a summary.
    check: fn(dry: &wav::Audio, wet: &wav::Audio) -> Result<String, String>,
    /// Whether the reopened session's export must have the first export's
    /// level (steady sine input): true where the level through the plugin
    /// depends on the input's level only. A room's response at one
    /// frequency swings by decibels within a hertz (its modes are about
    /// 2.2 / T60 Hz wide), and the dummy generator's sine (about 87 Hz)
    /// need not come back at the very same frequency in a new run; there
    /// the case's own check after reopening is the comparison.
    same_level_after_reopening: bool,
}

const CASES: &[Case] = &[
    Case {
        lib: "glass_limit",
        device: "Sine Wave",
        trim: 1.0,
        // +24 dB into a −12 dBTP ceiling: the sine (about −18 dBFS) would reach
        // +6 dBFS without the limiter.
        set: &[("Gain", 24.0), ("Ceiling", -12.0)],
        check: |dry, wet| {
            let dry_peak = peak_db(dry);
            let wet_peak = peak_db(wet);
            if !(-40.0..-3.0).contains(&dry_peak) {
                return Err(format!(
                    "dry signal peak {dry_peak:.2} dBFS is not the test sine"
                ));
            }
            // Sample peaks of the limited sine sit at the ceiling; the
            // true-peak margin keeps them a few hundredths of a dB below it.
            if !(-12.3..=-12.0 + 1e-4).contains(&wet_peak) {
                return Err(format!(
                    "limited peak {wet_peak:.3} dBFS, expected just under the -12 dB ceiling \
                 (dry {dry_peak:.2} dBFS + 24 dB gain)"
                ));
            }
            Ok(format!(
                "dry peak {dry_peak:.2} dBFS, limited peak {wet_peak:.3} dBFS"
            ))
        },
        same_level_after_reopening: true,
    },
    Case {
        lib: "glass_comp",
        device: "Sine Wave",
        trim: 1.0,
        // RMS detection over 50 ms of the steady sine, 4:1 above −30 dB with a
        // hard knee: the static curve asks for (L − T)(1 − 1/R) of reduction,
        // L being the sine's RMS level.
        set: &[
            ("Threshold", -30.0),
            ("Ratio", 4.0),
            ("Knee", 0.0),
            ("Peak/RMS", 100.0),
            ("RMS Window", 50.0),
            ("Attack", 5.0),
            ("Release", 50.0),
            ("Makeup", 0.0),
            ("Auto Makeup", 0.0),
            ("Mix", 100.0),
            ("Output", 0.0),
        ],
        check: |dry, wet| {
            // Judge the second half, long after the attack.
            let dry_rms = rms_db(&second_half(dry));
            let wet_rms = rms_db(&second_half(wet));
            if !(-40.0..-10.0).contains(&dry_rms) {
                return Err(format!("dry RMS {dry_rms:.2} dBFS is not the test sine"));
            }
            // Ardour feeds the mono track's signal to both inputs of the
            // stereo plugin and the output stays stereo, so the plugin sees
            // the level the dry export shows.
            let level = dry_rms;
            let expected = (level - -30.0) * (1.0 - 1.0 / 4.0);
            let reduction = dry_rms - wet_rms;
            if (reduction - expected).abs() > 0.3 {
                return Err(format!(
                    "gain reduction {reduction:.2} dB, the static curve asks for {expected:.2} dB \
                 (input RMS {level:.2} dBFS, threshold -30 dB, 4:1)"
                ));
            }
            Ok(format!(
            "input RMS {level:.2} dBFS, gain reduction {reduction:.2} dB (curve: {expected:.2} dB)"
        ))
        },
        same_level_after_reopening: true,
    },
    Case {
        lib: "glass_verb",
        device: "Sine Wave",
        trim: 1.0,
        // Fully wet, no modulation, width 0: the room is then linear and
        // time-invariant and its two sides are summed to mid, so the left
        // and right outputs must be identical while the wet differs from
        // the dry (a steady sine comes out at a level and phase of the
        // room's own).
        set: &[
            ("Decay", 1.0),
            ("Mod Depth", 0.0),
            ("Width", 0.0),
            ("Ducking", 0.0),
            ("Freeze", 0.0),
            ("Mix", 100.0),
        ],
        check: |dry, wet| {
            let dry_rms = rms_db(&second_half(dry));
            let wet_half = second_half(wet);
            let wet_rms = rms_db(&wet_half);
            if !(-40.0..-10.0).contains(&dry_rms) {
                return Err(format!("dry RMS {dry_rms:.2} dBFS is not the test sine"));
            }
            if wet_half.channels.len() != 2 {
                return Err(format!("{} output channels", wet_half.channels.len()));
            }
            let (l, r) = (&wet_half.channels[0], &wet_half.channels[1]);
            let side = l
                .iter()
                .zip(r)
                .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
            // The reverb is heard: a level of its own, not the dry copy.
            let d = &second_half(dry).channels[0];
            let diff = l
                .iter()
                .zip(d)
                .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
            let diff_db = 20.0 * f64::from(diff).max(1e-12).log10();
            // Mono to within float rounding: one run in several left a
            // difference of one unit in the last place (1.9e-9 at a wet
            // level of −42 dBFS) between the sides; 120 dB under the wet
            // peak is mono to any ear.
            let wet_peak = l.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            if side > 1e-6 * wet_peak
                || !(-60.0..0.0).contains(&wet_rms)
                || diff_db < dry_rms - 20.0
            {
                return Err(format!(
                    "width 0 left {side:e} between the sides (need at most 1e-6 of the wet \
                     peak {wet_peak:e}); wet RMS {wet_rms:.2} dBFS, largest difference from \
                     the dry {diff_db:.2} dBFS"
                ));
            }
            Ok(format!(
                "dry RMS {dry_rms:.2} dBFS, wet RMS {wet_rms:.2} dBFS, sides {side:e} apart at width 0"
            ))
        },
        same_level_after_reopening: false,
    },
    Case {
        lib: "glass_eq",
        device: "Sine Wave",
        trim: 1.0,
        // A band at 0 dB on the sine and +6 dB of output gain: the level
        // must rise by exactly 6 dB whatever the generator's frequency.
        set: &[("Band 1 Used", 1.0), ("Band 1 Gain", 0.0), ("Output", 6.0)],
        check: |dry, wet| {
            let dry_rms = rms_db(&second_half(dry));
            let wet_rms = rms_db(&second_half(wet));
            if !(-40.0..-10.0).contains(&dry_rms) {
                return Err(format!("dry RMS {dry_rms:.2} dBFS is not the test sine"));
            }
            let gain = wet_rms - dry_rms;
            if (gain - 6.0).abs() > 0.05 {
                return Err(format!(
                    "output gain of 6 dB measured {gain:.3} dB (dry {dry_rms:.2} dBFS)"
                ));
            }
            Ok(format!(
                "dry RMS {dry_rms:.2} dBFS, +{gain:.3} dB through the EQ"
            ))
        },
        same_level_after_reopening: true,
    },
    Case {
        lib: "glass_tune",
        // A steady sine at a fixed frequency between about 400 Hz and 2 kHz
        // (the generator's frequency depends on the capture port; the plain
        // "Sine Wave" device picks a random one each run, anywhere from
        // 20 Hz to 9.6 kHz).
        device: "Sine Wave 1K, 1/3 Oct",
        trim: 1.0,
        // The sine is a voice to the detector (instrument range): hard
        // correction to the nearest note of the chromatic scale, an octave
        // down. The output must be that note's frequency exactly, whatever
        // the generator's own.
        set: &[
            ("Voice", 3.0),
            ("Scale", 0.0),
            ("Retune", 0.0),
            ("Amount", 100.0),
            ("Transpose", -12.0),
            ("Formant", 0.0),
        ],
        check: |dry, wet| {
            let fs = f64::from(dry.sample_rate);
            let dry_half = second_half(dry);
            let wet_half = second_half(wet);
            let dry_rms = rms_db(&dry_half);
            if !(-40.0..-10.0).contains(&dry_rms) {
                return Err(format!("dry RMS {dry_rms:.2} dBFS is not the test sine"));
            }
            let f_in = common::tone_frequency(&dry_half.channels[0], fs, 100.0, 2500.0);
            let note = (69.0 + 12.0 * (f_in / 440.0).log2()).round();
            let expected = 0.5 * 440.0 * ((note - 69.0) / 12.0).exp2();
            let f_out = common::tone_frequency(&wet_half.channels[0], fs, 50.0, 1250.0);
            let cents = 1200.0 * (f_out / expected).log2();
            if cents.abs() > 2.0 {
                return Err(format!(
                    "input {f_in:.3} Hz (note {note}): output {f_out:.3} Hz, {cents:+.2} cents \
                     from {expected:.3} Hz (the note an octave down)"
                ));
            }
            Ok(format!(
                "input {f_in:.2} Hz, output {f_out:.3} Hz = note {} an octave down {cents:+.2} cents",
                note as i32
            ))
        },
        same_level_after_reopening: true,
    },
];

/// Glasswork Echo on the dummy backend's impulses (at irregular intervals):
/// with the dry signal mixed out, 2 ms of delay and 50 % feedback in clean
/// mode with the loop filters open, each impulse must come back as repeats
/// exactly 96 samples apart, each 6.02 dB below the one before.
const ECHO_CASE: Case = Case {
    lib: "glass_echo",
    device: "Impulses",
    // −12 dB: the repeats stay well inside the loop's linear range.
    trim: 0.25,
    set: &[
        ("Mode", 0.0),
        ("Sync", 0.0),
        ("Time", 2.0),
        ("L/R Offset", 0.0),
        ("Feedback", 50.0),
        ("Character", 0.0),
        ("Low Cut", 20.0),
        ("High Cut", 20_000.0),
        ("Wow/Flutter", 0.0),
        ("Diffusion", 0.0),
        ("Ducking", 0.0),
        ("Mix", 100.0),
    ],
    check: |dry, wet| {
        const SPACING: usize = 96;
        let dry_peak = peak_db(dry);
        if !(-13.0..-11.0).contains(&dry_peak) {
            return Err(format!(
                "dry peak {dry_peak:.2} dBFS is not the impulse train"
            ));
        }
        // The generator's impulses come at irregular intervals, so the
        // repeats of one overlap the next. A feedback delay obeys
        // y[n] = x[n − D] + g·y[n − D]; undoing that, r[n] = y[n] − g·y[n − D]
        // must give back the input: lone samples at the impulses' level and
        // silence everywhere else. A wrong time or decay leaves residue.
        const GAIN: f32 = 0.5;
        let left = &wet.channels[0];
        let from = left.len() / 2;
        let residual: Vec<f32> = (from..left.len())
            .map(|n| left[n] - GAIN * left[n - SPACING])
            .collect();
        let level = residual.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        // The first repeat is the input at unity gain: the dry export's level
        // (another run of the same generator).
        let level_db = 20.0 * f64::from(level).log10();
        if (level_db - dry_peak).abs() > 0.1 {
            return Err(format!(
                "recovered input at {level_db:.2} dBFS, the dry impulses are at {dry_peak:.2}"
            ));
        }
        let mut impulses = 0;
        let mut worst_level_db = 0.0f64;
        let mut worst_residue = 0.0f32;
        for v in &residual {
            if v.abs() > 0.5 * level {
                impulses += 1;
                let db = 20.0 * f64::from(v.abs() / level).log10();
                worst_level_db = worst_level_db.max(db.abs());
            } else {
                worst_residue = worst_residue.max(v.abs());
            }
        }
        let residue_db = 20.0 * f64::from(worst_residue.max(1e-12) / level).log10();
        if impulses < 10 || worst_level_db > 0.1 || residue_db > -60.0 {
            return Err(format!(
                "undoing {SPACING} samples of delay at {GAIN} feedback leaves {impulses} \
                 impulses within {worst_level_db:.3} dB of each other and residue at \
                 {residue_db:.1} dB (need 10, 0.1 dB, -60 dB)"
            ));
        }
        Ok(format!(
            "repeats every {SPACING} samples at -6.02 dB each: {impulses} impulses recovered \
             within {worst_level_db:.4} dB, residue {residue_db:.1} dB"
        ))
    },
    same_level_after_reopening: false,
};

fn second_half(audio: &wav::Audio) -> wav::Audio {
    let mut half = audio.clone();
    for channel in &mut half.channels {
        let n = channel.len();
        channel.drain(..n / 2);
    }
    half
}

fn peak_db(audio: &wav::Audio) -> f64 {
    let peak = audio
        .channels
        .iter()
        .flatten()
        .fold(0.0f32, |m, v| m.max(v.abs()));
    20.0 * f64::from(peak).max(1e-12).log10()
}

fn rms_db(audio: &wav::Audio) -> f64 {
    let (sum, n) = audio
        .channels
        .iter()
        .flatten()
        .fold((0.0f64, 0usize), |(s, n), v| {
            (s + f64::from(*v).powi(2), n + 1)
        });
    10.0 * (sum / n.max(1) as f64).max(1e-24).log10()
}

/// Ardour's Lua tool, its library folder and its configuration folder name.
struct Ardour {
    lua: PathBuf,
    lib_dir: PathBuf,
    config_name: String,
}

impl Ardour {
    /// The newest `ardour<N>-lua` installed, with the matching library folder.
    fn find() -> Option<Self> {
        (6..=12).rev().find_map(|n| {
            let lua = PathBuf::from(format!("/usr/bin/ardour{n}-lua"));
            let lib_dir = PathBuf::from(format!("/usr/lib/ardour{n}"));
            (lua.exists() && lib_dir.join("ardour-vst3-scanner").exists()).then(|| Self {
                lua,
                lib_dir,
                config_name: format!("ardour{n}"),
            })
        })
    }
}

/// A scratch world for one plugin: `HOME`, the VST3 folder, the session and
/// the exports all live under `root`.
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new(lib: &str) -> Self {
        let dir = build_dir().expect("cannot locate the cargo target directory");
        let root = dir.join("ardour-test").join(lib);
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).expect("scratch folder");
        Self { root }
    }
    fn home(&self) -> PathBuf {
        self.root.join("home")
    }
    fn vst3_dir(&self) -> PathBuf {
        self.root.join("vst3")
    }
    fn session_dir(&self) -> PathBuf {
        self.root.join("session")
    }
    fn out_dir(&self) -> PathBuf {
        self.root.join("out")
    }
}

/// Lays out `<name>.vst3/Contents/x86_64-linux/<name>.so` around a copy of the
/// built library, dated an hour back: Ardour only trusts a scan cache that
/// is newer than the bundle.
fn make_bundle(library: &Path, name: &str, vst3_dir: &Path) -> PathBuf {
    let bundle = vst3_dir.join(format!("{name}.vst3"));
    let arch = bundle.join("Contents").join("x86_64-linux");
    fs::create_dir_all(&arch).expect("bundle folders");
    let so = arch.join(format!("{name}.so"));
    fs::copy(library, &so).expect("copy plugin library");
    let past = SystemTime::now() - Duration::from_secs(3600);
    for path in [&so, &arch, &bundle.join("Contents"), &bundle] {
        let file = fs::File::open(path).expect("open for mtime");
        file.set_modified(past).expect("backdate bundle");
    }
    bundle
}

/// Writes the float WAV export format and preset into Ardour's user
/// configuration under the scratch `HOME`.
fn write_export_preset(home: &Path, config_name: &str) {
    let dir = home.join(".config").join(config_name).join("export");
    fs::create_dir_all(&dir).expect("export config folder");
    let format = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ExportFormatSpecification name="Glasswork test float" id="{FORMAT_ID}" with-cue="false" with-toc="false" with-mp4chaps="false" command="" analyse="false" soundcloud-upload="false">
  <Encoding id="F_WAV" type="T_Sndfile" extension="wav" name="WAV" has-sample-format="true" channel-limit="256"/>
  <SampleRate rate="1"/>
  <SRCQuality quality="SRC_SincBest"/>
  <EncodingOptions>
    <Option name="sample-format" value="SF_Float"/>
    <Option name="dithering" value="D_None"/>
    <Option name="tag-metadata" value="false"/>
    <Option name="tag-support" value="false"/>
    <Option name="broadcast-info" value="false"/>
  </EncodingOptions>
  <Processing>
    <Normalize enabled="false" loudness="no" dbfs="0" lufs="-23" dbtp="-1"/>
  </Processing>
</ExportFormatSpecification>
"#
    );
    let preset = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ExportPreset id="{PRESET_ID}" name="Glasswork test float">
  <ExportFormat id="{FORMAT_ID}"/>
  <ExportFilename>
    <Folder relative="1" path="export"/>
    <Field name="label" enabled="0"/>
    <Field name="session" enabled="0"/>
    <Field name="snapshot" enabled="0"/>
    <Field name="timespan" enabled="1"/>
    <Field name="revision" enabled="0"/>
    <Field name="time" enabled="0" value="T_None"/>
    <Field name="date" enabled="0" value="D_None"/>
  </ExportFilename>
</ExportPreset>
"#
    );
    fs::write(dir.join("glasswork-float.format"), format).expect("write format");
    fs::write(dir.join("glasswork-float.preset"), preset).expect("write preset");
}

/// Lua shared by both runs: the dummy backend with its sine generator on
/// every capture port, parameter lookup by name, and an export of the
/// session's first seconds through the float preset.
fn lua_prelude(out_dir: &Path, device: &str) -> String {
    format!(
        r#"
local backend = AudioEngine:set_backend("None (Dummy)", "", "")
assert(backend, "no dummy backend")
backend:set_device_name({device})
backend = nil

local function param_index(plug, name)
  for i = 0, plug:parameter_count() - 1 do
    if plug:parameter_label(i) == name then return i end
  end
  error("plugin has no parameter named " .. name)
end

local function export(s, name)
  local e = s:simple_export()
  e:set_folder("{out}")
  e:set_name(name)
  e:set_range(0, {frames})
  assert(e:set_preset("{PRESET_ID}"), "export preset not found")
  assert(e:check_outputs(), "nothing to export")
  assert(e:run_export(), "export failed")
end
"#,
        out = lua_path(out_dir),
        frames = RATE * SECONDS,
        device = lua_string(device),
    )
}

fn lua_path(path: &Path) -> String {
    path.display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
}

fn lua_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// First run: new session, track on the sine input, plugin inserted and
/// set, exports with and without it, saved.
fn create_script(s: &Scratch, plugin_name: &str, case: &Case) -> String {
    let set = case.set;
    let sets: String = set
        .iter()
        .map(|(name, value)| {
            format!(
                "  ARDOUR.LuaAPI.set_processor_param(p, param_index(plug, {}), {value:?})\n",
                lua_string(name)
            )
        })
        .collect();
    format!(
        r#"{prelude}
local function work()
  local s = create_session("{dir}", "glass", {RATE})
  assert(s, "cannot create the session")
  local tracks = s:new_audio_track(1, 2, nil, 1, "in", ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
  local track = tracks:front()
  track:monitoring_control():set_value(ARDOUR.MonitorChoice.MonitorInput, PBD.GroupControlDisposition.NoGroup)
  track:trim_control():set_value({trim:?}, PBD.GroupControlDisposition.NoGroup)
  local p = ARDOUR.LuaAPI.new_plugin(s, {name}, ARDOUR.PluginType.VST3, "")
  assert(not p:isnil(), "Ardour does not know the plugin")
  assert(track:add_processor_by_index(p, 0, nil, true) == 0, "cannot insert the plugin")
  local plug = p:to_insert():plugin(0)
{sets}  -- Let the track's input connection and the generator settle first:
  -- the first export of a fresh session sometimes starts before either.
  ARDOUR.LuaAPI.usleep(1000000)
  export(s, "wet")
  p:deactivate()
  export(s, "dry")
  p:activate()
  assert(s:save_state("", false, false, false, false, false) == 0, "cannot save the session")
  print("GLASS saved")
end
work()
collectgarbage()
close_session()
"#,
        prelude = lua_prelude(&s.out_dir(), case.device),
        dir = lua_path(&s.session_dir()),
        name = lua_string(plugin_name),
        trim = case.trim,
    )
}

/// Second run: the saved session reopened, parameters read back, one more
/// export.
fn reload_script(s: &Scratch, case: &Case) -> String {
    let set = case.set;
    let reads: String = set
        .iter()
        .map(|(name, _)| {
            format!(
                "  print(string.format(\"GLASS param %s %.9g\", {n}, ARDOUR.LuaAPI.get_processor_param(p, param_index(plug, {n}), true)))\n",
                n = lua_string(name)
            )
        })
        .collect();
    format!(
        r#"{prelude}
local function work()
  local s = load_session("{dir}", "glass")
  assert(s, "cannot reopen the session")
  local route = s:route_by_name("in")
  assert(not route:isnil(), "the track is gone")
  local p = route:nth_plugin(0)
  assert(not p:isnil(), "the plugin is gone")
  local plug = p:to_insert():plugin(0)
{reads}  ARDOUR.LuaAPI.usleep(1000000)
  export(s, "reloaded")
  print("GLASS reloaded")
end
work()
collectgarbage()
close_session()
"#,
        prelude = lua_prelude(&s.out_dir(), case.device),
        dir = lua_path(&s.session_dir()),
    )
}

fn ardour_command(ardour: &Ardour, s: &Scratch) -> Command {
    let mut cmd = Command::new(&ardour.lua);
    cmd.env("HOME", s.home())
        .env("VST3_PATH", s.vst3_dir())
        .env_remove("DISPLAY")
        .env_remove("JACK_DEFAULT_SERVER")
        .current_dir(&s.root);
    cmd
}

/// Runs `script` in a fresh Ardour process until Ardour finishes it without
/// crashing (see the module doc), returning its output.
fn run_ardour(ardour: &Ardour, s: &Scratch, script: &str, stage: &str, must_print: &str) -> String {
    let path = s.root.join(format!("{stage}.lua"));
    fs::write(&path, script).expect("write script");
    for attempt in 1..=ATTEMPTS {
        if stage == "create" {
            let _ = fs::remove_dir_all(s.session_dir());
        }
        let _ = fs::remove_dir_all(s.out_dir());
        fs::create_dir_all(s.out_dir()).expect("export folder");
        let Output {
            status,
            stdout,
            stderr,
        } = run_with_deadline(ardour_command(ardour, s).arg(&path), RUN_DEADLINE);
        let out = String::from_utf8_lossy(&stdout).into_owned();
        let err = String::from_utf8_lossy(&stderr).into_owned();
        if status.success() && out.contains(must_print) {
            return out;
        }
        if let Some(signal) = status.signal() {
            eprintln!("{stage}: Ardour ended with signal {signal} on attempt {attempt}; again");
            continue;
        }
        panic!("{stage}: Ardour's Lua run failed ({status}):\n{out}\n{err}");
    }
    panic!("{stage}: Ardour crashed on all {ATTEMPTS} attempts");
}

/// Longest an Ardour run may take; a run that hangs (its heap corruption
/// can also deadlock it inside malloc) is killed and counts as a crash.
const RUN_DEADLINE: Duration = Duration::from_secs(120);

/// Runs `cmd` with its output captured, killing it (SIGKILL) at `deadline`.
fn run_with_deadline(cmd: &mut Command, deadline: Duration) -> Output {
    use std::io::Read;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cannot run Ardour's Lua tool");
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    // Drain both pipes on their own threads so a chatty run never blocks.
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for Ardour") {
            break status;
        }
        if start.elapsed() > deadline {
            eprintln!("Ardour still running after {deadline:?}; killed");
            let _ = child.kill();
            break child.wait().expect("wait for Ardour");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn read_export(s: &Scratch, name: &str) -> wav::Audio {
    let path = s.out_dir().join(format!("{name}.wav"));
    let audio = wav::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(audio.sample_rate, RATE, "{name}: export rate");
    assert_eq!(audio.channels.len(), 2, "{name}: export channels");
    let frames = audio.channels[0].len();
    assert!(
        frames >= (RATE * SECONDS) as usize - 1,
        "{name}: export holds {frames} frames"
    );
    assert!(
        audio.channels.iter().flatten().all(|v| v.is_finite()),
        "{name}: non-finite samples"
    );
    audio
}

#[test]
fn every_plugin_works_in_ardour_and_comes_back_after_reopening() {
    let Some(ardour) = Ardour::find() else {
        if std::env::var_os("GLASS_SKIP_ARDOUR").is_some() {
            eprintln!("GLASS_SKIP_ARDOUR is set: Ardour session test skipped");
            return;
        }
        panic!(
            "Ardour's headless Lua tool was not found (/usr/bin/ardour<N>-lua). Install \
             Debian's `ardour` package (sudo apt-get install -y ardour), or set \
             GLASS_SKIP_ARDOUR=1 to skip this test"
        );
    };
    let dir = build_dir().expect("cannot locate the cargo target directory");
    for lib in PLUGINS {
        let case = CASES
            .iter()
            .chain([&ECHO_CASE])
            .find(|c| c.lib == *lib)
            .unwrap_or_else(|| panic!("{lib}: no Ardour case in ardour_session.rs"));
        let library_path = cdylib_path(&dir, lib);
        let library = Vst3Library::load(&library_path).unwrap_or_else(|e| panic!("{lib}: {e}"));
        let name = library
            .classes()
            .into_iter()
            .find(|c| c.category == AUDIO_MODULE_CLASS)
            .unwrap_or_else(|| panic!("{lib}: no audio effect class"))
            .name;
        drop(library);

        let s = Scratch::new(lib);
        fs::create_dir_all(s.home()).expect("scratch home");
        let bundle = make_bundle(&library_path, &name, &s.vst3_dir());
        write_export_preset(&s.home(), &ardour.config_name);

        let scan = Command::new(ardour.lib_dir.join("ardour-vst3-scanner"))
            .arg("-f")
            .arg(&bundle)
            .env("HOME", s.home())
            .env("LD_LIBRARY_PATH", &ardour.lib_dir)
            .output()
            .expect("cannot run ardour-vst3-scanner");
        let scan_text = String::from_utf8_lossy(&scan.stdout).into_owned()
            + &String::from_utf8_lossy(&scan.stderr);
        assert!(
            scan.status.success() && scan_text.contains(&format!("Found Plugin: {name}")),
            "{lib}: Ardour's scanner did not accept the bundle:\n{scan_text}"
        );

        run_ardour(
            &ardour,
            &s,
            &create_script(&s, &name, case),
            "create",
            "GLASS saved",
        );
        let dry = read_export(&s, "dry");
        let wet = read_export(&s, "wet");
        let summary = (case.check)(&dry, &wet).unwrap_or_else(|e| panic!("{lib} in Ardour: {e}"));
        eprintln!("{lib} in Ardour: {summary}");

        let out = run_ardour(
            &ardour,
            &s,
            &reload_script(&s, case),
            "reload",
            "GLASS reloaded",
        );
        for (param, value) in case.set {
            let line = out
                .lines()
                .find_map(|l| l.strip_prefix(&format!("GLASS param {param} ")))
                .unwrap_or_else(|| panic!("{lib}: {param} not read back:\n{out}"));
            let read: f64 = line
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("{lib}: {param} read back as {line:?}"));
            assert!(
                (read - value).abs() <= 1e-3 * value.abs().max(1.0),
                "{lib}: {param} came back as {read}, was set to {value}"
            );
        }
        let reloaded = read_export(&s, "reloaded");
        // A steady sine's phase differs between runs, so compare levels, long
        // after the start where a plugin's state may differ between runs.
        // (The impulse generator's timing differs between runs too: there
        // the case's own check below is the comparison.)
        if case.device == "Sine Wave" && case.same_level_after_reopening {
            let (a, b) = (rms_db(&second_half(&wet)), rms_db(&second_half(&reloaded)));
            assert!(
                (a - b).abs() < 0.25,
                "{lib}: reopened session sounds different: {b:.3} dB RMS, was {a:.3} dB"
            );
        }
        let summary =
            (case.check)(&dry, &reloaded).unwrap_or_else(|e| panic!("{lib} after reopening: {e}"));
        eprintln!("{lib} after reopening: {summary}");
    }
}
