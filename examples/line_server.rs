//! The seed's line server on a Linux TAP device.
//!
//! ```text
//! cargo run --release --example line_server -- --tap TAP [--ip CIDR] [--gateway IP]
//!     [--port 10001] [--backlog 5] [--idle-timeout SECS] [--pcap FILE]
//! ```
//!
//! stdout: each received line, stripped, on its own line, and 16 dashes after
//! every closed connection; nothing else. Diagnostics go to stderr
//! (`RUST_LOG`). Exits 0 after a client sends `stop`.

#[path = "common/mod.rs"]
mod common;

use common::{die, with_tap_stack, NetOpts};
use smolsock::line::{CloseReason, Line, LineConfig, LineHandler, LineServer, SessionInfo};
use std::io::Write;

const USAGE: &str = "usage: line_server --tap TAP [--ip CIDR] [--gateway IP] [--port 10001] \
[--backlog 5] [--idle-timeout SECS] [--pcap FILE]   (--idle-timeout 0: never)";

struct Args {
    net: NetOpts,
    config: LineConfig,
}

fn parse_args() -> Result<Args, String> {
    let mut net = NetOpts::default();
    let mut config = LineConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if net.take(&flag, &mut args)? {
            continue;
        }
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => {
                let v = value()?;
                config.port = v
                    .parse()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| format!("--port: not a port number (1-65535): {v}"))?;
            }
            "--backlog" => {
                let v = value()?;
                config.backlog = v
                    .parse()
                    .map_err(|_| format!("--backlog: not a number: {v}"))?;
            }
            "--idle-timeout" => {
                let v = value()?;
                let secs: f64 = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                    .ok_or_else(|| format!("--idle-timeout: not a number of seconds: {v}"))?;
                config.idle_timeout =
                    (secs > 0.0).then(|| std::time::Duration::from_secs_f64(secs));
            }
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}; {USAGE}")),
        }
    }
    if net.tap.is_none() {
        return Err(format!("--tap TAP is required; {USAGE}"));
    }
    Ok(Args { net, config })
}

/// Prints what the seed printed, flushed per line.
struct Printer;

impl Printer {
    fn print(&self, bytes: &[u8]) {
        let mut out = std::io::stdout().lock();
        let r = out
            .write_all(bytes)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        if let Err(e) = r {
            die(format_args!("cannot write to stdout: {e}"));
        }
    }
}

impl LineHandler for Printer {
    fn opened(&mut self, s: &SessionInfo) {
        log::info!("connection {} from {}", s.id, s.peer);
    }

    fn line(&mut self, s: &SessionInfo, line: Line<'_>) {
        if line.is_truncated() {
            log::warn!(
                "connection {}: line longer than the limit, printed in pieces",
                s.id
            );
        }
        self.print(line.as_bytes());
    }

    fn closed(&mut self, s: &SessionInfo, reason: CloseReason) {
        log::info!("connection {} from {} closed: {reason:?}", s.id, s.peer);
        self.print(b"----------------");
    }
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let args = parse_args().unwrap_or_else(|e| die(e));
    with_tap_stack(&args.net, |stack| {
        let mut server: LineServer =
            LineServer::new(stack, args.config.clone()).unwrap_or_else(|e| {
                die(format_args!(
                    "cannot listen on port {}: {e}",
                    args.config.port
                ))
            });
        log::info!(
            "line server on {} port {}, backlog {}, idle timeout {:?}",
            args.net.ip,
            args.config.port,
            args.config.backlog,
            args.config.idle_timeout
        );
        if let Err(e) = server.run(&mut Printer) {
            die(format_args!("line server failed: {e}"));
        }
        log::info!("stopped");
    });
}
