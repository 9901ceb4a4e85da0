//! `Stack`: the handle sockets are made from, the driver side (`poll`), the
//! one way into the core (`with_core`, and its twin `with_core_no_wake`). The one wait loop every blocking call uses is in
//! `wait.rs`; the async front end's futures (`wait_async.rs`), their wakers
//! (`waiters.rs`) and the runner (`runner.rs`) drive the same operations.

mod netif;
#[cfg(feature = "async")]
pub(crate) mod runner;
mod wait;
#[cfg(feature = "async")]
mod wait_async;

pub(crate) use wait::{Op, TryResult};

use crate::config::Config;
use crate::device::NetDevice;
use crate::error::{ConfigError, Error};
use crate::inner::{Driver, Inner, Stats};
use crate::resources::{BufPool, StackResources};
use crate::slot::SlotId;
use crate::time::Clock;
use core::cell::{Cell, RefCell};
use smoltcp::iface::{Interface, SocketSet};
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
    /// The async front end's wakers, outside the `RefCell`.
    #[cfg(feature = "async")]
    waiters: crate::waiters::Waiters<'a>,
}

impl<'a> Stack<'a> {
    /// Build a stack on `device`, with time from `clock`, memory from `resources`.
    ///
    /// Fails, before touching the device, on a configuration smoltcp would
    /// panic on (a multicast interface address, a multicast MAC) or could
    /// not hold (too many addresses or routes).
    pub fn new<D: NetDevice + 'a, const N: usize, const B: usize, const U: usize>(
        device: &'a mut D,
        clock: &'a dyn Clock,
        resources: &'a mut StackResources<'a, N, B, U>,
        mut config: Config,
    ) -> Result<Self, ConfigError> {
        if let Some(hw) = device.hardware_addr()? {
            config.hardware_addr = hw;
        }
        config.validate()?;
        let mut ic = smoltcp::iface::Config::new(config.hardware_addr);
        ic.random_seed = config.random_seed;
        let now = crate::time::clamp(clock.now());
        let mut iface = device.interface(ic, now);
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
            #[cfg(feature = "async")]
            wakers,
            rx,
            tx,
            #[cfg(feature = "udp")]
            rx_meta,
            #[cfg(feature = "udp")]
            tx_meta,
            #[cfg(feature = "dns")]
            dns,
            #[cfg(feature = "dhcp")]
            dhcp_options,
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
        #[cfg_attr(not(any(feature = "dns", feature = "dhcp")), allow(unused_mut))]
        let mut set = SocketSet::new(&mut storage[..]);
        // The resolver's entry of the set, for the stack's whole life: the
        // last one (`StackResources` counts it), so slot `i` never meets it.
        #[cfg(feature = "dns")]
        let (slots, resolver) = {
            let slots = match slots.split_last_mut() {
                Some((_, slots)) => slots,
                None => return Err(ConfigError::NoRoomForResolver),
            };
            let r =
                crate::inner::Resolver::new(&mut set, dns, &config.dns_servers, config.random_seed);
            (slots, r)
        };
        // The DHCP client's entry, the same way: one slot fewer.
        #[cfg(feature = "dhcp")]
        let (slots, dhcp) = match &config.dhcp {
            Some(d) => {
                let slots = match slots.split_last_mut() {
                    Some((_, slots)) => slots,
                    None => return Err(ConfigError::NoSocketForDhcp),
                };
                let dhcp = crate::inner::Dhcp::new(&mut set, dhcp_options, d, &config.dns_servers);
                (slots, Some(dhcp))
            }
            None => (&mut slots[..], None),
        };
        let driver: &'a mut dyn Driver = device;
        let mut inner = Inner::new(
            iface,
            set,
            slots,
            driver,
            pool,
            #[cfg(feature = "dns")]
            resolver,
            config.random_seed,
        );
        inner.now = now;
        #[cfg(feature = "dhcp")]
        {
            inner.dhcp = dhcp;
        }
        Ok(Stack {
            inner: RefCell::new(inner),
            clock,
            deferred: &deferred[..],
            any_deferred: Cell::new(false),
            #[cfg(feature = "async")]
            waiters: crate::waiters::Waiters::new(&wakers[..]),
        })
    }

    /// The one way into the core: run `f` on it in one short borrow.
    /// [`WaitEnd::Busy`] if the core is already borrowed further up this
    /// call stack (a socket call from inside `recv_with`'s closure); a
    /// fallible `f` ends in `with_core(f)?` (its error and `Busy` alike
    /// become the call's). Closes deferred while it was borrowed are done
    /// first and last. With the async front end, a sleeping runner is woken
    /// afterwards: the call may have given it work (data queued, a connect
    /// started, a slot freed).
    pub(crate) fn with_core<R>(&self, f: impl FnOnce(&mut Inner<'a>) -> R) -> Result<R, WaitEnd> {
        let r = self.with_core_no_wake(f);
        #[cfg(feature = "async")]
        self.waiters.kick();
        r
    }

    /// [`with_core`](Self::with_core) without waking the runner: for a
    /// future's try that may find nothing to do (waking the runner each time
    /// one looks would spin an executor that polls every future on any
    /// wake-up); it wakes the runner itself when it did something.
    pub(crate) fn with_core_no_wake<R>(
        &self,
        f: impl FnOnce(&mut Inner<'a>) -> R,
    ) -> Result<R, WaitEnd> {
        let mut inner = self.inner.try_borrow_mut().map_err(|_| WaitEnd::Busy)?;
        self.close_deferred(&mut inner);
        let r = f(&mut inner);
        self.close_deferred(&mut inner);
        Ok(r)
    }

    /// Close slot `id` now, or, if the stack is borrowed (a re-entrant drop),
    /// as soon as the borrow ends.
    pub(crate) fn close_slot(&self, id: SlotId) {
        let now = self.now();
        if self.with_core(|core| close_now(core, id, now)).is_err() {
            if let Some(cell) = self.deferred.get(id.index as usize) {
                cell.set(Some(id.gen));
                self.any_deferred.set(true);
            }
        }
        // An async call still waiting on the handle (shared by reference)
        // looks again and finds it closed.
        #[cfg(feature = "async")]
        self.waiters.wake_slot(id.index);
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
                close_now(inner, id, self.now());
            }
        }
    }

    /// The clock's current time, as the stack uses it: clamped to
    /// [`TIME_LIMIT`](crate::TIME_LIMIT) (either way), so no clock reading
    /// can overflow smoltcp's time arithmetic.
    ///
    /// ```
    /// # use smolsock::{Config, SimClock, Stack, StackResources, TIME_LIMIT};
    /// # use smoltcp::phy::{Loopback, Medium};
    /// # use smoltcp::time::Duration;
    /// let clock = SimClock::new();
    /// # let mut dev = Loopback::new(Medium::Ip);
    /// # let mut res = StackResources::<2, 256>::new();
    /// # let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).unwrap();
    /// clock.advance(Duration::from_micros(u64::MAX));
    /// assert_eq!(stack.now(), TIME_LIMIT);
    /// ```
    pub fn now(&self) -> Instant {
        crate::time::clamp(self.clock.now())
    }

    /// Process packets and timers at `now` (for super-loop firmware); true if
    /// anything happened. Blocking socket calls poll by themselves. Called
    /// from inside a closure that holds the stack, it does nothing (`false`).
    /// `now` is clamped as [`now`](Self::now) is.
    ///
    /// A super-loop firmware needs no blocking call: poll the stack from the
    /// main loop with the timer's time and use non-blocking sockets
    /// ([`StackResources::new`] is `const`: the memory can be a `static`).
    ///
    /// ```
    /// use smolsock::{Config, Domain, Error, SimClock, Socket, Stack, StackResources, Type};
    /// use smolsock::smoltcp::{phy::{Loopback, Medium}, time::Instant};
    ///
    /// let clock = SimClock::new();                      // firmware: a Clock over the SysTick counter
    /// let mut mac = Loopback::new(Medium::Ip);          // firmware: the Ethernet MAC's Device
    /// let mut res = StackResources::<4, 1536>::new();
    /// let stack = Stack::new(&mut mac, &clock, &mut res, Config::loopback()).expect("valid config");
    /// let server = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
    /// server.bind("0.0.0.0:7".parse().unwrap())?;
    /// server.listen(2)?;
    /// server.set_nonblocking(true)?;
    /// let peer = Socket::new(&stack, Domain::IPV4, Type::STREAM)?; // a demo peer, same stack
    /// peer.set_nonblocking(true)?;
    /// let _ = peer.connect("127.0.0.1:7".parse().unwrap());
    /// let mut echoed = 0;
    /// for tick in 0..100u64 {                           // firmware: loop { … }
    ///     let now = Instant::from_millis(tick as i64);
    ///     clock.set(now);
    ///     stack.poll(now);
    ///     match server.accept() {
    ///         Ok((conn, _peer)) => {
    ///             conn.set_nonblocking(true)?;
    ///             peer.send_all(b"ping")?;                  // (the demo peer speaks)
    ///             stack.poll(now);
    ///             let mut buf = [0u8; 64];
    ///             match conn.recv(&mut buf) {
    ///                 Ok(n) => echoed += conn.send(&buf[..n])?,
    ///                 Err(Error::WouldBlock) => {}
    ///                 Err(e) => return Err(e),
    ///             }
    ///         }
    ///         Err(Error::WouldBlock) => {}
    ///         Err(e) => return Err(e),
    ///     }
    ///     // firmware: sleep (WFI) until stack.poll_at() or the next interrupt.
    ///     let _next: Option<Instant> = stack.poll_at();
    /// }
    /// assert_eq!(echoed, 4);
    /// # Ok::<(), smolsock::Error>(())
    /// ```
    pub fn poll(&self, now: Instant) -> bool {
        let now = crate::time::clamp(now);
        self.with_core(|core| core.poll(now)).unwrap_or(false)
    }

    /// When [`poll`](Self::poll) should next be called (`None`: on the next
    /// packet; now, if called from inside a closure that holds the stack).
    pub fn poll_at(&self) -> Option<Instant> {
        let now = self.now();
        self.with_core(|core| core.poll_at(now))
            .unwrap_or(Some(now))
    }

    /// Run `f` on the smoltcp `Interface` (add addresses, routes, …).
    /// [`Error::Busy`] from inside a closure that holds the stack.
    pub fn with_iface<R>(&self, f: impl FnOnce(&mut Interface) -> R) -> Result<R, Error> {
        Ok(self.with_core(|core| f(&mut core.iface))?)
    }

    /// How the socket slots are used now. [`Error::Busy`] from inside a
    /// closure that holds the stack.
    pub fn stats(&self) -> Result<Stats, Error> {
        Ok(self.with_core(|core| core.stats())?)
    }

    /// Replace the DNS servers (at most [`MAX_DNS`](crate::MAX_DNS) are kept).
    /// [`Error::Busy`] from inside a closure that holds the stack. A loopback
    /// server the interface does not hold is never asked (its tries pass
    /// unanswered): a loopback address never goes on the link.
    #[cfg(feature = "dns")]
    pub fn set_dns_servers(&self, servers: &[IpAddress]) -> Result<(), Error> {
        Ok(self.with_core(|core| core.resolver.set_servers(servers))?)
    }
}

/// Close a user's slot, if `id` still names it.
fn close_now(core: &mut Inner<'_>, id: SlotId, now: Instant) {
    if core.slot(id).is_ok() {
        core.close(id.index as usize);
        core.poll(now);
    }
}
