//! The firmware on its two emulated boards, driven from the host through
//! QEMU's user network on 127.0.0.1: `firmware/lm3s6965` on QEMU's
//! `lm3s6965evb` (Cortex-M3, the crate's own Ethernet MAC driver: the line
//! server, blocking and async with two sessions at once, and the HTTP GET
//! client) and `firmware/riscv32-virt` on QEMU's riscv32 `virt` (virtio-net
//! over MMIO on the third-party `virtio-drivers` crate: the same line server
//! and HTTP client, the programs of `firmware/common`), end to end.
//!
//! Ignored by a plain `cargo test` (they build firmware and boot QEMU, about
//! a minute): `.ci/firmware` runs them with
//! `cargo test --test qemu -- --ignored --test-threads=1`. Run
//! without the board's QEMU (`qemu-system-arm`, `qemu-system-riscv32`), a
//! test fails and says what to install, as the TAP tests do without root. Every process is bounded by a deadline and killed on failure.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An emulated board: the scripts' `BOARD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Board {
    /// Cortex-M3 on QEMU's `lm3s6965evb`.
    Lm3s6965,
    /// riscv32 on QEMU's `virt` with a virtio-net device.
    Riscv32Virt,
}

use Board::{Lm3s6965, Riscv32Virt};

impl Board {
    fn name(self) -> &'static str {
        match self {
            Lm3s6965 => "lm3s6965",
            Riscv32Virt => "riscv32-virt",
        }
    }

    fn qemu(self) -> &'static str {
        match self {
            Lm3s6965 => "qemu-system-arm",
            Riscv32Virt => "qemu-system-riscv32",
        }
    }
}

/// Fails the test, saying what to install, if the board's QEMU is missing.
fn require_qemu(board: Board) {
    let found = Command::new(board.qemu())
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{} is not installed: this test boots the {board:?} firmware in it \
         (.ci/firmware installs it with apt; Debian: qemu-system-arm, qemu-system-misc)",
        board.qemu()
    );
}

/// A free port on 127.0.0.1 (bound, then released).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// A script run in its own process group: stdout collected by a thread,
/// stderr (the scripts' notes, the firmware's semihosting lines: the DHCP
/// lease) collected and passed through; the whole group is killed when
/// dropped.
struct Run {
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
    reader: Option<thread::JoinHandle<()>>,
    err_reader: Option<thread::JoinHandle<()>>,
}

/// Copy `from` into `sink` until EOF (and to our stderr when `echo`).
fn collect(
    mut from: impl Read + Send + 'static,
    sink: Arc<Mutex<Vec<u8>>>,
    echo: bool,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            if echo {
                let _ = std::io::stderr().write_all(&buf[..n]);
            }
            sink.lock()
                .expect("output lock")
                .extend_from_slice(&buf[..n]);
        }
    })
}

impl Run {
    fn start(board: Board, script: &str, args: &[&str]) -> Run {
        let mut cmd = Command::new(root().join("scripts").join(script));
        cmd.args(args).env("BOARD", board.name());
        Run::spawn(cmd, script)
    }

    /// Start `cmd` (called `what` in a failure) as a [`Run`].
    fn spawn(mut cmd: Command, what: &str) -> Run {
        use std::os::unix::process::CommandExt;
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let out = Arc::new(Mutex::new(Vec::new()));
        let err = Arc::new(Mutex::new(Vec::new()));
        let reader = collect(stdout, Arc::clone(&out), false);
        let err_reader = collect(stderr, Arc::clone(&err), true);
        Run {
            child,
            out,
            err,
            reader: Some(reader),
            err_reader: Some(err_reader),
        }
    }

    /// What the script and the firmware wrote on stderr so far.
    fn err_text(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().expect("stderr lock")).into_owned()
    }

    /// The board's address: on riscv32 `virt` a lease from QEMU's built-in
    /// DHCP server, noted on stderr (one line, before the program's
    /// output); the LM3S6965 keeps its fixed 10.0.2.15 (DHCP does not fit
    /// its line server's flash budget: firmware/README.md) and notes none.
    fn check_address(&self, board: Board) {
        let err = self.err_text();
        let leases = err.matches("dhcp: lease").count();
        match board {
            Riscv32Virt => assert!(
                leases == 1 && err.contains("dhcp: lease 10.0.2.15/24 via 10.0.2.2\n"),
                "no (single) lease line from QEMU's DHCP server on stderr: {err:?}"
            ),
            Lm3s6965 => assert_eq!(
                leases, 0,
                "a lease line on the fixed-address board: {err:?}"
            ),
        }
    }

    fn output(&self) -> Vec<u8> {
        self.out.lock().expect("output lock").clone()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.output()).into_owned()
    }

    /// Wait until stdout contains `needle`.
    fn wait_for(&self, needle: &str, within: Duration) -> bool {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if self.text().contains(needle) {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Wait for the exit status (None: still running at the deadline).
    fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if let Ok(Some(status)) = self.child.try_wait() {
                for r in [self.reader.take(), self.err_reader.take()]
                    .into_iter()
                    .flatten()
                {
                    let _ = r.join();
                }
                return Some(status.code().unwrap_or(-1));
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let group = format!("-{}", self.child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Build a program before the clock starts on anything timed.
fn build(board: Board, bin: &str) -> PathBuf {
    let out = Command::new(root().join("scripts/firmware-build.sh"))
        .arg(bin)
        .env("BOARD", board.name())
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/firmware-build.sh");
    assert!(
        out.status.success(),
        "firmware build failed for {bin} on {board:?}"
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect to QEMU's forwarded port");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s
}

/// Read until the peer closes (Ok(0)) or resets; true if it did within `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).expect("timeout");
    let mut buf = [0u8; 64];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false
            }
            Err(_) => return true, // reset
        }
    }
}

/// The first connection: QEMU's port forward accepts before the guest is up.
/// If the guest was not listening yet it resets the forwarded connection and
/// QEMU closes ours: then try again. A connection still open is never
/// duplicated (the guest may take a SYN retransmission to see it).
fn first_session(run: &Run, port: u16, hello: &[u8], printed: &str) -> TcpStream {
    let end = Instant::now() + Duration::from_secs(60);
    while Instant::now() < end {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
            thread::sleep(Duration::from_millis(200));
            continue;
        };
        if s.write_all(hello).is_err() {
            continue;
        }
        let wait_end = Instant::now() + Duration::from_secs(20);
        while Instant::now() < wait_end {
            if run.text().contains(printed) {
                s.set_read_timeout(Some(Duration::from_secs(10)))
                    .expect("timeout");
                return s;
            }
            if closed_within(&mut s, Duration::from_millis(100)) {
                break;
            }
        }
        if run.text().contains(printed) {
            return s;
        }
        thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "the line server never answered on 127.0.0.1:{port}; output: {:?}",
        run.text()
    );
}

const SEP: &str = "----------------";

#[test]
#[ignore = "boots firmware in qemu-system-arm; run by .ci/firmware"]
fn line_server_in_qemu() {
    line_server_on(Lm3s6965);
}

#[test]
#[ignore = "boots firmware in qemu-system-riscv32; run by .ci/firmware"]
fn riscv32_virt_line_server_in_qemu() {
    line_server_on(Riscv32Virt);
}

/// The seed's line-server contract on `board`: lines, `disconnect`, the idle
/// timeout in wall time, the backlog of 5 and a 6th refused, `stop`.
fn line_server_on(board: Board) {
    require_qemu(board);
    build(board, "line-server");
    let port = free_port();
    let mut run = Run::start(board, "qemu-line-server.sh", &[&port.to_string()]);

    // 1. Lines (split across writes, with whitespace to strip), then `disconnect`.
    let mut a = first_session(&run, port, b"  hello  \r\n", "hello\n");
    run.check_address(board);
    a.write_all(b"wor").expect("send");
    thread::sleep(Duration::from_millis(100));
    a.write_all(b"ld\t\nlast one\r\ndisconnect\r\n")
        .expect("send");
    assert!(
        closed_within(&mut a, Duration::from_secs(5)),
        "disconnect did not close"
    );
    assert!(run.wait_for("last one\n----------------\n", Duration::from_secs(5)));

    // 2. Reconnect and say nothing: the idle timeout closes it after 5 s of wall time (±20 %).
    let mut b = connect(port);
    let t0 = Instant::now();
    assert!(
        closed_within(&mut b, Duration::from_secs(10)),
        "idle connection never closed"
    );
    let idle = t0.elapsed();
    eprintln!(
        "idle timeout in QEMU: {:.2} s of wall time",
        idle.as_secs_f64()
    );
    assert!(
        (4.0..=6.0).contains(&idle.as_secs_f64()),
        "idle timeout took {idle:?}, not 5 s ± 20 %"
    );

    // 3. One client being served; then 6 at once: 5 wait in the backlog, the
    //    6th is refused (the guest resets it; QEMU's forward then closes it).
    let mut holder = connect(port);
    holder.write_all(b"holder\n").expect("send");
    assert!(run.wait_for("holder\n", Duration::from_secs(5)));
    let mut clients: Vec<TcpStream> = (1..=6)
        .map(|k| {
            let mut c = connect(port);
            c.write_all(format!("client {k}\r\ndisconnect\r\n").as_bytes())
                .expect("send");
            thread::sleep(Duration::from_millis(150));
            c
        })
        .collect();
    thread::sleep(Duration::from_millis(500));
    let closed: Vec<bool> = clients
        .iter_mut()
        .map(|c| closed_within(c, Duration::from_millis(300)))
        .collect();
    assert_eq!(
        closed,
        [false, false, false, false, false, true],
        "the 5 first should wait, the 6th be refused"
    );
    holder.write_all(b"disconnect\n").expect("send");
    let mut served = String::from("holder\n----------------\n");
    for k in 1..=5 {
        served.push_str(&format!("client {k}\n{SEP}\n"));
    }
    assert!(
        run.wait_for(&served, Duration::from_secs(10)),
        "waiting clients not served in order: {:?}",
        run.text()
    );
    for c in clients.iter_mut().take(5) {
        assert!(closed_within(c, Duration::from_secs(5)));
    }

    // 4. `stop`: the program ends and QEMU exits 0.
    let mut s = connect(port);
    s.write_all(b"stop\r\n").expect("send");
    let _ = s.shutdown(Shutdown::Write);
    let status = run.wait_exit(Duration::from_secs(15));
    let expected = format!("hello\nworld\nlast one\n{SEP}\n{SEP}\n{served}{SEP}\n");
    assert_eq!(run.text(), expected);
    assert_eq!(status, Some(0), "QEMU's exit status after stop");
}

/// CPU time (user + system) of process `pid` so far, from /proc (Linux).
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let hz = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(100);
    Some(Duration::from_millis(ticks * 1000 / hz))
}

#[test]
#[ignore = "boots firmware in qemu-system-arm; run by .ci/firmware"]
fn async_line_server_in_qemu() {
    require_qemu(Lm3s6965);
    build(Lm3s6965, "async-line-server");
    let port = free_port();
    let mut run = Run::start(
        Lm3s6965,
        "qemu-line-server.sh",
        &[&port.to_string(), "async-line-server"],
    );

    // 1. Two clients at once: the second is served while the first is open.
    let mut a = first_session(&run, port, b"  a1  \r\n", "a1\n");
    let mut b = connect(port);
    b.write_all(b"b1\n").expect("send");
    assert!(
        run.wait_for("a1\nb1\n", Duration::from_secs(10)),
        "the second client was not served beside the first: {:?}",
        run.text()
    );

    // 2. Both sessions busy and silent: the executor idles in WFI. QEMU
    //    itself (the script exec'd it) uses a fraction of a core; a spinning
    //    idle loop would take all of it.
    let pid = run.child.id();
    if let (Some(t0), true) = (
        cpu_time(pid),
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|c| c.starts_with("qemu-system-arm")),
    ) {
        let wall = Instant::now();
        thread::sleep(Duration::from_secs(2));
        let used = cpu_time(pid).expect("cpu time") - t0;
        let share = used.as_secs_f64() / wall.elapsed().as_secs_f64();
        eprintln!(
            "QEMU CPU while the async firmware idles: {:.0} % of a core",
            share * 100.0
        );
        assert!(
            share < 0.5,
            "the firmware does not sleep while idle: QEMU used {share:.2} of a core"
        );
    }

    // 3. A third client waits in the backlog while both sessions are busy.
    let mut c = connect(port);
    c.write_all(b"c1\r\n").expect("send");
    thread::sleep(Duration::from_millis(500));
    assert!(
        !run.text().contains("c1"),
        "a third connection was served: {:?}",
        run.text()
    );
    assert!(
        !closed_within(&mut c, Duration::from_millis(200)),
        "the third client was refused"
    );

    // 4. Lines of both, alternating, then the first disconnects: the third is served.
    a.write_all(b"a2\n").expect("send");
    assert!(run.wait_for("b1\na2\n", Duration::from_secs(5)));
    b.write_all(b"b2\n").expect("send");
    assert!(run.wait_for("a2\nb2\n", Duration::from_secs(5)));
    a.write_all(b"disconnect\r\n").expect("send");
    assert!(
        closed_within(&mut a, Duration::from_secs(5)),
        "disconnect did not close"
    );
    assert!(
        run.wait_for(&format!("b2\n{SEP}\nc1\n"), Duration::from_secs(10)),
        "the waiting client was not served after the disconnect: {:?}",
        run.text()
    );

    // 5. `stop` from the third: the second's connection is closed too, QEMU exits 0.
    c.write_all(b"stop\n").expect("send");
    let status = run.wait_exit(Duration::from_secs(15));
    assert!(
        closed_within(&mut b, Duration::from_secs(5)),
        "stop left the other connection open"
    );
    let expected = format!("a1\nb1\na2\nb2\n{SEP}\nc1\n{SEP}\n{SEP}\n");
    assert_eq!(run.text(), expected);
    assert_eq!(status, Some(0), "QEMU's exit status after stop");
}

/// 200 KiB of pseudo-random bytes (xorshift), the same every run.
fn payload() -> Vec<u8> {
    let mut x: u32 = 0x2545_f491;
    (0..200 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

struct HttpServer(Child);

impl HttpServer {
    fn start(dir: &Path, port: u16) -> HttpServer {
        let child = Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1"])
            .arg(port.to_string())
            .arg("--directory")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m http.server");
        let end = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < end, "http.server did not come up");
            thread::sleep(Duration::from_millis(50));
        }
        HttpServer(child)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "boots firmware in qemu-system-arm; run by .ci/firmware"]
fn http_get_in_qemu() {
    http_get_on(Lm3s6965);
}

#[test]
#[ignore = "boots firmware in qemu-system-riscv32; run by .ci/firmware"]
fn riscv32_virt_http_get_in_qemu() {
    http_get_on(Riscv32Virt);
}

/// The HTTP client on `board`: 200 KiB byte-exact, a refused port, a reset
/// after part of a response, the 20 s deadline against a silent server.
fn http_get_on(board: Board) {
    require_qemu(board);
    build(board, "http-get");
    let dir = std::env::temp_dir().join(format!("smolsock-qemu-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let body = payload();
    std::fs::write(dir.join("big.bin"), &body).expect("write the file");
    let port = free_port();
    let server = HttpServer::start(&dir, port);

    // A 200 KiB file, byte-exact.
    let mut run = Run::start(board, "qemu-http-get.sh", &[&port.to_string(), "big.bin"]);
    let status = run.wait_exit(Duration::from_secs(60));
    run.check_address(board);
    let out = run.output();
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&out[..split]);
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "head: {head}");
    assert!(head.contains("Content-Length: 204800"), "head: {head}");
    assert!(
        out[split + 4..] == body[..],
        "the body differs from the file"
    );
    assert_eq!(status, Some(0));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);

    // A port nothing listens on: one clear line, exit status 1.
    let closed = free_port();
    let mut run = Run::start(board, "qemu-http-get.sh", &[&closed.to_string()]);
    let status = run.wait_exit(Duration::from_secs(30));
    assert_eq!(run.text(), "error: connection refused\n");
    assert_eq!(status, Some(1));

    // A server that sends part of a response, then resets the connection.
    let reset = TcpListener::bind("127.0.0.1:0").expect("bind");
    let reset_port = reset.local_addr().expect("addr").port();
    let resetter = thread::spawn(move || {
        if let Ok((mut c, _)) = reset.accept() {
            c.set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            // Read only the start of the request: Linux answers a close with
            // unread input by a reset (no SO_LINGER needed).
            let mut start = [0u8; 4];
            let _ = c.read_exact(&mut start);
            let _ = c.write_all(b"HTTP/1.0 200 OK\r\n\r\npartial");
            thread::sleep(Duration::from_millis(300));
            drop(c);
        }
    });
    let mut run = Run::start(board, "qemu-http-get.sh", &[&reset_port.to_string()]);
    let status = run.wait_exit(Duration::from_secs(30));
    assert_eq!(
        run.text(),
        "HTTP/1.0 200 OK\r\n\r\npartial\nerror: connection reset by peer\n"
    );
    assert_eq!(status, Some(1));
    let _ = resetter.join();

    // A server that accepts and never answers: the 20 s deadline.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_port = silent.local_addr().expect("addr").port();
    let holder = thread::spawn(move || {
        let kept = silent.accept();
        thread::sleep(Duration::from_secs(30));
        drop(kept);
    });
    let t0 = Instant::now();
    let mut run = Run::start(board, "qemu-http-get.sh", &[&silent_port.to_string()]);
    let status = run.wait_exit(Duration::from_secs(40));
    let took = t0.elapsed().as_secs_f64();
    eprintln!("HTTP deadline in QEMU: {took:.2} s of wall time (boot included)");
    assert_eq!(run.text(), "error: timed out\n");
    assert_eq!(status, Some(1));
    assert!(
        (18.0..=26.0).contains(&took),
        "timed out after {took:.1} s, not 20 s"
    );
    drop(holder);
}

/// No DHCP server (riscv32 `virt`'s NIC on a UDP socket of 127.0.0.1 that
/// nothing answers, in place of QEMU's user network): the line server
/// waits its 30 s for a lease, then prints one clear error line and exits
/// 1, never listening without an address.
#[test]
#[ignore = "boots firmware in qemu-system-riscv32; run by .ci/firmware"]
fn riscv32_virt_no_dhcp_lease_in_qemu() {
    require_qemu(Riscv32Virt);
    let elf = build(Riscv32Virt, "line-server");
    let (to, from) = (free_port(), free_port());
    let mut qemu = Command::new(Riscv32Virt.qemu());
    qemu.args(["-M", "virt", "-bios", "none", "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native", "-netdev"])
        .arg(format!(
            "socket,id=net0,udp=127.0.0.1:{to},localaddr=127.0.0.1:{from}"
        ))
        .args(["-device", "virtio-net-device,netdev=net0", "-kernel"])
        .arg(&elf);
    let t0 = Instant::now();
    let mut run = Run::spawn(qemu, Riscv32Virt.qemu());
    let status = run.wait_exit(Duration::from_secs(50));
    let took = t0.elapsed().as_secs_f64();
    eprintln!("no DHCP lease in QEMU: gave up after {took:.2} s of wall time (boot included)");
    assert_eq!(
        run.text(),
        "error: no DHCP lease within 30 s (is the board on a network with a DHCP server?): \
         TimeoutError\n"
    );
    assert_eq!(status, Some(1));
    assert!(
        !run.err_text().contains("dhcp: lease"),
        "{}",
        run.err_text()
    );
    assert!(
        (28.0..=38.0).contains(&took),
        "gave up after {took:.1} s, not 30 s"
    );
}

/// A listener that counts the connections it accepted (issue 18, item 6:
/// a refused URL must not reach any server, not even another page).
struct Witness {
    port: u16,
    accepted: Arc<Mutex<usize>>,
    stop: Arc<Mutex<bool>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Witness {
    fn start() -> Witness {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.set_nonblocking(true).expect("nonblocking");
        let port = l.local_addr().expect("addr").port();
        let accepted = Arc::new(Mutex::new(0));
        let stop = Arc::new(Mutex::new(false));
        let (a, s) = (Arc::clone(&accepted), Arc::clone(&stop));
        let thread = thread::spawn(move || {
            while !*s.lock().expect("stop lock") {
                if let Ok((mut c, _)) = l.accept() {
                    *a.lock().expect("count lock") += 1;
                    let _ = c.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nwrong");
                }
                thread::sleep(Duration::from_millis(20));
            }
        });
        Witness {
            port,
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    fn accepted(&self) -> usize {
        *self.accepted.lock().expect("count lock")
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        *self.stop.lock().expect("stop lock") = true;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Issue 18, item 6: a URL that does not parse, or a command line longer
/// than the firmware's 256-byte buffer, is one error line and exit status
/// 1, and no request goes out (it once fetched `GET /a` for `a b` and the
/// default URL for a long one, and exited 0).
#[test]
#[ignore = "boots firmware in qemu-system-arm; run by .ci/firmware"]
fn http_get_refuses_bad_urls_in_qemu() {
    http_get_refuses_bad_urls_on(Lm3s6965);
}

#[test]
#[ignore = "boots firmware in qemu-system-riscv32; run by .ci/firmware"]
fn riscv32_virt_http_get_refuses_bad_urls_in_qemu() {
    http_get_refuses_bad_urls_on(Riscv32Virt);
}

fn http_get_refuses_bad_urls_on(board: Board) {
    require_qemu(board);
    build(board, "http-get");
    let witness = Witness::start();
    let port = witness.port.to_string();

    // A space in the path: the TAP http_get's rule (smolsock::http::Url).
    let mut run = Run::start(board, "qemu-http-get.sh", &[&port, "a b"]);
    let status = run.wait_exit(Duration::from_secs(30));
    assert_eq!(
        run.text(),
        format!(
            "error: http://10.0.2.2:{port}/a b: bad URL: invalid character in path or query \
             (spaces, control and non-ASCII characters must be percent-encoded)\n"
        )
    );
    assert_eq!(status, Some(1));

    // A path that parses but does not fit the command-line buffer (with
    // QEMU's kernel file name in front of it).
    let long = "x".repeat(300);
    let mut run = Run::start(board, "qemu-http-get.sh", &[&port, &long]);
    let status = run.wait_exit(Duration::from_secs(30));
    assert_eq!(
        run.text(),
        "error: the command line (the URL) does not fit the firmware's 256-byte buffer\n"
    );
    assert_eq!(status, Some(1));

    // A bad port: refused before any connection too.
    let mut run = Run::start(board, "qemu-http-get.sh", &["99999", "index.html"]);
    let status = run.wait_exit(Duration::from_secs(30));
    assert_eq!(
        run.text(),
        "error: http://10.0.2.2:99999/index.html: bad URL: invalid port (expected 1-65535)\n"
    );
    assert_eq!(status, Some(1));

    assert_eq!(witness.accepted(), 0, "a refused URL reached the server");
}
