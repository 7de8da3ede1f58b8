//! `glass render verb` end to end through the built plugin binary: the tail
//! is rendered out to the length the plugin reports, and the decay in the
//! written file is what the knob says (T30 by Schroeder's backward
//! integration in the 1 kHz octave band, within 5 %).

mod cli_support;

use cli_support::*;
use glass_dsp::biquad::{Biquad, BiquadCoefs};
use glass_dsp::decay_analysis::schroeder_t30;
use glass_dsp::reverb::{Reverb, ReverbParams};

const RATE: u32 = 48_000;

#[test]
fn the_reverb_tail_is_rendered_and_decays_as_set() {
    let dir = TempDir::new("verb");
    let input = dir.join("click.wav");
    let frames = RATE as usize / 2;
    let at = 100;
    let mut channel = vec![0.0f32; frames];
    channel[at] = 0.5;
    write_wav(&input, RATE, &[channel.clone(), channel]);
    let output = dir.join("room.wav");
    let decay_s = 1.5;
    let out = glass(&[
        "render",
        "verb",
        path_str(&input),
        "-o",
        path_str(&output),
        "--set",
        "mix=100",
        "--set",
        &format!("decay={decay_s}"),
        "--set",
        "early/late=100",
        "--set",
        "pre-delay=0",
        "--format",
        "f32",
    ]);
    assert_success(&out, "render verb");
    let (_, rendered) = read_wav(&output);

    // The file holds the input plus the tail the plugin reports: 1.5 × the
    // decay to fall 90 dB, after the early pattern and the longest line.
    let p = ReverbParams {
        decay_s,
        pre_delay_ms: 0.0,
        ..ReverbParams::default()
    };
    let tail = Reverb::tail_samples(&p, RATE as f32).expect("a finite tail");
    assert_eq!(rendered[0].len(), frames + tail, "input plus the tail");

    // The decay measured in the written file, 1 kHz octave band.
    let c = BiquadCoefs::bandpass(RATE as f32, 1_000.0, std::f32::consts::SQRT_2);
    let (mut a, mut b) = (Biquad::new(c), Biquad::new(c));
    let band: Vec<f32> = rendered[0][at..]
        .iter()
        .map(|&v| b.process(a.process(v)))
        .collect();
    let t30 = schroeder_t30(&band, RATE as f32).expect("a decay to fit");
    println!("decay set {decay_s} s, measured in the file {t30:.3} s");
    assert!(
        (t30 / decay_s - 1.0).abs() < 0.05,
        "T30 {t30:.3} s for a set decay of {decay_s} s"
    );
}
