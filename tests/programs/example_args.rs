//! The TAP examples' command-line parsing (the `smolsock-cli` crate,
//! cli/src/args.rs, which the examples use), and the wording of TAP errors: every bad flag value is one
//! clear error, never a panic (issue 10: `--idle-timeout 1e20` and
//! `--ip 224.0.0.1/24` used to exit 101).

use core::time::Duration;
use smolsock::line::RemoteStop;
use smolsock_cli::args::{self, parse_line_args, LineArgs, NetOpts};
use smolsock_cli::long_line;
use std::io;
use std::net::IpAddr;

fn line_args(args: &[&str]) -> Result<LineArgs, String> {
    parse_line_args(args.iter().map(|s| s.to_string()))
}

/// The error for `--tap tap0` plus `args`.
#[track_caller]
fn err(args: &[&str]) -> String {
    let mut all = vec!["--tap", "tap0"];
    all.extend_from_slice(args);
    match line_args(&all) {
        Err(e) => e,
        Ok(a) => panic!("{args:?} accepted: {a:?}"),
    }
}

#[track_caller]
fn config(args: &[&str]) -> smolsock::line::LineConfig {
    let mut all = vec!["--tap", "tap0"];
    all.extend_from_slice(args);
    match line_args(&all) {
        Ok(LineArgs::Run { config, .. }) => config,
        other => panic!("{args:?}: {other:?}"),
    }
}

#[track_caller]
fn net(args: &[&str]) -> Result<NetOpts, String> {
    let mut all = vec!["--tap", "tap0"];
    all.extend_from_slice(args);
    match line_args(&all)? {
        LineArgs::Run { net, .. } => Ok(net),
        LineArgs::Help => panic!("help"),
    }
}

#[test]
fn defaults_are_the_spec_s() {
    let n = net(&[]).unwrap();
    assert_eq!(n.tap.as_deref(), Some("tap0"));
    assert_eq!(n.ip.to_string(), "192.168.69.2/24");
    assert_eq!(n.gateway.to_string(), "192.168.69.1");
    assert_eq!(n.dns.to_string(), "192.168.69.1");
    let c = config(&[]);
    assert_eq!((c.port, c.backlog), (10001, 5));
    assert_eq!(c.idle_timeout, Some(Duration::from_secs(5)));
    assert_eq!((c.session_limit, c.line_timeout), (None, None));
    assert_eq!(c.remote_stop, RemoteStop::Anyone);
}

#[test]
fn durations_out_of_range_are_errors_not_panics() {
    // The case: 1e20 s overflowed Duration::from_secs_f64 (exit 101).
    for flag in ["--idle-timeout", "--session-limit", "--line-timeout"] {
        for bad in [
            "1e20", "-1", "-0.5", "NaN", "nan", "inf", "-inf", "", "5s", "0x10", "1e-9",
        ] {
            let e = err(&[flag, bad]);
            assert!(e.starts_with(&format!("{flag}: ")), "{flag} {bad}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
        assert_eq!(
            err(&[flag, "1e20"]),
            format!(
                "{flag}: 1e20 s is more than a year (31536000 s); 0 means {}",
                match flag {
                    "--idle-timeout" => "never",
                    "--session-limit" => "no limit",
                    _ => "no minimum line rate",
                }
            )
        );
        assert!(err(&[flag, "NaN"]).contains("not a number of seconds: NaN"));
        assert!(err(&[flag, "-1"]).contains("-1 is negative"));
        assert!(err(&[flag]).contains("needs a value"));
    }
    assert_eq!(config(&["--idle-timeout", "0"]).idle_timeout, None);
    assert_eq!(
        config(&["--idle-timeout", "2.5"]).idle_timeout,
        Some(Duration::from_millis(2500))
    );
    assert_eq!(
        config(&["--idle-timeout", "31536000"]).idle_timeout,
        Some(Duration::from_secs(31_536_000))
    );
    let c = config(&["--session-limit", "60", "--line-timeout", "10"]);
    assert_eq!(c.session_limit, Some(Duration::from_secs(60)));
    assert_eq!(c.line_timeout, Some(Duration::from_secs(10)));
}

#[test]
fn ports_out_of_range_are_errors() {
    for bad in ["0", "65536", "-1", "99999999999", "port", ""] {
        assert_eq!(
            err(&["--port", bad]),
            format!("--port: not a port number (1-65535): {bad}")
        );
    }
    assert_eq!(config(&["--port", "65535"]).port, 65535);
    assert_eq!(config(&["--port", "1"]).port, 1);
}

#[test]
fn backlogs_out_of_range_are_errors() {
    for bad in ["0", "-1", "65536", "18446744073709551616", "five"] {
        assert_eq!(
            err(&["--backlog", bad]),
            format!("--backlog: not a backlog (a whole number, 1-65535): {bad}")
        );
    }
    // Accepted here; the stack's pool grants what it can (logged at start).
    assert_eq!(config(&["--backlog", "1000"]).backlog, 1000);
}

#[test]
fn interface_addresses_must_be_unicast_host_addresses() {
    // The case: smoltcp panicked on a multicast interface address.
    assert_eq!(
        err(&["--ip", "224.0.0.1/24"]),
        "--ip: 224.0.0.1 is a multicast address, not a host's address"
    );
    for (bad, why) in [
        ("0.0.0.0/24", "the unspecified address"),
        ("255.255.255.255/24", "the broadcast address"),
        ("127.0.0.1/8", "a loopback address"),
        ("ff02::1/64", "a multicast address"),
        ("::/64", "the unspecified address"),
    ] {
        let (a, _) = bad.split_once('/').unwrap();
        assert_eq!(
            err(&["--ip", bad]),
            format!("--ip: {a} is {why}, not a host's address")
        );
    }
    assert_eq!(
        err(&["--ip", "192.168.69.0/24"]),
        "--ip: 192.168.69.0 is the network address of 192.168.69.0/24"
    );
    assert_eq!(
        err(&["--ip", "192.168.69.255/24"]),
        "--ip: 192.168.69.255 is the broadcast address of 192.168.69.0/24"
    );
    assert_eq!(
        err(&["--ip", "192.168.69.2"]),
        "--ip: 192.168.69.2 has no /PREFIX (e.g. 192.168.69.2/24)"
    );
    for p in ["33", "-1", "", "x", "300"] {
        assert_eq!(
            err(&["--ip", &format!("192.168.69.2/{p}")]),
            format!("--ip: prefix length {p} is not in 0-32 (e.g. 192.168.69.2/24)")
        );
    }
    assert_eq!(
        err(&["--ip", "192.168.69.2/129"]),
        "--ip: prefix length 129 is not in 0-32 (e.g. 192.168.69.2/24)"
    );
    assert_eq!(
        err(&["--ip", "fd00::2/129", "--gateway", "fd00::1"]),
        "--ip: prefix length 129 is not in 0-128 (e.g. 192.168.69.2/24)"
    );
    assert_eq!(
        err(&["--ip", "300.1.1.1/24"]),
        "--ip: not an IP address: 300.1.1.1"
    );
    let n = net(&["--ip", "10.0.0.5/8", "--gateway", "10.0.0.1"]).unwrap();
    assert_eq!(n.ip.to_string(), "10.0.0.5/8");
    // /31 and /32 have no network or broadcast address to refuse.
    assert!(net(&["--ip", "10.0.0.0/31", "--gateway", "10.0.0.1"]).is_ok());
}

#[test]
fn gateway_and_dns_must_be_unicast_and_the_gateway_on_the_link() {
    assert_eq!(
        err(&["--gateway", "224.0.0.1"]),
        "--gateway: 224.0.0.1 is a multicast address, not a host's address"
    );
    assert_eq!(
        err(&["--dns", "0.0.0.0"]),
        "--dns: 0.0.0.0 is the unspecified address, not a host's address"
    );
    assert_eq!(
        err(&["--dns", "dns.example"]),
        "--dns: not an IP address: dns.example"
    );
    assert_eq!(
        err(&["--gateway", "10.0.0.1"]),
        "--gateway 10.0.0.1 is not in --ip's network 192.168.69.2/24; it must be on the link; \
         usage: line_server --tap TAP [--ip CIDR] [--gateway IP] [--dhcp] [--port 10001] [--backlog 5] \
         [--idle-timeout SECS] [--session-limit SECS] [--line-timeout SECS] \
         [--remote-stop any|none|IP[,IP...]] [--pcap FILE]"
    );
    // --dhcp in place of --ip/--gateway/--dns, never beside them.
    assert!(err(&["--dhcp", "--gateway", "10.0.0.1"]).starts_with(
        "--dhcp and --gateway exclude each other: with --dhcp the address, gateway and DNS \
         server come from the DHCP server"
    ));
    assert!(err(&["--ip", "10.0.0.2/24", "--dhcp"]).starts_with("--dhcp and --ip exclude"));
    match line_args(&["--tap", "tap0", "--dhcp"]) {
        Ok(LineArgs::Run { net, .. }) => assert!(net.dhcp),
        other => panic!("{other:?}"),
    }
    assert!(err(&["--gateway", "192.168.69.2"])
        .starts_with("--gateway 192.168.69.2 is smolsock's own address (--ip)"));
    assert!(err(&["--gateway", "fe80::1"]).starts_with(
        "--gateway fe80::1 is IPv6 but --ip 192.168.69.2/24 is IPv4: give both of one IP version"
    ));
    // Order does not matter: the check runs once all flags are read.
    assert!(net(&["--gateway", "10.1.1.1", "--ip", "10.1.1.2/16"]).is_ok());
    // A DNS server may be beyond the gateway.
    assert!(net(&["--dns", "9.9.9.9"]).is_ok());
}

#[test]
fn tap_names_linux_cannot_take_are_errors() {
    // smoltcp indexes a 16-byte array with the name: a longer one panicked.
    let long = "a".repeat(16);
    assert_eq!(
        line_args(&["--tap", &long]).unwrap_err(),
        format!("--tap: device name '{long}' is longer than 15 bytes (Linux's limit)")
    );
    assert!(line_args(&["--tap", &"a".repeat(15)]).is_ok());
    for bad in ["a/b", "a b", ".", "..", "a:1"] {
        assert_eq!(
            line_args(&["--tap", bad]).unwrap_err(),
            format!("--tap: '{bad}' is not a valid device name")
        );
    }
    assert_eq!(
        line_args(&["--tap", ""]).unwrap_err(),
        "--tap: the device name is empty"
    );
    assert!(line_args(&[])
        .unwrap_err()
        .starts_with("--tap TAP is required; usage: line_server"));
    // A flag where a value belongs is not taken as the value.
    assert_eq!(
        line_args(&["--tap", "--port", "7"]).unwrap_err(),
        "--tap needs a value, got the flag --port"
    );
}

#[test]
fn remote_stop_flag() {
    assert_eq!(
        config(&["--remote-stop", "none"]).remote_stop,
        RemoteStop::Nobody
    );
    assert_eq!(
        config(&["--remote-stop", "any"]).remote_stop,
        RemoteStop::Anyone
    );
    let ips: Vec<IpAddr> = vec!["192.168.69.1".parse().unwrap(), "fd00::1".parse().unwrap()];
    assert_eq!(
        config(&["--remote-stop", "192.168.69.1, fd00::1"]).remote_stop,
        RemoteStop::only(&ips).unwrap()
    );
    assert_eq!(
        err(&["--remote-stop", "admin"]),
        "--remote-stop: not an IP address: admin (want any, none, or IP[,IP...])"
    );
    let nine = ["10.0.0.1"; 9].join(",");
    assert_eq!(
        err(&["--remote-stop", &nine]),
        "--remote-stop: more than 8 addresses"
    );
}

#[test]
fn unknown_flags_and_help() {
    assert!(err(&["--prot", "7"]).starts_with("unknown argument \"--prot\"; usage:"));
    assert!(matches!(line_args(&["--help"]), Ok(LineArgs::Help)));
    assert_eq!(err(&["--pcap", ""]), "--pcap: the file name is empty");
}

#[test]
fn tap_open_errors_say_what_happened() {
    use smolsock::device::TapError;
    let gw = "10.0.0.1".parse().unwrap();
    let create = args::tap_create_hint("tap9", gw, 16);
    assert_eq!(
        create,
        "sudo ip tuntap add dev tap9 mode tap user $USER && sudo ip link set tap9 up \
         && sudo ip addr add 10.0.0.1/16 dev tap9"
    );
    let say = |e: TapError| args::tap_open_error("tap9", &e, gw, 16);
    assert_eq!(
        say(TapError::Busy),
        "TAP device 'tap9' is busy: another program has it open (a TAP device serves one \
         program at a time; line_server and http_get cannot share it); stop that program or \
         use another device"
    );
    assert_eq!(
        say(TapError::PermissionDenied),
        format!(
            "permission denied opening TAP device 'tap9': it belongs to another user; \
             make it yours with: sudo ip tuntap del dev tap9 mode tap && {create}"
        )
    );
    assert_eq!(
        say(TapError::NoSuchDevice),
        format!("no network device named 'tap9'; create it with: {create}")
    );
    assert!(say(TapError::Tun).starts_with("'tap9' is a TUN device, not a TAP device"));
    assert_eq!(
        say(TapError::Down),
        "TAP device 'tap9' is down; bring it up with: sudo ip link set tap9 up"
    );
    assert!(say(TapError::ControlPermissionDenied)
        .starts_with("permission denied opening /dev/net/tun"));
    let other = say(TapError::Other(io::Error::from_raw_os_error(22)));
    assert!(
        other.starts_with("cannot open TAP device 'tap9': Invalid argument"),
        "{other}"
    );
}

#[test]
fn an_overlong_line_is_reported_once() {
    let mut l = long_line::LongLines::default();
    // 1 MiB in 1 KiB pieces: the first piece warns, the rest do not.
    let warned: usize = (0..1024)
        .map(|k| l.piece(0, true, k == 1023) as usize)
        .sum();
    assert_eq!(warned, 1);
    // A normal line, then another long one: warned again, once.
    assert!(!l.piece(0, false, true));
    assert!(l.piece(0, true, false));
    assert!(!l.piece(0, true, false));
    // Sessions are apart; a close forgets.
    assert!(l.piece(1, true, false));
    l.forget(0);
    assert!(l.piece(0, true, false));
}

/// Issue 18 (9): `--tap tap0 --tap tap1` was taken (the last one won); any
/// flag given twice is an error (exit 2 in the examples).
#[test]
fn a_flag_given_twice_is_an_error() {
    assert_eq!(
        line_args(&["--tap", "tap0", "--tap", "tap1"]).unwrap_err(),
        "--tap given twice (each flag is taken once)"
    );
    for flag in [
        ["--port", "7"],
        ["--ip", "10.0.0.2/8"],
        ["--idle-timeout", "1"],
    ] {
        let mut all = flag.to_vec();
        all.extend_from_slice(&flag);
        assert_eq!(
            err(&all),
            format!("{} given twice (each flag is taken once)", flag[0])
        );
    }
}

/// Issue 18 (9): `--remote-stop 1.2.3.4,,` said `not an IP address:  (want
/// …)`, with nothing where the value belongs. The empty entry is named.
#[test]
fn an_empty_remote_stop_entry_is_named() {
    assert_eq!(
        err(&["--remote-stop", "1.2.3.4,,"]),
        "--remote-stop: entry 2 of '1.2.3.4,,' is empty (want any, none, or IP[,IP...])"
    );
    assert_eq!(
        err(&["--remote-stop", ""]),
        "--remote-stop: entry 1 of '' is empty (want any, none, or IP[,IP...])"
    );
    assert_eq!(
        err(&["--remote-stop", "1.2.3.4, ,5.6.7.8"]),
        "--remote-stop: entry 2 of '1.2.3.4, ,5.6.7.8' is empty (want any, none, or IP[,IP...])"
    );
}

/// Issue 18 (9): `--ip fe80::2/64` complained about the gateway's IP
/// version. What is wrong is the address: a link-local one reaches nothing
/// beyond the link. An IPv6 `--ip` with the default (IPv4) gateway says so.
#[test]
fn a_link_local_ip_is_refused_for_what_it_is() {
    let why = |a: &str, range: &str| {
        format!(
            "--ip: {a} is a link-local address ({range}): routers never forward it, so nothing \
             beyond the link (and no --gateway) is reachable from it; give a global or private \
             address (e.g. 192.168.69.2/24, or fd00::2/64)"
        )
    };
    assert_eq!(err(&["--ip", "fe80::2/64"]), why("fe80::2", "fe80::/10"));
    assert_eq!(
        err(&["--ip", "169.254.1.2/16", "--gateway", "169.254.1.1"]),
        why("169.254.1.2", "169.254.0.0/16")
    );
    assert!(err(&["--ip", "fd00::2/64"]).starts_with(
        "--ip fd00::2/64 is IPv6, so give --gateway an IPv6 address on its network \
         (the default gateway 192.168.69.1 is IPv4)"
    ));
    assert!(net(&["--ip", "fd00::2/64", "--gateway", "fd00::1"]).is_ok());
    // Only --ip is judged for being link-local, not --gateway or --dns.
    assert!(!err(&["--ip", "fd00::2/64", "--gateway", "fe80::1"]).contains("link-local"));
    assert!(net(&["--dns", "169.254.169.254"]).is_ok());
}

/// Issue 18 (9): `line_server --help` printed only the usage line; it
/// prints the flag table, every flag with its default, and the exit codes.
#[test]
fn line_server_help_lists_every_flag() {
    let help = args::line_help();
    assert!(help.starts_with(args::LINE_USAGE), "{help}");
    for flag in [
        "--tap TAP",
        "--ip CIDR",
        "--gateway IP",
        "--pcap FILE",
        "--port PORT",
        "--backlog N",
        "--idle-timeout SECS",
        "--session-limit SECS",
        "--line-timeout SECS",
        "--remote-stop WHO",
        "exit codes:",
    ] {
        assert!(help.contains(flag), "{flag:?} in {help}");
    }
    // Every flag the usage line names has a line in the table.
    for word in args::LINE_USAGE.split(['[', ' ', ']']) {
        if let Some(flag) = word.strip_prefix("--") {
            assert!(
                help.contains(&format!("\n  --{flag} ")),
                "--{flag} in {help}"
            );
        }
    }
}
