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
    /// `host` (a name or an IP literal) with [`Stack::resolve_all`], try
    /// each address in order (the A answers, then the AAAA ones) until a
    /// TCP connect succeeds, and return that socket with `timeout` as its
    /// timeout. If every address fails, the error of the last one is the
    /// call's, as Python raises the last error (`all_errors=False`).
    ///
    /// One deadline bounds the whole call, resolution and every attempt
    /// included: each attempt gets what is left of it, so an address that
    /// never answers eats the time and the ones after it fail with
    /// [`Error::TimedOut`] at once, exactly at the deadline. (Python sets
    /// `timeout` on each socket, so every attempt gets the whole `timeout`
    /// again; smolsock's rule is that every deadline is the whole call's.)
    /// `None` blocks (a connect still gives up after 127 s, as Linux's).
    /// A name error stays a [`ConnectError::Resolve`] (Python's `gaierror`),
    /// never mixed with the attempts' socket errors.
    ///
    /// An address of a family the stack has no address of its own for is
    /// tried like any other, as Python does on Linux: its connect fails at
    /// once (Linux: `ENETUNREACH`/`EADDRNOTAVAIL`), without time lost, and
    /// that failure is the attempt's error.
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
        let addresses = self.resolve_all(host, timeout)?;
        // Python: "getaddrinfo returns an empty list" (resolve_all never does).
        let mut last = ConnectError::Resolve(ResolveError::NotFound);
        for ip in addresses {
            let to = SockAddr::new(ip.into(), port);
            match self.connect_before(to, timeout, deadline) {
                Ok(sock) => return Ok(sock),
                Err(e) => last = e.into(),
            }
        }
        Err(last)
    }

    /// One attempt of [`create_connection`](Self::create_connection): a TCP
    /// socket with `timeout`, connected to `to` by `deadline` (the call's).
    fn connect_before<'s>(
        &'s self,
        to: SockAddr,
        timeout: Option<Duration>,
        deadline: Option<smoltcp::time::Instant>,
    ) -> Result<Socket<'s, 'a>, Error> {
        // What the calls before left of the deadline.
        let left = match deadline {
            None => timeout,
            Some(d) => {
                let now = self.now();
                if d <= now && timeout.is_some_and(|t| !t.is_zero()) {
                    return Err(Error::TimedOut);
                }
                Some(if d > now {
                    time::from_smol(d - now)
                } else {
                    Duration::ZERO
                })
            }
        };
        let sock = Socket::new(self, Domain::for_address(to), Type::STREAM)?;
        sock.set_timeout(timeout)?;
        let Some(started) = sock.connect_begin(to)? else {
            return Ok(sock);
        };
        let r = self.block(left, sock.connect_op());
        sock.connect_end(r, started)?;
        Ok(sock)
    }
}
