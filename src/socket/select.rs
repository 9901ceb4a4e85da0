//! `Stack::select`: wait on several sockets at once (Python's
//! `select.select`, poll(2)'s shape), in the stack's one wait loop.

use super::events::{Events, Interest};
use super::Socket;
use crate::error::{Error, Result};
use crate::inner::Inner;
use crate::slot::Kind;
use crate::stack::Stack;
use core::time::Duration;

/// What `socket` is ready for now, by its kind.
pub(crate) fn readiness(core: &mut Inner<'_>, socket: &Socket<'_, '_>) -> Result<Events> {
    let id = socket.id.get();
    match socket.kind {
        Kind::Tcp => super::tcp::tcp_events(core, id),
        #[cfg(feature = "udp")]
        Kind::Udp => super::udp::udp_events(core, id),
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

impl<'a> Stack<'a> {
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
