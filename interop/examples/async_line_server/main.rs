//! The seed's line server, async: N sessions as N tasks on `embassy-executor`.
//!
//! ```text
//! cargo run -p smolsock-interop --example async_line_server                 # = --loopback: demo, no privileges
//! cargo run -p smolsock-interop --example async_line_server -- --tap TAP [--ip CIDR] [--gateway IP]
//!     [--port 10001] [--sessions 4] [--backlog N] [--idle-timeout SECS] [--pcap FILE]
//! ```
//!
//! One runner task drives the stack (`Stack::run`, sleeping on
//! `EmbassyClock` and, on TAP, on a thread that watches the device's file
//! descriptor); `--sessions` session tasks share one listening
//! `AsyncSocket` (listen backlog `--backlog`, by default the number of
//! sessions), each looping `accept().await`, then `recv().await` on its
//! connection, framing what arrives with the library's `LineFramer`.
//!
//! stdout is the `line_server` example's: each received line, stripped, on
//! its own line, and 16 dashes after every closed connection; nothing else.
//! `disconnect` closes a connection, `stop` closes it and stops the server
//! (every other open connection is closed, with its dashes; clients waiting
//! in the backlog are reset) and the program exits 0. A connection silent for
//! `--idle-timeout` seconds (5; 0 = never) is closed. Diagnostics go to
//! stderr (`RUST_LOG`). A bad flag, or a TAP device that cannot be used, is
//! one line on stderr and exit status 2. (`line_server`'s `--session-limit`,
//! `--line-timeout` and `--remote-stop` are not offered here.)
//!
//! `--loopback` (the default) runs the server on smoltcp's `Loopback` with
//! 3 sessions and a demo client task: four clients, three served at once
//! and one waiting in the backlog, that end with `stop`.

#[path = "../../../examples/common/mod.rs"]
mod common;

mod args;
mod demo;
mod server;

use args::{parse_args, Mode};
use common::{capture, die, open_tap, tap_config};
use embassy_executor::Spawner;
use server::{session, Server};
use smolsock::asynch::TapReady;
use smolsock::asynch::{AsyncSocket, EmbassyClock, NoInterrupt};
use smolsock::line::DEFAULT_PORT;
use smolsock::smoltcp::phy::{Loopback, Medium};
use smolsock::{Config, Domain, SockAddr, Stack, StackResources, Type};
use std::os::unix::io::AsRawFd;

/// Most session tasks (`--sessions`): the tasks' pool size.
const MAX_SESSIONS: usize = 8;
/// Sessions of `--tap` without `--sessions`.
const DEFAULT_SESSIONS: usize = 4;
/// Sessions of the loopback demo (its script is written for three).
const DEMO_SESSIONS: usize = 3;
/// The stack's socket slots and their buffer size: sessions, backlog, the
/// listener, and the demo's clients.
const SLOTS: usize = 32;
const BUF: usize = 4096;
/// Bytes per `recv`, as the seed's `recv(1024)`.
const CHUNK: usize = 1024;

static CLOCK: EmbassyClock = EmbassyClock;

const USAGE: &str = "usage: async_line_server [--loopback] | --tap TAP [--ip CIDR] [--gateway IP] \
[--port 10001] [--sessions 4] [--backlog N] [--idle-timeout SECS] [--pcap FILE]";

#[embassy_executor::task]
async fn run_loopback(stack: &'static Stack<'static>) {
    stack.run(&CLOCK, NoInterrupt).await
}

#[embassy_executor::task]
async fn run_tap(stack: &'static Stack<'static>, ready: TapReady) {
    stack.run(&CLOCK, ready).await
}

/// A stack on `dev` that lives as long as the program.
fn leak_stack<D: smolsock::NetDevice + 'static>(dev: D, config: Config) -> &'static Stack<'static> {
    let dev = Box::leak(Box::new(dev));
    let res = Box::leak(Box::new(StackResources::<SLOTS, BUF>::new()));
    let stack = Stack::new(dev, &CLOCK, res, config)
        .unwrap_or_else(|e| die(format_args!("bad interface configuration: {e}")));
    Box::leak(Box::new(stack))
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let mode = parse_args(std::env::args().skip(1)).unwrap_or_else(|e| die(e));
    let (stack, ip, port, sessions, backlog, idle, demo_at) = match mode {
        Mode::Help => {
            println!("{USAGE}");
            std::process::exit(0)
        }
        Mode::Loopback => {
            let stack = leak_stack(Loopback::new(Medium::Ip), Config::loopback());
            spawner.spawn(run_loopback(stack).unwrap_or_else(|e| die(e)));
            let at = SockAddr::new([127, 0, 0, 1].into(), DEFAULT_PORT);
            let idle = Some(smolsock::line::DEFAULT_IDLE_TIMEOUT);
            (
                stack,
                at.ip().to_string(),
                DEFAULT_PORT,
                DEMO_SESSIONS,
                DEMO_SESSIONS,
                idle,
                Some(at),
            )
        }
        Mode::Tap(t) => {
            let name = t
                .net
                .tap
                .as_deref()
                .unwrap_or_else(|| die("--tap TAP is required"));
            let tap = open_tap(&t.net, name).unwrap_or_else(|e| die(e));
            let ready = TapReady::new(tap.as_raw_fd()).unwrap_or_else(|e| {
                die(format_args!(
                    "cannot start the thread watching '{name}': {e}"
                ))
            });
            let config = tap_config(&t.net);
            let stack = match &t.net.pcap {
                Some(path) => {
                    let now = smolsock::Clock::now(&CLOCK);
                    let dev = tap.map_frames(|f| capture(f, path, now).unwrap_or_else(|e| die(e)));
                    leak_stack(dev, config)
                }
                None => leak_stack(tap, config),
            };
            spawner.spawn(run_tap(stack, ready).unwrap_or_else(|e| die(e)));
            let ip = t.net.ip.address().to_string();
            (stack, ip, t.port, t.sessions, t.backlog, t.idle, None)
        }
    };
    let listener = AsyncSocket::new(stack, Domain::IPV4, Type::STREAM)
        .unwrap_or_else(|e| die(format_args!("cannot make the listening socket: {e}")));
    let at = SockAddr::new(smolsock::line::DEFAULT_ADDRESS, port);
    let granted = listener
        .bind(at)
        .and_then(|()| listener.listen(backlog))
        .unwrap_or_else(|e| die(format_args!("cannot listen on port {port}: {e}")));
    log::info!(
        "async line server on {ip} port {port}, {sessions} session tasks, backlog {granted}{}, idle timeout {idle:?}",
        if granted == backlog { String::new() } else { format!(" (asked for {backlog})") }
    );
    let server: &'static Server = Box::leak(Box::new(Server::new(listener, idle)));
    for _ in 0..sessions {
        spawner.spawn(session(server).unwrap_or_else(|e| die(e)));
    }
    if let Some(at) = demo_at {
        spawner.spawn(demo::demo(server, at).unwrap_or_else(|e| die(e)));
    }
}
