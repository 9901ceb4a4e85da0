//! Socket options (socket2's names) and `SO_ERROR`.

use super::Socket;
use crate::error::{Error, Result};

impl Socket<'_, '_> {
    /// socket2's `take_error` (`getsockopt(SOL_SOCKET, SO_ERROR)`): the error
    /// that happened in the background (a refused or timed-out non-blocking
    /// connect, a keep-alive that found the peer gone), cleared by reading
    /// it; `Ok(None)` when there is none. With a non-blocking `connect` and
    /// [`Stack::select`](crate::Stack::select) it is the `connect` +
    /// `select` + `SO_ERROR` idiom:
    ///
    /// ```
    /// use smolsock::{Config, Domain, Error, Events, Interest, SimClock, Socket, Stack, StackResources, Type};
    /// use smolsock::smoltcp::phy::{Loopback, Medium};
    /// use core::time::Duration;
    ///
    /// let clock = SimClock::new();
    /// let mut dev = Loopback::new(Medium::Ip);
    /// let mut res = StackResources::<4, 1024>::new();
    /// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    /// let c = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
    /// c.set_nonblocking(true)?;
    /// assert_eq!(c.connect("127.0.0.1:9".parse().unwrap()), Err(Error::WouldBlock));
    /// let mut set = [Interest::new(&c, Events::WRITE)];
    /// stack.select(&mut set, Some(Duration::from_secs(1)))?;
    /// assert!(set[0].ready().contains(Events::WRITE)); // finished…
    /// assert_eq!(c.take_error()?, Some(Error::ConnectionRefused)); // …and failed
    /// assert_eq!(c.take_error()?, None); // read once
    /// # Ok::<(), smolsock::Error>(())
    /// ```
    pub fn take_error(&self) -> Result<Option<Error>> {
        self.stack
            .with(|core| Ok(super::tcp::take_pending(core.slot_mut(self.id.get())?)))
    }
}
