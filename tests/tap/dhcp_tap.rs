//! DHCP against a real server: dnsmasq (Debian's `dnsmasq-base`) on the
//! Linux side of the namespace's TAP device hands out 192.168.69.50-60 and
//! answers DNS. The `line_server` example with `--dhcp` gets a lease and is
//! reachable at the leased address; `http_get --dhcp` resolves a name
//! through dnsmasq's DNS and fetches a page within one `--timeout`; with no
//! DHCP server, `--dhcp` is a clear error at the deadline.
//!
//! Root only, like every TAP test (`-- --ignored`); every wait is bounded,
//! and dnsmasq dies with the namespace.

use crate::netns::{self, Guard, Netns, LINUX_IP};
use netns::line_server::{Server, SEP};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

pub const DNSMASQ: &str = "/usr/sbin/dnsmasq";

/// dnsmasq inside `ns`, serving DHCP on tap0 with `lease` and DNS with one
/// name of its own (`files.test` → the Linux side); killed on drop.
pub struct Dnsmasq {
    /// dnsmasq itself, killed on drop.
    _guard: Guard,
    pub log: PathBuf,
    dir: PathBuf,
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Dnsmasq {
    #[track_caller]
    pub fn start(ns: &Netns, lease: &str) -> Dnsmasq {
        assert!(
            std::path::Path::new(DNSMASQ).exists(),
            "this test needs dnsmasq (Debian package dnsmasq-base)"
        );
        let dir = std::env::temp_dir().join(format!("smolsock-dnsmasq-{}", ns.name));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("log");
        let child = ns
            .command(DNSMASQ)
            .args(dnsmasq_args(lease, &log))
            .arg(format!("--address=/files.test/{LINUX_IP}"))
            .arg(format!("--dhcp-leasefile={}", dir.join("leases").display()))
            .arg("--log-queries")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn dnsmasq");
        wait_started(&log);
        Dnsmasq {
            _guard: Guard(child),
            log,
            dir,
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// dnsmasq's flags: DHCP on tap0 only, 192.168.69.50-60 for `lease`, no
/// configuration or hosts file of the machine, every DHCP message logged
/// to `log`.
pub fn dnsmasq_args(lease: &str, log: &Path) -> Vec<String> {
    [
        "--no-daemon",
        "--conf-file=/dev/null",
        "--user=root",
        "--interface=tap0",
        "--bind-interfaces",
        "--except-interface=lo",
        "--no-resolv",
        "--no-hosts",
        "--no-ping",
        "--log-dhcp",
    ]
    .into_iter()
    .map(String::from)
    .chain([
        format!("--dhcp-range=192.168.69.50,192.168.69.60,255.255.255.0,{lease}"),
        format!("--log-facility={}", log.display()),
    ])
    .collect()
}

/// Wait (at most 10 s) until dnsmasq says in `log` that it serves DHCP.
#[track_caller]
pub fn wait_started(log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains("DHCP, IP range") {
            return;
        }
        assert!(Instant::now() < deadline, "dnsmasq did not start: {text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The leased address in the example's stderr line
/// `DHCP lease on tap0: 192.168.69.5x/24 (gateway ..., DNS ...)`.
#[track_caller]
pub fn leased_ip(line: &str) -> String {
    let rest = line
        .split_once("DHCP lease on tap0: ")
        .unwrap_or_else(|| panic!("no lease line: {line:?}"))
        .1;
    let cidr = rest.split_whitespace().next().unwrap();
    cidr.split('/').next().unwrap().to_string()
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn line_server_with_dhcp_from_dnsmasq_is_reachable_at_the_leased_address() {
    require_line_tools!();
    let ns = Netns::new();
    let dnsmasq = Dnsmasq::start(&ns, "1h");
    // Started once it says it has its lease (it listens right after).
    let server = Server::start(&ns, "line_server", "DHCP lease on tap0", &["--dhcp"]);
    let lease_line = server.started.clone();
    let ip = leased_ip(&lease_line);
    assert!(ip.starts_with("192.168.69."), "{lease_line}");
    let last: u8 = ip.rsplit('.').next().unwrap().parse().unwrap();
    assert!((50..=60).contains(&last), "{lease_line}");
    assert!(
        lease_line.ends_with(&format!("(gateway {LINUX_IP}, DNS {LINUX_IP})")),
        "{lease_line}"
    );
    // dnsmasq agrees: it acknowledged that address to smolsock's MAC.
    let log = dnsmasq.log_text();
    assert!(log.contains(&format!("DHCPACK(tap0) {ip}")), "{log}");
    // The line server answers at the leased address (and not at the
    // default static one).
    let o = ns
        .command("timeout")
        .args(["10", "nc", "-N", &ip, "10001"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(b"via dhcp\nstop\n")?;
            c.wait_with_output()
        })
        .expect("nc");
    assert!(o.status.success(), "nc to {ip}:10001 failed");
    let (code, out, err) = server.exit_all();
    assert_eq!(code, Some(0));
    assert_eq!(out, ["via dhcp", SEP]);
    // It said where it listens: the leased address.
    assert!(
        err.iter()
            .any(|l| l.contains(&format!("line server on {ip}/24 port 10001"))),
        "{err:?}"
    );
}

/// `http_get --dhcp --timeout SECS http://files.test:8000/page.txt` in `ns`.
#[track_caller]
fn http_get_dhcp(ns: &Netns, secs: &str) -> std::process::Output {
    let exe = netns::example("http_get");
    let url = "http://files.test:8000/page.txt";
    let args = ["--tap", "tap0", "--dhcp", "--timeout", secs, url];
    netns::run_within(
        ns.command(exe.to_str().unwrap()).args(args),
        Duration::from_secs(30),
    )
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn http_get_with_dhcp_resolves_through_dnsmasq_and_fetches() {
    require_line_tools!();
    let ns = Netns::new();
    let _dnsmasq = Dnsmasq::start(&ns, "1h");
    let dir = std::env::temp_dir().join(format!("smolsock-dhcp-www-{}", ns.name));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("page.txt"), b"served to a leased address\n").unwrap();
    let mut http = ns.command("python3");
    http.args([
        "-m",
        "http.server",
        "--bind",
        LINUX_IP,
        "8000",
        "--directory",
    ])
    .arg(&dir)
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let _http = Guard(http.spawn().expect("python3 http.server"));
    // Up once curl gets the page from inside the namespace.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ok = ns
            .command("curl")
            .args(["-s", "-o", "/dev/null", "--max-time", "1"])
            .arg(format!("http://{LINUX_IP}:8000/page.txt"))
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "http.server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let o = http_get_dhcp(&ns, "20");
    let _ = std::fs::remove_dir_all(&dir);
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stderr: {err}");
    assert!(out.starts_with("HTTP/1.0 200"), "{out}");
    assert!(
        out.ends_with("\r\n\r\nserved to a leased address\n"),
        "{out}"
    );
    // One line on stderr: the lease.
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("DHCP lease on tap0: 192.168.69."), "{err}");
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn http_get_with_dhcp_and_no_server_fails_at_its_deadline() {
    require_tap!();
    let ns = Netns::new();
    let start = Instant::now();
    let o = http_get_dhcp(&ns, "3");
    let took = start.elapsed();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        netns::stderr_line(&o),
        "error: no DHCP lease on tap0 within 3 s: no DHCP server answered"
    );
    assert!(o.stdout.is_empty());
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(10),
        "{took:?}"
    );
}
