//! The built TAP examples on bad command lines: one clear line on stderr,
//! nothing on stdout, exit status 2 (never 101, a panic). No privileges and
//! no TAP device needed: every value is checked before the device is opened.

use crate::netns;

use netns::{example_fails_with as fails_with, run_example as run};

#[test]
fn line_server_rejects_a_huge_idle_timeout() {
    fails_with(
        "line_server",
        &["--tap", "tap0", "--idle-timeout", "1e20"],
        "--idle-timeout: 1e20 s is more than a year (31536000 s); 0 means never",
    );
    fails_with(
        "line_server",
        &["--tap", "tap0", "--idle-timeout", "NaN"],
        "--idle-timeout: not a number of seconds: NaN; 0 means never",
    );
}

#[test]
fn line_server_rejects_a_multicast_address() {
    fails_with(
        "line_server",
        &["--tap", "tap0", "--ip", "224.0.0.1/24"],
        "--ip: 224.0.0.1 is a multicast address, not a host's address",
    );
}

#[test]
fn line_server_rejects_bad_numbers() {
    fails_with(
        "line_server",
        &["--tap", "tap0", "--port", "65536"],
        "--port: not a port number (1-65535): 65536",
    );
    fails_with(
        "line_server",
        &["--tap", "tap0", "--backlog", "0"],
        "--backlog: not a backlog (a whole number, 1-65535): 0",
    );
    fails_with(
        "line_server",
        &["--tap", "tap0", "--session-limit", "-3"],
        "--session-limit: -3 is negative; 0 means no limit",
    );
}

#[test]
fn line_server_rejects_a_tap_name_too_long_for_linux() {
    fails_with(
        "line_server",
        &["--tap", "a-very-long-tap-name"],
        "--tap: device name 'a-very-long-tap-name' is longer than 15 bytes (Linux's limit)",
    );
}

#[test]
fn http_get_shares_the_checks() {
    fails_with(
        "http_get",
        &[
            "--tap",
            "tap0",
            "--ip",
            "224.0.0.1/24",
            "http://192.168.69.1/",
        ],
        "--ip: 224.0.0.1 is a multicast address, not a host's address",
    );
    // Checked together before the device is touched.
    fails_with(
        "http_get",
        &[
            "--tap",
            "tap0",
            "--gateway",
            "10.0.0.1",
            "http://192.168.69.1/",
        ],
        "--gateway 10.0.0.1 is not in --ip's network 192.168.69.2/24; it must be on the link",
    );
}

#[test]
fn line_server_help_is_the_usage_and_exits_0() {
    let (code, out, err) = run("line_server", &["--help"]);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    assert!(out.starts_with("usage: line_server --tap TAP"), "{out}");
}
