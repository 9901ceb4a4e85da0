//! `Stack`: the handle sockets are made from, the driver side (`poll`), and
//! the one wait loop every blocking call uses.

use crate::config::Config;
use crate::error::{ConfigError, Error};
use crate::inner::{Driver, Inner, Stats};
use crate::resources::{BufPool, StackResources};
use crate::slot::SlotId;
use crate::time::{self, Clock, Idle};
use core::cell::{Cell, RefCell};
use smoltcp::iface::{Interface, SocketSet};
use smoltcp::phy::Device;
use smoltcp::time::Instant;
use smoltcp::wire::IpAddress;

/// How long a blocking call may wait: `None` blocks, `Some(0)` is
/// non-blocking, anything else is a timeout for the call as a whole.
pub(crate) type Timeout = Option<core::time::Duration>;

/// Why a wait ended without the operation completing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitEnd {
    WouldBlock,
    TimedOut,
    Stalled,
    /// The stack was already borrowed: a call from inside a closure that
    /// holds it (`recv_with`, `send_with`, `with_iface`).
    Busy,
}

impl From<WaitEnd> for Error {
    fn from(w: WaitEnd) -> Self {
        match w {
            WaitEnd::WouldBlock => Error::WouldBlock,
            WaitEnd::TimedOut => Error::TimedOut,
            WaitEnd::Stalled => Error::Stalled,
            WaitEnd::Busy => Error::Busy,
        }
    }
}

/// The network stack: a smoltcp `Interface`, its sockets and a device.
///
/// Sockets are made from `&Stack` ([`Socket::new`](crate::Socket::new)); every
/// blocking socket call drives the stack itself through one wait loop. A
/// super-loop firmware instead calls [`Stack::poll`] and uses non-blocking sockets.
///
/// **Re-entrant calls.** The closures of [`Socket::recv_with`](crate::Socket::recv_with),
/// [`Socket::send_with`](crate::Socket::send_with) and [`Stack::with_iface`] run
/// while the stack is borrowed. A socket or stack call made from inside one
/// returns [`Error::Busy`] (never a panic); `poll` there does nothing and
/// returns `false`. Closing or dropping a socket there is deferred: the
/// handle is closed at once, the slot when the closure has returned.
pub struct Stack<'a> {
    inner: RefCell<Inner<'a>>,
    clock: &'a dyn Clock,
    /// Closes deferred while the stack was borrowed, one cell per slot.
    deferred: &'a [Cell<Option<u16>>],
    /// Some cell of `deferred` is set.
    any_deferred: Cell<bool>,
}

impl<'a> Stack<'a> {
    /// Build a stack on `device`, with time from `clock`, memory from `resources`.
    ///
    /// Fails, before touching the device, on a configuration smoltcp would
    /// panic on (a multicast interface address, a multicast MAC) or could
    /// not hold (too many addresses or routes).
    pub fn new<D: Device + 'a, const N: usize, const B: usize, const U: usize>(
        device: &'a mut D,
        clock: &'a dyn Clock,
        resources: &'a mut StackResources<'a, N, B, U>,
        config: Config,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut ic = smoltcp::iface::Config::new(config.hardware_addr);
        ic.random_seed = config.random_seed;
        let now = clock.now();
        let mut iface = Interface::new(ic, device, now);
        let mut fits = true;
        iface.update_ip_addrs(|a| {
            for c in &config.addresses {
                fits &= a.push(*c).is_ok();
            }
        });
        if !fits {
            return Err(ConfigError::TooManyAddresses);
        }
        for gw in &config.gateways {
            let added = match gw {
                #[cfg(feature = "proto-ipv4")]
                IpAddress::Ipv4(g) => iface.routes_mut().add_default_ipv4_route(*g).is_ok(),
                #[cfg(feature = "proto-ipv6")]
                IpAddress::Ipv6(g) => iface.routes_mut().add_default_ipv6_route(*g).is_ok(),
            };
            if !added {
                return Err(ConfigError::TooManyGateways);
            }
        }
        let StackResources {
            storage,
            slots,
            deferred,
            rx,
            tx,
            #[cfg(feature = "udp")]
            rx_meta,
            #[cfg(feature = "udp")]
            tx_meta,
            #[cfg(feature = "dns")]
            dns,
        } = resources;
        let pool = BufPool {
            rx: rx.as_flattened_mut(),
            tx: tx.as_flattened_mut(),
            #[cfg(feature = "udp")]
            rx_meta: rx_meta.as_flattened_mut(),
            #[cfg(feature = "udp")]
            tx_meta: tx_meta.as_flattened_mut(),
            buf: B,
        };
        let set = SocketSet::new(&mut storage[..]);
        let driver: &'a mut dyn Driver = device;
        let mut inner = Inner::new(
            iface,
            set,
            slots,
            driver,
            pool,
            #[cfg(feature = "dns")]
            crate::inner::Resolver::new(dns, &config.dns_servers, config.random_seed),
            config.random_seed,
        );
        inner.now = now;
        Ok(Stack {
            inner: RefCell::new(inner),
            clock,
            deferred: &deferred[..],
            any_deferred: Cell::new(false),
        })
    }

    /// Run `f` on the core, in one short borrow; [`WaitEnd::Busy`] if the
    /// core is already borrowed further up this call stack. Closes deferred
    /// while it was borrowed are done first and last.
    pub(crate) fn try_with<R>(&self, f: impl FnOnce(&mut Inner<'a>) -> R) -> Result<R, WaitEnd> {
        let mut inner = self.inner.try_borrow_mut().map_err(|_| WaitEnd::Busy)?;
        self.close_deferred(&mut inner);
        let r = f(&mut inner);
        self.close_deferred(&mut inner);
        Ok(r)
    }

    /// [`try_with`](Self::try_with) for a fallible `f`.
    pub(crate) fn with<R, E: From<WaitEnd>>(
        &self,
        f: impl FnOnce(&mut Inner<'a>) -> Result<R, E>,
    ) -> Result<R, E> {
        self.try_with(f)?
    }

    /// Close slot `id` now, or, if the stack is borrowed (a re-entrant drop),
    /// as soon as the borrow ends.
    pub(crate) fn close_slot(&self, id: SlotId) {
        let now = self.clock.now();
        if self.try_with(|i| close_now(i, id, now)).is_err() {
            if let Some(cell) = self.deferred.get(id.index as usize) {
                cell.set(Some(id.gen));
                self.any_deferred.set(true);
            }
        }
    }

    fn close_deferred(&self, inner: &mut Inner<'a>) {
        if !self.any_deferred.replace(false) {
            return;
        }
        for (index, cell) in self.deferred.iter().enumerate() {
            if let Some(gen) = cell.take() {
                let id = SlotId {
                    index: index as u16,
                    gen,
                };
                close_now(inner, id, self.clock.now());
            }
        }
    }

    /// The clock's current time.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Process packets and timers at `now` (for super-loop firmware); true if
    /// anything happened. Blocking socket calls poll by themselves. Called
    /// from inside a closure that holds the stack, it does nothing (`false`).
    pub fn poll(&self, now: Instant) -> bool {
        self.try_with(|i| i.poll(now)).unwrap_or(false)
    }

    /// When [`poll`](Self::poll) should next be called (`None`: on the next
    /// packet; now, if called from inside a closure that holds the stack).
    pub fn poll_at(&self) -> Option<Instant> {
        let now = self.clock.now();
        self.try_with(|i| i.poll_at(now)).unwrap_or(Some(now))
    }

    /// Run `f` on the smoltcp `Interface` (add addresses, routes, …).
    /// [`Error::Busy`] from inside a closure that holds the stack.
    pub fn with_iface<R>(&self, f: impl FnOnce(&mut Interface) -> R) -> Result<R, Error> {
        Ok(self.try_with(|i| f(&mut i.iface))?)
    }

    /// How the socket slots are used now. [`Error::Busy`] from inside a
    /// closure that holds the stack.
    pub fn stats(&self) -> Result<Stats, Error> {
        Ok(self.try_with(|i| i.stats())?)
    }

    /// Replace the DNS servers (at most [`MAX_DNS`](crate::MAX_DNS) are kept).
    /// [`Error::Busy`] from inside a closure that holds the stack.
    #[cfg(feature = "dns")]
    pub fn set_dns_servers(&self, servers: &[IpAddress]) -> Result<(), Error> {
        Ok(self.try_with(|i| i.resolver.set_servers(servers))?)
    }

    /// [`wait`](Self::wait), with a first try of `op` that does not poll:
    /// what is ready now (bytes already buffered, room already free) is
    /// done at once, as Linux's `recv` returns buffered bytes without running
    /// the stack. Only when `op` says "not yet" does the stack run. Used by
    /// the data calls only; state changes (FIN, RST) are seen by the poll of
    /// the first call that finds nothing ready, and a window opened by
    /// reading goes out with the next poll (as after any `recv`).
    ///
    /// With `transmit` (the send calls), what the first try queued leaves at
    /// once, as Linux's `send` transmits, without a whole poll.
    pub(crate) fn wait_ready<T, E: From<WaitEnd>>(
        &self,
        timeout: Timeout,
        transmit: bool,
        mut op: impl FnMut(&mut Inner<'a>) -> Result<Option<T>, E>,
    ) -> Result<T, E> {
        let first = self.with::<_, E>(|i| {
            let r = op(i)?;
            if transmit && r.is_some() {
                i.transmit(self.clock.now());
            }
            Ok(r)
        })?;
        if let Some(r) = first {
            return Ok(r);
        }
        self.wait(timeout, op)
    }

    /// The one wait loop every blocking call uses: poll, try `op`, then
    /// return `WouldBlock` (non-blocking), `TimedOut` (deadline passed), or
    /// sleep through the clock until the deadline or the stack's next timer.
    /// `op` returns `Ok(None)` for "not yet". The borrow of the core is not
    /// held while the clock sleeps, so its idle hook may use the stack.
    pub(crate) fn wait<T, E: From<WaitEnd>>(
        &self,
        timeout: Timeout,
        mut op: impl FnMut(&mut Inner<'a>) -> Result<Option<T>, E>,
    ) -> Result<T, E> {
        let mut now = self.clock.now();
        let deadline = time::deadline(now, timeout);
        loop {
            let next = self.with::<_, E>(|i| {
                i.poll(now);
                Ok(match op(i)? {
                    Some(r) => Ok(r),
                    None => Err(i.poll_at(now)),
                })
            })?;
            let next = match next {
                Ok(r) => return Ok(r),
                Err(next) => next,
            };
            if timeout.is_some_and(|d| d.is_zero()) {
                return Err(WaitEnd::WouldBlock.into());
            }
            if deadline.is_some_and(|d| now >= d) {
                return Err(WaitEnd::TimedOut.into());
            }
            if self.clock.idle(time::wake_at(now, deadline, next)) == Idle::Stalled {
                return Err(WaitEnd::Stalled.into());
            }
            now = self.clock.now();
        }
    }
}

/// Close a user's slot, if `id` still names it.
fn close_now(i: &mut Inner<'_>, id: SlotId, now: Instant) {
    if i.slot(id).is_ok() {
        i.close(id.index as usize);
        i.poll(now);
    }
}
