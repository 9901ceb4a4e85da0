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
                .quietly(|core| look(core, set))
                .map_err(Error::from)
                .and_then(|r| r);
            match r {
                Err(e) => core::task::Poll::Ready(Err(e)),
                Ok(Some(n)) => core::task::Poll::Ready(Ok(n)),
                Ok(None) if deadline.is_some_and(|d| self.now() >= d) => {
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
    /// One thread, several clients (the seed's `select.select` server):
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
    /// server.listen(2)?;
    /// let clients = [Socket::new(&stack, Domain::IPV4, Type::STREAM)?, Socket::new(&stack, Domain::IPV4, Type::STREAM)?];
    /// for c in &clients {
    ///     c.connect("127.0.0.1:10001".parse().unwrap())?;
    /// }
    /// clients[1].send_all(b"hi")?;
    ///
    /// let (a, _) = server.accept()?;
    /// let (b, _) = server.accept()?;
    /// let mut set = [
    ///     Interest::new(&server, Events::READ),
    ///     Interest::new(&a, Events::READ),
    ///     Interest::new(&b, Events::READ),
    /// ];
    /// let n = stack.select(&mut set, Some(Duration::from_secs(5)))?;
    /// assert_eq!(n, 1);
    /// assert!(set[2].ready().contains(Events::READ)); // only `b` has data
    /// let mut buf = [0u8; 16];
    /// assert_eq!(set[2].socket().recv(&mut buf)?, 2);
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
