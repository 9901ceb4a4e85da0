//! The `async_line_server` example (N sessions as N embassy tasks) run as a
//! program: its loopback demo, bounded in time, with its exact stdout and
//! exit status; and bad command lines. No privileges needed.
//!
//! `cargo test -p smolsock-interop` builds the example first (`cargo test
//! -p smolsock-interop --test async_example` alone does not).

use crate::netns;

use netns::line_server::SEP;

/// Run the example with `args`: (exit code, stdout, stderr), bounded.
#[track_caller]
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    netns::run_example("async_line_server", args)
}

/// What the loopback demo's server prints: the clients' lines, stripped,
/// and the dashes after each closed connection, in the order the demo's
/// script fixes.
fn demo_stdout() -> String {
    let long = "0123456789".repeat(110);
    let lines = [
        "hello from A",
        "hello from B",
        // 1,100 bytes: pieces of the 1,024-byte limit.
        &long[..1024],
        &long[1024..],
        // B's line, sent in two parts.
        "half a line",
        // A sent `disconnect`.
        SEP,
        // D waited in the backlog while A, B and C were served, its line kept;
        // A's session task took it once A was gone.
        "D waited in the backlog",
        // B's last line had no newline, then EOF.
        "no newline at the end",
        SEP,
        // D closed.
        SEP,
        // C: `bye`, then `stop`.
        "bye",
        SEP,
    ];
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[track_caller]
fn assert_demo(args: &[&str]) {
    let (code, out, err) = run(args);
    assert_eq!(code, Some(0), "{args:?}: stderr {err}");
    assert_eq!(out, demo_stdout(), "{args:?}: stderr {err}");
    // Diagnostics on stderr: the four connections, served concurrently by
    // three session tasks; one warning for the long line; the stop.
    assert!(
        err.contains("async line server on 127.0.0.1 port 10001, 3 session tasks, backlog 3"),
        "{err}"
    );
    for (id, why) in [(0, "Disconnect"), (1, "Eof"), (3, "Eof"), (2, "Stop")] {
        assert!(
            err.contains(&format!("connection {id} from 127.0.0.1:"))
                && err
                    .lines()
                    .any(|l| l.contains(&format!("connection {id} from")) && l.ends_with(why)),
            "connection {id} should close with {why}: {err}"
        );
    }
    let warnings: Vec<_> = err.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(
        warnings.len(),
        1,
        "one warning, for the long line: {warnings:?}"
    );
    assert!(
        warnings[0]
            .contains("connection 2: line longer than 1024 bytes, printed in pieces of that size"),
        "{warnings:?}"
    );
    assert!(err.contains("] stopped"), "{err}");
}

#[test]
fn loopback_demo_prints_the_lines_and_exits_0() {
    assert_demo(&[]);
}

#[test]
fn loopback_flag_is_the_default() {
    assert_demo(&["--loopback"]);
}

/// Ten runs, one output: the demo's clients pace themselves on what the
/// server printed, so task scheduling cannot reorder it.
#[test]
fn loopback_demo_output_is_always_the_same() {
    for _ in 0..10 {
        let (code, out, err) = run(&[]);
        assert_eq!((code, out), (Some(0), demo_stdout()), "{err}");
    }
}

/// `args` fails with exactly `want` (after `error: `) as its one line.
#[track_caller]
fn fails_with(args: &[&str], want: &str) {
    netns::example_fails_with("async_line_server", args, want);
}

const USAGE: &str = "usage: async_line_server [--loopback] | --tap TAP [--ip CIDR] [--gateway IP] \
[--port 10001] [--sessions 4] [--backlog N] [--idle-timeout SECS] [--pcap FILE]";

#[test]
fn bad_flags_are_one_line_and_exit_2() {
    fails_with(
        &["--bogus"],
        &format!("unknown argument \"--bogus\"; {USAGE}"),
    );
    fails_with(
        &["--port", "7"],
        &format!("--port needs --tap TAP (the loopback demo takes no other flag); {USAGE}"),
    );
    fails_with(
        &["--loopback", "--tap", "tap0"],
        &format!("--loopback and --tap exclude each other; {USAGE}"),
    );
    fails_with(
        &["--tap", "tap0", "--sessions", "9"],
        "--sessions: not a number of sessions (1-8): 9",
    );
    fails_with(
        &["--tap", "tap0", "--sessions", "0"],
        "--sessions: not a number of sessions (1-8): 0",
    );
    // The shared checks of the TAP examples.
    fails_with(
        &["--tap", "tap0", "--port", "0"],
        "--port: not a port number (1-65535): 0",
    );
    fails_with(
        &["--tap", "tap0", "--ip", "224.0.0.1/24"],
        "--ip: 224.0.0.1 is a multicast address, not a host's address",
    );
    fails_with(
        &["--tap", "tap0", "--idle-timeout", "-1"],
        "--idle-timeout: -1 is negative; 0 means never",
    );
}

/// A TAP device that cannot be opened: one clear line, exit 2 (checked
/// before anything needs privileges).
#[test]
fn a_missing_tap_device_is_one_line_and_exit_2() {
    let name = "smolsock-nodev";
    fails_with(
        &["--tap", name],
        &format!(
            "no network device named '{name}'; create it with: sudo ip tuntap add dev {name} \
             mode tap user $USER && sudo ip link set {name} up && sudo ip addr add \
             192.168.69.1/24 dev {name}"
        ),
    );
}

#[test]
fn help_is_the_usage_and_exits_0() {
    let (code, out, err) = run(&["--help"]);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    assert_eq!(out, format!("{USAGE}\n"));
}
