//! The seed's line server as async firmware on the LM3S6965 (QEMU
//! `lm3s6965evb`): smolsock's async front end on embassy-executor's raw
//! executor, idling in `WFI`. 10.0.2.15/24 via 10.0.2.2, port 10001, 5 s
//! idle timeout; prints each line stripped and 16 dashes after each
//! connection on UART0; `stop` closes the other connections (with their
//! dashes) and ends QEMU with exit status 0.
//!
//! Tasks: one runner (`stack.run(clock, RxReady)`: SysTick alarms and the
//! RX interrupt) and [`SESSIONS`] session tasks, all waiting in `accept` on
//! the one listening `AsyncSocket`; each serves a connection with `recv`
//! and the library's `LineFramer`. Clients beyond them wait in the backlog.
//! No heap: the stack, its pool and the tasks are statics.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::cell::Cell;
use core::future::{poll_fn, Future};
use core::mem::MaybeUninit;
use core::pin::pin;
use core::task::{Poll, Waker};
use cortex_m_rt::entry;
use embassy_executor::raw::Executor;
use smolsock::asynch::AsyncSocket;
use smolsock::line::{
    Command, Frame, LineFramer, DEFAULT_ADDRESS, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_LINE,
    DEFAULT_PORT,
};
use smolsock::{Domain, Error, SockAddr, Stack, Type};
use smolsock_firmware::out;
use smolsock_firmware_resources::{self as resources, LineServerResources};
use smolsock_lm3s6965::async_hw::{self, RxReady};
use smolsock_lm3s6965::board::{self, Lm3s};
use smolsock_lm3s6965::clock::SysTickClock;
use smolsock_lm3s6965::enet::{Enet, MTU};

/// Session tasks: connections served at once. The pool's 6 slots hold
/// them, the listener and the backlog.
const SESSIONS: usize = 2;
/// Backlog asked for (the pool grants what its free slots allow).
const BACKLOG: usize = 5;
/// Bytes per `recv`.
const CHUNK: usize = 128;

const SEP: &[u8] = b"----------------";

/// What the session tasks share.
struct Server {
    listener: AsyncSocket<'static, 'static>,
    stopping: Cell<bool>,
    open: Cell<usize>,
    /// One waker per session task, woken when `stopping` or `open` changes.
    wakers: [Cell<Option<Waker>>; SESSIONS],
}

impl Server {
    fn changed(&self) {
        for w in &self.wakers {
            if let Some(w) = w.take() {
                w.wake();
            }
        }
    }

    fn watch(&self, task: usize, waker: &Waker) {
        if let Some(cell) = self.wakers.get(task) {
            match cell.take() {
                Some(w) if w.will_wake(waker) => cell.set(Some(w)),
                _ => cell.set(Some(waker.clone())),
            }
        }
    }
}

#[embassy_executor::task]
async fn runner(stack: &'static Stack<'static>, clock: &'static SysTickClock) {
    stack.run(clock, RxReady).await
}

#[embassy_executor::task(pool_size = SESSIONS)]
async fn session(server: &'static Server, task: usize) {
    let mut framer = LineFramer::<DEFAULT_MAX_LINE>::new();
    loop {
        if server.stopping.get() {
            return;
        }
        match server.listener.accept().await {
            _ if server.stopping.get() => return,
            Ok((conn, _peer)) => {
                if serve(server, task, &conn, &mut framer).await == Some(Command::Stop) {
                    stop(server, task).await
                }
            }
            // A client that reset while waiting in the backlog: never served.
            Err(Error::ConnectionReset) => {}
            Err(e) => out::fail_with::<Lm3s>(b"accept failed: ", e.python_name().as_bytes()),
        }
    }
}

/// Serve one connection until it closes; the command that closed it.
async fn serve(
    server: &Server,
    task: usize,
    conn: &AsyncSocket<'_, '_>,
    framer: &mut LineFramer<DEFAULT_MAX_LINE>,
) -> Option<Command> {
    server.open.set(server.open.get() + 1);
    framer.reset();
    let mut buf = [0u8; CHUNK];
    let mut command = None;
    if conn.set_timeout(Some(DEFAULT_IDLE_TIMEOUT)).is_ok() {
        'conn: loop {
            // `recv`, or `None` once another session said `stop`.
            let r = {
                let mut recv = pin!(conn.recv(&mut buf));
                poll_fn(|cx| {
                    if server.stopping.get() {
                        return Poll::Ready(None);
                    }
                    server.watch(task, cx.waker());
                    recv.as_mut().poll(cx).map(Some)
                })
                .await
            };
            // End of stream, idle timeout, reset, stop: the connection is over.
            let Some(Ok(n)) = r.filter(|r| r != &Ok(0)) else {
                break;
            };
            let mut data = buf.get(..n).unwrap_or(&[]);
            while !data.is_empty() {
                let (used, frame) = framer.feed(data);
                data = data.get(used..).unwrap_or(&[]);
                match frame {
                    Some(Frame::Line(line)) => out::line::<Lm3s>(line.as_bytes()),
                    Some(Frame::Command(c)) => {
                        command = Some(c);
                        break 'conn;
                    }
                    None => {}
                }
            }
        }
    }
    // A partial line is delivered, except after a command (a whole line).
    if command.is_none() {
        if let Some(Frame::Line(line)) = framer.finish() {
            out::line::<Lm3s>(line.as_bytes());
        }
    }
    framer.reset();
    let _ = conn.close();
    out::line::<Lm3s>(SEP);
    server.open.set(server.open.get().saturating_sub(1));
    server.changed();
    command
}

/// `stop`: close the listener (ending the other sessions' `accept`, resetting
/// the backlog), wait for the other sessions to close their connections,
/// exit 0.
async fn stop(server: &Server, task: usize) -> ! {
    server.stopping.set(true);
    let _ = server.listener.close();
    server.changed();
    poll_fn(|cx| {
        if server.open.get() == 0 {
            return Poll::Ready(());
        }
        server.watch(task, cx.waker());
        Poll::Pending
    })
    .await;
    board::exit_ok()
}

#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut`, taken once: no heap, no unsafe.
    static mut RESOURCES: MaybeUninit<LineServerResources> = MaybeUninit::uninit();
    static mut DEVICE: Option<Enet> = None;
    static mut RX_BUFFER: [u8; MTU] = [0; MTU];
    static mut CLOCK: Option<SysTickClock> = None;
    static mut STACK: Option<Stack<'static>> = None;
    static mut SERVER: Option<Server> = None;
    static mut EXECUTOR: Option<Executor> = None;

    let (device, clock, config) = board::network(RX_BUFFER, DEVICE, CLOCK);
    let resources = resources::line_server(RESOURCES);
    let Ok(stack) = Stack::new(device, clock, resources, config) else {
        board::fail(b"bad network configuration")
    };
    let stack: &'static Stack<'static> = STACK.insert(stack);
    let listener = match AsyncSocket::new(stack, Domain::IPV4, Type::STREAM).and_then(|l| {
        l.bind(SockAddr::new(DEFAULT_ADDRESS, DEFAULT_PORT))?;
        l.listen(BACKLOG)?;
        Ok(l)
    }) {
        Ok(l) => l,
        Err(e) => {
            out::fail_with::<Lm3s>(b"cannot listen on port 10001: ", e.python_name().as_bytes())
        }
    };
    let server: &'static Server = SERVER.insert(Server {
        listener,
        stopping: Cell::new(false),
        open: Cell::new(0),
        wakers: [const { Cell::new(None) }; SESSIONS],
    });
    let executor: &'static Executor = EXECUTOR.insert(Executor::new(core::ptr::null_mut()));
    async_hw::run(executor, |spawner| {
        let spawned = runner(stack, clock).map(|t| spawner.spawn(t)).is_ok()
            && (0..SESSIONS).all(|k| session(server, k).map(|t| spawner.spawn(t)).is_ok());
        if !spawned {
            board::fail(b"cannot spawn the tasks")
        }
    })
}
