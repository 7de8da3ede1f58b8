//! CLAP conformance of every built Glasswork plugin, loaded through the CLAP ABI exactly as a
//! host would load it (never through the plugins' Rust types).
//!
//! The binaries are the debug builds next to this test executable. Build them first, with the
//! allocation checker on so any allocation inside `process()` aborts the run:
//!
//! ```text
//! cargo build -p glass-limit --features glass-limit/assert_process_allocs
//! cargo test -p glass --test clap_conformance --features glass-limit/assert_process_allocs
//! ```

mod common;

use common::{for_each_target, MAX_BLOCK};
use glass::render::{render, BlockPlan};
use glass::rng::Rng;
use glass::signal::{db_to_gain, last_non_finite, noise, peak, peak_index};
use glass::{ParamChange, ParamInfo, Plugin, Tail};

/// The loudest sample any check tolerates: +24 dBFS.
const MAX_PEAK_DB: f64 = 24.0;

/// Noise on every main-input channel, each channel from its own seed.
fn noise_input(plugin: &Plugin, frames: usize, gain: f32, seed: u64) -> Vec<Vec<f32>> {
    (0..plugin.layout().main_input_channels())
        .map(|c| noise(&mut Rng::new(seed + c as u64), frames, gain))
        .collect()
}

fn silence(plugin: &Plugin, frames: usize) -> Vec<Vec<f32>> {
    vec![vec![0.0; frames]; plugin.layout().main_input_channels()]
}

fn seconds(sample_rate: f64, s: f64) -> usize {
    (sample_rate * s).round() as usize
}

/// Asserts every sample of `output` is finite and at most +24 dBFS.
fn assert_finite_and_bounded(output: &[Vec<f32>], at: &str) {
    let limit = db_to_gain(MAX_PEAK_DB) as f32;
    for (c, channel) in output.iter().enumerate() {
        if let Some(i) = channel.iter().position(|x| !x.is_finite()) {
            panic!("{at}: channel {c} sample {i} is {}", channel[i]);
        }
        if let Some(i) = channel.iter().position(|x| x.abs() > limit) {
            panic!(
                "{at}: channel {c} sample {i} is {} (above +{MAX_PEAK_DB} dBFS)",
                channel[i]
            );
        }
    }
}

fn render_or_panic(
    plugin: &mut Plugin,
    input: &[Vec<f32>],
    plan: &BlockPlan,
    events: &[ParamChange],
    at: &str,
) -> Vec<Vec<f32>> {
    render(plugin, input, plan, events).unwrap_or_else(|e| panic!("{at}: {e}"))
}

/// A valid random value for `param`: an integer for stepped parameters.
fn random_value(param: &ParamInfo, rng: &mut Rng) -> f64 {
    if param.is_stepped() {
        param.lerp(rng.next_f64())
    } else {
        rng.uniform(param.min, param.max)
    }
}

fn writable_params(plugin: &mut Plugin) -> Vec<ParamInfo> {
    plugin
        .params()
        .into_iter()
        .filter(|p| !p.is_readonly())
        .collect()
}

fn param_values(plugin: &mut Plugin, params: &[ParamInfo], at: &str) -> Vec<f64> {
    params
        .iter()
        .map(|p| {
            plugin
                .param_value(p.id)
                .unwrap_or_else(|e| panic!("{at}: {} ({}): {e}", p.name, p.id))
        })
        .collect()
}

#[test]
fn instantiate_and_destroy_50_times() {
    for_each_target(|t| {
        for _ in 0..50 {
            drop(t.instantiate());
        }
        for round in 0..50 {
            let mut plugin = t.activated(48_000.0);
            // Alternate explicit deactivation with destruction of an active instance.
            if round % 2 == 0 {
                plugin.deactivate();
            }
        }
    });
}

#[test]
fn processes_noise_at_every_sample_rate() {
    for_each_target(|t| {
        for sample_rate in [22_050.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0] {
            let plan = BlockPlan::Fixed(512);
            let at = t.at("noise at every sample rate", sample_rate, &plan);
            let mut plugin = t.activated(sample_rate);
            let input = noise_input(&plugin, seconds(sample_rate, 1.0), 0.5, 1);
            let output = render_or_panic(&mut plugin, &input, &plan, &[], &at);
            assert_finite_and_bounded(&output, &at);
        }
    });
}

#[test]
fn processes_any_block_size() {
    for_each_target(|t| {
        let sample_rate = 48_000.0;
        let plans = [
            BlockPlan::Fixed(1),
            BlockPlan::Fixed(7),
            BlockPlan::Fixed(64),
            BlockPlan::Fixed(512),
            BlockPlan::Fixed(4096),
            BlockPlan::Random {
                seed: 3,
                min: 1,
                max: MAX_BLOCK as usize,
            },
            // Empty process() calls between real ones.
            BlockPlan::Sequence(vec![0, 64, 0, 0, 1, 4096, 0, 300]),
        ];
        for plan in &plans {
            let at = t.at("block sizes", sample_rate, plan);
            let mut plugin = t.activated(sample_rate);
            let input = noise_input(&plugin, seconds(sample_rate, 1.0), 0.5, 2);
            let output = render_or_panic(&mut plugin, &input, plan, &[], &at);
            assert_finite_and_bounded(&output, &at);
        }

        let plan = BlockPlan::Fixed(0);
        let at = t.at("a lone 0-sample process() call", sample_rate, &plan);
        let mut plugin = t.activated(sample_rate);
        let inputs = plugin.layout().main_input_channels();
        let outputs = plugin.layout().main_output_channels();
        let status = plugin
            .run(|audio| {
                let input: Vec<&[f32]> = vec![&[]; inputs];
                let mut output: Vec<&mut [f32]> = (0..outputs).map(|_| &mut [][..]).collect();
                audio.process(&input, &mut output, [])
            })
            .unwrap_or_else(|e| panic!("{at}: {e}"));
        assert!(status.is_ok(), "{at}: {status:?}");
    });
}

#[test]
fn silence_in_gives_silence_after_the_tail() {
    for_each_target(|t| {
        let sample_rate = 48_000.0;
        let plan = BlockPlan::Fixed(512);
        let at = t.at("silence", sample_rate, &plan);
        let mut plugin = t.activated(sample_rate);
        let latency = plugin.latency() as usize;
        let tail = plugin
            .run(|audio| {
                let channels = audio.input_channels();
                let zeros = vec![0.0f32; 512];
                let input: Vec<&[f32]> = vec![&zeros; channels];
                let mut out = vec![vec![0.0f32; 512]; audio.output_channels()];
                let mut output: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[..]).collect();
                audio.process(&input, &mut output, [])?;
                Ok::<_, glass::HostError>(audio.tail())
            })
            .and_then(|r| r)
            .unwrap_or_else(|e| panic!("{at}: {e}"));
        // The check waits out the reported tail; plugins reporting none (or an endless one) get
        // one second.
        let wait = match tail {
            Tail::Finite(n) if n > 0 => n as usize,
            _ => seconds(sample_rate, 1.0),
        };
        let window = seconds(sample_rate, 0.1);
        let frames = latency + wait + window;
        let input = silence(&plugin, frames);
        let output = render_or_panic(&mut plugin, &input, &plan, &[], &at);
        assert_finite_and_bounded(&output, &at);
        let floor = db_to_gain(-100.0) as f32;
        for (c, channel) in output.iter().enumerate() {
            let last = peak(&channel[frames - window..]);
            assert!(
                last < floor,
                "{at}: channel {c} still at {last:e} ({:.1} dBFS) in the last 100 ms after \
                 latency {latency} + tail {tail:?} (waited {wait} samples); expected below -100 dBFS",
                20.0 * f64::from(last).log10()
            );
        }
    });
}

#[test]
fn white_noise_stays_finite_and_bounded() {
    for_each_target(|t| {
        let sample_rate = 48_000.0;
        let plan = BlockPlan::Fixed(512);
        let at = t.at("0 dBFS white noise", sample_rate, &plan);
        let mut plugin = t.activated(sample_rate);
        let input = noise_input(&plugin, seconds(sample_rate, 2.0), 1.0, 5);
        let output = render_or_panic(&mut plugin, &input, &plan, &[], &at);
        assert_finite_and_bounded(&output, &at);
    });
}

#[test]
fn recovers_from_nan_and_inf_input() {
    for_each_target(|t| {
        let sample_rate = 48_000.0;
        let plan = BlockPlan::Fixed(512);
        let at = t.at("NaN/inf burst", sample_rate, &plan);
        let mut plugin = t.activated(sample_rate);
        let latency = plugin.latency() as usize;
        let burst_start = seconds(sample_rate, 0.5);
        let burst_end = burst_start + 64;
        let frames = burst_end + seconds(sample_rate, 2.0);
        let mut input = noise_input(&plugin, frames, 0.5, 6);
        let poison = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
        for (c, channel) in input.iter_mut().enumerate() {
            for (i, x) in channel[burst_start..burst_end].iter_mut().enumerate() {
                *x = poison[(i + c) % poison.len()];
            }
        }
        let output = render_or_panic(&mut plugin, &input, &plan, &[], &at);
        // Finite input reaches the output `latency` samples after it goes in.
        let deadline = burst_end + latency + seconds(sample_rate, 1.0);
        for (c, channel) in output.iter().enumerate() {
            if let Some(i) = last_non_finite(channel) {
                assert!(
                    i < deadline,
                    "{at}: channel {c} sample {i} is {} — still non-finite more than 1 s after \
                     the burst ended at {burst_end} (latency {latency})",
                    channel[i]
                );
            }
        }
        let settled: Vec<Vec<f32>> = output.iter().map(|c| c[deadline..].to_vec()).collect();
        assert_finite_and_bounded(&settled, &format!("{at}, from 1 s after the burst"));
    });
}

#[test]
fn state_restores_every_parameter_exactly() {
    for_each_target(|t| {
        let sample_rate = 48_000.0;
        let plan = BlockPlan::Fixed(512);
        let at = t.at("state", sample_rate, &plan);
        let mut plugin = t.activated(sample_rate);
        let params = writable_params(&mut plugin);
        let mut rng = Rng::new(77);

        // Set every parameter through process() events ...
        let events: Vec<ParamChange> = params
            .iter()
            .map(|p| ParamChange {
                time: 0,
                id: p.id,
                value: random_value(p, &mut rng),
            })
            .collect();
        let input = noise_input(&plugin, 2048, 0.25, 7);
        render_or_panic(&mut plugin, &input, &plan, &events, &at);
        let saved_values = param_values(&mut plugin, &params, &at);
        let state = plugin
            .save_state()
            .unwrap_or_else(|e| panic!("{at}: save: {e}"));

        // ... scramble them through params.flush ...
        let scramble: Vec<ParamChange> = params
            .iter()
            .map(|p| ParamChange {
                time: 0,
                id: p.id,
                value: random_value(p, &mut rng),
            })
            .collect();
        plugin
            .flush_params(&scramble)
            .unwrap_or_else(|e| panic!("{at}: flush: {e}"));
        let scrambled = param_values(&mut plugin, &params, &at);
        if params.iter().any(|p| !p.is_stepped()) {
            assert_ne!(
                scrambled, saved_values,
                "{at}: params.flush changed no parameter, the check below would prove nothing"
            );
        }

        // ... and load: the active instance and a fresh one must both come back exactly.
        plugin
            .load_state(&state)
            .unwrap_or_else(|e| panic!("{at}: load: {e}"));
        let mut fresh = t.instantiate();
        fresh
            .load_state(&state)
            .unwrap_or_else(|e| panic!("{at}: load into a fresh instance: {e}"));
        for (which, instance) in [
            ("same instance", &mut plugin),
            ("fresh instance", &mut fresh),
        ] {
            let restored = param_values(instance, &params, &at);
            for ((p, saved), got) in params.iter().zip(&saved_values).zip(&restored) {
                assert!(
                    saved.to_bits() == got.to_bits(),
                    "{at}, {which}: parameter {:?} (id {}) saved as {saved:?}, restored as {got:?}",
                    p.name,
                    p.id
                );
            }
        }

        // Broken state must be rejected or ignored, leaving a working plugin with valid values.
        let mut garbage = vec![0u8; 1024];
        garbage.iter_mut().for_each(|b| *b = rng.next_u64() as u8);
        let mut huge_length = state.clone();
        for b in huge_length.iter_mut().take(8) {
            *b = 0xff;
        }
        let broken: [(&str, &[u8]); 4] = [
            ("empty", &[]),
            ("truncated", &state[..state.len() / 2]),
            ("garbage", &garbage),
            ("corrupt header", &huge_length),
        ];
        for (what, bytes) in broken {
            let _ = plugin.load_state(bytes);
            for p in &params {
                let v = plugin
                    .param_value(p.id)
                    .unwrap_or_else(|e| panic!("{at}, after {what} state: {}: {e}", p.name));
                assert!(
                    v.is_finite() && v >= p.min && v <= p.max,
                    "{at}, after loading {what} state: {:?} = {v} outside [{}, {}]",
                    p.name,
                    p.min,
                    p.max
                );
            }
            let output = render_or_panic(&mut plugin, &input, &plan, &[], &at);
            assert_finite_and_bounded(&output, &format!("{at}, after loading {what} state"));
        }
    });
}

#[test]
fn impulse_peak_lands_at_the_reported_latency() {
    for_each_target(|t| {
        for sample_rate in [44_100.0, 48_000.0, 96_000.0] {
            let plan = BlockPlan::Fixed(512);
            let at = t.at("latency", sample_rate, &plan);
            let mut plugin = t.activated(sample_rate);
            let latency = plugin.latency() as usize;
            let onset = seconds(sample_rate, 0.1);
            let frames = onset + latency + seconds(sample_rate, 0.2);
            let mut input = silence(&plugin, frames);
            for channel in &mut input {
                channel[onset] = 0.25;
            }
            let output = render_or_panic(&mut plugin, &input, &plan, &[], &at);
            assert_finite_and_bounded(&output, &at);
            for (c, channel) in output.iter().enumerate() {
                let found = peak_index(channel);
                assert_eq!(
                    found,
                    Some(onset + latency),
                    "{at}: channel {c}: impulse at {onset} peaks at {found:?} (value {:?}); \
                     reported latency {latency}",
                    found.map(|i| channel[i])
                );
            }
        }
    });
}

/// Every parameter at its minimum and at its maximum: once the host has served
/// the restart a latency change asks for, the reported latency must again be
/// where an impulse comes out (a lookahead or a linear-phase length changes it).
#[test]
fn reported_latency_follows_every_parameter() {
    for_each_target(|t| {
        let sample_rate = 48_000.0;
        let plan = BlockPlan::Fixed(256);
        let params = writable_params(&mut t.activated(sample_rate));
        for param in &params {
            for value in [param.min, param.max] {
                let at = format!(
                    "{}, {} = {value}",
                    t.at("latency after a change", sample_rate, &plan),
                    param.name
                );
                let mut plugin = t.activated(sample_rate);
                let set = [ParamChange {
                    time: 0,
                    id: param.id,
                    value,
                }];
                let warm = silence(&plugin, seconds(sample_rate, 0.02));
                render_or_panic(&mut plugin, &warm, &plan, &set, &at);
                let latency = plugin.latency() as usize;
                let onset = seconds(sample_rate, 0.05);
                let frames = onset + latency + seconds(sample_rate, 0.1);
                let mut input = silence(&plugin, frames);
                for channel in &mut input {
                    channel[onset] = 0.25;
                }
                let output = render_or_panic(&mut plugin, &input, &plan, &[], &at);
                // Fully wet, there is no direct path whose peak marks the latency:
                // what comes out is the effect's own response (a reverb's early
                // reflections, an echo's repeats), peaking where the room puts it.
                let direct_path = !(param.name == "Mix" && value >= param.max);
                for (c, channel) in output.iter().enumerate().filter(|_| direct_path) {
                    // Some settings leave nothing of a lone impulse (e.g. listening
                    // to what a limiter removes); where it comes out, it must come
                    // out at the reported latency.
                    if let Some(found) = peak_index(channel).filter(|&i| channel[i].abs() > 1e-3) {
                        assert_eq!(
                            found,
                            onset + latency,
                            "{at}: channel {c}: impulse at {onset} peaks at {found}; reported \
                             latency {latency}"
                        );
                    }
                }
                // A change made in process() is announced by requesting a
                // restart, never by `latency.changed` outside activate().
                assert!(
                    !plugin.latency_changed_outside_activate(),
                    "{at}: clap_host_latency::changed called outside activate()"
                );
            }
        }
    });
}

#[test]
fn bypass_passes_input_delayed_by_latency() {
    for_each_target(|t| {
        let sample_rate = 48_000.0;
        let plan = BlockPlan::Fixed(512);
        let at = t.at("bypass", sample_rate, &plan);
        let mut plugin = t.activated(sample_rate);
        let params = plugin.params();
        let bypass = params
            .iter()
            .find(|p| p.is_bypass())
            .unwrap_or_else(|| panic!("{at}: no parameter flagged CLAP_PARAM_IS_BYPASS"))
            .clone();
        let latency = plugin.latency() as usize;
        // Full-scale noise: anything but a true bypass would change it.
        let input = noise_input(&plugin, seconds(sample_rate, 1.0), 1.0, 9);
        let on = [ParamChange {
            time: 0,
            id: bypass.id,
            value: bypass.max,
        }];
        let output = render_or_panic(&mut plugin, &input, &plan, &on, &at);
        assert_eq!(
            plugin.latency() as usize,
            latency,
            "{at}: bypass changed the reported latency"
        );
        let settle = seconds(sample_rate, 0.1);
        for (c, (out, inp)) in output.iter().zip(&input).enumerate() {
            for n in settle.max(latency)..out.len() {
                let expected = inp[n - latency];
                assert!(
                    (out[n] - expected).abs() <= 1e-6,
                    "{at}: channel {c} sample {n}: bypassed output {} differs from input {} \
                     delayed by the latency {latency}",
                    out[n],
                    expected
                );
            }
        }
    });
}

#[test]
fn output_does_not_depend_on_block_size() {
    for_each_target(|t| {
        let sample_rate = 48_000.0;
        let mut plugin = t.activated(sample_rate);
        let frames = seconds(sample_rate, 2.0);
        let segment = seconds(sample_rate, 0.25);
        let levels_db = [-30.0, -6.0, 6.0, -20.0, 12.0, 0.0, -40.0, 3.0];
        let mut input = noise_input(&plugin, frames, 1.0, 10);
        for channel in &mut input {
            for (i, x) in channel.iter_mut().enumerate() {
                *x *= db_to_gain(levels_db[(i / segment) % levels_db.len()]) as f32;
            }
        }
        let plans = [
            BlockPlan::Fixed(1),
            BlockPlan::Fixed(64),
            BlockPlan::Fixed(4096),
            BlockPlan::Random {
                seed: 12,
                min: 1,
                max: MAX_BLOCK as usize,
            },
        ];
        let reference_at = t.at("block-size independence", sample_rate, &plans[0]);
        let reference = render_or_panic(&mut plugin, &input, &plans[0], &[], &reference_at);
        assert_finite_and_bounded(&reference, &reference_at);
        for plan in &plans[1..] {
            let at = t.at("block-size independence", sample_rate, plan);
            let output = render_or_panic(&mut plugin, &input, plan, &[], &at);
            for (c, (a, b)) in reference.iter().zip(&output).enumerate() {
                if let Some(i) = (0..a.len()).find(|&i| a[i].to_bits() != b[i].to_bits()) {
                    panic!(
                        "{at}: channel {c} sample {i} is {} but {} with blocks of 1",
                        b[i], a[i]
                    );
                }
            }
        }
    });
}

#[test]
fn survives_sweeping_every_parameter() {
    for_each_target(|t| {
        let sample_rate = 48_000.0;
        let plan = BlockPlan::Fixed(512);
        let at = t.at("parameter sweep", sample_rate, &plan);
        let mut plugin = t.activated(sample_rate);
        let params = writable_params(&mut plugin);
        let sweep = seconds(sample_rate, 1.0);
        let steps = sweep / 32;
        let events: Vec<ParamChange> = (0..=steps)
            .flat_map(|k| {
                params.iter().map(move |p| ParamChange {
                    time: (k * 32) as u64,
                    id: p.id,
                    value: p.lerp(k as f64 / steps as f64),
                })
            })
            .collect();
        let input = noise_input(&plugin, sweep + seconds(sample_rate, 0.25), 0.5, 11);
        let output = render_or_panic(&mut plugin, &input, &plan, &events, &at);
        assert_finite_and_bounded(&output, &at);
    });
}
