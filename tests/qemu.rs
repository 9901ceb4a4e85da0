//! The firmware (`firmware/lm3s6965`) on QEMU's `lm3s6965evb`, driven from
//! the host through QEMU's user network on 127.0.0.1: the line server and
//! the HTTP GET client, end to end, on the Cortex-M3 Ethernet MAC driver.
//!
//! Ignored by a plain `cargo test` (they build firmware and boot QEMU, about
//! a minute): `.ci/firmware` runs them with
//! `cargo test --test qemu -- --ignored --test-threads=1`. Where
//! `qemu-system-arm` cannot be had at all, each prints one `SKIPPED:` line
//! and passes. Every process is bounded by a deadline and killed on failure.

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

fn have_qemu() -> bool {
    if Command::new("qemu-system-arm")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        return true;
    }
    eprintln!("SKIPPED: qemu-system-arm is not installed (.ci/firmware installs it with apt)");
    false
}

/// A free port on 127.0.0.1 (bound, then released).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// A script run in its own process group: stdout collected by a thread,
/// stderr passed through; the whole group is killed when dropped.
struct Run {
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
    reader: Option<thread::JoinHandle<()>>,
}

impl Run {
    fn start(script: &str, args: &[&str]) -> Run {
        use std::os::unix::process::CommandExt;
        let mut child = Command::new(root().join("scripts").join(script))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start scripts/{script}: {e}"));
        let mut stdout = child.stdout.take().expect("piped stdout");
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&out);
        let reader = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("output lock")
                    .extend_from_slice(&buf[..n]);
            }
        });
        Run {
            child,
            out,
            reader: Some(reader),
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
                if let Some(r) = self.reader.take() {
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
fn build(bin: &str) -> PathBuf {
    let out = Command::new(root().join("scripts/firmware-build.sh"))
        .arg(bin)
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/firmware-build.sh");
    assert!(out.status.success(), "firmware build failed for {bin}");
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
    if !have_qemu() {
        return;
    }
    build("line-server");
    let port = free_port();
    let mut run = Run::start("qemu-line-server.sh", &[&port.to_string()]);

    // 1. Lines (split across writes, with whitespace to strip), then `disconnect`.
    let mut a = first_session(&run, port, b"  hello  \r\n", "hello\n");
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
    if !have_qemu() {
        return;
    }
    build("http-get");
    let dir = std::env::temp_dir().join(format!("smolsock-qemu-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let body = payload();
    std::fs::write(dir.join("big.bin"), &body).expect("write the file");
    let port = free_port();
    let server = HttpServer::start(&dir, port);

    // A 200 KiB file, byte-exact.
    let mut run = Run::start("qemu-http-get.sh", &[&port.to_string(), "big.bin"]);
    let status = run.wait_exit(Duration::from_secs(60));
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
    let mut run = Run::start("qemu-http-get.sh", &[&closed.to_string()]);
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
    let mut run = Run::start("qemu-http-get.sh", &[&reset_port.to_string()]);
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
    let mut run = Run::start("qemu-http-get.sh", &[&silent_port.to_string()]);
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
