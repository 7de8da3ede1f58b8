//! The `glass` binary end to end: generated WAV files in, assertions on what comes out.
//!
//! Needs the limiter built next to the binary (`cargo build -p glass-limit`), as the
//! conformance tests do.

use glass::discovery::{build_dir, cdylib_path};
use glass::param_text::split_number;
use glass::rng::Rng;
use glass::signal::{db_to_gain, peak, peak_index};
use glass::{ParamInfo, Plugin, PluginLibrary};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const LIMIT_LIB: &str = "glass_limit";
const LIMIT_ID: &str = "audio.glasswork.limit";
const SAMPLE_RATE: u32 = 48_000;

/// A scratch directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("glass-cli-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        Self(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn glass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glass"))
        .args(args)
        .output()
        .expect("run the glass binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The limiter binary, loaded once for the whole test process: unloading and reloading a
/// Rust cdylib while other test threads use it is not safe.
fn limiter() -> &'static PluginLibrary {
    static LIBRARY: OnceLock<PluginLibrary> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let dir = build_dir().expect("locate the target directory");
        let path = cdylib_path(&dir, LIMIT_LIB);
        assert!(
            path.exists(),
            "{} is missing: build it first with `cargo build -p glass-limit`",
            path.display()
        );
        PluginLibrary::load(&path).unwrap_or_else(|e| panic!("{e}"))
    })
}

fn limiter_plugin() -> Plugin {
    limiter()
        .instantiate(LIMIT_ID)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn limiter_params() -> Vec<ParamInfo> {
    limiter_plugin().params()
}

/// The limiter parameter whose name contains `word` (case-insensitive).
fn param_named<'a>(params: &'a [ParamInfo], word: &str) -> &'a ParamInfo {
    params
        .iter()
        .find(|p| p.name.to_lowercase().contains(word))
        .unwrap_or_else(|| {
            let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            panic!("the limiter has no parameter named like {word:?}: {names:?}")
        })
}

fn write_wav(path: &Path, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec).expect("create input WAV");
    for i in 0..channels[0].len() {
        for c in channels {
            writer.write_sample(c[i]).expect("write input WAV");
        }
    }
    writer.finalize().expect("finish input WAV");
}

fn read_wav(path: &Path) -> (hound::WavSpec, Vec<Vec<f32>>) {
    let mut reader =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let spec = reader.spec();
    assert_eq!(
        spec.sample_format,
        hound::SampleFormat::Float,
        "asked for f32 output"
    );
    let samples: Vec<f32> = reader
        .samples::<f32>()
        .map(|s| s.expect("sample"))
        .collect();
    let n = usize::from(spec.channels);
    let channels = (0..n)
        .map(|c| samples.iter().skip(c).step_by(n).copied().collect())
        .collect();
    (spec, channels)
}

fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
}

fn assert_failure_mentions(output: &Output, what: &str, needles: &[&str]) {
    let stderr = text(&output.stderr);
    assert!(
        !output.status.success(),
        "{what} should fail but exited with {}; stdout: {}",
        output.status,
        text(&output.stdout)
    );
    for needle in needles {
        assert!(
            stderr.to_lowercase().contains(&needle.to_lowercase()),
            "{what}: stderr should mention {needle:?} (any case):\n{stderr}"
        );
    }
}

#[test]
fn plugins_lists_the_limiter_with_its_parameters() {
    let mut plugin = limiter_plugin();
    let params = plugin.params();
    let output = glass(&["plugins"]);
    assert_success(&output, "glass plugins");
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!("[{LIMIT_ID}]")),
        "no {LIMIT_ID} in:\n{stdout}"
    );
    // Only the limiter's block (from its header to the blank line after it): other plugins
    // have parameters of the same names.
    let section: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.contains(&format!("[{LIMIT_ID}]")))
        .take_while(|l| !l.trim().is_empty())
        .collect();
    for p in params.iter().filter(|p| !p.is_hidden()) {
        let line = section
            .iter()
            .find(|l| l.trim_start().starts_with(&p.name))
            .unwrap_or_else(|| panic!("no line for parameter {:?} in:\n{stdout}", p.name));
        // Range and default as the plugin formats them (the table moves a shared unit into
        // its own column).
        for value in [p.min, p.max, p.default] {
            let shown = plugin.value_to_text(p.id, value).expect("value_to_text");
            let number = match split_number(&shown) {
                Some((_, unit)) if !unit.is_empty() => shown.trim().trim_end_matches(unit).trim(),
                _ => shown.trim(),
            };
            assert!(
                line.contains(number),
                "line for {:?} lacks {number:?} ({shown:?}): {line}",
                p.name
            );
        }
    }
}

#[test]
fn render_at_plus_12_db_input_stays_below_the_ceiling() {
    let params = limiter_params();
    let gain = param_named(&params, "gain").name.clone();
    let ceiling = param_named(&params, "ceiling").name.clone();
    let dir = TempDir::new("ceiling");
    let input = dir.join("sine-then-noise.wav");
    let output = dir.join("limited.wav");
    // Half a second of a -6 dBFS 997 Hz sine (its true peak is its sample peak within 0.01
    // dB), then half a second of full-band noise (inter-sample peaks up to ~3 dB over).
    let half = SAMPLE_RATE as usize / 2;
    let mut rng = Rng::new(21);
    let signal: Vec<Vec<f32>> = (0..2)
        .map(|_| {
            (0..2 * half)
                .map(|i| {
                    if i < half {
                        let phase = std::f64::consts::TAU * 997.0 * i as f64;
                        (0.5 * (phase / f64::from(SAMPLE_RATE)).sin()) as f32
                    } else {
                        rng.noise() * 0.7
                    }
                })
                .collect()
        })
        .collect();
    write_wav(&input, &signal);
    let ceiling_db = -1.0;
    let result = glass(&[
        "render",
        "limit",
        input.to_str().expect("utf-8 path"),
        "-o",
        output.to_str().expect("utf-8 path"),
        "--set",
        &format!("{gain}=12"),
        "--set",
        &format!("{ceiling}={ceiling_db}"),
        "--format",
        "f32",
    ]);
    assert_success(&result, "glass render at +12 dB");
    let (spec, rendered) = read_wav(&output);
    assert_eq!(spec.sample_rate, SAMPLE_RATE);
    let limit = db_to_gain(ceiling_db) as f32;
    for (c, channel) in rendered.iter().enumerate() {
        assert!(
            channel.len() >= 2 * half,
            "channel {c} shorter than the input"
        );
        let top = peak(channel);
        assert!(
            top <= limit,
            "channel {c} peaks at {top} ({:.3} dBFS), above the {ceiling_db} dB ceiling",
            20.0 * f64::from(top).log10()
        );
        // +12 dB takes the sine to +6 dBFS: once the attack is over the limiter must hold it
        // at the ceiling, which shows the gain was applied and the ceiling is not undershot.
        let settled = peak(&channel[half / 5..half]);
        assert!(
            settled > db_to_gain(ceiling_db - 0.1) as f32,
            "channel {c}: the limited sine peaks at {settled} ({:.3} dBFS), expected within \
             0.1 dB of the {ceiling_db} dB ceiling",
            20.0 * f64::from(settled).log10()
        );
    }
}

#[test]
fn render_compensates_latency_to_the_sample() {
    let dir = TempDir::new("latency");
    let input = dir.join("impulse.wav");
    let output = dir.join("aligned.wav");
    let frames = SAMPLE_RATE as usize / 2;
    let onset = 12_345;
    let mut impulse = vec![vec![0.0f32; frames]; 2];
    for channel in &mut impulse {
        channel[onset] = 0.25;
    }
    write_wav(&input, &impulse);
    let result = glass(&[
        "render",
        "Glasswork Limit",
        input.to_str().expect("utf-8 path"),
        "-o",
        output.to_str().expect("utf-8 path"),
        "--format",
        "f32",
    ]);
    assert_success(&result, "glass render of an impulse");
    let (_, rendered) = read_wav(&output);
    for (c, channel) in rendered.iter().enumerate() {
        assert!(
            channel.len() >= frames,
            "channel {c} shorter than the input"
        );
        assert_eq!(
            peak_index(channel),
            Some(onset),
            "channel {c}: the impulse at {onset} came out elsewhere"
        );
    }
}

#[test]
fn render_reports_bad_arguments_and_writes_nothing() {
    let params = limiter_params();
    let ceiling = param_named(&params, "ceiling").name.clone();
    let dir = TempDir::new("errors");
    let input = dir.join("in.wav");
    write_wav(&input, &[vec![0.1; 4800], vec![0.1; 4800]]);
    let input = input.to_str().expect("utf-8 path");
    let out_path = dir.join("out.wav");
    let out = out_path.to_str().expect("utf-8 path");
    let missing = dir.join("missing.wav");
    let missing = missing.to_str().expect("utf-8 path");
    let typo = ceiling
        .to_lowercase()
        .replacen(|c: char| c.is_alphabetic(), "", 1);

    let cases: Vec<(&str, Vec<String>, Vec<String>)> = vec![
        (
            "a missing input file",
            vec![
                "render".into(),
                "limit".into(),
                missing.into(),
                "-o".into(),
                out.into(),
            ],
            vec![missing.to_string()],
        ),
        (
            "an unknown plugin",
            vec![
                "render".into(),
                "limt".into(),
                input.into(),
                "-o".into(),
                out.into(),
            ],
            vec!["unknown plugin".into(), "limit".into()],
        ),
        (
            "an unknown parameter",
            vec![
                "render".into(),
                "limit".into(),
                input.into(),
                "-o".into(),
                out.into(),
                "--set".into(),
                format!("{typo}=-1"),
            ],
            vec!["unknown parameter".into(), ceiling.clone()],
        ),
        (
            "a value out of range",
            vec![
                "render".into(),
                "limit".into(),
                input.into(),
                "-o".into(),
                out.into(),
                "--set".into(),
                format!("{ceiling}=+40"),
            ],
            vec!["out of range".into(), ceiling.clone()],
        ),
    ];
    for (what, args, needles) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        assert_failure_mentions(&glass(&args), what, &needles);
        assert!(!out_path.exists(), "{what}: an output file was written");
        let leftovers: Vec<_> = std::fs::read_dir(&dir.0)
            .expect("list temp dir")
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| n != "in.wav")
            .collect();
        assert!(leftovers.is_empty(), "{what}: left {leftovers:?} behind");
    }
}
