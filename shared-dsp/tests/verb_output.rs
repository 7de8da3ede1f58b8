//! Glasswork Verb's output stage: bypass fades to the exact dry signal
//! without a step, the wet meter reads the wet signal, and both follow the
//! fixed control grid rather than the host's blocks.

use glass_dsp::reverb::{Reverb, ReverbParams};

const FS: f32 = 48_000.0;

/// A 220 Hz sine at −6 dBFS, `n` samples, the right side a little lower.
fn tone(n: usize) -> (Vec<f32>, Vec<f32>) {
    let l: Vec<f32> = (0..n)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 220.0 * i as f32 / FS).sin())
        .collect();
    let r = l.iter().map(|v| v * 0.8).collect();
    (l, r)
}

/// Runs `l`/`r` through a reverb in blocks of `block`, switching to
/// `later` at sample `switch_at` (rounded to the block the host would be
/// in).
fn run(
    first: &ReverbParams,
    later: &ReverbParams,
    switch_at: usize,
    block: usize,
    l: &mut [f32],
    r: &mut [f32],
) {
    let mut verb = Reverb::new();
    verb.set_params(first);
    verb.prepare(FS, block, 2);
    let mut pos = 0;
    while pos < l.len() {
        let n = block.min(l.len() - pos);
        if pos >= switch_at {
            verb.set_params(later);
        }
        verb.process(&mut [&mut l[pos..pos + n], &mut r[pos..pos + n]]);
        pos += n;
    }
}

#[test]
fn bypass_fades_to_the_dry_signal_without_a_step() {
    let n = (FS * 1.5) as usize;
    let (dry_l, dry_r) = tone(n);
    let on = ReverbParams {
        mix: 0.5,
        ..ReverbParams::default()
    };
    let off = ReverbParams { bypass: true, ..on };
    let (mut l, mut r) = (dry_l.clone(), dry_r.clone());
    let switch = FS as usize; // one second in, the tail well built up
    run(&on, &off, switch, 64, &mut l, &mut r);

    // Before the switch the reverb is heard.
    let heard = l[switch - 4_800..switch]
        .iter()
        .zip(&dry_l[switch - 4_800..switch])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(heard > 0.01, "wet not heard before bypass: {heard}");
    // From 10 ms (the fade) plus one control period after the switch the
    // output is the dry input, sample for sample.
    let settled = switch + (FS * 0.010) as usize + 32;
    for (k, ((a, b), (c, d))) in l[settled..]
        .iter()
        .zip(&r[settled..])
        .zip(dry_l[settled..].iter().zip(&dry_r[settled..]))
        .enumerate()
    {
        assert_eq!((a, b), (c, d), "not dry at {}", settled + k);
    }
    // No step during the fade: the largest sample-to-sample change of the
    // output difference (output − dry) is no larger than the wet signal's
    // own largest change before the switch.
    let diff: Vec<f32> = l.iter().zip(&dry_l).map(|(a, b)| a - b).collect();
    let slope = |s: &[f32]| {
        s.windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0f32, f32::max)
    };
    let before = slope(&diff[switch - 4_800..switch]);
    let during = slope(&diff[switch..settled]);
    assert!(during <= before * 1.05, "step {during} vs wet {before}");
}

#[test]
fn bypass_is_block_size_independent() {
    let n = 24_000;
    let on = ReverbParams::default();
    let off = ReverbParams { bypass: true, ..on };
    let render = |block: usize| {
        let (mut l, mut r) = tone(n);
        // The host applies the change at the first block at or after
        // sample 9_600; keep that sample on every block grid used.
        run(&on, &off, 9_600, block, &mut l, &mut r);
        l.extend(r);
        l
    };
    let reference = render(1);
    for block in [32, 64, 480] {
        let other = render(block);
        assert!(
            other
                .iter()
                .zip(&reference)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "block {block}"
        );
    }
}

#[test]
fn wet_meter_reads_the_wet_signal() {
    // Fully wet, no ducking: the output is the wet signal, so its peak is
    // what the meter must read.
    let p = ReverbParams {
        mix: 1.0,
        ..ReverbParams::default()
    };
    let mut verb = Reverb::new();
    verb.set_params(&p);
    verb.prepare(FS, 512, 2);
    let (mut l, mut r) = tone(48_000);
    let mut peaks = [0.0f32; 2];
    let mut out = [0.0f32; 2];
    for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
        verb.process(&mut [&mut *a, &mut *b]);
        let got = verb.take_wet_peaks();
        for c in 0..2 {
            peaks[c] = peaks[c].max(got[c]);
        }
        out[0] = a.iter().fold(out[0], |m, v| m.max(v.abs()));
        out[1] = b.iter().fold(out[1], |m, v| m.max(v.abs()));
    }
    assert!(out[0] > 0.01);
    for c in 0..2 {
        assert!(
            (peaks[c] - out[c]).abs() <= 1e-6 * out[c],
            "{peaks:?} vs {out:?}"
        );
    }
    // Taking the peaks starts over.
    assert_eq!(verb.take_wet_peaks(), [0.0, 0.0]);
}
