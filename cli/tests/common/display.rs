//! A private X server and a parent window for the editor tests.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, CreateWindowAux, WindowClass};
use x11rb::COPY_DEPTH_FROM_PARENT;

/// A private X server for the test process, stopped when dropped.
pub struct Xvfb {
    child: Child,
    /// The display name, e.g. ":91".
    pub display: String,
}

impl Xvfb {
    /// Starts Xvfb on the first free display number.
    pub fn start() -> Self {
        for n in 91..140 {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                || Path::new(&format!("/tmp/.X{n}-lock")).exists()
            {
                continue;
            }
            let display = format!(":{n}");
            let child = Command::new("Xvfb")
                .args([
                    display.as_str(),
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start Xvfb ({e}); install it: apt-get install -y xvfb")
                });
            let socket = format!("/tmp/.X11-unix/X{n}");
            let start = Instant::now();
            while !Path::new(&socket).exists() && start.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(20));
            }
            assert!(
                Path::new(&socket).exists(),
                "Xvfb {display} did not come up"
            );
            return Self { child, display };
        }
        panic!("no free X display number for Xvfb");
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
