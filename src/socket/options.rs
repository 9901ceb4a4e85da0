//! Socket options (socket2's names) and `SO_ERROR`.
//!
//! What smoltcp can do decides the details: keep-alive has one period, the
//! buffers are the slot's, fixed when the stack is made.

use super::Socket;
use crate::error::{Error, Result};
use crate::inner::Inner;
use crate::slot::{Kind, Opts, Slot};
use core::time::Duration;
use smoltcp::socket::tcp;

/// Longest keep-alive time, interval or linger honoured (Linux caps
/// `TCP_KEEPIDLE` at 32767 s; longer ones are this).
const MAX_SECS: u64 = 32767;

/// socket2's `TcpKeepalive`: when and how often an idle connection is
/// probed, for [`Socket::set_tcp_keepalive`].
///
/// ```
/// use core::time::Duration;
/// use smolsock::TcpKeepalive;
/// let k = TcpKeepalive::new()
///     .with_time(Duration::from_secs(60))
///     .with_interval(Duration::from_secs(10))
///     .with_retries(3);
/// # let _ = k;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpKeepalive {
    time: Option<Duration>,
    interval: Option<Duration>,
    retries: Option<u32>,
}

impl TcpKeepalive {
    /// Linux's defaults for whatever is not set (7200 s, 75 s, 9 probes).
    pub const fn new() -> Self {
        TcpKeepalive {
            time: None,
            interval: None,
            retries: None,
        }
    }

    /// `TCP_KEEPIDLE`: silence before the first probe (whole seconds, at least 1).
    pub const fn with_time(mut self, time: Duration) -> Self {
        self.time = Some(time);
        self
    }

    /// `TCP_KEEPINTVL`: time between unanswered probes (whole seconds, at least 1).
    pub const fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = Some(interval);
        self
    }

    /// `TCP_KEEPCNT`: unanswered probes before the connection is dead (1 to 255).
    pub const fn with_retries(mut self, retries: u32) -> Self {
        self.retries = Some(retries);
        self
    }
}

/// Whole seconds, rounded up, 1 to [`MAX_SECS`].
fn secs(d: Duration) -> u16 {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    s.clamp(1, MAX_SECS) as u16
}

/// Put a slot's keep-alive period into its smoltcp socket (its give-up
/// timeout is the core's one policy: `Inner::retime`).
fn apply_keepalive(s: &Slot, t: &mut tcp::Socket<'_>) {
    t.set_keep_alive(s.opts.keepalive_timers().0);
}

/// Change a TCP socket's options, then apply its keep-alive.
fn edit_keepalive(
    core: &mut Inner<'_>,
    socket: &Socket<'_, '_>,
    f: impl FnOnce(&mut Opts),
) -> Result<()> {
    if socket.kind != Kind::Tcp {
        return Err(Error::Unsupported);
    }
    let (s, t) = core.tcp(socket.id.get())?;
    f(&mut s.opts);
    apply_keepalive(s, t);
    core.retime(socket.id.get().index as usize);
    Ok(())
}

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
            .with_core(|core| Ok(super::tcp::take_pending(core.slot_mut(self.id.get())?)))?
    }

    /// socket2's `set_keepalive` (`SO_KEEPALIVE`, TCP): probe an idle
    /// connection; a peer that stops answering ends a blocked call (and the
    /// next) with [`Error::TimedOut`], Linux's `ETIMEDOUT`. The timing is
    /// [`set_tcp_keepalive`](Self::set_tcp_keepalive)'s (Linux's defaults
    /// until set). A listener passes it on to the sockets it accepts.
    ///
    /// ```
    /// # use smolsock::{Config, Domain, SimClock, Socket, Stack, StackResources, Type};
    /// # use smolsock::smoltcp::phy::{Loopback, Medium};
    /// # let clock = SimClock::new();
    /// # let mut dev = Loopback::new(Medium::Ip);
    /// # let mut res = StackResources::<2, 1024>::new();
    /// # let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    /// let s = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
    /// s.set_keepalive(true)?;
    /// assert!(s.keepalive()?);
    /// # Ok::<(), smolsock::Error>(())
    /// ```
    pub fn set_keepalive(&self, on: bool) -> Result<()> {
        self.stack
            .with_core(|core| edit_keepalive(core, self, |o| o.keepalive = on))?
    }

    /// socket2's `keepalive` (`SO_KEEPALIVE`).
    pub fn keepalive(&self) -> Result<bool> {
        self.stack
            .with_core(|core| Ok(core.slot(self.id.get())?.opts.keepalive))?
    }

    /// socket2's `set_tcp_keepalive`: turn keep-alive on with this timing
    /// (`TCP_KEEPIDLE`, `TCP_KEEPINTVL`, `TCP_KEEPCNT`).
    ///
    /// **Approximated:** smoltcp has one keep-alive period. The first probe
    /// goes out after `time` of silence, as on Linux, and later ones every
    /// `time` (not every `interval`); the connection is declared dead when
    /// nothing has been heard for `time + interval × retries`, Linux's
    /// detection time. So fewer probes are sent than Linux's.
    ///
    /// ```
    /// # use smolsock::{Config, Domain, SimClock, Socket, Stack, StackResources, TcpKeepalive, Type};
    /// # use smolsock::smoltcp::phy::{Loopback, Medium};
    /// # use core::time::Duration;
    /// # let clock = SimClock::new();
    /// # let mut dev = Loopback::new(Medium::Ip);
    /// # let mut res = StackResources::<2, 1024>::new();
    /// # let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    /// let s = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
    /// let k = TcpKeepalive::new().with_time(Duration::from_secs(30)).with_interval(Duration::from_secs(5));
    /// s.set_tcp_keepalive(&k)?;
    /// assert!(s.keepalive()?);
    /// # Ok::<(), smolsock::Error>(())
    /// ```
    pub fn set_tcp_keepalive(&self, params: &TcpKeepalive) -> Result<()> {
        self.stack.with_core(|core| {
            edit_keepalive(core, self, |o| {
                o.keepalive = true;
                if let Some(t) = params.time {
                    o.keep_idle = secs(t);
                }
                if let Some(t) = params.interval {
                    o.keep_intvl = secs(t);
                }
                if let Some(n) = params.retries {
                    o.keep_cnt = n.clamp(1, 255) as u8;
                }
            })
        })?
    }

    /// socket2's `set_linger` (`SO_LINGER`; a datagram socket keeps it and
    /// ignores it, as Linux): `Some(Duration::ZERO)`
    /// makes `close` abortive (an RST at once, unsent data dropped, as
    /// Linux); `Some(t)` makes `close` wait up to `t` (whole seconds) for the
    /// peer to acknowledge what was sent, then close as usual; `None` (the
    /// default) closes in the background at once. A close deferred inside a
    /// closure that holds the stack cannot wait. Accepted sockets inherit it.
    ///
    /// ```
    /// # use smolsock::{Config, Domain, SimClock, Socket, Stack, StackResources, Type};
    /// # use smolsock::smoltcp::phy::{Loopback, Medium};
    /// # use core::time::Duration;
    /// # let clock = SimClock::new();
    /// # let mut dev = Loopback::new(Medium::Ip);
    /// # let mut res = StackResources::<2, 1024>::new();
    /// # let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    /// let s = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
    /// s.set_linger(Some(Duration::ZERO))?;
    /// assert_eq!(s.linger()?, Some(Duration::ZERO));
    /// # Ok::<(), smolsock::Error>(())
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> Result<()> {
        // Linux takes SO_LINGER on any socket (a datagram socket ignores it).
        let v = linger.map(|d| if d.is_zero() { 0 } else { secs(d) });
        self.stack.with_core(|core| {
            core.slot_mut(self.id.get())?.opts.linger = v;
            Ok(())
        })?
    }

    /// socket2's `linger` (`SO_LINGER`).
    pub fn linger(&self) -> Result<Option<Duration>> {
        self.stack.with_core(|core| {
            let l = core.slot(self.id.get())?.opts.linger;
            Ok(l.map(|s| Duration::from_secs(u64::from(s))))
        })?
    }

    /// socket2's `set_ttl` (`IP_TTL`): the TTL (IPv6: hop limit) of the
    /// packets this socket sends, 1 to 255 ([`Error::InvalidInput`]
    /// otherwise, as Linux's `EINVAL`). Accepted sockets inherit it.
    ///
    /// ```
    /// # use smolsock::{Config, Domain, SimClock, Socket, Stack, StackResources, Type};
    /// # use smolsock::smoltcp::phy::{Loopback, Medium};
    /// # let clock = SimClock::new();
    /// # let mut dev = Loopback::new(Medium::Ip);
    /// # let mut res = StackResources::<2, 1024>::new();
    /// # let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    /// let s = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
    /// assert_eq!(s.ttl()?, 64); // the default
    /// s.set_ttl(5)?;
    /// assert_eq!(s.ttl()?, 5);
    /// # Ok::<(), smolsock::Error>(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> Result<()> {
        let ttl = u8::try_from(ttl)
            .ok()
            .filter(|t| *t != 0)
            .ok_or(Error::InvalidInput)?;
        self.stack.with_core(|core| {
            let id = self.id.get();
            core.slot_mut(id)?.opts.ttl = ttl;
            match self.kind {
                Kind::Tcp => core.tcp(id)?.1.set_hop_limit(Some(ttl)),
                #[cfg(feature = "udp")]
                Kind::Udp => core.udp(id)?.1.set_hop_limit(Some(ttl)),
            }
            Ok(())
        })?
    }

    /// socket2's `ttl` (`IP_TTL`): 64 until set.
    pub fn ttl(&self) -> Result<u32> {
        self.stack.with_core(|core| {
            let o = core.slot(self.id.get())?.opts;
            Ok(u32::from(o.hop_limit().unwrap_or(64)))
        })?
    }

    /// socket2's `set_unicast_hops_v6` (`IPV6_UNICAST_HOPS`): the hop limit
    /// of an IPv6 socket's packets ([`set_ttl`](Self::set_ttl)'s value;
    /// [`Error::InvalidInput`] on an IPv4 socket).
    pub fn set_unicast_hops_v6(&self, hops: u32) -> Result<()> {
        self.check_v6()?;
        self.set_ttl(hops)
    }

    /// socket2's `unicast_hops_v6` (`IPV6_UNICAST_HOPS`).
    pub fn unicast_hops_v6(&self) -> Result<u32> {
        self.check_v6()?;
        self.ttl()
    }

    fn check_v6(&self) -> Result<()> {
        let v6 = self.stack.with_core(|core| {
            Ok::<_, Error>(core.slot(self.id.get())?.has(crate::slot::flag::V6))
        })??;
        if v6 {
            Ok(())
        } else {
            Err(Error::InvalidInput)
        }
    }

    /// socket2's `recv_buffer_size` (`SO_RCVBUF`): the slot's receive
    /// buffer, in bytes. There is no setter: the buffers are carved out of
    /// [`StackResources`](crate::StackResources) when the stack is made and
    /// cannot be resized (pick its `BUF`).
    pub fn recv_buffer_size(&self) -> Result<usize> {
        self.stack.with_core(|core| {
            let id = self.id.get();
            Ok(match self.kind {
                Kind::Tcp => core.tcp(id)?.1.recv_capacity(),
                #[cfg(feature = "udp")]
                Kind::Udp => core.udp(id)?.1.payload_recv_capacity(),
            })
        })?
    }

    /// socket2's `send_buffer_size` (`SO_SNDBUF`): the slot's send buffer,
    /// in bytes (fixed, as [`recv_buffer_size`](Self::recv_buffer_size)).
    pub fn send_buffer_size(&self) -> Result<usize> {
        self.stack.with_core(|core| {
            let id = self.id.get();
            Ok(match self.kind {
                Kind::Tcp => core.tcp(id)?.1.send_capacity(),
                #[cfg(feature = "udp")]
                Kind::Udp => core.udp(id)?.1.payload_send_capacity(),
            })
        })?
    }

    /// What `close` does first under `SO_LINGER`: abort (`Some(0)`), or
    /// wait up to the linger time for the send buffer to be acknowledged.
    pub(super) fn linger_before_close(&self) {
        if self.kind != Kind::Tcp {
            return;
        }
        let id = self.id.get();
        let Ok(linger) = self
            .stack
            .with_core(|core| core.slot(id).map(|s| s.opts.linger))
        else {
            return;
        };
        match linger {
            Ok(Some(0)) => {
                let _ = self.stack.with_core(|core| core.abort(id.index as usize));
            }
            Ok(Some(t)) => {
                let wait = Some(Duration::from_secs(u64::from(t)));
                let _ = self.stack.block(wait, self.flush_op());
            }
            _ => {}
        }
    }
}
