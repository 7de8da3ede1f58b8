//! Where plugin binaries live, and finding plugins by the names people type.

use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
use std::path::{Path, PathBuf};

/// CLAP ids of Glasswork plugins start with this.
pub const GLASSWORK_ID_PREFIX: &str = "audio.glasswork.";

/// True if `id` is a Glasswork plugin's CLAP id.
pub fn is_glasswork(id: &str) -> bool {
    id.starts_with(GLASSWORK_ID_PREFIX)
}

/// The cargo profile directory (`<target>/debug`, `<target>/release`) the running executable
/// was built into: its own directory, or the parent of `deps/` for test binaries. Follows
/// `CARGO_TARGET_DIR` implicitly, since it starts from the executable.
pub fn build_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().map(Path::to_path_buf)
    } else {
        Some(dir.to_path_buf())
    }
}

/// The shared library cargo builds for the cdylib crate with library name `lib_name` (e.g.
/// `glass_limit` → `<dir>/libglass_limit.so` on Linux).
pub fn cdylib_path(dir: &Path, lib_name: &str) -> PathBuf {
    dir.join(format!("{DLL_PREFIX}{lib_name}{DLL_SUFFIX}"))
}

/// The per-user CLAP directory, `~/.clap` (Linux; the spec's per-user location).
pub fn user_clap_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".clap"))
}

/// Every `*.clap` under `dir`, recursively (the CLAP spec's search rule), sorted. A missing or
/// unreadable directory yields nothing.
pub fn clap_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "clap") {
                found.push(path);
            } else if path.is_dir() {
                pending.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Glasswork binaries in a cargo target directory: `<profile>/libglass_*.so` next to the
/// running executable, then in the other profile, then the bundler's `bundled/*.clap`.
pub fn workspace_binaries() -> Vec<PathBuf> {
    let Some(build) = build_dir() else {
        return Vec::new();
    };
    let mut dirs = vec![build.clone()];
    if let Some(target) = build.parent() {
        for profile in ["debug", "release"] {
            let dir = target.join(profile);
            if dir != build {
                dirs.push(dir);
            }
        }
    }
    let mut found = Vec::new();
    for dir in &dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut libs: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with(&format!("{DLL_PREFIX}glass_")) && n.ends_with(DLL_SUFFIX)
                })
            })
            .collect();
        libs.sort();
        found.extend(libs);
    }
    if let Some(target) = build.parent() {
        found.extend(clap_files(&target.join("bundled")));
    }
    found
}

/// Levenshtein distance between `a` and `b`, case-insensitive, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// Candidates that look like what the user meant by `wanted`: within a third of its length in
/// edits (at least 2), or containing it / contained in it; closest first, case-insensitive
/// duplicates dropped, at most 5.
pub fn suggestions<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let wanted_lower = wanted.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let lower = c.to_lowercase();
            let d = edit_distance(wanted, c);
            let related = !wanted_lower.is_empty()
                && (lower.contains(&wanted_lower) || wanted_lower.contains(&lower));
            (d <= limit || related).then_some((d, c))
        })
        .collect();
    scored.sort();
    let mut seen: Vec<String> = Vec::new();
    scored.retain(|(_, c)| {
        let lower = c.to_lowercase();
        let fresh = !seen.contains(&lower);
        seen.push(lower);
        fresh
    });
    scored.into_iter().take(5).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_matches_hand_counts() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("Ceiling", "ceiling"), 0);
        assert_eq!(edit_distance("celing", "ceiling"), 1);
    }

    #[test]
    fn suggestions_rank_by_distance_and_skip_unrelated() {
        let names = ["Ceiling", "Release", "Input Gain", "Bypass"];
        assert_eq!(suggestions("celing", names), vec!["Ceiling"]);
        assert_eq!(suggestions("gain", names), vec!["Input Gain"]);
        assert!(suggestions("zzzzzz", names).is_empty());
        assert_eq!(
            suggestions("limt", ["Limit", "limit", "Echo"]),
            vec!["Limit"]
        );
    }

    #[test]
    fn cdylib_path_follows_platform_naming() {
        let p = cdylib_path(Path::new("/t/debug"), "glass_limit");
        assert_eq!(
            p,
            PathBuf::from(format!("/t/debug/{DLL_PREFIX}glass_limit{DLL_SUFFIX}"))
        );
    }
}
