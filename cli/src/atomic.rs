//! Outputs appear complete or not at all: each file is written to a hidden temporary file in
//! the same directory and renamed over the destination only once it is complete and synced.

use crate::interrupt::TempFile;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The temporary name used for `path`: `.<name>.<pid>.<n>.tmp` beside it (same file system, so
/// the final rename is atomic).
fn temp_path(path: &Path) -> Option<PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name()?;
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    temp.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    Some(path.with_file_name(temp))
}

/// Writes `path` through `write`, atomically: a failed write, a failed sync or an interrupt
/// leaves no file at `path` (an existing one is untouched) and no temporary file behind.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), String> {
    let temp = temp_path(path).ok_or_else(|| format!("{}: not a file path", path.display()))?;
    let guard = TempFile::register(&temp);
    let result = (|| -> std::io::Result<()> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(guard.path())?);
        write(&mut out)?;
        out.flush()?;
        out.get_ref().sync_all()?;
        drop(out);
        std::fs::rename(guard.path(), path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(guard.path());
        return Err(format!("cannot write {}: {e}", path.display()));
    }
    Ok(())
}

/// Creates `dir` (and its parents) if needed and checks that files can be created in it, so a
/// batch fails before any work rather than after it.
pub fn prepare_output_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create output directory {}: {e}", dir.display()))?;
    let probe = dir.join(format!(".glass-write-test.{}", std::process::id()));
    let guard = TempFile::register(&probe);
    match File::create(guard.path()) {
        Ok(_) => {
            let _ = std::fs::remove_file(guard.path());
            Ok(())
        }
        Err(e) => Err(format!("cannot write to {}: {e}", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("glass-atomic-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .expect("list")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn complete_writes_replace_the_destination() {
        let dir = scratch("ok");
        let path = dir.join("out.bin");
        std::fs::write(&path, b"old").expect("seed");
        write_atomically(&path, |w| w.write_all(b"new")).expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"new");
        assert_eq!(names(&dir), ["out.bin"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn failed_writes_leave_the_old_file_and_no_temporary() {
        let dir = scratch("fail");
        let path = dir.join("out.bin");
        std::fs::write(&path, b"old").expect("seed");
        let err = write_atomically(&path, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("disk on fire"))
        })
        .unwrap_err();
        assert!(err.contains("disk on fire"), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), b"old");
        assert_eq!(names(&dir), ["out.bin"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn output_directories_under_a_file_are_refused() {
        let dir = scratch("dir");
        let file = dir.join("plain");
        std::fs::write(&file, b"x").expect("seed");
        let err = prepare_output_dir(&file.join("sub")).unwrap_err();
        assert!(err.contains("cannot create output directory"), "{err}");
        prepare_output_dir(&dir.join("new/deeper")).expect("creatable");
        assert_eq!(names(&dir.join("new/deeper")), Vec::<String>::new());
        let _ = std::fs::remove_dir_all(dir);
    }
}
