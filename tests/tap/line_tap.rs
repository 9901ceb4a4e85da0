//! The `line_server` example over a real TAP device, inside a network
//! namespace this test creates, with the Linux kernel as the peer: Python 3
//! clients in the seed's style and `nc` (netcat-openbsd) talk to it.
//!
//! Needs root, /dev/net/tun, `ip` (iproute2), `python3`, `nc` and `timeout`
//! (coreutils); marked `#[ignore]`: run them as root with `-- --ignored` (they
//! fail, saying why, if they cannot run). Every wait is bounded.

use crate::netns;

use netns::line_server::{nc, python, Server, PY_PRELUDE, SEP};
use std::process::{Command, Stdio};

/// Start `line_server` with `args`; listening once it says so on stderr.
#[track_caller]
fn start(ns: &netns::Netns, args: &[&str]) -> Server {
    Server::start(ns, "line_server", "line server on", args)
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn lines_disconnect_and_stop_with_python_and_nc() {
    require_line_tools!();
    let ns = netns::Netns::new();
    let mut server = start(&ns, &[]);
    let script = format!(
        "{PY_PRELUDE}
s = connect()
s.sendall(b'  hello from python  \\r\\nsplit ')
time.sleep(0.2)
s.sendall(b'line\\r\\nseveral\\r\\nlines\\n\\x00nul\\r\\n')
time.sleep(0.2)
s.sendall(b'disconnect\\r\\n')
assert until_closed(s) == b'', 'server sent data'
s.close()
print('closed by server')
"
    );
    assert_eq!(python(&ns, &script), "closed by server");
    assert_eq!(
        server.stdout(6),
        [
            "hello from python",
            "split line",
            "several",
            "lines",
            "\0nul",
            SEP
        ]
    );
    nc(&ns, "from nc\nstop\n");
    let (code, out) = server.exit();
    assert_eq!(code, Some(0), "exit status after stop");
    assert_eq!(out[6..], ["from nc", SEP]);
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn idle_timeout_closes_a_silent_client() {
    require_line_tools!();
    let ns = netns::Netns::new();
    let mut server = start(&ns, &["--idle-timeout", "1"]);
    let script = format!(
        "{PY_PRELUDE}
s = connect()
s.sendall(b'then silence\\r\\n')
t0 = time.monotonic()
assert until_closed(s) == b''
print('%.2f' % (time.monotonic() - t0))
"
    );
    let waited: f64 = python(&ns, &script).parse().expect("seconds");
    assert!(
        (0.8..3.0).contains(&waited),
        "closed after {waited} s, want about 1 s"
    );
    assert_eq!(server.stdout(2), ["then silence", SEP]);
    nc(&ns, "stop\r\n");
    let (code, out) = server.exit();
    assert_eq!(code, Some(0));
    assert_eq!(out, ["then silence", SEP, SEP]);
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn five_queued_clients_are_served_in_order_and_a_sixth_is_refused() {
    require_line_tools!();
    let ns = netns::Netns::new();
    let mut server = start(&ns, &["--backlog", "5"]);
    let script = format!(
        "{PY_PRELUDE}
first = connect()
first.sendall(b'first client\\r\\n')
time.sleep(0.5)
queued = []
for i in range(1, 6):
    c = connect()
    c.sendall(b'queued %d says hi\\r\\n' % i)
    c.shutdown(socket.SHUT_WR)
    queued.append(c)
    time.sleep(0.1)
try:
    extra = connect()
    extra.sendall(b'sixth\\r\\n')
    print('sixth: ' + repr(until_closed(extra)))
except (ConnectionRefusedError, ConnectionResetError) as e:
    print('sixth refused')
first.sendall(b'disconnect\\r\\n')
assert until_closed(first) == b''
for c in queued:
    assert until_closed(c) == b''
print('all served')
"
    );
    assert_eq!(python(&ns, &script), "sixth refused\nall served");
    let mut want = vec!["first client".to_string(), SEP.to_string()];
    for i in 1..=5 {
        want.push(format!("queued {i} says hi"));
        want.push(SEP.to_string());
    }
    assert_eq!(server.stdout(12), want);
    nc(&ns, "stop\n");
    let (code, out) = server.exit();
    assert_eq!(code, Some(0));
    assert_eq!(out.len(), 13);
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn stop_resets_clients_waiting_in_the_backlog() {
    require_line_tools!();
    let ns = netns::Netns::new();
    let mut server = start(&ns, &[]);
    let script = format!(
        "{PY_PRELUDE}
first = connect()
first.sendall(b'serving\\r\\n')
time.sleep(0.3)
waiting = connect()
waiting.sendall(b'never printed\\r\\n')
time.sleep(0.3)
first.sendall(b'stop\\r\\n')
assert until_closed(first) == b''
print('waiting: ' + closed_or_reset(waiting))
"
    );
    assert_eq!(python(&ns, &script), "waiting: reset");
    assert_eq!(server.stdout(2), ["serving", SEP]);
    let (code, out) = server.exit();
    assert_eq!((code, out.len()), (Some(0), 2));
}

#[test]
fn missing_tap_flag_is_one_clear_line() {
    // No privileges needed: the flags are checked before the device is opened.
    let path = netns::example("line_server");
    let o = Command::new(&path)
        .stdin(Stdio::null())
        .output()
        .expect("run line_server");
    assert!(!o.status.success());
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--tap"), "{err}");
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn an_overlong_line_is_printed_in_pieces_with_one_warning() {
    require_line_tools!();
    let ns = netns::Netns::new();
    let mut server = start(&ns, &[]);
    let script = format!(
        "{PY_PRELUDE}
s = connect()
s.sendall(b'x' * (1 << 20) + b'\\r\\nshort\\r\\ndisconnect\\r\\n')
assert until_closed(s) == b''
print('ok')
"
    );
    python(&ns, &script);
    let out = server.stdout(1024 + 2);
    assert!(out[..1024]
        .iter()
        .all(|l| l.len() == 1024 && l.bytes().all(|b| b == b'x')));
    assert_eq!(out[1024..], ["short", SEP]);
    nc(&ns, "stop\n");
    let (code, _, err) = server.exit_all();
    assert_eq!(code, Some(0));
    let warnings: Vec<_> = err.iter().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("connection 0: line longer than 1024 bytes, printed in pieces"),
        "{warnings:?}"
    );
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn the_log_says_which_backlog_was_granted() {
    require_line_tools!();
    let ns = netns::Netns::new();
    let server = start(&ns, &["--backlog", "1000"]);
    assert!(
        server.started.contains(
            "backlog 15 (asked for 1000; the pool has 16 sockets and one serves the current client)"
        ),
        "{}",
        server.started
    );
    drop(server);
    let server = start(&ns, &["--backlog", "7"]);
    assert!(
        server.started.contains(", backlog 7, "),
        "{}",
        server.started
    );
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn remote_stop_from_an_unlisted_peer_is_refused() {
    require_line_tools!();
    let ns = netns::Netns::new();
    // Only 192.168.69.9 may stop it; the clients come from 192.168.69.1.
    let mut server = start(&ns, &["--remote-stop", "192.168.69.9"]);
    nc(&ns, "please\nstop\nnot printed\n");
    assert_eq!(server.stdout(2), ["please", SEP]);
    nc(&ns, "still serving\n");
    assert_eq!(server.stdout(4), ["please", SEP, "still serving", SEP]);
    assert_eq!(
        server.child.try_wait().expect("try_wait"),
        None,
        "it exited"
    );
    let warned = server.stderr_lines();
    assert!(
        warned
            .iter()
            .any(|l| l.contains("connection 0 from 192.168.69.1:") && l.contains("`stop` refused")),
        "{warned:?}"
    );
}

/// Decided (README, "Reliability"): a client that resets its connection
/// while it waits in the backlog was never served, so nothing of it is
/// printed, not even a separator; the next client is served as usual.
/// (Linux would hand it to `accept`, which reads its data, then the reset.)
#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn a_client_reset_while_waiting_leaves_no_trace() {
    require_line_tools!();
    let ns = netns::Netns::new();
    let mut server = start(&ns, &[]);
    let script = format!(
        "{PY_PRELUDE}
import struct
first = connect()
first.sendall(b'first\\r\\n')
time.sleep(0.3)
gone = connect()
gone.sendall(b'never printed\\r\\n')
time.sleep(0.3)
gone.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
gone.close()
time.sleep(0.3)
third = connect()
third.sendall(b'third\\r\\n')
third.shutdown(socket.SHUT_WR)
first.sendall(b'disconnect\\r\\n')
assert until_closed(first) == b''
assert until_closed(third) == b''
print('ok')
"
    );
    python(&ns, &script);
    assert_eq!(server.stdout(4), ["first", SEP, "third", SEP]);
    nc(&ns, "stop\n");
    let (code, out) = server.exit();
    assert_eq!(
        (code, out),
        (
            Some(0),
            ["first", SEP, "third", SEP, SEP].map(String::from).to_vec()
        )
    );
}
