//! `glass` and audio files: every input format decodes to what it holds, every output encoding
//! holds what was asked for (checked with hound and symphonia, not with the command's own
//! writers), tags survive, sample-rate conversion keeps pitch, level and timing, bad files are
//! refused with a clear message and leave nothing behind, and `glass loudness` reports the
//! closed-form figures of test signals.

mod cli_support;

use cli_support::*;
use glass::decode;
use std::path::Path;

const RATE: u32 = 48_000;

/// A transparent stage: Glasswork Comp at 1:1 with 100 % mix returns its input bit for bit
/// (its own test suite asserts that), so the file path around it is what is tested here.
const TRANSPARENT: &str = "comp";
const TRANSPARENT_SET: &str = "ratio=1";

fn render_transparent(input: &Path, output: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "render",
        TRANSPARENT,
        path_str(input),
        "-o",
        path_str(output),
        "--set",
        TRANSPARENT_SET,
    ];
    args.extend_from_slice(extra);
    glass(&args)
}

fn test_signal(frames: usize) -> Vec<Vec<f32>> {
    vec![
        sine(RATE, 441.0, 0.4, frames),
        sine(RATE, 1234.5, 0.3, frames)
            .iter()
            .zip(sine(RATE, 57.0, 0.2, frames))
            .map(|(a, b)| a + b)
            .collect(),
    ]
}

#[test]
fn lossy_fixtures_decode_to_the_sine_they_hold() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for name in ["sine-1k.mp3", "sine-1k.ogg"] {
        let path = fixtures.join(name);
        let decoded = decode::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let clip = &decoded.clip;
        assert_eq!(clip.sample_rate, 44_100, "{name}");
        assert_eq!(clip.channels.len(), 1, "{name}");
        // Gapless decoding: the encoder's delay and padding are trimmed, one second remains.
        assert_eq!(
            clip.frames(),
            44_100,
            "{name}: encoder delay or padding left in"
        );
        let middle = &clip.channels[0][4_410..39_690];
        let freq = zero_crossing_frequency(middle, 44_100);
        assert!((freq - 1000.0).abs() < 0.05, "{name}: {freq} Hz");
        // 0.5 · sin has an RMS of -9.03 dBFS; lossy coding at low bit rates moves it a little.
        let level = rms_db(middle);
        assert!((level + 9.03).abs() < 0.6, "{name}: {level:.2} dBFS RMS");
        assert!(!decoded.source.float && decoded.source.lossy, "{name}");
        assert_eq!(decoded.tags.title.as_deref(), Some("Sine 1k"), "{name}");
        assert_eq!(decoded.tags.artist.as_deref(), Some("Glasswork"), "{name}");
        println!(
            "{name}: {} frames, {freq:.3} Hz, {level:.2} dBFS RMS",
            clip.frames()
        );

        // The command reads them too: loudness of a mono 1 kHz sine is its RMS level (K-weighting
        // adds +0.69 dB at 1 kHz and BS.1770's offset takes 0.691 away).
        let out = glass(&["loudness", "--json", path_str(&path)]);
        assert_success(&out, name);
        let report: serde_json::Value = serde_json::from_str(&text(&out.stdout)).expect("json");
        let lufs = report[0]["integrated_lufs"].as_f64().expect("integrated");
        assert!(
            (lufs - level).abs() < 0.1,
            "{name}: {lufs} LUFS vs {level} dB RMS"
        );
    }
}

/// AIFF, 16-bit big-endian PCM, written by hand (COMM with an 80-bit float rate, SSND).
fn write_aiff_16(path: &Path, rate: u32, channels: &[Vec<i16>]) {
    let frames = channels[0].len();
    let mut comm = Vec::new();
    comm.extend_from_slice(&(channels.len() as u16).to_be_bytes());
    comm.extend_from_slice(&(frames as u32).to_be_bytes());
    comm.extend_from_slice(&16u16.to_be_bytes());
    // IEEE 754 80-bit extended: sign+exponent (bias 16383), 64-bit mantissa with explicit 1.
    let exponent = 31 - rate.leading_zeros();
    comm.extend_from_slice(&((16_383 + exponent) as u16).to_be_bytes());
    comm.extend_from_slice(&(u64::from(rate) << (63 - exponent)).to_be_bytes());
    let mut ssnd = vec![0u8; 8];
    for i in 0..frames {
        for c in channels {
            ssnd.extend_from_slice(&c[i].to_be_bytes());
        }
    }
    let mut body = b"AIFF".to_vec();
    for (id, data) in [(b"COMM", &comm), (b"SSND", &ssnd)] {
        body.extend_from_slice(id);
        body.extend_from_slice(&(data.len() as u32).to_be_bytes());
        body.extend_from_slice(data);
    }
    let mut file = b"FORM".to_vec();
    file.extend_from_slice(&(body.len() as u32).to_be_bytes());
    file.extend_from_slice(&body);
    std::fs::write(path, file).expect("write AIFF");
}

#[test]
fn aiff_and_wav_inputs_decode_sample_exact() {
    let dir = TempDir::new("aiff");
    let frames = 10_000;
    let ints: Vec<Vec<i16>> = test_signal(frames)
        .iter()
        .map(|c| c.iter().map(|&x| (x * 32_767.0).round() as i16).collect())
        .collect();
    let aiff = dir.join("in.aiff");
    write_aiff_16(&aiff, 44_100, &ints);
    let wav = dir.join("in.wav");
    let floats: Vec<Vec<f32>> = ints
        .iter()
        .map(|c| c.iter().map(|&v| f32::from(v) / 32_768.0).collect())
        .collect();
    write_wav_int(&wav, 44_100, 16, &floats);
    for path in [&aiff, &wav] {
        let decoded = decode::read(path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decoded.clip.sample_rate, 44_100);
        assert_eq!(decoded.source.int_bits, Some(16));
        assert_eq!(decoded.clip.channels, floats, "{}", path.display());
    }
}

#[test]
fn outputs_hold_the_requested_encoding() {
    let dir = TempDir::new("encodings");
    let input = dir.join("in.wav");
    let signal = test_signal(RATE as usize);
    write_wav(&input, RATE, &signal);

    // 32-bit float: exactly the input.
    let f32_out = dir.join("f32.wav");
    assert_success(
        &render_transparent(&input, &f32_out, &["--format", "f32"]),
        "f32",
    );
    let (spec, out) = read_wav(&f32_out);
    assert_eq!(
        (spec.sample_format, spec.bits_per_sample, spec.sample_rate),
        (hound::SampleFormat::Float, 32, RATE)
    );
    assert_eq!(out, signal, "a transparent render to float changes nothing");

    // 16 and 24 bit with TPDF dither: on the integer grid (hound reads integers), within the
    // dither's 1.5 LSB of the input; without dither, exactly the rounded input.
    for (format, bits) in [("s16", 16u16), ("s24", 24)] {
        let lsb = 1.0 / f64::from(1u32 << (bits - 1));
        for dither in ["tpdf", "off"] {
            let path = dir.join(&format!("{format}-{dither}.wav"));
            assert_success(
                &render_transparent(&input, &path, &["--format", format, "--dither", dither]),
                format,
            );
            let (spec, out) = read_wav(&path);
            assert_eq!(spec.bits_per_sample, bits);
            assert_eq!(spec.sample_format, hound::SampleFormat::Int);
            let bound = if dither == "off" { 0.5 } else { 1.5 } * lsb + 1e-9;
            let mut worst = 0.0f64;
            let mut rounded_exactly = true;
            for (a, b) in signal.iter().zip(&out) {
                assert_eq!(a.len(), b.len());
                for (x, y) in a.iter().zip(b) {
                    let err = (f64::from(*x) - f64::from(*y)).abs();
                    worst = worst.max(err);
                    rounded_exactly &= (f64::from(*x) / lsb).round() * lsb == f64::from(*y);
                }
            }
            assert!(worst <= bound, "{format} {dither}: error {worst} > {bound}");
            if dither == "off" {
                assert!(rounded_exactly, "{format} without dither is plain rounding");
            } else {
                assert!(
                    !rounded_exactly,
                    "{format} with dither differs from rounding"
                );
            }
            println!(
                "{format}, dither {dither}: largest error {:.3} LSB",
                worst / lsb
            );

            // FLAC of the same settings decodes (symphonia, MD5 verified) to the same samples.
            let flac = dir.join(&format!("{format}-{dither}.flac"));
            assert_success(
                &render_transparent(&input, &flac, &["--format", format, "--dither", dither]),
                "flac",
            );
            let decoded = decode::read(&flac).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(decoded.source.int_bits, Some(u32::from(bits)));
            assert_eq!(
                decoded.clip.channels, out,
                "{format} FLAC differs from the WAV"
            );
        }
    }
    // FLAC has no float samples.
    let bad = render_transparent(&input, &dir.join("x.flac"), &["--format", "f32"]);
    assert_failure_mentions(&bad, "f32 FLAC", &["FLAC", "s16 or s24"]);
    assert!(!dir.join("x.flac").exists());
    assert_no_temporaries(&dir.0);
}

#[test]
fn tags_of_the_input_carry_over_to_wav_and_flac() {
    let dir = TempDir::new("tags");
    let mp3 = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sine-1k.mp3");
    for name in ["tagged.wav", "tagged.flac"] {
        let out = dir.join(name);
        assert_success(&render_transparent(&mp3, &out, &["--format", "s24"]), name);
        let decoded = decode::read(&out).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decoded.tags.title.as_deref(), Some("Sine 1k"), "{name}");
        assert_eq!(decoded.tags.artist.as_deref(), Some("Glasswork"), "{name}");
    }
}

#[test]
fn rate_conversion_keeps_pitch_level_and_timing() {
    let dir = TempDir::new("rate");
    let input = dir.join("in44.wav");
    let frames = 44_100;
    write_wav(&input, 44_100, &[sine(44_100, 1000.0, 0.5, frames)]);
    let output = dir.join("out48.wav");
    assert_success(
        &render_transparent(&input, &output, &["--rate", "48000", "--format", "f32"]),
        "--rate 48000",
    );
    let (spec, out) = read_wav(&output);
    assert_eq!(spec.sample_rate, 48_000);
    // Mono feeds both inputs of the stereo plugin.
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].len(), 48_000, "ceil(44100 · 48000 / 44100) frames");
    let expected = sine(48_000, 1000.0, 0.5, 48_000);
    let (a, b) = (4_800, 43_200);
    let err = out[0][a..b]
        .iter()
        .zip(&expected[a..b])
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    // The same sine sampled at the new rate: frequency, level and phase (timing) all kept.
    assert!(
        err < 1e-4,
        "largest deviation from the ideal 48 kHz sine: {err}"
    );
    let freq = zero_crossing_frequency(&out[0][a..b], 48_000);
    println!("44.1 -> 48 kHz: largest deviation {err:.2e}, {freq:.4} Hz");
}

#[test]
fn bad_files_are_refused_with_a_reason_and_nothing_is_written() {
    let dir = TempDir::new("corrupt");
    let good = dir.join("good.wav");
    write_wav_int(&good, RATE, 16, &test_signal(RATE as usize));
    let bytes = std::fs::read(&good).expect("read");

    let garbage = dir.join("garbage.wav");
    std::fs::write(
        &garbage,
        (0..5000u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .expect("write");
    let text_file = dir.join("notes.mp3");
    std::fs::write(&text_file, "these are not the sounds you are looking for\n").expect("write");
    let truncated = dir.join("truncated.wav");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let empty = dir.join("empty.flac");
    std::fs::write(&empty, b"").expect("write");
    // A FLAC whose frames were damaged after encoding.
    let flac = dir.join("damaged.flac");
    assert_success(
        &render_transparent(&good, &flac, &["--format", "s16"]),
        "flac",
    );
    let mut damaged = std::fs::read(&flac).expect("read flac");
    let n = damaged.len();
    for b in &mut damaged[n / 2..n / 2 + 64] {
        *b ^= 0x5A;
    }
    std::fs::write(&flac, damaged).expect("write");
    let missing = dir.join("missing.wav");
    let directory = dir.join("a-directory.wav");
    std::fs::create_dir_all(&directory).expect("dir");

    let cases: [(&Path, &[&str]); 7] = [
        (&garbage, &["garbage.wav", "not a supported audio file"]),
        (&text_file, &["notes.mp3", "not a supported audio file"]),
        (&truncated, &["truncated.wav", "truncated"]),
        (&empty, &["empty.flac", "empty"]),
        (&flac, &["damaged.flac", "corrupt"]),
        (&missing, &["missing.wav", "no such file"]),
        (&directory, &["a-directory.wav", "directory"]),
    ];
    let out_dir = dir.join("out");
    for (input, needles) in cases {
        for command in [
            vec!["loudness", path_str(input)],
            vec![
                "chain",
                "comp(ratio=1)",
                path_str(input),
                "-o",
                path_str(&out_dir),
            ],
            vec![
                "render",
                "comp",
                path_str(input),
                "-o",
                path_str(&out_dir.join("x.wav")),
            ],
        ] {
            let what = format!("{} on {}", command[0], input.display());
            assert_failure_mentions(&glass(&command), &what, needles);
            assert!(
                dir.list("out").is_empty(),
                "{what}: wrote {:?}",
                dir.list("out")
            );
        }
    }
    assert_no_temporaries(&dir.0);
}

#[test]
fn loudness_reports_closed_form_figures() {
    let dir = TempDir::new("loudness");
    // A stereo 997 Hz sine at 0.1 peak per channel: each channel's mean square is 0.005, the
    // two add to 0.01 = -20 dB, K-weighting (+0.691 dB at 997 Hz) cancels BS.1770's -0.691
    // offset: -20.00 LUFS, every window alike, LRA 0, true peak -20 dBTP, PLR 0.
    let steady = dir.join("steady.wav");
    let tone = sine(RATE, 997.0, 0.1, 10 * RATE as usize);
    write_wav(&steady, RATE, &[tone.clone(), tone]);
    // 10 s at -20 LUFS then 10 s at -30 LUFS: the short-term values split between the two
    // levels, so the 10th and 95th percentiles lie 10 LU apart.
    let steps = dir.join("steps.wav");
    let mut two: Vec<f32> = sine(RATE, 997.0, 0.1, 20 * RATE as usize);
    for x in &mut two[10 * RATE as usize..] {
        *x *= 10f32.powf(-0.5);
    }
    write_wav(&steps, RATE, &[two.clone(), two]);
    let plot = dir.join("plot.png");
    let out = glass(&[
        "loudness",
        "--json",
        "--plot",
        path_str(&plot),
        "--target",
        "ebu",
        path_str(&steady),
        path_str(&steps),
    ]);
    assert_success(&out, "loudness --json --plot");
    let reports: serde_json::Value = serde_json::from_str(&text(&out.stdout)).expect("json");
    let field = |i: usize, name: &str| reports[i][name].as_f64().unwrap_or(f64::NAN);
    for (name, expected, tolerance) in [
        ("integrated_lufs", -20.0, 0.02),
        ("momentary_max_lufs", -20.0, 0.02),
        ("short_term_max_lufs", -20.0, 0.02),
        ("loudness_range_lu", 0.0, 0.05),
        ("true_peak_dbtp", -20.0, 0.05),
        ("sample_peak_dbfs", -20.0, 0.01),
        ("plr_db", 0.0, 0.06),
        ("duration_s", 10.0, 1e-9),
    ] {
        let got = field(0, name);
        assert!(
            (got - expected).abs() <= tolerance,
            "steady {name}: {got}, expected {expected} ± {tolerance}"
        );
    }
    let lra = field(1, "loudness_range_lu");
    assert!(
        (lra - 10.0).abs() < 0.3,
        "two-level LRA {lra}, expected 10 LU"
    );
    // Integrated: the -30 LUFS half survives the -10 LU relative gate (gate at about -32.4),
    // so it is the energy mean: 10·log10((1 + 0.1) / 2) - 20 = -22.60 LUFS.
    let i = field(1, "integrated_lufs");
    assert!((i + 22.60).abs() < 0.05, "two-level integrated {i}");
    println!(
        "steady: {}\nsteps: LRA {lra:.2} LU, integrated {i:.2} LUFS",
        reports[0]
    );

    // The plot is a PNG of one 1200 × 380 panel per file.
    let png = std::fs::read(&plot).expect("plot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1200, 760));

    // The plain report shows the same figures, and the distance to the target.
    let out = glass(&["loudness", "--target", "ebu", path_str(&steady)]);
    assert_success(&out, "loudness");
    let report = text(&out.stdout);
    for needle in [
        "integrated",
        "-20.0 LUFS",
        "+3.0 LU from ebu -23 LUFS",
        "true peak",
        "PLR",
    ] {
        assert!(
            report.contains(needle),
            "{needle:?} missing from:\n{report}"
        );
    }
}

#[test]
fn plugins_are_listed_once_with_the_copies_not_used() {
    let dir = TempDir::new("dedupe");
    let build = glass::discovery::build_dir().expect("target dir");
    let lib = glass::discovery::cdylib_path(&build, "glass_limit");
    std::fs::copy(&lib, dir.join("copy.clap")).expect("copy the limiter");
    let out = glass(&["plugins", "--path", path_str(&dir.0)]);
    assert_success(&out, "glass plugins --path");
    let listing = text(&out.stdout);
    assert_eq!(
        listing.matches("[audio.glasswork.limit]").count(),
        1,
        "one entry per plugin id:\n{listing}"
    );
    let block: Vec<&str> = listing
        .lines()
        .skip_while(|l| !l.contains("[audio.glasswork.limit]"))
        .take(4)
        .collect();
    assert!(
        block[1].contains("copy.clap") && block[1].contains("--path"),
        "{block:?}"
    );
    assert!(
        block[2].contains("also in") && block[2].contains("build output"),
        "{block:?}"
    );
}
