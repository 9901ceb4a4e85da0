//! The seed's line server on a Linux TAP device.
//!
//! ```text
//! cargo run --release --example line_server -- --tap TAP [--ip CIDR] [--gateway IP]
//!     [--dhcp] [--port 10001] [--backlog 5] [--idle-timeout SECS] [--session-limit SECS]
//!     [--line-timeout SECS] [--remote-stop any|none|IP[,IP...]] [--pcap FILE]
//! ```
//!
//! stdout: each received line, stripped, on its own line, and 16 dashes after
//! every closed connection; nothing else. Diagnostics go to stderr
//! (`RUST_LOG`). Exits 0 after a client sends `stop`; a bad flag or a TAP
//! device that cannot be used is one line on stderr and exit status 2.

#[path = "common/mod.rs"]
mod common;

use common::{die, print_line, with_tap_stack, DHCP_WAIT, SEPARATOR, SLOTS};
use smolsock::line::{CloseReason, Line, LineHandler, LineServer, SessionInfo};
use smolsock_cli::args::{line_help, parse_line_args, LineArgs};
use smolsock_cli::long_line::LongLines;

/// Prints what the seed printed, flushed per line.
#[derive(Default)]
struct Printer {
    long: LongLines,
    max_line: usize,
}

impl LineHandler for Printer {
    fn opened(&mut self, s: &SessionInfo) {
        log::info!("connection {} from {}", s.id, s.peer);
    }

    fn line(&mut self, s: &SessionInfo, line: Line<'_>) {
        if self
            .long
            .piece(s.id, line.is_truncated(), line.is_terminated())
        {
            log::warn!(
                "connection {}: line longer than {} bytes, printed in pieces of that size",
                s.id,
                self.max_line
            );
        }
        print_line(line.as_bytes());
    }

    fn closed(&mut self, s: &SessionInfo, reason: CloseReason) {
        self.long.forget(s.id);
        if reason == CloseReason::StopRefused {
            log::warn!(
                "connection {} from {}: `stop` refused (--remote-stop), connection closed",
                s.id,
                s.peer
            );
        }
        log::info!("connection {} from {} closed: {reason:?}", s.id, s.peer);
        print_line(SEPARATOR);
    }
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let (net, config) = match parse_line_args(std::env::args().skip(1)) {
        Ok(LineArgs::Run { net, config }) => (net, config),
        Ok(LineArgs::Help) => {
            println!("{}", line_help());
            return;
        }
        Err(e) => die(e),
    };
    with_tap_stack(&net, DHCP_WAIT, |stack| {
        let asked = config.backlog;
        let mut server: LineServer = LineServer::new(stack, config.clone())
            .unwrap_or_else(|e| die(format_args!("cannot listen on port {}: {e}", config.port)));
        let c = server.config();
        let granted = if c.backlog == asked {
            format!("backlog {}", c.backlog)
        } else {
            format!(
                "backlog {} (asked for {asked}; the pool has {SLOTS} sockets and one serves the current client)",
                c.backlog
            )
        };
        log::info!(
            "line server on {} port {}, {granted}, idle timeout {:?}, session limit {:?}, line timeout {:?}, remote stop {:?}",
            // The address it really has (the lease's, with --dhcp).
            stack
                .ipv4_config()
                .map_or(net.ip.to_string(), |c| c.address.to_string()),
            c.port,
            c.idle_timeout,
            c.session_limit,
            c.line_timeout,
            c.remote_stop
        );
        let mut printer = Printer {
            max_line: c.max_line,
            ..Printer::default()
        };
        if let Err(e) = server.run(&mut printer) {
            die(format_args!("line server failed: {e}"));
        }
        log::info!("stopped");
    });
}
