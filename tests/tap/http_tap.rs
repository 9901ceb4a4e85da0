//! The `http_get` example over a real TAP device, inside a network namespace
//! the test makes itself (tests/netns): Python's `http.server` and a small
//! Python DNS responder run on the Linux side (192.168.69.1), the example is
//! smolsock at 192.168.69.2. Its stdout must be the bytes `curl -s -i
//! --http1.0` gets from the same server (the `Date` value aside, which may
//! tick between the two). Needs root, /dev/net/tun, iproute2, python3, curl;
//! marked `#[ignore]` (run them as root with `-- --ignored`;
//! they fail, saying why, if they cannot run). Every wait is bounded; children die with
//! the namespace.

use crate::netns;
use netns::{run_within as run, stderr_line, Guard};

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const HTTP_PORT: u16 = 8000;
/// Ports of helpers.py: accepts nothing (silent), resets mid-body.
const SILENT_PORT: u16 = 8002;
const RESET_PORT: u16 = 8003;

/// The Linux-side helpers: a DNS responder on 192.168.69.1:53 (A for
/// web.smolsock.test, NXDOMAIN otherwise), a listener that never accepts,
/// a server that resets in the middle of the body. Writes `ready` when bound.
const HELPERS: &str = r#"
import socket, struct, sys, threading, time, os
IP = "192.168.69.1"
NAMES = {"web.smolsock.test": bytes([192, 168, 69, 1])}

def dns():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((IP, 53))
    ready.append("dns")
    while True:
        q, peer = s.recvfrom(512)
        i, labels = 12, []
        while q[i] != 0:
            labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
            i += 1 + q[i]
        qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
        question = q[12:i + 5]
        ip = NAMES.get(".".join(labels).lower())
        answer = ip is not None and qtype == 1
        flags = 0x8180 | (0 if ip is not None else 3)
        r = q[:2] + struct.pack("!HHHHH", flags, 1, 1 if answer else 0, 0, 0) + question
        if answer:
            r += struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + ip
        s.sendto(r, peer)

def silent():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((IP, int(sys.argv[2])))
    s.listen(8)
    ready.append("silent")
    time.sleep(3600)

def reset():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((IP, int(sys.argv[3])))
    s.listen(8)
    ready.append("reset")
    while True:
        c, _ = s.accept()
        c.recv(4096)
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"r" * 5000)
        time.sleep(0.5)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()

ready = []
for f in (dns, silent, reset):
    threading.Thread(target=f, daemon=True).start()
while len(ready) < 3:
    time.sleep(0.01)
open(sys.argv[1], "w").write("ready")
time.sleep(3600)
"#;

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[track_caller]
fn wait_for(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "{what} not ready within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The namespace with the HTTP server and the helpers running.
struct Lab {
    ns: netns::Netns,
    dir: PathBuf,
    _children: Vec<Guard>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Lab {
    #[track_caller]
    fn new(tag: &str) -> Lab {
        let dir =
            std::env::temp_dir().join(format!("smolsock-http-tap-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let www = dir.join("www");
        std::fs::create_dir_all(&www).unwrap();
        // 40 KiB of every byte value: many chunks, nothing text-only.
        let file: Vec<u8> = (0..40 * 1024u32)
            .map(|i| (i * 31 + i / 256) as u8)
            .collect();
        std::fs::write(www.join("hello.bin"), &file).unwrap();
        std::fs::write(dir.join("helpers.py"), HELPERS).unwrap();
        let ready = dir.join("ready");

        let ns = netns::Netns::new();
        let mut children = Vec::new();
        let quiet = |c: &mut Command| {
            c.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
        };
        let mut http = ns.command("python3");
        http.args([
            "-m",
            "http.server",
            "--bind",
            netns::LINUX_IP,
            &HTTP_PORT.to_string(),
        ])
        .arg("--directory")
        .arg(&www);
        quiet(&mut http);
        children.push(Guard(http.spawn().expect("python3 http.server")));
        let mut helpers = ns.command("python3");
        helpers
            .arg(dir.join("helpers.py"))
            .arg(&ready)
            .args([SILENT_PORT.to_string(), RESET_PORT.to_string()]);
        quiet(&mut helpers);
        children.push(Guard(helpers.spawn().expect("python3 helpers")));

        let lab = Lab {
            ns,
            dir,
            _children: children,
        };
        wait_for("DNS responder and helpers", Duration::from_secs(10), || {
            ready.exists()
        });
        wait_for("http.server", Duration::from_secs(10), || {
            let url = format!("http://{}:{HTTP_PORT}/", netns::LINUX_IP);
            run(
                lab.ns
                    .command("curl")
                    .args(["-s", "-o", "/dev/null", "--max-time", "2", &url]),
                Duration::from_secs(5),
            )
            .status
            .success()
        });
        lab
    }

    #[track_caller]
    fn curl(&self, path: &str) -> Vec<u8> {
        let url = format!("http://{}:{HTTP_PORT}{path}", netns::LINUX_IP);
        let o = run(
            self.ns
                .command("curl")
                .args(["-s", "-i", "--http1.0", "--max-time", "10", &url]),
            Duration::from_secs(15),
        );
        assert!(
            o.status.success(),
            "curl {url}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    }

    #[track_caller]
    fn http_get(&self, args: &[&str]) -> Output {
        let exe = netns::example("http_get");
        run(
            self.ns
                .command(exe.to_str().unwrap())
                .args(["--tap", netns::TAP])
                .args(args),
            Duration::from_secs(40),
        )
    }
}

/// The bytes with the `Date:` header's value blanked.
fn without_date(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut in_head = true;
    let mut rest = raw;
    while in_head {
        let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else {
            break;
        };
        let line = &rest[..end + 2];
        in_head = line != b"\r\n";
        if line.len() > 5 && line[..5].eq_ignore_ascii_case(b"date:") {
            out.extend_from_slice(b"Date: -\r\n");
        } else {
            out.extend_from_slice(line);
        }
        rest = &rest[end + 2..];
    }
    out.extend_from_slice(rest);
    out
}

macro_rules! require_tools {
    () => {
        require_tap!();
        if !have("python3") || !have("curl") {
            panic!("this TAP HTTP test needs python3 and curl (Debian: python3 curl)");
        }
    };
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn http_get_over_tap_matches_curl_and_reports_errors() {
    require_tools!();
    let lab = Lab::new("main");
    let ip = netns::LINUX_IP;

    // An IP literal: the same bytes as curl.
    let want = lab.curl("/hello.bin");
    assert!(
        want.starts_with(b"HTTP/1.0 200 OK\r\n"),
        "{}",
        String::from_utf8_lossy(&want[..40])
    );
    let o = lab.http_get(&[&format!("http://{ip}:{HTTP_PORT}/hello.bin")]);
    assert!(
        o.status.success(),
        "http_get: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.stdout.len(), want.len());
    assert!(
        without_date(&o.stdout) == without_date(&want),
        "stdout differs from curl"
    );

    // A name answered by the DNS responder on the Linux side.
    let o = lab.http_get(&[
        "--timeout",
        "15",
        &format!("http://web.smolsock.test:{HTTP_PORT}/hello.bin"),
    ]);
    assert!(
        o.status.success(),
        "http_get by name: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        without_date(&o.stdout) == without_date(&want),
        "stdout by name differs from curl"
    );

    // A 404 is a response: exit 0, the bytes curl got.
    let want = lab.curl("/missing");
    assert!(want.starts_with(b"HTTP/1.0 404"));
    let o = lab.http_get(&[&format!("http://{ip}:{HTTP_PORT}/missing")]);
    assert!(
        o.status.success(),
        "404: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        without_date(&o.stdout) == without_date(&want),
        "404 differs from curl"
    );

    // Refused: nothing listens on 8001.
    let o = lab.http_get(&[&format!("http://{ip}:8001/")]);
    assert!(!o.status.success());
    assert!(stderr_line(&o).contains("connection refused"));

    // Timed out: a listener that never answers, --timeout 2.
    let start = Instant::now();
    let o = lab.http_get(&["--timeout", "2", &format!("http://{ip}:{SILENT_PORT}/")]);
    let took = start.elapsed();
    assert!(!o.status.success());
    assert!(stderr_line(&o).contains("timed out"));
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(15),
        "{took:?}"
    );

    // Reset in the middle of the body: what came is on stdout, then the error.
    let o = lab.http_get(&[&format!("http://{ip}:{RESET_PORT}/")]);
    assert!(!o.status.success());
    assert!(stderr_line(&o).contains("connection reset"));
    assert!(o.stdout.starts_with(b"HTTP/1.0 200 OK\r\n"));

    // Bad URLs, https:// first (with the `tls` feature it needs --cacert).
    let o = lab.http_get(&["https://web.smolsock.test/"]);
    assert!(!o.status.success());
    let want = if cfg!(feature = "tls") {
        "needs --cacert"
    } else {
        "not supported"
    };
    assert!(stderr_line(&o).contains(want));
    let o = lab.http_get(&["http://we b/"]);
    assert!(!o.status.success());
    assert!(stderr_line(&o).contains("bad URL"));
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn http_get_over_tap_reports_a_name_that_does_not_resolve() {
    require_tools!();
    let lab = Lab::new("nx");
    let o = lab.http_get(&[&format!("http://nx.smolsock.test:{HTTP_PORT}/")]);
    assert!(!o.status.success());
    let line = stderr_line(&o);
    assert!(
        line.contains("not resolved") && line.contains("nx.smolsock.test"),
        "{line}"
    );
    assert!(o.stdout.is_empty());
}
