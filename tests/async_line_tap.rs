//! The `async_line_server` example (N sessions as N embassy tasks, the
//! runner woken by a thread watching the TAP descriptor) over a real TAP
//! device, inside a network namespace this test creates, with the Linux
//! kernel as the peer: Python 3 clients and `nc` (netcat-openbsd).
//!
//! Needs root, /dev/net/tun, `ip` (iproute2), `python3`, `nc` and `timeout`
//! (coreutils); marked `#[ignore]`: run them as root with
//! `cargo build --examples && cargo test --test async_line_tap -- --ignored`
//! (like `tests/line_tap.rs`, they fail, saying why, if they cannot run).
//! Every wait is bounded.

mod netns;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const SEP: &str = "----------------";

/// Why the peer tools are missing, if they are.
fn tools_missing() -> Option<String> {
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

macro_rules! require_tools {
    () => {
        require_tap!();
        if let Some(why) = tools_missing() {
            panic!("this TAP async line-server test needs peer tools: {why}");
        }
    };
}

/// The example running inside the namespace; killed on drop.
struct Server {
    child: Child,
    lines: Receiver<String>,
    stderr: Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    /// Start it on the namespace's TAP device; listening once it says so.
    #[track_caller]
    fn start(ns: &netns::Netns, args: &[&str]) -> Server {
        let path = netns::example("async_line_server");
        let mut child = ns
            .command(path.to_str().expect("utf-8 path"))
            .args(["--tap", netns::TAP])
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn async_line_server");
        let lines = pipe_lines(child.stdout.take().expect("stdout"));
        let stderr = pipe_lines(child.stderr.take().expect("stderr"));
        let mut s = Server {
            child,
            lines,
            stderr,
            seen: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match s.stderr.recv_timeout(left) {
                Ok(l) if l.contains("async line server on 192.168.69.2 port 10001") => break,
                Ok(_) => {}
                Err(_) => panic!("async_line_server did not start: {:?}", s.child.try_wait()),
            }
        }
        s
    }

    /// Wait (at most 10 s) until stdout has `n` lines in all; return them all.
    #[track_caller]
    fn stdout(&mut self, n: usize) -> Vec<String> {
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
    fn exit(mut self) -> (Option<i32>, Vec<String>) {
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
                "async_line_server did not exit; stdout {:?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pipe_lines(r: impl std::io::Read + Send + 'static) -> Receiver<String> {
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

/// Run a Python 3 client script inside the namespace (at most 30 s); its stdout.
#[track_caller]
fn python(ns: &netns::Netns, script: &str) -> String {
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

/// Send `input` with `nc` (netcat-openbsd), half-closing after it.
#[track_caller]
fn nc(ns: &netns::Netns, input: &str) -> Output {
    use std::io::Write;
    let mut child = ns
        .command("timeout")
        .args(["20", "nc", "-N", "-w", "10", netns::SMOLSOCK_IP, "10001"])
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

/// The seed's client style: connect, sendall, read until the server closes.
const PY_PRELUDE: &str = r#"
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
"#;

/// Three clients at once, each served by its own task: every line of all
/// three is printed while all three are still connected (the blocking,
/// one-at-a-time server would print none of the second and third client's
/// lines before the first disconnects), then each `disconnect` closes its
/// own connection; `stop` from a fourth ends the program with status 0.
#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn three_clients_are_served_at_once_and_stop_exits_0() {
    require_tools!();
    let ns = netns::Netns::new();
    let mut server = Server::start(&ns, &["--sessions", "3"]);
    let script = format!(
        "{PY_PRELUDE}
cs = [connect() for i in range(3)]
for r in range(2):
    for i, c in enumerate(cs):
        c.sendall(b'  client %d line %d  \\r\\n' % (i, r))
        time.sleep(0.05)
print('sent')
sys.stdout.flush()
sys.stdin.readline()
for c in cs:
    c.sendall(b'disconnect\\r\\n')
    assert until_closed(c) == b'', 'server sent data'
    c.close()
print('closed by server')
"
    );
    // The script waits (on stdin) until the server printed all six lines.
    let mut py = ns
        .command("timeout")
        .args(["30", "python3", "-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    let py_out = pipe_lines(py.stdout.take().expect("python stdout"));
    assert_eq!(
        py_out.recv_timeout(Duration::from_secs(20)).as_deref(),
        Ok("sent")
    );
    let printed = server.stdout(6);
    let mut want: Vec<String> = (0..2)
        .flat_map(|r| (0..3).map(move |i| format!("client {i} line {r}")))
        .collect();
    // Each client's lines in its order; all six before any separator.
    for i in 0..3 {
        let mine: Vec<_> = printed
            .iter()
            .filter(|l| l.starts_with(&format!("client {i} ")))
            .collect();
        assert_eq!(
            mine,
            [format!("client {i} line 0"), format!("client {i} line 1")]
                .iter()
                .collect::<Vec<_>>(),
            "{printed:?}"
        );
    }
    let mut sorted = printed.clone();
    sorted.sort();
    want.sort();
    assert_eq!(sorted, want, "all six lines, no separator yet");
    {
        use std::io::Write;
        let mut stdin = py.stdin.take().expect("python stdin");
        stdin.write_all(b"go\n").expect("tell python to go on");
    }
    let o = py.wait_with_output().expect("python");
    let rest: Vec<String> =
        std::iter::from_fn(|| py_out.recv_timeout(Duration::from_secs(2)).ok()).collect();
    assert!(
        o.status.success(),
        "python client failed: {rest:?} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(rest, ["closed by server"]);
    assert_eq!(server.stdout(9)[6..], [SEP, SEP, SEP]);
    nc(&ns, "from nc\nstop\n");
    let (code, out) = server.exit();
    assert_eq!(code, Some(0), "exit status after stop");
    assert_eq!(out[9..], ["from nc", SEP]);
}

/// `stop` from one session closes the others (a partial line is printed,
/// then its separator, as the blocking server does) and resets the client
/// waiting in the backlog; the program exits 0.
#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn stop_closes_the_other_sessions_and_resets_the_backlog() {
    require_tools!();
    let ns = netns::Netns::new();
    let server = Server::start(&ns, &["--sessions", "2"]);
    let script = format!(
        "{PY_PRELUDE}
a = connect()
a.sendall(b'a is open\\r\\nhalf a li')
time.sleep(0.3)
b = connect()
b.sendall(b'b will stop\\r\\n')
time.sleep(0.3)
waiting = connect()
waiting.sendall(b'never printed\\r\\n')
time.sleep(0.3)
b.sendall(b'stop\\r\\n')
assert until_closed(b) == b''
assert until_closed(a) == b''
try:
    data = until_closed(waiting)
    print('waiting: closed %r' % data)
except ConnectionResetError:
    print('waiting: reset')
"
    );
    assert_eq!(python(&ns, &script), "waiting: reset");
    let (code, out) = server.exit();
    assert_eq!(code, Some(0), "exit status after stop");
    assert_eq!(
        out,
        ["a is open", "b will stop", SEP, "half a li", SEP],
        "b's separator, then a's partial line and separator"
    );
}

/// The idle timeout closes a silent client while another one is served.
#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn idle_timeout_closes_a_silent_client_while_another_talks() {
    require_tools!();
    let ns = netns::Netns::new();
    let mut server = Server::start(&ns, &["--idle-timeout", "1"]);
    let script = format!(
        "{PY_PRELUDE}
silent = connect()
silent.sendall(b'then silence\\r\\n')
t0 = time.monotonic()
talker = connect()
for i in range(6):
    talker.sendall(b'tick %d\\r\\n' % i)
    time.sleep(0.3)
assert until_closed(silent) == b''
waited = time.monotonic() - t0
talker.sendall(b'disconnect\\r\\n')
assert until_closed(talker) == b''
print('%.2f' % waited)
"
    );
    let waited: f64 = python(&ns, &script).parse().expect("seconds");
    assert!(
        (0.8..3.0).contains(&waited),
        "silent client closed after {waited} s, want about 1 s"
    );
    let out = server.stdout(9);
    let talker: Vec<_> = out.iter().filter(|l| l.starts_with("tick")).collect();
    assert_eq!(talker.len(), 6, "{out:?}");
    // The silent client's separator comes while the other one still talks
    // (at about 1 s; its ticks go on to about 1.8 s), the talker's last.
    let silent_sep = out.iter().position(|l| l == SEP).expect("a separator");
    assert!(silent_sep < 8, "{out:?}");
    assert_eq!(out[0], "then silence");
    assert_eq!(out[8], SEP);
    nc(&ns, "stop\n");
    let (code, out) = server.exit();
    assert_eq!((code, out.len()), (Some(0), 10));
}

#[test]
fn a_tap_flag_without_tap_is_refused() {
    // No privileges needed: a TAP-only flag without --tap is refused before
    // any device is touched.
    let o = Command::new(netns::example("async_line_server"))
        .args(["--sessions", "3"])
        .stdin(Stdio::null())
        .output()
        .expect("run async_line_server");
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--sessions needs --tap TAP"), "{err}");
}
