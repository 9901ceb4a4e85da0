//! `Events` and `Interest`: what [`Stack::select`](crate::Stack::select)
//! is asked to watch on a socket, and what it found (poll(2)'s `events` and
//! `revents`).

use super::Socket;
use core::ops::{BitAnd, BitOr, BitOrAssign};

/// A set of readiness conditions (poll(2)'s `POLLIN`, `POLLOUT`, `POLLERR`,
/// `POLLHUP`), combined with `|`.
///
/// ```
/// use smolsock::Events;
/// let both = Events::READ | Events::WRITE;
/// assert!(both.contains(Events::READ));
/// assert!(!both.contains(Events::ERROR));
/// assert!(Events::EMPTY.is_empty());
/// ```
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Events(u8);

impl Events {
    /// No condition.
    pub const EMPTY: Events = Events(0);
    /// A `recv` (or a listener's `accept`) would not block: data, end of
    /// stream, an error to report, a connection waiting; a UDP datagram.
    pub const READ: Events = Events(1);
    /// A `send` would not block: room in the send buffer, a non-blocking
    /// `connect` finished (either way), an error to report.
    pub const WRITE: Events = Events(2);
    /// An error is pending ([`Socket::take_error`](crate::Socket::take_error)
    /// tells which) or the connection was reset. Reported whether asked for
    /// or not.
    pub const ERROR: Events = Events(4);
    /// Both directions are closed (peer FIN after our `shutdown(Write)`, a
    /// reset, a socket that never connected). Reported whether asked for or not.
    pub const HANGUP: Events = Events(8);

    /// Every condition of `other` holds in `self`.
    pub const fn contains(self, other: Events) -> bool {
        self.0 & other.0 == other.0
    }

    /// No condition at all.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The names of the conditions that hold: `READ | WRITE`, or `EMPTY`.
impl core::fmt::Debug for Events {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let names = [
            (Events::READ, "READ"),
            (Events::WRITE, "WRITE"),
            (Events::ERROR, "ERROR"),
            (Events::HANGUP, "HANGUP"),
        ];
        let mut first = true;
        for (e, name) in names {
            if self.contains(e) {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("EMPTY")?;
        }
        Ok(())
    }
}

impl BitOr for Events {
    type Output = Events;
    fn bitor(self, rhs: Events) -> Events {
        Events(self.0 | rhs.0)
    }
}

impl BitOrAssign for Events {
    fn bitor_assign(&mut self, rhs: Events) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Events {
    type Output = Events;
    fn bitand(self, rhs: Events) -> Events {
        Events(self.0 & rhs.0)
    }
}

/// One entry of a [`Stack::select`](crate::Stack::select) set: a socket,
/// the conditions asked for, and (after the call) those that hold.
///
/// ```
/// use smolsock::{Config, Domain, Events, Interest, SimClock, Socket, Stack, StackResources, Type};
/// use smolsock::smoltcp::phy::{Loopback, Medium};
/// use core::time::Duration;
///
/// let clock = SimClock::new();
/// let mut dev = Loopback::new(Medium::Ip);
/// let mut res = StackResources::<4, 1024>::new();
/// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
/// let udp = Socket::new(&stack, Domain::IPV4, Type::DGRAM)?;
/// udp.bind("127.0.0.1:7".parse().unwrap())?;
/// let mut set = [Interest::new(&udp, Events::READ | Events::WRITE)];
/// assert_eq!(stack.select(&mut set, Some(Duration::ZERO))?, 1);
/// assert_eq!(set[0].ready(), Events::WRITE); // room to send, nothing to read
/// # Ok::<(), smolsock::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Interest<'r, 'a> {
    pub(crate) socket: &'r Socket<'r, 'a>,
    pub(crate) events: Events,
    pub(crate) ready: Events,
}

impl<'r, 'a> Interest<'r, 'a> {
    /// Watch `socket` for `events` ([`Events::ERROR`] and
    /// [`Events::HANGUP`] are watched always).
    pub fn new(socket: &'r Socket<'r, 'a>, events: Events) -> Self {
        Interest {
            socket,
            events,
            ready: Events::EMPTY,
        }
    }

    /// The socket watched.
    pub fn socket(&self) -> &'r Socket<'r, 'a> {
        self.socket
    }

    /// The conditions asked for.
    pub fn events(&self) -> Events {
        self.events
    }

    /// The conditions that held when the last `select` returned (empty
    /// before any, and after a timeout).
    pub fn ready(&self) -> Events {
        self.ready
    }
}
