//! The server's tasks: N session tasks sharing one listening socket, and
//! the state they share.

use crate::common::{print_line, SEPARATOR};
use futures_util::future::{select, Either};
use smolsock::asynch::AsyncSocket;
use smolsock::line::{CloseReason, Command, Frame, LineFramer, DEFAULT_MAX_LINE};
use smolsock::{Error, SockAddr};
use smolsock_cli::long_line::LongLines;
use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::{Poll, Waker};
use std::time::Duration;

use crate::{CHUNK, MAX_SESSIONS};

/// Futures of this (single-threaded) program waiting for a condition on the
/// server's state; woken, all of them, whenever it changes.
#[derive(Default)]
pub struct WaitList(RefCell<Vec<Waker>>);

impl WaitList {
    fn until<'w>(&'w self, mut done: impl FnMut() -> bool + 'w) -> impl Future<Output = ()> + 'w {
        poll_fn(move |cx| {
            if done() {
                return Poll::Ready(());
            }
            let mut ws = self.0.borrow_mut();
            if !ws.iter().any(|w| w.will_wake(cx.waker())) {
                ws.push(cx.waker().clone());
            }
            Poll::Pending
        })
    }

    fn wake_all(&self) {
        let ws = std::mem::take(&mut *self.0.borrow_mut());
        ws.into_iter().for_each(Waker::wake);
    }
}

/// What the session tasks share (leaked: it lives as long as the program).
pub struct Server {
    listener: AsyncSocket<'static, 'static>,
    idle: Option<Duration>,
    stopping: Cell<bool>,
    open: Cell<usize>,
    next_id: Cell<u32>,
    /// Lines written to stdout (dashes included): the demo paces itself on it.
    printed: Cell<usize>,
    changed: WaitList,
}

impl Server {
    pub fn new(listener: AsyncSocket<'static, 'static>, idle: Option<Duration>) -> Server {
        Server {
            listener,
            idle,
            stopping: Cell::new(false),
            open: Cell::new(0),
            next_id: Cell::new(0),
            printed: Cell::new(0),
            changed: WaitList::default(),
        }
    }

    /// The stack the server runs on.
    pub fn stack(&self) -> &'static smolsock::Stack<'static> {
        self.listener.stack()
    }

    /// Lines written to stdout so far (dashes included).
    pub fn printed(&self) -> usize {
        self.printed.get()
    }

    /// Until `n` lines in all have been written to stdout.
    pub async fn printed_at_least(&self, n: usize) {
        self.changed.until(|| self.printed.get() >= n).await
    }

    fn print(&self, bytes: &[u8]) {
        print_line(bytes);
        self.printed.set(self.printed.get() + 1);
        self.changed.wake_all();
    }

    /// `stop`: close the listener (resetting clients in its backlog), let
    /// every other session close its connection, then exit 0.
    async fn stop(&self) -> ! {
        self.stopping.set(true);
        self.changed.wake_all();
        if let Err(e) = self.listener.close() {
            log::warn!("closing the listener: {e}");
        }
        self.changed.until(|| self.open.get() == 0).await;
        log::info!("stopped");
        std::process::exit(0)
    }
}

// ----------------------------------------------------------------- sessions

#[embassy_executor::task(pool_size = MAX_SESSIONS)]
pub async fn session(server: &'static Server) {
    let mut framer = LineFramer::<DEFAULT_MAX_LINE>::new();
    // Every session task waits in `accept` on the one listener at once;
    // each connection goes to one of them. `stop` closes the listener, which
    // ends the waits of the others.
    loop {
        if server.stopping.get() {
            return;
        }
        let r = server.listener.accept().await;
        match r {
            Ok(_) | Err(_) if server.stopping.get() => return,
            Ok((conn, peer)) => serve(server, &conn, peer, &mut framer).await,
            // A client that reset while waiting in the backlog: never served.
            Err(Error::ConnectionReset) => {}
            Err(e) => {
                log::warn!("accept: {e}");
                embassy_time::Timer::after_millis(100).await;
            }
        }
    }
}

/// Serve one connection until it closes; `stop` ends the program.
pub async fn serve(
    server: &Server,
    conn: &AsyncSocket<'_, '_>,
    peer: SockAddr,
    framer: &mut LineFramer<DEFAULT_MAX_LINE>,
) {
    let id = server.next_id.get();
    server.next_id.set(id.wrapping_add(1));
    server.open.set(server.open.get() + 1);
    log::info!("connection {id} from {peer}");
    framer.reset();
    let mut long = LongLines::default();
    let mut buf = [0u8; CHUNK];
    let reason = if let Err(e) = conn.set_timeout(server.idle) {
        CloseReason::Error(e)
    } else {
        loop {
            let r = {
                let recv = pin!(conn.recv(&mut buf));
                let stop = pin!(server.changed.until(|| server.stopping.get()));
                match select(recv, stop).await {
                    Either::Left((r, _)) => r,
                    Either::Right(_) => break CloseReason::ServerStopped,
                }
            };
            let n = match r {
                Ok(0) => break CloseReason::Eof,
                Ok(n) => n,
                Err(Error::TimedOut) => break CloseReason::IdleTimeout,
                Err(Error::ConnectionReset) => break CloseReason::Reset,
                Err(e) => break CloseReason::Error(e),
            };
            match lines(server, id, &mut long, framer, buf.get(..n).unwrap_or(&[])) {
                Some(Command::Disconnect) => break CloseReason::Disconnect,
                Some(Command::Stop) => break CloseReason::Stop,
                None => {}
            }
        }
    };
    // A partial line is delivered, except after a command (a whole line).
    if !matches!(reason, CloseReason::Disconnect | CloseReason::Stop) {
        if let Some(Frame::Line(line)) = framer.finish() {
            server.print(line.as_bytes());
        }
    }
    framer.reset();
    if let Err(e) = conn.close() {
        log::warn!("connection {id}: close: {e}");
    }
    log::info!("connection {id} from {peer} closed: {reason:?}");
    server.print(SEPARATOR);
    server.open.set(server.open.get() - 1);
    server.changed.wake_all();
    if reason == CloseReason::Stop {
        server.stop().await
    }
}

/// Print the lines in `data`; the command that ends it, if any (what
/// follows a command in the same read is dropped, as with the seed's
/// 1 KiB `recv`).
pub fn lines(
    server: &Server,
    id: u32,
    long: &mut LongLines,
    framer: &mut LineFramer<DEFAULT_MAX_LINE>,
    mut data: &[u8],
) -> Option<Command> {
    while !data.is_empty() {
        let (used, frame) = framer.feed(data);
        data = data.get(used..).unwrap_or(&[]);
        match frame {
            Some(Frame::Line(line)) => {
                if long.piece(id, line.is_truncated(), line.is_terminated()) {
                    log::warn!(
                        "connection {id}: line longer than {DEFAULT_MAX_LINE} bytes, printed in pieces of that size"
                    );
                }
                server.print(line.as_bytes());
            }
            Some(Frame::Command(c)) => return Some(c),
            None => {}
        }
    }
    None
}
