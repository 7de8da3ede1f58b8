//! A private X server and a parent window for the editor tests.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, CreateWindowAux, WindowClass};
use x11rb::COPY_DEPTH_FROM_PARENT;

/// A private X server for the test process, stopped after the process
/// exits.
pub struct Xvfb {
    #[allow(dead_code)]
    child: Child,
    /// The display name, e.g. ":91".
    pub display: String,
}

impl Xvfb {
    /// Starts Xvfb on the first free display number. A lock file left by
    /// an Xvfb that no longer runs (a test process that crashed cannot stop
    /// its server cleanly) is cleared and its number reused.
    pub fn start() -> Self {
        for n in 91..200 {
            let lock = format!("/tmp/.X{n}-lock");
            let socket = format!("/tmp/.X11-unix/X{n}");
            if Path::new(&lock).exists() {
                let owner_alive = std::fs::read_to_string(&lock)
                    .ok()
                    .and_then(|pid| pid.trim().parse::<u32>().ok())
                    .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
                if owner_alive {
                    continue;
                }
                let _ = std::fs::remove_file(&lock);
                let _ = std::fs::remove_file(&socket);
            } else if Path::new(&socket).exists() {
                continue;
            }
            let display = format!(":{n}");
            let mut child = Command::new("Xvfb")
                .args([
                    display.as_str(),
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                    // Without this the server resets whenever its last client
                    // leaves, and a connection made during the reset fails.
                    "-noreset",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start Xvfb ({e}); install it: apt-get install -y xvfb")
                });
            let start = Instant::now();
            while !Path::new(&socket).exists() && start.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            // The socket appears a moment before the server accepts
            // connections; wait until it does, or until our Xvfb has exited
            // (another process won this number).
            let ready = Path::new(&socket).exists() && {
                let start = Instant::now();
                loop {
                    if x11rb::connect(Some(&display)).is_ok() {
                        break true;
                    }
                    if matches!(child.try_wait(), Ok(Some(_)))
                        || start.elapsed() > Duration::from_secs(10)
                    {
                        break false;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            };
            if ready && matches!(child.try_wait(), Ok(None)) {
                // The server must outlive this process: a plugin library,
                // never unloaded, may keep its X connection open to the end,
                // and Xlib exits the process (status 1) when the server goes
                // first. A watcher stops Xvfb with SIGTERM (so it removes
                // its lock) once this process is gone, even after a crash.
                let _ = Command::new("sh")
                    .arg("-c")
                    .arg(format!(
                        "while kill -0 {me} 2>/dev/null; do sleep 0.2; done; kill -TERM {x}",
                        me = std::process::id(),
                        x = child.id()
                    ))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn();
                return Self { child, display };
            }
            // Lost a race for this number; try the next one.
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("no free X display number for Xvfb");
    }
}

/// A mapped top-level window to embed editors in.
pub struct ParentWindow {
    conn: x11rb::rust_connection::RustConnection,
    /// The X11 window id.
    pub id: u32,
}

impl ParentWindow {
    /// A 1000x700 window on `display`.
    pub fn new(display: &str) -> Self {
        let (conn, screen_num) = x11rb::connect(Some(display))
            .unwrap_or_else(|e| panic!("cannot connect to X display {display}: {e}"));
        let screen = &conn.setup().roots[screen_num];
        let id = conn.generate_id().expect("X id");
        conn.create_window(
            COPY_DEPTH_FROM_PARENT,
            id,
            screen.root,
            0,
            0,
            1000,
            700,
            0,
            WindowClass::INPUT_OUTPUT,
            0,
            &CreateWindowAux::new().background_pixel(screen.black_pixel),
        )
        .expect("create_window");
        conn.map_window(id).expect("map_window");
        conn.flush().expect("flush");
        Self { conn, id }
    }
}

impl Drop for ParentWindow {
    fn drop(&mut self) {
        let _ = self.conn.destroy_window(self.id);
        let _ = self.conn.flush();
    }
}
