//! Helpers shared by the tests of the `glass` command: scratch directories, running the
//! binary, writing inputs and reading outputs with libraries independent of the command's own
//! writers (hound for WAV), and BS.1770 measurements.
//!
//! The tests need the plugins built next to the test binary, as the conformance tests do:
//! `cargo build -p glass-limit -p glass-comp -p glass-echo` (`cargo xtask test` does this).

#![allow(dead_code)]

use glass::rng::Rng;
use glass_dsp::loudness::LoudnessMeter;
use glass_dsp::true_peak::TruePeakMeter;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch directory removed when the test ends.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("glass-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        Self(dir)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// File names in the directory (or in `sub`), sorted.
    pub fn list(&self, sub: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.0.join(sub))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs `glass` with `args`.
pub fn glass<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glass"))
        .args(args)
        .output()
        .expect("run the glass binary")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// The run failed, did not panic, and its message mentions every needle (any case).
pub fn assert_failure_mentions(output: &Output, what: &str, needles: &[&str]) {
    let stderr = text(&output.stderr);
    assert!(
        !output.status.success(),
        "{what} should fail but exited with {}; stdout: {}",
        output.status,
        text(&output.stdout)
    );
    assert!(
        !stderr.contains("panicked"),
        "{what}: the command panicked:\n{stderr}"
    );
    for needle in needles {
        assert!(
            stderr.to_lowercase().contains(&needle.to_lowercase()),
            "{what}: stderr should mention {needle:?}:\n{stderr}"
        );
    }
}

/// Writes 32-bit float WAV with hound.
pub fn write_wav(path: &Path, rate: u32, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
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

/// Writes integer WAV (16 or 24 bit) with hound, rounding.
pub fn write_wav_int(path: &Path, rate: u32, bits: u16, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: hound::SampleFormat::Int,
    };
    let scale = (1i64 << (bits - 1)) as f64;
    let mut writer = hound::WavWriter::create(path, spec).expect("create input WAV");
    for i in 0..channels[0].len() {
        for c in channels {
            let v = (f64::from(c[i]) * scale).round().clamp(-scale, scale - 1.0) as i32;
            writer.write_sample(v).expect("write input WAV");
        }
    }
    writer.finalize().expect("finish input WAV");
}

/// Reads any PCM/float WAV with hound: the spec and planar samples (integers scaled to ±1).
pub fn read_wav(path: &Path) -> (hound::WavSpec, Vec<Vec<f32>>) {
    let mut reader =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let spec = reader.spec();
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .map(|s| s.expect("sample"))
            .collect(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1i64 << (spec.bits_per_sample - 1)) as f64;
            reader
                .samples::<i32>()
                .map(|s| (f64::from(s.expect("sample")) * scale) as f32)
                .collect()
        }
    };
    let n = usize::from(spec.channels);
    let channels = (0..n)
        .map(|c| samples.iter().skip(c).step_by(n).copied().collect())
        .collect();
    (spec, channels)
}

/// BS.1770 integrated loudness, LUFS.
pub fn integrated(rate: u32, channels: &[Vec<f32>]) -> f64 {
    let mut meter = LoudnessMeter::new();
    meter.prepare(rate as f32, channels.len());
    let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    meter.process(&slices);
    f64::from(meter.integrated_lufs())
}

/// True peak with `factor`x oversampling (4 is BS.1770's), dBTP.
pub fn true_peak(channels: &[Vec<f32>], factor: usize) -> f64 {
    let mut meter = TruePeakMeter::new();
    meter.prepare_with_factor(factor, channels.len());
    let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    meter.process(&slices);
    let flush = vec![0.0f32; meter.latency() + 1];
    let zeros: Vec<&[f32]> = channels.iter().map(|_| flush.as_slice()).collect();
    meter.process(&zeros);
    f64::from(meter.max_true_peak_dbtp())
}

/// Something like music, seconds long at `rate`, stereo: a bass line, a chord, a hi-hat of
/// noise bursts and a kick every half second, with the level moving by ±`swing_db` over
/// time, scaled so its sample peak is `peak`. Deterministic for a `seed`.
pub fn music(rate: u32, seconds: f64, peak: f32, swing_db: f64, seed: u64) -> Vec<Vec<f32>> {
    use std::f64::consts::TAU;
    let n = (seconds * f64::from(rate)) as usize;
    let fs = f64::from(rate);
    let mut rng = Rng::new(seed);
    let mut left = Vec::with_capacity(n);
    let mut right = Vec::with_capacity(n);
    for i in 0..n {
        let t = i as f64 / fs;
        let beat = (t * 2.0).fract();
        let kick = (-beat * 30.0).exp() * (TAU * 55.0 * t * (1.0 + (-beat * 40.0).exp())).sin();
        let bass = 0.4 * (TAU * 82.4 * t).sin();
        let chord =
            0.2 * ((TAU * 261.6 * t).sin() + (TAU * 329.6 * t).sin() + (TAU * 392.0 * t).sin());
        let hat_env = (-((t * 4.0).fract()) * 60.0).exp();
        let hat_l = f64::from(rng.noise()) * hat_env * 0.3;
        let hat_r = f64::from(rng.noise()) * hat_env * 0.3;
        let swing = 10f64.powf(swing_db * (TAU * t / seconds.max(1.0) * 1.5).sin() / 20.0);
        left.push(((kick + bass + chord + hat_l) * swing) as f32);
        right.push(((kick * 0.9 + bass + chord * 0.8 + hat_r) * swing) as f32);
    }
    let top = left
        .iter()
        .chain(&right)
        .fold(0.0f32, |m, x| m.max(x.abs()));
    let g = peak / top;
    for x in left.iter_mut().chain(right.iter_mut()) {
        *x *= g;
    }
    vec![left, right]
}

/// A sine of `amplitude` at `freq` Hz, `frames` long.
pub fn sine(rate: u32, freq: f64, amplitude: f64, frames: usize) -> Vec<f32> {
    (0..frames)
        .map(|i| {
            (amplitude * (std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin()) as f32
        })
        .collect()
}

/// Frequency of a steady tone from its rising zero crossings between the first and last one
/// (linearly interpolated), in Hz.
pub fn zero_crossing_frequency(x: &[f32], rate: u32) -> f64 {
    let mut crossings = Vec::new();
    for i in 1..x.len() {
        if x[i - 1] < 0.0 && x[i] >= 0.0 {
            let frac = f64::from(-x[i - 1]) / f64::from(x[i] - x[i - 1]);
            crossings.push(i as f64 - 1.0 + frac);
        }
    }
    let (first, last) = (crossings[0], crossings[crossings.len() - 1]);
    (crossings.len() - 1) as f64 * f64::from(rate) / (last - first)
}

/// RMS level in dBFS.
pub fn rms_db(x: &[f32]) -> f64 {
    let ms = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64;
    10.0 * ms.log10()
}

/// No hidden temporary file (`.name.*.tmp`) or write probe left in `dir`.
pub fn assert_no_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let leftovers: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left in {}: {leftovers:?}",
        dir.display()
    );
}
