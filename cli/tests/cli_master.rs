//! `glass master` and `glass album` end to end through Glasswork Limit's binary: every master
//! lands within 0.5 LU of its target with the true peak at or under the ceiling (measured on
//! the written file, read back with hound or symphonia), the report tells the truth, albums
//! join their tracks with gaps exact to the sample and carry their tags, impossible requests
//! fail without output, and an interrupted run leaves nothing behind.

mod cli_support;

use cli_support::*;
use glass::decode;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const RATE: u32 = 48_000;

/// Checks one written master: loudness within 0.5 LU of `target`, true peak (BS.1770 4x) at or
/// under `ceiling`; returns (integrated LUFS, 4x dBTP, 16x dBTP).
fn check_master(path: &Path, target: f64, ceiling: f64) -> (f64, f64, f64) {
    let decoded = decode::read(path).unwrap_or_else(|e| panic!("{e}"));
    let clip = &decoded.clip;
    let lufs = integrated(clip.sample_rate, &clip.channels);
    let tp4 = true_peak(&clip.channels, 4);
    let tp16 = true_peak(&clip.channels, 16);
    println!(
        "{}: {lufs:.3} LUFS (target {target}), true peak {tp4:.3} dBTP at 4x, {tp16:.3} at 16x \
         (ceiling {ceiling})",
        path.display()
    );
    assert!(
        (lufs - target).abs() <= 0.5,
        "{}: {lufs:.3} LUFS, target {target}",
        path.display()
    );
    assert!(
        tp4 <= ceiling,
        "{}: true peak {tp4:.4} dBTP over the {ceiling} dBTP ceiling",
        path.display()
    );
    (lufs, tp4, tp16)
}

#[test]
fn masters_land_on_target_under_the_ceiling() {
    let dir = TempDir::new("master");
    // Three kinds of input: quiet and dynamic (needs +20 dB and heavy limiting), already
    // loud (needs attenuation), and moderate with a slow level swing.
    let quiet = dir.join("quiet.wav");
    write_wav_int(&quiet, RATE, 24, &music(RATE, 10.0, 0.2, 8.0, 1));
    let loud = dir.join("loud.wav");
    write_wav(&loud, RATE, &music(RATE, 10.0, 0.99, 0.0, 2));
    let moderate = dir.join("moderate.flac");
    // Written as FLAC by the command itself (a transparent render), so a FLAC input is covered.
    let source = dir.join("moderate-source.wav");
    write_wav(&source, 44_100, &music(44_100, 8.0, 0.5, 4.0, 3));
    assert_success(
        &glass(&[
            "render",
            "comp",
            path_str(&source),
            "-o",
            path_str(&moderate),
            "--set",
            "ratio=1",
            "--format",
            "s24",
        ]),
        "make the FLAC input",
    );
    let inputs = [&quiet, &loud, &moderate];
    for (target, lufs, ceiling, extra) in [
        ("spotify", -14.0, -1.0, vec![]),
        ("ebu", -23.0, -1.0, vec![]),
        (
            "apple",
            -16.0,
            -2.0,
            vec!["--ceiling", "-2", "--format", "s16"],
        ),
        ("-9", -9.0, -1.0, vec!["--type", "flac"]),
    ] {
        let out = dir.join(&format!("out-{target}"));
        let mut args = vec!["master", "--json", "--target", target, "-o", path_str(&out)];
        args.extend(inputs.iter().map(|p| path_str(p)));
        args.extend(extra.iter().copied());
        let result = glass(&args);
        assert_success(&result, &format!("master --target {target}"));
        let report: serde_json::Value =
            serde_json::from_str(&text(&result.stdout)).expect("JSON report");
        let ext = if extra.contains(&"flac") {
            "flac"
        } else {
            "wav"
        };
        for (i, input) in inputs.iter().enumerate() {
            let stem = input.file_stem().and_then(|s| s.to_str()).expect("stem");
            let path = out.join(format!("{stem}.{ext}"));
            let (measured, tp, _) = check_master(&path, lufs, ceiling);
            // The report describes the file that was written.
            let entry = &report[i];
            assert_eq!(entry["output"], path_str(&path));
            let reported = entry["integrated_lufs"].as_f64().expect("lufs");
            let reported_tp = entry["true_peak_dbtp"].as_f64().expect("dBTP");
            assert!(
                (reported - measured).abs() < 0.01,
                "{reported} vs {measured}"
            );
            assert!((reported_tp - tp).abs() < 0.01, "{reported_tp} vs {tp}");
            let search: Vec<String> = entry["search"]
                .as_array()
                .map(|passes| {
                    passes
                        .iter()
                        .map(|p| {
                            format!(
                                "{:+.2} dB (ceiling {:.3}) -> {:.2}",
                                p["gain_db"].as_f64().unwrap_or(f64::NAN),
                                p["ceiling_db"].as_f64().unwrap_or(f64::NAN),
                                p["integrated_lufs"].as_f64().unwrap_or(f64::NAN)
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            println!(
                "  {stem} -> {target}: input {:.2} LUFS; passes: {}",
                entry["input_lufs"].as_f64().unwrap_or(f64::NAN),
                search.join(", ")
            );
        }
        if target == "apple" {
            let (spec, _) = read_wav(&out.join("quiet.wav"));
            assert_eq!(spec.bits_per_sample, 16, "--format s16");
        }
        assert_no_temporaries(&out);
    }
}

#[test]
fn masters_do_not_depend_on_the_number_of_jobs() {
    let dir = TempDir::new("master-jobs");
    let inputs: Vec<PathBuf> = (0..3)
        .map(|i| {
            let p = dir.join(&format!("t{i}.wav"));
            write_wav(
                &p,
                RATE,
                &music(RATE, 6.0, 0.3 + 0.2 * i as f32, 5.0, 40 + i),
            );
            p
        })
        .collect();
    let run = |jobs: &str| {
        let out = dir.join(&format!("out{jobs}"));
        let mut args = vec!["master".to_string(), "-o".into(), path_str(&out).into()];
        args.extend(["-j".into(), jobs.into(), "--target".into(), "-12".into()]);
        args.extend(inputs.iter().map(|p| path_str(p).to_string()));
        let result = glass(&args);
        assert_success(&result, &format!("master -j {jobs}"));
        assert_eq!(text(&result.stderr), "", "nothing on stderr off a terminal");
        inputs
            .iter()
            .map(|p| std::fs::read(out.join(p.file_name().expect("name"))).expect("read"))
            .collect::<Vec<_>>()
    };
    assert!(run("1") == run("3"), "masters differ between -j 1 and -j 3");
}

#[test]
fn impossible_masters_fail_and_write_nothing() {
    let dir = TempDir::new("master-errors");
    let silent = dir.join("silent.wav");
    write_wav(&silent, RATE, &vec![vec![0.0; 2 * RATE as usize]; 2]);
    // A -60 dBFS sine is about -63 LUFS: -14 needs 49 dB, the limiter offers +36.
    let faint = dir.join("faint.wav");
    let tone = sine(RATE, 997.0, 0.001, 3 * RATE as usize);
    write_wav(&faint, RATE, &[tone.clone(), tone]);
    let good = dir.join("good.wav");
    write_wav(&good, RATE, &music(RATE, 3.0, 0.5, 0.0, 9));
    let out = dir.join("out");
    for (input, needles) in [
        (&silent, vec!["silent.wav", "silent", "nothing to master"]),
        (&faint, vec!["faint.wav", "cannot reach -14 LUFS", "+36 dB"]),
    ] {
        let result = glass(&[
            "master",
            path_str(&good),
            path_str(input),
            "-o",
            path_str(&out),
            "--target",
            "spotify",
        ]);
        assert_failure_mentions(&result, &input.display().to_string(), &needles);
        assert!(text(&result.stderr).contains("1 of 2 file(s) failed"));
        // The good file of the batch is done; the impossible one has no output at all.
        let written = dir.list("out");
        assert_eq!(written, ["good.wav"], "{}", input.display());
        assert_no_temporaries(&out);
        std::fs::remove_dir_all(&out).expect("clean");
    }
    // An album is all or nothing.
    let result = glass(&[
        "album",
        path_str(&good),
        path_str(&silent),
        "-o",
        path_str(&out),
    ]);
    assert_failure_mentions(
        &result,
        "album with a silent track",
        &["silent", "nothing was written"],
    );
    assert!(dir.list("out").is_empty(), "{:?}", dir.list("out"));
}

/// Tags as read back from a written file.
fn tags(path: &Path) -> glass::metadata::Tags {
    decode::read(path).unwrap_or_else(|e| panic!("{e}")).tags
}

#[test]
fn albums_join_mastered_tracks_with_exact_gaps_and_tags() {
    let dir = TempDir::new("album");
    // Three tracks at different loudness, one at 44.1 kHz mono (converted to the album's
    // 48 kHz stereo), one 24-bit.
    let t1 = dir.join("one.wav");
    write_wav(&t1, RATE, &music(RATE, 5.0, 0.3, 6.0, 71));
    let t2 = dir.join("two.wav");
    write_wav(&t2, 44_100, &music(44_100, 4.0, 0.6, 3.0, 72)[..1]);
    let t3 = dir.join("three.wav");
    write_wav_int(&t3, RATE, 24, &music(RATE, 6.0, 0.9, 0.0, 73));
    let manifest = dir.join("album.json");
    std::fs::write(
        &manifest,
        r#"{
            "album": "Test Album",
            "artist": "The Testers",
            "gap": "1.5s",
            "tracks": [
                {"file": "one.wav", "title": "Opening"},
                {"file": "two.wav", "title": "Run/Walk?", "artist": "Guest"},
                {"file": "three.wav", "title": "Closing"}
            ]
        }"#,
    )
    .expect("manifest");
    for (ext, extra) in [
        ("wav", vec!["--format", "f32"]),
        ("flac", vec!["--type", "flac"]),
    ] {
        let out = dir.join(&format!("out-{ext}"));
        let mut args = vec![
            "album",
            "--manifest",
            path_str(&manifest),
            "-o",
            path_str(&out),
            "--target",
            "apple",
            "--json",
        ];
        args.extend(extra.iter().copied());
        let result = glass(&args);
        assert_success(&result, &format!("album ({ext})"));
        let report: serde_json::Value =
            serde_json::from_str(&text(&result.stdout)).expect("JSON report");
        let names = [
            format!("01 - Opening.{ext}"),
            format!("02 - Run_Walk_.{ext}"),
            format!("03 - Closing.{ext}"),
        ];
        let mut listing = names.to_vec();
        listing.push(format!("Test Album.{ext}"));
        listing.sort();
        assert_eq!(dir.list(&format!("out-{ext}")), listing);

        let album = decode::read(&out.join(format!("Test Album.{ext}")))
            .unwrap_or_else(|e| panic!("{e}"))
            .clip;
        assert_eq!(album.sample_rate, RATE);
        assert_eq!(album.channels.len(), 2);
        let gap = (1.5 * f64::from(RATE)) as usize;
        assert_eq!(report["gap_frames"], gap);
        let mut position = 0;
        for (i, name) in names.iter().enumerate() {
            let path = out.join(name);
            check_master(&path, -16.0, -1.0);
            let track = decode::read(&path).unwrap_or_else(|e| panic!("{e}")).clip;
            assert_eq!(
                track.sample_rate, RATE,
                "{name}: converted to the album rate"
            );
            if i > 0 {
                // Digital silence, exactly `gap` samples of it.
                for c in &album.channels {
                    assert!(c[position..position + gap].iter().all(|&x| x == 0.0));
                }
                position += gap;
                assert_ne!(
                    album.channels[0][position], 0.0,
                    "{name} starts right after the gap"
                );
            }
            assert_eq!(report["tracks"][i]["start_frame"], position, "{name}");
            // The album holds each track file's samples, sample for sample.
            for (a, t) in album.channels.iter().zip(&track.channels) {
                assert!(
                    a[position..position + t.len()] == t[..],
                    "{name}: the album differs from the track file"
                );
            }
            position += track.frames();
            let t = tags(&path);
            let artist = if i == 1 { "Guest" } else { "The Testers" };
            let title = ["Opening", "Run/Walk?", "Closing"][i];
            assert_eq!(t.title.as_deref(), Some(title), "{name}");
            assert_eq!(t.artist.as_deref(), Some(artist), "{name}");
            assert_eq!(t.album.as_deref(), Some("Test Album"), "{name}");
            assert_eq!(t.track_number, Some(i as u32 + 1), "{name}");
            assert_eq!(t.track_total, Some(3), "{name}");
        }
        assert_eq!(album.frames(), position, "nothing after the last track");
        let t = tags(&out.join(format!("Test Album.{ext}")));
        assert_eq!(t.album.as_deref(), Some("Test Album"));
        assert_eq!(t.artist.as_deref(), Some("The Testers"));
        let album_lufs = integrated(RATE, &album.channels);
        println!(
            "album ({ext}): {} frames, {album_lufs:.2} LUFS",
            album.frames()
        );
        assert!(
            (album_lufs + 16.0).abs() < 0.5,
            "album at {album_lufs} LUFS"
        );
        assert_no_temporaries(&out);
    }
    // --gap overrides the manifest; tracks from the command line take the manifest's titles.
    let out = dir.join("out-gap");
    let result = glass(&[
        "album",
        path_str(&t1),
        path_str(&t3),
        "-o",
        path_str(&out),
        "--gap",
        "250ms",
        "--name",
        "joined",
        "--json",
    ]);
    assert_success(&result, "album --gap 250ms");
    let report: serde_json::Value = serde_json::from_str(&text(&result.stdout)).expect("json");
    assert_eq!(report["gap_frames"], 12_000);
    assert_eq!(
        dir.list("out-gap"),
        ["01 - one.wav", "02 - three.wav", "joined.wav"]
    );
}

#[test]
fn an_interrupted_master_leaves_nothing_behind() {
    let dir = TempDir::new("interrupt");
    let input = dir.join("long.wav");
    write_wav(&input, RATE, &music(RATE, 90.0, 0.3, 8.0, 99));
    let out = dir.join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_glass"))
        .args([
            "master",
            path_str(&input),
            "-o",
            path_str(&out),
            "--target",
            "-10",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start glass");
    // Once the output directory exists the inputs are checked and mastering has begun.
    let start = Instant::now();
    while !out.exists() && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: sends SIGINT to the child this test started.
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    let status = child.wait().expect("wait");
    let stderr = {
        use std::io::Read;
        let mut s = String::new();
        let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut s));
        s
    };
    assert!(
        !status.success(),
        "the run finished before it could be interrupted; make the input longer"
    );
    assert_eq!(
        status.code(),
        Some(130),
        "exit status {status}; stderr: {stderr}"
    );
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        dir.list("out").is_empty(),
        "left behind: {:?}",
        dir.list("out")
    );
}
