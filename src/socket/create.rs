//! `Stack::create_connection`: Python's `socket.create_connection`.

use super::{Domain, Socket, Type};
use crate::addr::SockAddr;
use crate::error::{Error, ResolveError};
use crate::stack::Stack;
use crate::time;
use core::fmt;
use core::time::Duration;

/// Why [`Stack::create_connection`] failed: the name (Python's
/// `socket.gaierror`) or the connection (`OSError`), kept apart.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectError {
    /// Resolving the host failed.
    Resolve(ResolveError),
    /// Making the socket or connecting failed.
    Socket(Error),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Resolve(e) => write!(f, "resolving the host: {e}"),
            ConnectError::Socket(e) => write!(f, "connecting: {e}"),
        }
    }
}

impl core::error::Error for ConnectError {}

#[cfg(feature = "std")]
impl From<ConnectError> for std::io::Error {
    fn from(e: ConnectError) -> Self {
        match e {
            ConnectError::Resolve(e) => e.into(),
            ConnectError::Socket(e) => e.into(),
        }
    }
}

impl From<ResolveError> for ConnectError {
    fn from(e: ResolveError) -> Self {
        ConnectError::Resolve(e)
    }
}

impl From<Error> for ConnectError {
    fn from(e: Error) -> Self {
        ConnectError::Socket(e)
    }
}

impl<'a> Stack<'a> {
    /// Python's `socket.create_connection((host, port), timeout)`: resolve
    /// `host` (a name or an IP literal), connect a TCP socket to it, and
    /// return it with `timeout` as its timeout. One deadline bounds the
    /// whole call, resolution included ([`Error::TimedOut`] or
    /// [`ResolveError::TimedOut`] when it passes); `None` blocks (a connect
    /// still gives up after 127 s, as Linux's). A name error stays a
    /// [`ConnectError::Resolve`] (Python's `gaierror`).
    ///
    /// smolsock's resolver answers with one address (the first A record,
    /// else AAAA), so there is one address to try; its error is the call's.
    ///
    /// ```
    /// use smolsock::{Config, ConnectError, Domain, Error, SimClock, Socket, Stack, StackResources, Type};
    /// use smolsock::smoltcp::phy::{Loopback, Medium};
    /// use core::time::Duration;
    ///
    /// let clock = SimClock::new();
    /// let mut dev = Loopback::new(Medium::Ip);
    /// let mut res = StackResources::<4, 1024>::new();
    /// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    /// let server = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
    /// server.bind("127.0.0.1:10001".parse().unwrap())?;
    /// server.listen(1)?;
    ///
    /// let five = Some(Duration::from_secs(5));
    /// let c = stack.create_connection("127.0.0.1", 10001, five).expect("connected");
    /// assert_eq!(c.timeout(), five);
    /// assert_eq!(
    ///     stack.create_connection("127.0.0.1", 10002, five).unwrap_err(),
    ///     ConnectError::Socket(Error::ConnectionRefused)
    /// );
    /// # Ok::<(), smolsock::Error>(())
    /// ```
    pub fn create_connection<'s>(
        &'s self,
        host: &str,
        port: u16,
        timeout: Option<Duration>,
    ) -> Result<Socket<'s, 'a>, ConnectError> {
        let deadline = time::deadline(self.now(), timeout);
        let ip = self.resolve(host, timeout)?;
        let to = SockAddr::new(ip.into(), port);
        let sock = Socket::new(self, Domain::for_address(to), Type::STREAM)?;
        sock.set_timeout(timeout)?;
        // What the resolution left of the deadline.
        let left = match deadline {
            None => timeout,
            Some(d) => {
                let now = self.now();
                if d <= now && timeout.is_some_and(|t| !t.is_zero()) {
                    return Err(Error::TimedOut.into());
                }
                Some(if d > now {
                    time::from_smol(d - now)
                } else {
                    Duration::ZERO
                })
            }
        };
        let Some(started) = sock.connect_begin(to)? else {
            return Ok(sock);
        };
        let r = self.block(left, sock.connect_op());
        sock.connect_end(r, started)?;
        Ok(sock)
    }
}
