//! `cargo xtask`: build, bundle, install, test and look at the plugins.
//!
//! - `cargo xtask bundle <pkg> [--release]`: nice-plug's bundler (CLAP + VST3).
//! - `cargo xtask install`: release bundles of every plugin, copied to
//!   `~/.clap` and `~/.vst3` (where Linux hosts look), listed as installed.
//! - `cargo xtask test [cargo test args]`: builds every plugin binary with
//!   allocation checks in `process()` and runs the whole test suite, including
//!   the CLAP conformance tests that load those binaries.
//! - `cargo xtask screenshot <plugin> [out.png]`: grabs the plugin's real
//!   editor window (standalone build, dummy audio backend, Xvfb) as a PNG.
//! - `cargo xtask snapshot <plugin> [out.png]`: renders the editor without a
//!   window, with the DSP engine running on a demo mix (each plugin's
//!   `snapshot` example), for the README.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

/// Every plugin package. Adding a plugin here puts it in `install`, `test`
/// and `screenshot`.
const PLUGINS: &[(&str, &str)] = &[
    ("glass-limit", "Glasswork Limit"),
    ("glass-comp", "Glasswork Comp"),
    ("glass-echo", "Glasswork Echo"),
    ("glass-verb", "Glasswork Verb"),
    ("glass-tune", "Glasswork Tune"),
    ("glass-eq", "Glasswork EQ"),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("install") => install(),
        Some("test") => test(&args[1..]),
        Some("screenshot") => screenshot(&args[1..]),
        Some("snapshot") => snapshot(&args[1..]),
        Some("bundle-all") => bundle_all(&args[1..]),
        _ => nice_plug_xtask::main_with_args("cargo xtask", args).map_err(|e| format!("{e:#}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> Result<PathBuf, String> {
    nice_plug_xtask::chdir_workspace_root().map_err(|e| format!("{e:#}"))?;
    std::env::current_dir().map_err(|e| e.to_string())
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("could not run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status})"))
    }
}

fn bundle_all(extra: &[String]) -> Result<(), String> {
    workspace_root()?;
    let mut args = vec!["bundle".to_owned()];
    for (pkg, _) in PLUGINS {
        args.push("-p".to_owned());
        args.push((*pkg).to_owned());
    }
    args.extend(extra.iter().cloned());
    nice_plug_xtask::main_with_args("cargo xtask", args).map_err(|e| format!("{e:#}"))
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &dest)?;
        } else {
            std::fs::copy(&path, &dest).map_err(|e| {
                format!("cannot copy {} to {}: {e}", path.display(), dest.display())
            })?;
        }
    }
    Ok(())
}

fn install() -> Result<(), String> {
    let root = workspace_root()?;
    bundle_all(&["--release".to_owned()])?;
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .ok_or("HOME is not set; cannot find ~/.clap and ~/.vst3")?;
    let bundled = target_dir(&root).join("bundled");
    let clap_dir = home.join(".clap");
    let vst3_dir = home.join(".vst3");
    std::fs::create_dir_all(&clap_dir)
        .map_err(|e| format!("cannot create {}: {e}", clap_dir.display()))?;
    std::fs::create_dir_all(&vst3_dir)
        .map_err(|e| format!("cannot create {}: {e}", vst3_dir.display()))?;
    for (_, name) in PLUGINS {
        let clap = bundled.join(format!("{name}.clap"));
        let clap_dest = clap_dir.join(format!("{name}.clap"));
        std::fs::copy(&clap, &clap_dest)
            .map_err(|e| format!("cannot install {}: {e}", clap.display()))?;
        println!("installed {}", clap_dest.display());
        let vst3 = bundled.join(format!("{name}.vst3"));
        let vst3_dest = vst3_dir.join(format!("{name}.vst3"));
        if vst3_dest.exists() {
            std::fs::remove_dir_all(&vst3_dest)
                .map_err(|e| format!("cannot replace {}: {e}", vst3_dest.display()))?;
        }
        copy_dir(&vst3, &vst3_dest)?;
        println!("installed {}", vst3_dest.display());
    }
    Ok(())
}

fn check_features() -> Vec<String> {
    PLUGINS
        .iter()
        .map(|(pkg, _)| format!("{pkg}/assert_process_allocs"))
        .collect()
}

fn test(extra: &[String]) -> Result<(), String> {
    let root = workspace_root()?;
    let features = check_features().join(",");
    // The conformance tests load the plugin binaries, so build them first,
    // with the same features as the test build (one compilation serves both).
    let mut build = Command::new("cargo");
    build.arg("build");
    for (pkg, _) in PLUGINS {
        build.args(["-p", pkg]);
    }
    build.args(["--features", &features]);
    run(&mut build)?;
    // The plugins' own log (nice-plug's warnings, e.g. one line per
    // notification it drops under audio-rate automation) goes to a file
    // instead of flooding the test output.
    let log = target_dir(&root).join("plugin-tests.log");
    let _ = std::fs::remove_file(&log);
    let mut test = Command::new("cargo");
    test.args(["test", "--workspace", "--features", &features]);
    test.args(extra);
    test.env("NICE_LOG", &log);
    let result = run(&mut test);
    if log.exists() {
        println!("plugin log: {}", log.display());
    }
    result
}

fn which(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The plugin package named by `wanted` (`glass-limit`, `limit` or
/// `Glasswork Limit`).
fn find_plugin(wanted: &str) -> Result<(&'static str, &'static str), String> {
    PLUGINS
        .iter()
        .find(|(pkg, name)| {
            *pkg == wanted
                || pkg.trim_start_matches("glass-") == wanted
                || name.eq_ignore_ascii_case(wanted)
        })
        .copied()
        .ok_or_else(|| {
            let known: Vec<&str> = PLUGINS.iter().map(|(p, _)| *p).collect();
            format!("unknown plugin '{wanted}' (known: {})", known.join(", "))
        })
}

fn snapshot(args: &[String]) -> Result<(), String> {
    let root = workspace_root()?;
    let wanted = args
        .first()
        .ok_or("usage: cargo xtask snapshot <plugin> [out.png]")?;
    let (pkg, _) = find_plugin(wanted)?;
    let out = args.get(1).map(PathBuf::from).unwrap_or_else(|| {
        root.join("docs")
            .join(format!("{}.png", pkg.trim_start_matches("glass-")))
    });
    run(Command::new("cargo")
        .args(["run", "--release", "-p", pkg, "--example", "snapshot", "--"])
        .arg(&out))
}

fn screenshot(args: &[String]) -> Result<(), String> {
    let root = workspace_root()?;
    let wanted = args
        .first()
        .ok_or("usage: cargo xtask screenshot <plugin> [out.png]")?;
    let (pkg, name) = find_plugin(wanted)?;
    let out = args.get(1).map(PathBuf::from).unwrap_or_else(|| {
        root.join("docs")
            .join(format!("{}-window.png", pkg.trim_start_matches("glass-")))
    });
    for tool in ["Xvfb", "xwininfo", "import"] {
        if !which(tool) {
            return Err(format!(
                "'{tool}' is missing: apt-get install -y xvfb x11-utils imagemagick libjack-jackd2-dev libasound2-dev"
            ));
        }
    }
    // The standalone links ALSA/JACK, which changes the plugin binary, so it
    // gets a target directory of its own.
    let standalone_target = target_dir(&root).join("standalone");
    run(Command::new("cargo")
        .args(["build", "--release", "-p", pkg, "--features", "standalone"])
        .env("CARGO_TARGET_DIR", &standalone_target))?;
    let exe = standalone_target
        .join("release")
        .join(pkg.replace('-', "_"));

    let display = ":97";
    let mut xvfb = Command::new("Xvfb")
        .args([display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start Xvfb: {e}"))?;
    std::thread::sleep(Duration::from_millis(800));
    let result = (|| {
        let mut app = Command::new(&exe)
            .args(["-b", "dummy"])
            .env("DISPLAY", display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let shot = (|| {
            // Find the editor window by its title and grab it once it has
            // had time to draw a few frames.
            let mut window = None;
            for _ in 0..60 {
                std::thread::sleep(Duration::from_millis(250));
                let tree = Command::new("xwininfo")
                    .args(["-root", "-tree"])
                    .env("DISPLAY", display)
                    .output()
                    .map_err(|e| e.to_string())?;
                let text = String::from_utf8_lossy(&tree.stdout);
                window = text
                    .lines()
                    .find(|l| l.contains(&format!("\"{name}\"")))
                    .and_then(|l| l.split_whitespace().next().map(str::to_owned));
                if window.is_some() {
                    break;
                }
            }
            let window = window.ok_or(format!("no window titled '{name}' appeared"))?;
            std::thread::sleep(Duration::from_millis(2500));
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            }
            run(Command::new("import")
                .args(["-window", &window])
                .arg(&out)
                .env("DISPLAY", display))
        })();
        let _ = app.kill();
        let _ = app.wait();
        shot
    })();
    let _ = xvfb.kill();
    let _ = xvfb.wait();
    result?;
    println!("wrote {}", out.display());
    Ok(())
}
