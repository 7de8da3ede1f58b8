//! `glass render` and `glass chain` end to end through the built plugin binaries: latency
//! compensated to the sample through a chain, tails rendered (and carried through later
//! stages), host tempo for synced delays, the sidechain input, presets, parallel batches that
//! equal serial ones, and every kind of bad argument refused before anything is written.

mod cli_support;

use cli_support::*;
use glass::signal::peak_index;
use std::path::{Path, PathBuf};

const RATE: u32 = 48_000;

fn impulse(frames: usize, at: usize, level: f32) -> Vec<Vec<f32>> {
    let mut channel = vec![0.0f32; frames];
    channel[at] = level;
    vec![channel.clone(), channel]
}

/// An Echo with nothing but the delay: clean character, no wow, no loop filters, dry and wet at
/// unity (mix 50 %).
const CLEAN_ECHO: &str = "character=clean, wow/flutter=0, low cut=off, high cut=off, mix=50";

#[test]
fn chains_compensate_every_stage_latency_to_the_sample() {
    let dir = TempDir::new("chain-latency");
    let input = dir.join("impulse.wav");
    let onset = 12_345;
    write_wav(&input, RATE, &impulse(RATE as usize / 2, onset, 0.25));
    // Comp's lookahead (5 ms = 240 samples) and Limit's (3 ms) both delay the signal.
    let out = glass(&[
        "render",
        "comp",
        path_str(&input),
        "-o",
        path_str(&dir.join("comp.wav")),
        "--set",
        "lookahead=5",
    ]);
    assert_success(&out, "render comp");
    assert!(
        text(&out.stdout).contains("latency 240 samples compensated"),
        "{}",
        text(&out.stdout)
    );
    let out = glass(&[
        "chain",
        "comp(lookahead=5) | limit(lookahead=3) | comp(lookahead=1.5)",
        path_str(&input),
        "-o",
        path_str(&dir.join("out")),
        "--format",
        "f32",
    ]);
    assert_success(&out, "chain");
    let (_, rendered) = read_wav(&dir.join("out/impulse.wav"));
    for (c, channel) in rendered.iter().enumerate() {
        assert!(channel.len() >= RATE as usize / 2);
        assert_eq!(
            peak_index(channel),
            Some(onset),
            "channel {c}: the impulse at {onset} came out elsewhere"
        );
        assert!(
            (channel[onset] - 0.25).abs() < 1e-3,
            "level {}",
            channel[onset]
        );
    }
}

/// Sample indices where |x| exceeds `threshold`, one per cluster (its largest sample).
fn echoes(x: &[f32], threshold: f32) -> Vec<(usize, f32)> {
    let mut found: Vec<(usize, f32)> = Vec::new();
    for (i, &v) in x.iter().enumerate() {
        if v.abs() <= threshold {
            continue;
        }
        match found.last_mut() {
            Some((j, peak)) if i - *j < 50 => {
                if v.abs() > peak.abs() {
                    *j = i;
                    *peak = v;
                }
            }
            _ => found.push((i, v)),
        }
    }
    found
}

#[test]
fn echo_tails_are_rendered_and_carried_through_the_chain() {
    let dir = TempDir::new("tail");
    let input = dir.join("click.wav");
    let frames = RATE as usize; // 1 s
    let at = frames - 4_800; // 100 ms before the end
    write_wav(&input, RATE, &impulse(frames, at, 0.5));
    let chain = format!("echo(time=250, feedback=50, {CLEAN_ECHO}) | comp(ratio=1)");
    let out = glass(&[
        "chain",
        &chain,
        path_str(&input),
        "-o",
        path_str(&dir.join("out")),
        "--format",
        "f32",
    ]);
    assert_success(&out, "echo chain");
    let (_, rendered) = read_wav(&dir.join("out/click.wav"));
    let left = &rendered[0];
    // The tail (repeats falling 6.02 dB every 250 ms until 100 dB down: ~4 s) is in the file,
    // beyond the input's end.
    assert!(
        left.len() > frames + 3 * RATE as usize,
        "{} frames: no tail",
        left.len()
    );
    let found = echoes(left, 1e-3);
    assert_eq!(found[0].0, at, "the dry click");
    assert!(found.len() > 6, "repeats found: {found:?}");
    for (k, &(i, v)) in found.iter().enumerate().take(7).skip(1) {
        assert_eq!(i, at + k * 12_000, "repeat {k} at 250 ms steps");
        // Mix 50 %: the first repeat at unity, each later one 50 % (-6.02 dB) below the last.
        let expected = -6.0206 * (k - 1) as f64;
        let db = 20.0 * f64::from(v.abs() / 0.5).log10();
        assert!(
            (db - expected).abs() < 0.1,
            "repeat {k}: {db:.3} dB, expected {expected:.3}"
        );
    }
    println!(
        "tail: {} frames after the input, {} repeats above -60 dBFS",
        left.len() - frames,
        found.len() - 1
    );
}

#[test]
fn host_tempo_sets_synced_delay_times() {
    let dir = TempDir::new("bpm");
    let input = dir.join("click.wav");
    write_wav(&input, RATE, &impulse(RATE as usize, 100, 0.5));
    for (bpm, quarter) in [("120", 24_000), ("90", 32_000)] {
        let output = dir.join(&format!("synced-{bpm}.wav"));
        let out = glass(&[
            "render",
            "echo",
            path_str(&input),
            "-o",
            path_str(&output),
            "--bpm",
            bpm,
            "--format",
            "f32",
            "--set",
            "sync=on",
            "--set",
            "note=1/4",
            "--set",
            "note type=straight",
            "--set",
            "character=clean",
            "--set",
            "wow/flutter=0",
            "--set",
            "low cut=off",
            "--set",
            "high cut=off",
            "--set",
            "feedback=0",
            "--set",
            "mix=50",
        ]);
        assert_success(&out, "render echo --bpm");
        let (_, rendered) = read_wav(&output);
        let found = echoes(&rendered[0], 1e-3);
        assert_eq!(
            found.iter().map(|e| e.0).collect::<Vec<_>>(),
            vec![100, 100 + quarter],
            "a quarter note at {bpm} BPM"
        );
    }
}

#[test]
fn the_sidechain_input_drives_the_compressor() {
    let dir = TempDir::new("sidechain");
    let frames = 3 * RATE as usize;
    let tone = sine(RATE, 440.0, 0.1, frames);
    let input = dir.join("tone.wav");
    write_wav(&input, RATE, &[tone.clone(), tone]);
    // Silence, one second of loud noise, silence.
    let mut rng = glass::rng::Rng::new(5);
    let key: Vec<f32> = (0..frames)
        .map(|i| {
            if (RATE as usize..2 * RATE as usize).contains(&i) {
                rng.noise() * 0.9
            } else {
                0.0
            }
        })
        .collect();
    let sidechain = dir.join("key.wav");
    write_wav(&sidechain, RATE, &[key]);
    let settings = [
        "--set",
        "external sidechain=on",
        "--set",
        "threshold=-30",
        "--set",
        "ratio=10",
        "--set",
        "attack=1",
        "--set",
        "release=50",
        "--format",
        "f32",
    ];
    let run = |name: &str, extra: &[&str]| {
        let output = dir.join(name);
        let mut args = vec!["render", "comp", path_str(&input), "-o", path_str(&output)];
        args.extend_from_slice(&settings);
        args.extend_from_slice(extra);
        assert_success(&glass(&args), name);
        read_wav(&output).1
    };
    let keyed = run("keyed.wav", &["--sidechain", path_str(&sidechain)]);
    let unkeyed = run("unkeyed.wav", &[]);
    // RMS over [from, to) seconds.
    let level = |x: &[f32], from: f64, to: f64| {
        rms_db(&x[(from * f64::from(RATE)) as usize..(to * f64::from(RATE)) as usize])
    };
    let dry = rms_db(&sine(RATE, 440.0, 0.1, RATE as usize));
    // Before the key, during it (after the 1 ms attack), and 0.5 s after it (50 ms release).
    let before = level(&keyed[0], 0.1, 1.0);
    let during = level(&keyed[0], 1.1, 2.0);
    let after = level(&keyed[0], 2.5, 3.0);
    println!("sidechain: {before:.2} / {during:.2} / {after:.2} dBFS (dry {dry:.2})");
    assert!(
        (before - dry).abs() < 0.05,
        "no reduction before the key: {before}"
    );
    assert!(
        during < dry - 10.0,
        "the key pulls the tone down: {during} vs {dry}"
    );
    assert!(
        (after - dry).abs() < 0.05,
        "recovered after the key: {after}"
    );
    // An unconnected sidechain is silence: no reduction at all.
    for s in 0..3 {
        let l = level(&unkeyed[0], s as f64 + 0.1, s as f64 + 1.0);
        assert!((l - dry).abs() < 0.05, "unkeyed second {s}: {l}");
    }
}

#[test]
fn presets_set_what_the_same_settings_set() {
    let dir = TempDir::new("presets");
    let input = dir.join("music.wav");
    write_wav(&input, RATE, &music(RATE, 3.0, 0.8, 6.0, 11));
    let preset = dir.join("squash.json");
    let out = glass(&[
        "preset",
        "comp",
        "--set",
        "threshold=-30",
        "--set",
        "ratio=6",
        "--set",
        "auto makeup=on",
        "-o",
        path_str(&preset),
    ]);
    assert_success(&out, "glass preset");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&preset).expect("preset")).expect("json");
    assert_eq!(json["plugin"], "Glasswork Comp");
    assert_eq!(json["params"]["Threshold"], "-30.00 dB");
    assert_eq!(json["params"]["Auto Makeup"], "On");

    let by_set = dir.join("by-set.wav");
    assert_success(
        &glass(&[
            "render",
            "comp",
            path_str(&input),
            "-o",
            path_str(&by_set),
            "--format",
            "f32",
            "--set",
            "threshold=-30",
            "--set",
            "ratio=6",
            "--set",
            "auto makeup=on",
        ]),
        "render --set",
    );
    let by_preset = dir.join("by-preset.wav");
    assert_success(
        &glass(&[
            "render",
            "comp",
            path_str(&input),
            "-o",
            path_str(&by_preset),
            "--format",
            "f32",
            "--preset",
            path_str(&preset),
        ]),
        "render --preset",
    );
    let inline = format!("comp(@{})", path_str(&preset));
    assert_success(
        &glass(&[
            "chain",
            &inline,
            path_str(&input),
            "-o",
            path_str(&dir.join("chained")),
            "--format",
            "f32",
        ]),
        "chain with a preset",
    );
    // The preset holds every parameter as displayed text (`10.00 ms`), which reads back to the
    // default within float rounding: the same sound, to a few parts in 10^8.
    let reference = read_wav(&by_set).1;
    let input_samples = read_wav(&input).1;
    assert!(
        largest_difference(&reference, &input_samples) > 0.1,
        "the settings act"
    );
    for (what, path) in [
        ("--preset", by_preset),
        ("chain comp(@preset)", dir.join("chained/music.wav")),
    ] {
        let d = largest_difference(&read_wav(&path).1, &reference);
        assert!(d < 1e-6, "{what} differs from --set by {d}");
    }
    // A preset names its plugin: it cannot be loaded into another one.
    let out = glass(&[
        "render",
        "limit",
        path_str(&input),
        "-o",
        path_str(&dir.join("x.wav")),
        "--preset",
        path_str(&preset),
    ]);
    assert_failure_mentions(&out, "a Comp preset on Limit", &["is for Glasswork Comp"]);
}

/// Largest sample difference between two renders of equal shape.
fn largest_difference(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    assert_eq!(a.len(), b.len(), "channel counts differ");
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| {
            assert_eq!(x.len(), y.len(), "lengths differ");
            x.iter().zip(y).map(|(p, q)| (p - q).abs())
        })
        .fold(0.0, f32::max)
}

fn file_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("list")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read"),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn parallel_batches_equal_serial_ones_and_stay_quiet_off_a_terminal() {
    let dir = TempDir::new("parallel");
    let inputs: Vec<PathBuf> = (0..4)
        .map(|i| {
            let path = dir.join(&format!("song{i}.wav"));
            write_wav_int(&path, RATE, 24, &music(RATE, 2.0, 0.9, 4.0, 20 + i));
            path
        })
        .collect();
    let run = |jobs: &str, out: &str| {
        let mut args = vec![
            "chain".to_string(),
            "comp(threshold=-24, ratio=3) | echo(time=120, feedback=30) | limit(gain=4)".into(),
        ];
        args.extend(inputs.iter().map(|p| path_str(p).to_string()));
        args.extend([
            "-o".into(),
            path_str(&dir.join(out)).into(),
            "-j".into(),
            jobs.into(),
        ]);
        let output = glass(&args);
        assert_success(&output, &format!("chain -j {jobs}"));
        // Not a terminal: no progress bar, no escape sequences, nothing on stderr.
        assert_eq!(text(&output.stderr), "", "-j {jobs}: stderr not empty");
        file_bytes(&dir.join(out))
    };
    let serial = run("1", "serial");
    let parallel = run("4", "parallel");
    assert_eq!(serial.len(), 4);
    assert!(
        serial == parallel,
        "the outputs depend on the number of jobs"
    );
    assert_no_temporaries(&dir.join("parallel"));
}

#[test]
fn bad_arguments_are_refused_before_anything_is_written() {
    let dir = TempDir::new("chain-errors");
    let input = dir.join("in.wav");
    write_wav(&input, RATE, &music(RATE, 1.0, 0.5, 0.0, 3));
    let twin_dir = dir.join("twin");
    std::fs::create_dir_all(&twin_dir).expect("dir");
    let twin = twin_dir.join("in.wav");
    std::fs::copy(&input, &twin).expect("copy");
    let blocker = dir.join("blocker");
    std::fs::write(&blocker, b"a file, not a directory").expect("write");
    let bool_preset = dir.join("bool.json");
    std::fs::write(
        &bool_preset,
        r#"{"plugin": "comp", "params": {"Threshold": true}}"#,
    )
    .expect("write");
    let out = dir.join("out");
    let (i, o) = (path_str(&input), path_str(&out));
    let blocked = blocker.join("out");
    let sidechain_out = out.join("x.wav");
    let mp3_out = dir.join("x.mp3");
    let bool_chain = format!("comp(@{})", path_str(&bool_preset));
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "an unknown plugin",
            vec!["chain", "comp | limt", i, "-o", o],
            vec!["unknown plugin \"limt\"", "did you mean", "Limit"],
        ),
        (
            "an unknown parameter",
            vec!["chain", "comp(thresh=-20)", i, "-o", o],
            vec![
                "Glasswork Comp",
                "unknown parameter \"thresh\"",
                "did you mean Threshold",
            ],
        ),
        (
            "a value below the range",
            vec!["chain", "comp(ratio=0.5)", i, "-o", o],
            vec!["out of range", "Ratio", "1.00:1 .. ∞:1"],
        ),
        (
            "a value above the range",
            vec!["chain", "limit(ceiling=+3)", i, "-o", o],
            vec!["out of range", "Ceiling", "-30.00 dBTP .. 0.00 dBTP"],
        ),
        (
            "text for a number",
            vec!["chain", "comp(threshold=loud)", i, "-o", o],
            vec!["cannot parse \"loud\"", "Threshold"],
        ),
        (
            "true for a number",
            vec!["chain", &bool_chain, i, "-o", o],
            vec!["Threshold", "not an on/off switch"],
        ),
        (
            "a broken chain",
            vec!["chain", "comp(ratio=4 | limit", i, "-o", o],
            vec!["unclosed '('"],
        ),
        (
            "a missing preset",
            vec!["chain", "comp(@nowhere.json)", i, "-o", o],
            vec!["nowhere.json"],
        ),
        (
            "an output directory under a file",
            vec!["chain", "comp", i, "-o", path_str(&blocked)],
            vec!["cannot create output directory", "blocker"],
        ),
        (
            "two inputs with one output name",
            vec!["chain", "comp", i, path_str(&twin), "-o", o],
            vec!["would both be written to"],
        ),
        (
            "an output over its input",
            vec!["chain", "comp", i, "-o", path_str(&dir.0)],
            vec!["would be overwritten by its own output"],
        ),
        (
            "a sidechain for a plugin without one",
            vec![
                "render",
                "limit",
                i,
                "-o",
                path_str(&sidechain_out),
                "--sidechain",
                i,
            ],
            vec!["Glasswork Limit has no sidechain input"],
        ),
        (
            "an output type that is not written",
            vec!["render", "comp", i, "-o", path_str(&mp3_out)],
            vec!["must end in .wav or .flac"],
        ),
        (
            "an unknown target",
            vec!["master", i, "-o", o, "--target", "spotfy"],
            vec![
                "unknown loudness target \"spotfy\"",
                "spotify, apple, youtube, ebu",
            ],
        ),
        (
            "a ceiling above 0 dBTP",
            vec!["master", i, "-o", o, "--ceiling", "3"],
            vec!["ceiling 3 dBTP is out of range"],
        ),
        (
            "the mastering's own parameter",
            vec!["master", i, "-o", o, "--set", "gain=3"],
            vec!["\"Gain\" is set by the mastering"],
        ),
    ];
    for (what, args, needles) in cases {
        assert_failure_mentions(&glass(&args), what, &needles);
        assert!(!out.exists(), "{what}: created {}", out.display());
        assert!(!dir.join("x.wav").exists() && !dir.join("x.mp3").exists());
        assert_no_temporaries(&dir.0);
    }
    let names = dir.list("");
    assert_eq!(
        names,
        ["blocker", "bool.json", "in.wav", "twin"],
        "stray files"
    );
}
