//! The `async_line_server` example (N sessions as N embassy tasks, the
//! runner woken by a thread watching the TAP descriptor) over a real TAP
//! device, inside a network namespace this test creates, with the Linux
//! kernel as the peer: Python 3 clients and `nc` (netcat-openbsd).
//!
//! Needs root, /dev/net/tun, `ip` (iproute2), `python3`, `nc` and `timeout`
//! (coreutils); marked `#[ignore]`: run them as root with
//! `cargo test -p smolsock-interop --test async_example -- --ignored`
//! (like `tests/tap/line_tap.rs`, they fail, saying why, if they cannot run).
//! Every wait is bounded.

use crate::netns;

use netns::line_server::{nc, pipe_lines, python, Server, PY_PRELUDE, SEP};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Start `async_line_server` with `args`; listening once it says so on stderr.
#[track_caller]
fn start(ns: &netns::Netns, args: &[&str]) -> Server {
    Server::start(
        ns,
        "async_line_server",
        "async line server on 192.168.69.2 port 10001",
        args,
    )
}

/// Three clients at once, each served by its own task: every line of all
/// three is printed while all three are still connected (the blocking,
/// one-at-a-time server would print none of the second and third client's
/// lines before the first disconnects), then each `disconnect` closes its
/// own connection; `stop` from a fourth ends the program with status 0.
#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn three_clients_are_served_at_once_and_stop_exits_0() {
    require_line_tools!();
    let ns = netns::Netns::new();
    let mut server = start(&ns, &["--sessions", "3"]);
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
    require_line_tools!();
    let ns = netns::Netns::new();
    let server = start(&ns, &["--sessions", "2"]);
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
print('waiting: ' + closed_or_reset(waiting))
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
    require_line_tools!();
    let ns = netns::Netns::new();
    let mut server = start(&ns, &["--idle-timeout", "1"]);
    let script = format!(
        "{PY_PRELUDE}
silent = connect()
silent.sendall(b'then silence\\r\\n')
t0 = time.monotonic()
# Two connections' lines have no order between them; give the silent one's
# line time to be printed first, as the checks below expect.
time.sleep(0.3)
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
