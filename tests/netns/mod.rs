//! A network namespace made by the test itself, with a TAP device inside:
//! the Linux side is 192.168.69.1/24 on the TAP, smolsock runs inside the
//! namespace as 192.168.69.2. Nothing leaves the namespace; it is deleted on
//! drop, also when the test fails.
#![allow(dead_code)]

#[macro_use]
pub mod line_server;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const LINUX_IP: &str = "192.168.69.1";
pub const SMOLSOCK_IP: &str = "192.168.69.2";
pub const TAP: &str = "tap0";

/// Why a TAP test cannot run here, if it cannot (not root, no /dev/net/tun, no `ip`).
pub fn unavailable() -> Option<String> {
    // Root check: the Uid line of /proc/self/status.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("?");
    if uid != "0" {
        return Some(format!("not root (uid {uid})"));
    }
    if !std::path::Path::new("/dev/net/tun").exists() {
        return Some("no /dev/net/tun".into());
    }
    match Command::new("ip").arg("-V").output() {
        Ok(o) if o.status.success() => {}
        _ => return Some("no `ip` command (iproute2)".into()),
    }
    None
}

/// Every TAP test is marked
/// `#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]`:
/// `cargo test` lists it as ignored (visibly, and counted), never as a
/// silent `ok`. Run them as root with `cargo test --test tap -- --ignored`
/// (after `cargo build --examples`).
///
/// Fail the calling TAP test, saying why, when it cannot run here: it runs
/// only when asked for (`--ignored`), so a missing privilege is a failure,
/// not a quiet skip.
#[macro_export]
macro_rules! require_tap {
    () => {
        if let Some(why) = $crate::netns::unavailable() {
            panic!("this TAP test cannot run here: {why} (it needs root and /dev/net/tun)");
        }
    };
}

pub struct Netns {
    pub name: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

#[track_caller]
fn run(args: &[&str]) -> Output {
    Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("run command")
}

impl Netns {
    /// Create `smolsock-test-<pid>-<n>` with `tap0` up at 192.168.69.1/24.
    #[track_caller]
    pub fn new() -> Netns {
        let name = format!(
            "smolsock-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let ns = Netns { name };
        let o = run(&["ip", "netns", "add", &ns.name]);
        assert!(
            o.status.success(),
            "ip netns add: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        ns.exec_ok(&["ip", "link", "set", "lo", "up"]);
        ns.exec_ok(&["ip", "tuntap", "add", "dev", TAP, "mode", "tap"]);
        ns.exec_ok(&["ip", "addr", "add", &format!("{LINUX_IP}/24"), "dev", TAP]);
        ns.exec_ok(&["ip", "link", "set", TAP, "up"]);
        ns
    }

    /// Start `python3 script ready args…` inside the namespace, quiet, and
    /// wait (10 s at most) until it has created the file `ready`: the
    /// script's servers are listening. Killed when the guard drops.
    #[track_caller]
    pub fn python_server(
        &self,
        script: &std::path::Path,
        ready: &std::path::Path,
        args: &[&std::path::Path],
    ) -> Guard {
        let server = Guard(
            self.command("python3")
                .arg(script)
                .arg(ready)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("python3"),
        );
        let start = Instant::now();
        while !ready.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{} not ready",
                script.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// A command run inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// Write `script` to `dir/name` and start it as
    /// [`python_server`](Netns::python_server) does, with `dir/ready` as
    /// the file it writes once it listens.
    #[track_caller]
    pub fn python(
        &self,
        dir: &std::path::Path,
        name: &str,
        script: &str,
        args: &[&std::path::Path],
    ) -> Guard {
        assert!(
            Command::new("python3").arg("--version").output().is_ok(),
            "this TAP test needs python3"
        );
        std::fs::write(dir.join(name), script).expect("write the server script");
        let ready = dir.join("ready");
        let _ = std::fs::remove_file(&ready);
        self.python_server(&dir.join(name), &ready, args)
    }

    #[track_caller]
    pub fn exec_ok(&self, args: &[&str]) {
        let o = self
            .command(args[0])
            .args(&args[1..])
            .stdin(Stdio::null())
            .output()
            .expect("ip netns exec");
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Killing the namespace's processes first lets the delete succeed.
        if let Ok(o) = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
        {
            for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// An empty scratch directory for one test, `smolsock-NAME-PID` in the
/// temporary directory (emptied first if a failed run left it).
#[track_caller]
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smolsock-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("make the scratch directory");
    dir
}

/// Path of a built example (`cargo test` builds examples into target/<profile>/examples).
#[track_caller]
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let p = dir.join("examples").join(name);
    assert!(
        p.exists(),
        "example {name} not built at {} (run `cargo build --examples`)",
        p.display()
    );
    p
}

/// Bounds one run of an example on the command line (a demo ends in
/// milliseconds; a refused command line never opens a device).
pub const EXAMPLE_LIMIT: Duration = Duration::from_secs(60);

/// Run example `name` with `args` (`RUST_LOG=info`), within
/// [`EXAMPLE_LIMIT`]: (exit code, stdout, stderr).
#[track_caller]
pub fn run_example(name: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(example(name));
    cmd.args(args).env("RUST_LOG", "info");
    let o = run_within(&mut cmd, EXAMPLE_LIMIT);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `name args` fails with exactly `want` (after `error: `) as its one line
/// on stderr, nothing on stdout, exit status 2.
#[track_caller]
pub fn example_fails_with(name: &str, args: &[&str], want: &str) {
    let (code, out, err) = run_example(name, args);
    assert_eq!(code, Some(2), "{name} {args:?}: stderr {err}");
    assert_eq!(out, "", "{name} {args:?}: nothing on stdout");
    assert_eq!(err, format!("error: {want}\n"), "{name} {args:?}");
}

/// Run to completion within `limit`, killing it otherwise.
#[track_caller]
pub fn run_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Kills its child on drop, also when the test fails.
pub struct Guard(pub std::process::Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The one line on stderr, trimmed (asserting there is exactly one and no panic).
#[track_caller]
pub fn stderr_line(o: &Output) -> String {
    let s = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!s.contains("panicked"), "{s}");
    assert_eq!(s.trim_end().lines().count(), 1, "one line on stderr: {s:?}");
    s.trim_end().to_string()
}

/// For a test that must run inside a namespace of its own: outside (no
/// `env` variable), make the namespace, run test `name` of this same binary
/// again inside it (`ip netns exec NS <binary> --exact NAME`, `env` set)
/// within `limit`, check it passed, and return `false`; inside, return
/// `true`: the caller runs its part now.
#[track_caller]
pub fn rerun_inside(env: &str, name: &str, limit: Duration) -> bool {
    if std::env::var_os(env).is_some() {
        return true;
    }
    require_tap!();
    let ns = Netns::new();
    let exe = std::env::current_exe().expect("test binary");
    let o = run_within(
        ns.command(exe.to_str().expect("utf-8 path"))
            .args([
                "--exact",
                name,
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(env, "1"),
        limit,
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && out.contains("1 passed"),
        "inside the namespace:\nstdout {out}\nstderr {}",
        String::from_utf8_lossy(&o.stderr)
    );
    false
}
