//! The line-server examples (`line_server`, `async_line_server`) run inside a
//! [`Netns`](super::Netns) on its TAP device, and the Linux side's clients:
//! Python 3 scripts in the seed's style ([`PY_PRELUDE`]) and `nc`
//! (netcat-openbsd). Every wait is bounded.

use super::{example, Netns, SMOLSOCK_IP, TAP};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// What the servers print after every closed connection.
pub const SEP: &str = "----------------";

/// Why the peer tools (`python3`, `nc`, `timeout`) are missing, if they are.
pub fn tools_missing() -> Option<String> {
    let ok = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    for (cmd, args, pkg) in [
        ("python3", &["-c", "pass"][..], "python3"),
        ("nc", &["-h"][..], "netcat-openbsd"),
        ("timeout", &["--version"][..], "coreutils"),
    ] {
        if !ok(cmd, args) {
            return Some(format!("`{cmd}` not found (Debian package {pkg})"));
        }
    }
    None
}

/// `require_tap!()`, and fail the calling test, saying why, when the peer
/// tools are missing.
#[macro_export]
macro_rules! require_line_tools {
    () => {
        $crate::require_tap!();
        if let Some(why) = $crate::netns::line_server::tools_missing() {
            panic!("this TAP line-server test needs peer tools: {why}");
        }
    };
}

/// A line-server example running inside the namespace; killed on drop.
pub struct Server {
    pub child: Child,
    /// The example's name, for messages.
    name: &'static str,
    lines: Receiver<String>,
    stderr: Receiver<String>,
    seen: Vec<String>,
    /// The stderr line that said it listens.
    pub started: String,
}

impl Server {
    /// Start example `name` with `--tap tap0` and `args`; listening once a
    /// line of its stderr contains `ready` (at most 10 s).
    #[track_caller]
    pub fn start(ns: &Netns, name: &'static str, ready: &str, args: &[&str]) -> Server {
        let path = example(name);
        let mut child = ns
            .command(path.to_str().expect("utf-8 path"))
            .args(["--tap", TAP])
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        let lines = pipe_lines(child.stdout.take().expect("stdout"));
        let stderr = pipe_lines(child.stderr.take().expect("stderr"));
        let mut s = Server {
            child,
            name,
            lines,
            stderr,
            seen: Vec::new(),
            started: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match s.stderr.recv_timeout(left) {
                Ok(l) if l.contains(ready) => {
                    s.started = l;
                    break;
                }
                Ok(_) => {}
                Err(_) => panic!("{name} did not start: {:?}", s.child.try_wait()),
            }
        }
        s
    }

    /// Wait (at most 10 s) until stdout has `n` lines in all; return them all.
    #[track_caller]
    pub fn stdout(&mut self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.seen.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(_) => panic!(
                    "waited for {n} stdout lines, got {:?}; stderr: {:?}",
                    self.seen,
                    self.stderr.try_iter().collect::<Vec<_>>()
                ),
            }
        }
        self.seen.clone()
    }

    /// Wait (at most 10 s) for the exit: the exit code and all of stdout.
    #[track_caller]
    pub fn exit(mut self) -> (Option<i32>, Vec<String>) {
        self.wait_exit()
    }

    /// Wait (at most 10 s) for the exit: the exit code, all of stdout, and
    /// stderr after the start line.
    #[track_caller]
    pub fn exit_all(mut self) -> (Option<i32>, Vec<String>, Vec<String>) {
        let (code, out) = self.wait_exit();
        let err = self.stderr_lines();
        (code, out, err)
    }

    #[track_caller]
    fn wait_exit(&mut self) -> (Option<i32>, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                // The reader thread ends at EOF.
                while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(2)) {
                    self.seen.push(l);
                }
                return (st.code(), std::mem::take(&mut self.seen));
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit; stdout {:?}",
                self.name,
                self.seen
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Its stderr since it started (waiting up to 500 ms for each line).
    pub fn stderr_lines(&self) -> Vec<String> {
        let mut v = Vec::new();
        while let Ok(l) = self.stderr.recv_timeout(Duration::from_millis(500)) {
            v.push(l);
        }
        v
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines of `r`, read on a thread until EOF.
pub fn pipe_lines(r: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    rx
}

/// Run a Python 3 client script inside the namespace (at most 30 s); it must
/// succeed. Its stdout, trimmed.
#[track_caller]
pub fn python(ns: &Netns, script: &str) -> String {
    let o = ns
        .command("timeout")
        .args(["30", "python3", "-c", script])
        .stdin(Stdio::null())
        .output()
        .expect("run python3");
    assert!(
        o.status.success(),
        "python client failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Send `input` to the server's port 10001 with `nc` (netcat-openbsd),
/// half-closing after it; it must succeed.
#[track_caller]
pub fn nc(ns: &Netns, input: &str) -> Output {
    use std::io::Write;
    let mut child = ns
        .command("timeout")
        .args(["20", "nc", "-N", "-w", "10", SMOLSOCK_IP, "10001"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nc");
    child
        .stdin
        .take()
        .expect("nc stdin")
        .write_all(input.as_bytes())
        .expect("write to nc");
    let o = child.wait_with_output().expect("nc");
    assert!(
        o.status.success(),
        "nc: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// The seed's client style: connect, sendall, read until the server closes
/// (or say whether it closed or reset the connection).
pub const PY_PRELUDE: &str = r#"
import socket, sys, time
ADDR = ('192.168.69.2', 10001)
def connect():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(ADDR)
    return s
def until_closed(s):
    data = b''
    while True:
        chunk = s.recv(1024)
        if not chunk:
            return data
        data += chunk
def closed_or_reset(s):
    try:
        return 'closed %r' % until_closed(s)
    except ConnectionResetError:
        return 'reset'
"#;
