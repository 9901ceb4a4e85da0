//! The `http_get` example's command line and exit codes (SPEC §4, issue 10).
//!
//! Flag and URL errors are checked without privileges: they are reported
//! before the TAP device is opened. The exit codes of a failed exchange
//! (52: empty reply, 18: partial body) need a real TAP device in a network
//! namespace the test makes itself (tests/netns, root), with two small
//! Python servers on the Linux side; that test skips with a message
//! otherwise. Every wait is bounded.

use crate::netns;
use netns::{run_within as run, stderr_line};

use std::process::{Command, Output};
use std::time::Duration;

fn http_get(args: &[&std::ffi::OsStr]) -> Output {
    run(
        Command::new(netns::example("http_get")).args(args),
        Duration::from_secs(20),
    )
}

/// Issue 10: every bad flag value or URL is one clear line and exit 2,
/// never a panic (exit 101). Before the fix a non-UTF-8 argument and a TAP
/// name longer than 15 bytes panicked.
#[test]
fn bad_flags_and_urls_are_one_line_and_exit_2() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let url = "http://192.168.69.1:8000/";
    let cases: &[(&[&str], &str)] = &[
        (&["--tap", "tap0", "--timeout", "1e20", url], "--timeout"),
        (&["--tap", "tap0", "--timeout", "-1", url], "--timeout"),
        (&["--tap", "tap0", "--timeout", "nan", url], "--timeout"),
        (&["--tap", "tap0", "--timeout", "inf", url], "--timeout"),
        (&["--tap", "tap0", "--timeout", "0", url], "--timeout"),
        (&["--tap", "tap0", "--timeout", "1e-300", url], "--timeout"),
        (&["--tap", "tap0", "--timeout", "ten", url], "--timeout"),
        (
            &["--tap", "tap0", url, "--timeout"],
            "--timeout needs a value",
        ),
        (&["--tap", "tap0", "--ip", "192.168.69.2/33", url], "--ip"),
        (&["--tap", "tap0", "--gateway", "gw", url], "--gateway"),
        (&["--tap", "tap0", "--dns", "1.2.3", url], "--dns"),
        (&["--tap", "tap0", "--pcap"], "--pcap needs a value"),
        (&["--tap", "a-name-far-too-long-for-linux", url], "--tap"),
        (&["--tap", "", url], "--tap"),
        (&["--tap", "tap0", "--bogus", url], "unknown option --bogus"),
        (&["--tap", "tap0"], "no URL given"),
        (&["--tap", "tap0", url, url], "more than one URL"),
        (&["--tap", "tap0", "http://we b/"], "bad URL"),
        (&["--tap", "tap0", "http://h:99999/"], "bad URL"),
        (&["--tap", "tap0", "192.168.69.1/"], "bad URL"),
        (&["--tap", "tap0", "ftp://h/"], "not supported"),
        (&["--tap", "tap0", "--cacert"], "--cacert needs a value"),
    ];
    for (args, want) in cases {
        let os: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        let o = http_get(&os);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {o:?}");
        let line = stderr_line(&o);
        assert!(
            line.starts_with("error: ") && line.contains(want),
            "{args:?}: {line}"
        );
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    // https://: "not supported" without the `tls` feature; with it, a CA
    // certificate or --insecure is required, and checked before the TAP.
    let junk = std::env::temp_dir().join(format!("smolsock-junk-{}.pem", std::process::id()));
    std::fs::write(&junk, "no certificate here\n").unwrap();
    let junk = junk.to_str().unwrap();
    let https: &[(&[&str], &str)] = if cfg!(feature = "tls") {
        &[
            (&["--tap", "tap0", "https://h/"], "needs --cacert FILE"),
            (
                &[
                    "--tap",
                    "tap0",
                    "--cacert",
                    "/nonexistent/ca.pem",
                    "https://h/",
                ],
                "cannot read",
            ),
            (
                &["--tap", "tap0", "--cacert", junk, "https://h/"],
                "holds no certificate",
            ),
            (
                &[
                    "--tap",
                    "tap0",
                    "--cacert",
                    junk,
                    "--insecure",
                    "https://h/",
                ],
                "exclude each other",
            ),
        ]
    } else {
        &[(
            &["--tap", "tap0", "https://h/"],
            "https:// is not supported",
        )]
    };
    for (args, want) in https {
        let os: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        let o = http_get(&os);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {o:?}");
        let line = stderr_line(&o);
        assert!(line.contains(want), "{args:?}: {line}");
    }
    let _ = std::fs::remove_file(junk);

    let o = http_get(&[OsStr::from_bytes(b"http://h/\xff")]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(stderr_line(&o).contains("not valid UTF-8"));

    // --help: the usage and the exit codes, on stdout, exit 0.
    let o = http_get(&[OsStr::new("--help")]);
    assert_eq!(o.status.code(), Some(0));
    let help = String::from_utf8(o.stdout).unwrap();
    for want in [
        "usage: http_get --tap TAP",
        "--timeout SECS",
        "  18  ",
        "  52  ",
    ] {
        assert!(help.contains(want), "{want:?} in {help}");
    }
}

/// The Linux-side servers: 8004 reads the request and closes without a
/// byte; 8005 answers `Content-Length: 1000` with 300 bytes and closes
/// (orderly FIN); 8006 answers a complete 1000-byte body. Writes `ready`.
const SERVERS: &str = r#"
import socket, sys, threading, time
IP = "192.168.69.1"
BODY = bytes(i % 251 for i in range(1000))
HEAD = b"HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n"

def serve(port, reply):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((IP, port))
    s.listen(8)
    ready.append(port)
    while True:
        c, _ = s.accept()
        data = b""
        while not data.endswith(b"\r\n\r\n"):
            more = c.recv(4096)
            if not more:
                break
            data += more
        c.sendall(reply)
        c.shutdown(socket.SHUT_WR)
        while c.recv(4096):
            pass
        c.close()

ready = []
for port, reply in ((8004, b""), (8005, HEAD + BODY[:300]), (8006, HEAD + BODY)):
    threading.Thread(target=serve, args=(port, reply), daemon=True).start()
while len(ready) < 3:
    time.sleep(0.01)
open(sys.argv[1], "w").write("ready")
time.sleep(3600)
"#;

/// Issue 10: an empty reply exited 0 with nothing printed, a body cut short
/// of its Content-Length exited 0 too. Now: 52 and 18, one line each, and
/// what came is on stdout; a complete body still exits 0.
#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn http_get_exit_codes_for_an_empty_reply_and_a_partial_body() {
    require_tap!();
    assert!(
        Command::new("python3").arg("--version").output().is_ok(),
        "this TAP test needs python3"
    );
    let dir = std::env::temp_dir().join(format!("smolsock-http-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("servers.py"), SERVERS).unwrap();
    let ready = dir.join("ready");
    let ns = netns::Netns::new();
    let _servers = ns.python_server(&dir.join("servers.py"), &ready, &[]);
    let get = |port: u16| {
        let exe = netns::example("http_get");
        run(
            ns.command(exe.to_str().unwrap()).args([
                "--tap",
                netns::TAP,
                "--timeout",
                "10",
                &format!("http://{}:{port}/", netns::LINUX_IP),
            ]),
            Duration::from_secs(30),
        )
    };
    let body: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let head = b"HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec();

    let o = get(8004);
    assert_eq!(o.status.code(), Some(52), "{o:?}");
    assert_eq!(
        stderr_line(&o),
        "error: http://192.168.69.1:8004/: empty reply from server (it closed the connection without a byte)"
    );
    assert!(o.stdout.is_empty());

    let o = get(8005);
    assert_eq!(o.status.code(), Some(18), "{o:?}");
    assert_eq!(
        stderr_line(&o),
        "error: http://192.168.69.1:8005/: partial body: the connection closed after 300 of the 1000 bytes its Content-Length announced"
    );
    assert_eq!(o.stdout, [&head[..], &body[..300]].concat());

    let o = get(8006);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.stdout, [&head[..], &body[..]].concat());
    drop(ns);
    let _ = std::fs::remove_dir_all(&dir);
}
