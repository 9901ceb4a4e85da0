//! `Stack::select`: wait on several sockets at once (Python's
//! `select.select`, poll(2)'s shape), in the stack's one wait loop.

use super::events::{Events, Interest};
use super::Socket;
use crate::error::{Error, Result};
use crate::inner::Inner;
use crate::slot::Kind;
use crate::stack::{Op, Stack};
use core::time::Duration;

/// What `socket` is ready for now, by its kind.
pub(crate) fn readiness(core: &mut Inner<'_>, socket: &Socket<'_, '_>) -> Result<Events> {
    let id = socket.id.get();
    match socket.kind {
        Kind::Tcp => super::tcp::events(core, id),
        #[cfg(feature = "udp")]
        Kind::Udp => super::udp::events(core, id),
    }
}

/// Fill in each entry's `ready`; how many have any (`None`: not one).
pub(crate) fn look(core: &mut Inner<'_>, set: &mut [Interest<'_, '_>]) -> Result<Option<usize>> {
    let mut n = 0;
    for e in set.iter_mut() {
        let ev = readiness(core, e.socket)?;
        e.ready = ev & (e.events | Events::ERROR | Events::HANGUP);
        n += usize::from(!e.ready.is_empty());
    }
    Ok((n > 0).then_some(n))
}

/// Clear every entry's `ready`; [`Error::InvalidInput`] for a socket of
/// another stack.
pub(crate) fn reset<'a>(stack: &Stack<'a>, set: &mut [Interest<'_, 'a>]) -> Result<()> {
    for e in set.iter_mut() {
        e.ready = Events::EMPTY;
        let theirs: *const Stack<'a> = e.socket.stack();
        if !core::ptr::eq(theirs, stack) {
            return Err(Error::InvalidInput);
        }
    }
    Ok(())
}

impl<'a> Socket<'_, 'a> {
    /// Waiting until some condition of `want` (or ERROR, HANGUP) holds:
    /// `AsyncSocket::readable` / `writable`.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    pub(crate) fn ready_op(
        &self,
        want: Events,
    ) -> Op<impl FnMut(&mut Inner<'a>) -> Result<Option<()>> + '_> {
        let run = move |core: &mut Inner<'a>| {
            let ev = readiness(core, self)? & (want | Events::ERROR | Events::HANGUP);
            Ok((!ev.is_empty()).then_some(()))
        };
        if want.contains(Events::WRITE) {
            Op::write(run)
        } else {
            Op::read(run)
        }
    }
}

impl<'a> Stack<'a> {
    /// [`select`](Self::select) as a future (feature `async`), on the
    /// per-slot wakers: it waits as the reader of every socket in `set` and
    /// is woken when the runner ([`Stack::run`]) moves packets or a
    /// deadline passes. `Some(Duration::ZERO)` looks once.
    #[cfg(feature = "async")]
    pub async fn select_async(
        &self,
        set: &mut [Interest<'_, 'a>],
        timeout: Option<Duration>,
    ) -> Result<usize> {
        use crate::waiters::{Dir, Waiter};
        if timeout.is_some_and(|d| d.is_zero()) {
            return self.select(set, timeout);
        }
        reset(self, set)?;
        let deadline = crate::time::deadline(self.now(), timeout);
        core::future::poll_fn(|cx| {
            let r = self
                .with_core_no_wake(|core| look(core, set))
                .map_err(Error::from)
                .and_then(|r| r);
            match r {
                Err(e) => core::task::Poll::Ready(Err(e)),
                Ok(Some(n)) => core::task::Poll::Ready(Ok(n)),
                Ok(None) if crate::time::expired(self.now(), deadline) => {
                    core::task::Poll::Ready(Ok(0))
                }
                Ok(None) => {
                    for e in set.iter() {
                        let who = Waiter::Slot(e.socket.slot_index(), Dir::Read);
                        self.wait_as(who, cx.waker(), deadline);
                    }
                    if set.is_empty() {
                        self.wait_as(Waiter::Any, cx.waker(), deadline);
                    }
                    core::task::Poll::Pending
                }
            }
        })
        .await
    }

    /// Wait until some socket of `set` is ready for what its entry asks
    /// (Python's `select.select`, poll(2)'s shape, no heap). Returns how many
    /// entries have any condition, each one's in [`Interest::ready`];
    /// `Ok(0)` when `timeout` passes. `None` waits for ever
    /// ([`Error::Stalled`] on a simulated clock with nothing to happen);
    /// `Some(Duration::ZERO)` looks once. The sockets' own modes and
    /// timeouts do not matter. [`Events::ERROR`] and [`Events::HANGUP`] are
    /// reported whether asked for or not. A closed socket in the set is
    /// [`Error::BadDescriptor`]; an empty set just waits for the timeout.
    ///
    /// It sleeps in the stack's one wait loop ([`Clock::idle`](crate::Clock::idle)
    /// until the deadline or the stack's next timer, or a packet may have
    /// come): no slices, no busy loop.
    ///
    /// One thread, several clients (the seed's `select.select` server): an
    /// echo server that sleeps in `select` over its listener and every open
    /// connection, in fixed memory.
    ///
    /// ```
    /// use smolsock::{Config, Domain, Events, Interest, SimClock, Socket, Stack, StackResources, Type};
    /// use smolsock::smoltcp::phy::{Loopback, Medium};
    /// use core::time::Duration;
    ///
    /// let clock = SimClock::new();
    /// let mut dev = Loopback::new(Medium::Ip);
    /// let mut res = StackResources::<8, 1024>::new();
    /// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    /// let server = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
    /// server.bind("127.0.0.1:10001".parse().unwrap())?;
    /// server.listen(3)?;
    ///
    /// // Three clients say something (in a real program: other machines).
    /// let clients: Vec<Socket> = (0..3)
    ///     .map(|_| Socket::new(&stack, Domain::IPV4, Type::STREAM))
    ///     .collect::<Result<_, _>>()?;
    /// for (k, c) in clients.iter().enumerate() {
    ///     c.connect("127.0.0.1:10001".parse().unwrap())?;
    ///     c.send_all(format!("client {k}").as_bytes())?;
    /// }
    ///
    /// // The server: at most 3 connections, no heap in the loop.
    /// let mut conns: [Option<Socket>; 3] = [None, None, None];
    /// let mut echoed = 0;
    /// while echoed < 3 {
    ///     let open: Vec<&Socket> = conns.iter().flatten().collect(); // (a fixed array on a board)
    ///     let mut set = [Interest::new(&server, Events::READ); 4];
    ///     for (k, c) in open.iter().enumerate() {
    ///         set[k + 1] = Interest::new(c, Events::READ);
    ///     }
    ///     let n = stack.select(&mut set[..open.len() + 1], Some(Duration::from_secs(5)))?;
    ///     assert!(n > 0, "nothing within 5 s");
    ///     let readable: Vec<bool> = set[1..=open.len()].iter().map(|e| !e.ready().is_empty()).collect();
    ///     let accept = set[0].ready().contains(Events::READ);
    ///     drop(set);
    ///     for (c, ready) in conns.iter().flatten().zip(readable) {
    ///         let mut buf = [0u8; 64];
    ///         if ready {
    ///             let got = c.recv(&mut buf)?;
    ///             c.send_all(&buf[..got])?;
    ///             echoed += 1;
    ///         }
    ///     }
    ///     if accept {
    ///         let (c, _peer) = server.accept()?;
    ///         if let Some(free) = conns.iter_mut().find(|c| c.is_none()) {
    ///             *free = Some(c);
    ///         }
    ///     }
    /// }
    /// let mut buf = [0u8; 64];
    /// let got = clients[2].recv(&mut buf)?;
    /// assert_eq!(&buf[..got], b"client 2");
    /// # Ok::<(), smolsock::Error>(())
    /// ```
    pub fn select(&self, set: &mut [Interest<'_, 'a>], timeout: Option<Duration>) -> Result<usize> {
        reset(self, set)?;
        match self.wait(timeout, |core: &mut Inner<'a>| look(core, set)) {
            Err(Error::TimedOut | Error::WouldBlock) => Ok(0),
            r => r,
        }
    }
}
