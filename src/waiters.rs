//! Who is waiting, for the async front end: a waker per slot and direction,
//! one for a resolution, one for the runner, and the earliest deadline any
//! of them has. All in `Cell`s outside the core's `RefCell`, so registering
//! and waking never borrow the core, and a waker that calls back into the
//! stack finds it free.
//!
//! smoltcp keeps one waker per socket, and a new registration overwrites the
//! old; a listener's backlog is several smoltcp sockets behind one smolsock
//! slot, so smolsock keeps its own: the accept future waits on the
//! listener's slot, and wakes whichever member completes its handshake.

#[cfg(feature = "async")]
use core::cell::Cell;
#[cfg(feature = "async")]
use core::task::Waker;
#[cfg(feature = "async")]
use smoltcp::time::Instant;

/// Which of a slot's two waiters a call waits as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    /// `recv`, `recv_from`, `accept`.
    Read,
    /// `send`, `send_all`, `send_to`, `flush`, `connect`.
    Write,
}

#[cfg(feature = "async")]
/// The two waiters of one slot (read, write).
pub(crate) type SlotWakers = [Cell<Option<Waker>>; 2];

#[cfg(feature = "async")]
/// An empty pair, for `StackResources`.
pub(crate) const fn no_wakers() -> SlotWakers {
    [const { Cell::new(None) }, const { Cell::new(None) }]
}

#[cfg(feature = "async")]
/// Whom a future waits as.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Waiter {
    /// A socket: its slot index and direction.
    Slot(u16, Dir),
    /// A name resolution (one at a time: the resolver has one socket).
    #[cfg_attr(not(feature = "dns"), allow(dead_code))]
    Dns,
    /// Nothing in particular (a `select` on an empty set, a wait on the
    /// link or the IPv4 configuration): woken with all the others.
    Any,
}

/// Wakers kept aside when a second task waits on the same socket in the same
/// direction (several session tasks in `accept` on one listener).
#[cfg(feature = "async")]
pub const SHARED_WAITERS: usize = 8;

#[cfg(feature = "async")]
pub(crate) struct Waiters<'a> {
    slots: &'a [SlotWakers],
    /// Where a waker displaced from a slot's cell by another task's waits
    /// to be woken with the others (it is never dropped unwoken).
    shared: [Cell<Option<Waker>>; SHARED_WAITERS],
    dns: Cell<Option<Waker>>,
    runner: Cell<Option<Waker>>,
    /// The runner was woken by a call on the stack since it last looked.
    kicked: Cell<bool>,
    /// The earliest deadline of a waiting future (cleared when all are woken:
    /// each one still waiting registers its own again).
    earliest: Cell<Option<Instant>>,
    /// When the sleeping runner means to wake by itself (`None`: only when
    /// kicked, or for a frame).
    plan: Cell<Option<Instant>>,
}

#[cfg(feature = "async")]
/// Put `w` into `cell`, unless the waker there would wake the same task;
/// the waker it displaces (another task's) is returned.
fn register(cell: &Cell<Option<Waker>>, w: &Waker) -> Option<Waker> {
    let old = cell.take();
    match old {
        Some(o) if o.will_wake(w) => {
            cell.set(Some(o));
            None
        }
        other => {
            cell.set(Some(w.clone()));
            other
        }
    }
}

#[cfg(feature = "async")]
fn wake(cell: &Cell<Option<Waker>>) {
    if let Some(w) = cell.take() {
        w.wake();
    }
}

#[cfg(feature = "async")]
impl<'a> Waiters<'a> {
    pub fn new(slots: &'a [SlotWakers]) -> Self {
        Waiters {
            slots,
            shared: [const { Cell::new(None) }; SHARED_WAITERS],
            dns: Cell::new(None),
            runner: Cell::new(None),
            kicked: Cell::new(false),
            earliest: Cell::new(None),
            plan: Cell::new(None),
        }
    }

    /// `w` waits as `who`, until `deadline` (if any).
    pub fn wait(&self, who: Waiter, w: &Waker, deadline: Option<Instant>) {
        let cell = match who {
            Waiter::Slot(index, dir) => self.slots.get(usize::from(index)).map(|pair| match dir {
                Dir::Read => &pair[0],
                Dir::Write => &pair[1],
            }),
            Waiter::Dns => Some(&self.dns),
            Waiter::Any => {
                self.keep(w.clone());
                None
            }
        };
        if let Some(displaced) = cell.and_then(|cell| register(cell, w)) {
            self.keep(displaced);
        }
        if let Some(d) = deadline {
            let e = self.earliest.get().map_or(d, |e| e.min(d));
            self.earliest.set(Some(e));
            // The runner planned its sleep without this deadline (a new
            // call, or one woken with all the others, which forgets the
            // deadlines): it looks again, or the call would wake late.
            if self.plan.get().is_none_or(|p| d < p) {
                self.kick();
            }
        }
    }

    /// Keep a displaced waker until the next wake-up. With every shared
    /// cell taken, it is woken at once instead: its task looks again and
    /// waits anew (more than `SHARED_WAITERS` tasks contending for one
    /// socket then cost extra polls, never a lost wake-up).
    fn keep(&self, w: Waker) {
        let free = self.shared.iter().find(|c| {
            let v = c.take();
            let usable = v.as_ref().is_none_or(|o| o.will_wake(&w));
            c.set(v);
            usable
        });
        match free {
            Some(c) => c.set(Some(w)),
            None => w.wake(),
        }
    }

    /// Wake every waiting future: something happened (packets moved, a
    /// timer ran) and each one looks again, re-registering if still waiting.
    pub fn wake_all(&self) {
        self.earliest.set(None);
        for pair in self.slots {
            for cell in pair {
                wake(cell);
            }
        }
        self.shared.iter().for_each(wake);
        wake(&self.dns);
    }

    /// Wake the waiters of one slot (a call changed it: `shutdown`, `close`).
    pub fn wake_slot(&self, index: u16) {
        if let Some(pair) = self.slots.get(usize::from(index)) {
            for cell in pair {
                wake(cell);
            }
        }
        // A displaced waiter may be this slot's: shared ones look too.
        self.shared.iter().for_each(wake);
    }

    /// The earliest deadline of a waiting future.
    pub fn earliest(&self) -> Option<Instant> {
        self.earliest.get()
    }

    /// A call used the stack: the runner, if it sleeps, runs it again (the
    /// call may have queued data, started a connect, freed a slot…).
    pub fn kick(&self) {
        if let Some(w) = self.runner.take() {
            self.kicked.set(true);
            w.wake();
        }
    }

    /// The runner means to sleep until `due` (or a kick, or a frame).
    pub fn runner_plans(&self, due: Option<Instant>) {
        self.plan.set(due);
    }

    /// The runner sleeps until a kick (true if one came since the last look).
    pub fn runner_sleeps(&self, w: &Waker) -> bool {
        if self.kicked.replace(false) {
            return true;
        }
        // One runner per stack; a second one's waker simply replaces it.
        drop(register(&self.runner, w));
        false
    }

    /// The runner is running: a call now needs no kick.
    pub fn runner_awake(&self) {
        drop(self.runner.take());
        self.kicked.set(false);
    }
}
