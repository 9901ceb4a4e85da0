//! A simulated clock that acts at one instant (a peer sending from outside
//! the blocking call under test) and counts its idle calls; a loopback
//! stack on it.

use smolsock::{Clock, Config, Idle, SimClock, Stack, StackResources};
use smoltcp::phy::{Loopback, Medium};
use smoltcp::time::Instant;
use std::cell::{Cell, RefCell};

/// A simulated clock that runs one action when time reaches `at` (a peer
/// sending from outside the call), and counts its idle calls.
pub struct ActClock {
    pub base: SimClock,
    at: Cell<Option<Instant>>,
    act: RefCell<Option<Box<dyn FnMut()>>>,
    pub idles: Cell<u32>,
}

impl ActClock {
    pub fn new() -> Self {
        ActClock {
            base: SimClock::new(),
            at: Cell::new(None),
            act: RefCell::new(None),
            idles: Cell::new(0),
        }
    }

    pub fn at(&self, t: Instant, f: impl FnMut() + 'static) {
        self.at.set(Some(t));
        *self.act.borrow_mut() = Some(Box::new(f));
    }
}

impl Clock for ActClock {
    fn now(&self) -> Instant {
        self.base.now()
    }
    fn idle(&self, until: Option<Instant>) -> Idle {
        self.idles.set(self.idles.get() + 1);
        if let Some(t) = self.at.get() {
            if until.is_none_or(|u| u >= t) {
                self.base.idle(Some(t));
                self.at.set(None);
                let act = self.act.borrow_mut().take();
                if let Some(mut f) = act {
                    f();
                }
                return Idle::Waited;
            }
        }
        self.base.idle(until)
    }
}

/// A loopback stack on an [`ActClock`], leaked so that actions may hold sockets.
pub fn world<const N: usize>() -> (&'static Stack<'static>, &'static ActClock) {
    let clock: &'static ActClock = Box::leak(Box::new(ActClock::new()));
    let dev = Box::leak(Box::new(Loopback::new(Medium::Ip)));
    let res = Box::leak(Box::new(StackResources::<N, 2048>::new()));
    let stack = Stack::new(dev, clock, res, Config::loopback()).expect("valid config");
    (Box::leak(Box::new(stack)), clock)
}
