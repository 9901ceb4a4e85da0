//! The seed's line-protocol server, correct and in bounded memory.
//!
//! The seed (`shared/SPEC.md` §1) listens on port 10001 with a backlog of 5,
//! serves one client at a time, prints every line it receives stripped of
//! surrounding whitespace, closes a connection after 5 s without data or on
//! `disconnect`, and stops on `stop`. This module keeps that behaviour and
//! fixes the seed's bugs:
//!
//! - real line framing instead of one `recv` chunk per "line"
//!   ([`framing`] has the exact rules, overlong lines included);
//! - end of stream closes the connection (the seed spun forever);
//! - errors are reported, not swallowed.
//!
//! Parts: [`framing`] (pure bytes → lines), [`LineConfig`] (the seed's
//! numbers), [`LineHandler`] (what you get: sessions opening, lines, sessions
//! closing) and [`LineServer`] (the sockets: a poll-driven state machine with
//! a blocking [`LineServer::run`] on top).
//!
//! **Idle wake-ups.** Between rounds, [`LineServer::run`] makes one
//! [`Stack::select`](crate::Stack::select) over the listener (while a session
//! place is free) and every session, up to the first session deadline; it
//! sleeps in the clock's idle hook until a packet or that deadline. Measured
//! on `SimClock` (`tests/select.rs`, `Clock::idle` calls while 1, 2 or 5 of
//! 5 sessions sit idle for 4 s): **1** with `select`, **400** before (one
//! blocking call at a time in 10 ms slices). The QEMU Cortex-M3 firmware's
//! wake-ups per second with 2 idle sessions are measured by the firmware's CI
//! step (see `firmware/README.md`).
//!
//! ```
//! use smolsock::line::{CloseReason, Event, LineConfig, LineServer};
//! use smolsock::{Clock, Config, Domain, SimClock, Socket, Stack, StackResources, Type};
//! use smoltcp::phy::{Loopback, Medium};
//!
//! let clock = SimClock::new();
//! let mut dev = Loopback::new(Medium::Ip);
//! let mut res = StackResources::<8, 1024>::new();
//! let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
//! let mut server: LineServer = LineServer::new(&stack, LineConfig::default())?;
//!
//! // A client that says one line, then nothing: the idle timeout closes it.
//! let client = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
//! client.set_nonblocking(true)?;
//! let _ = client.connect("127.0.0.1:10001".parse().unwrap());
//! stack.poll(clock.now());
//! client.send_all(b"  hello  \r\n")?;
//!
//! let mut log = Vec::new();
//! let mut handler = |e: Event<'_>| match e {
//!     Event::Line(_, l) => log.push(format!("line {:?}", l.as_str().unwrap_or("?"))),
//!     Event::Closed(_, why) => log.push(format!("closed {why:?}")),
//!     Event::Opened(_) => log.push("opened".into()),
//! };
//! server.poll(&mut handler)?;
//! clock.advance(smoltcp::time::Duration::from_secs(5));
//! server.poll(&mut handler)?;
//! assert_eq!(log, ["opened", "line \"hello\"", "closed IdleTimeout"]);
//! # Ok::<(), smolsock::Error>(())
//! ```
//!
//! ## The behaviour, in words
//!
//! Each line (ended by `\n`; a `\r` before it belongs to the terminator)
//! comes to the handler stripped of surrounding whitespace as Python's
//! `strip()` does, however TCP splits it; binary and NUL bytes pass through.
//! A connection closes on end of stream, on `disconnect`, or after the idle
//! timeout (5 s) without a byte; a partial last line comes first. `stop`
//! closes the connection and the listener (clients waiting in the backlog
//! are reset). `disconnect` and `stop` are commands only as a whole line
//! ended by `\n` (or `\r\n`), exact and case-sensitive: `stop` without a
//! line end, or ` stop`, is a line, not a command. Memory is bounded: a line
//! longer than the limit (1024 bytes) comes in pieces of that length.
//!
//! The same logic runs poll-driven (`server.poll(&mut handler)` in a
//! super-loop) or blocking (`server.run(&mut handler)`), with N sessions at
//! once in fixed memory (`LineServer::<N, LINE_MAX>`); [`LineConfig`] holds
//! the settings (`with_session_limit`, `with_line_timeout`,
//! `with_remote_stop`), and `server.config().backlog` is the backlog the
//! stack's pool granted. The `line_server` example is this module on a TAP
//! device (its flags: examples/README.md); what holds against a hostile
//! client: docs/reliability.md.

mod config;
pub mod framing;
mod handler;
mod server;

pub use config::{
    LineConfig, RemoteStop, DEFAULT_ADDRESS, DEFAULT_BACKLOG, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_LINE, DEFAULT_PORT, MAX_STOP_PEERS,
};
pub use framing::{strip, Command, Frame, Line, LineFramer};
pub use handler::{CloseReason, Event, LineHandler, SessionInfo};
pub use server::{LineServer, Status};
