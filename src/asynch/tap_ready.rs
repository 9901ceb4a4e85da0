//! [`TapReady`]: the async runner's [`DeviceReady`] for a TAP device (or any
//! file descriptor that is readable when a frame waits); features `std` and
//! `async`.
//!
//! A std thread sleeps in `select` on the descriptor; when it becomes
//! readable the thread marks it and wakes the runner. Readiness is
//! level-triggered (the descriptor stays readable until the frame is read),
//! so the thread does not look again until the runner has acknowledged:
//! the runner acknowledges by asking for the next `ready()`, which it does
//! only after it has polled the interface (and so read what was waiting).
//! One wake-up per runner round at most: the thread never spins on a frame
//! left unread.

use crate::stack::runner::DeviceReady;
use std::format;
use std::future::{poll_fn, Future};
use std::os::unix::io::RawFd;
use std::sync::PoisonError;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Poll, Waker};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The thread waits for the descriptor to become readable.
    Watching,
    /// Readable: the runner is (being) woken.
    Readable,
    /// The runner saw it and is polling the interface; the thread waits for
    /// its next `ready()` before it looks again.
    Taken,
}

struct State {
    phase: Phase,
    waker: Option<Waker>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave it inconsistent
        // (two plain fields): go on with the data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The runner's [`DeviceReady`] for a [`Tap`](crate::device::Tap) (any
/// descriptor that is readable when a frame waits): a thread sleeps on the
/// descriptor and wakes the runner, at most once per runner round.
///
/// ```no_run
/// use smolsock::asynch::TapReady;
/// use smolsock::device::Tap;
/// use std::os::unix::io::AsRawFd;
/// let tap = Tap::open("tap0")?;
/// let ready = TapReady::new(tap.as_raw_fd())?;
/// // ... stack.run(&clock, ready) beside the tasks.
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TapReady {
    shared: Arc<Shared>,
}

impl TapReady {
    /// Watch `fd` (kept open by its owner for the life of the program) on a
    /// thread of its own. Fails only if the thread cannot be started.
    pub fn new(fd: RawFd) -> std::io::Result<TapReady> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                phase: Phase::Watching,
                waker: None,
            }),
            changed: Condvar::new(),
        });
        let watcher = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("fd {fd} ready"))
            .spawn(move || watch(fd, &watcher))?;
        Ok(TapReady { shared })
    }
}

fn watch(fd: RawFd, shared: &Shared) {
    loop {
        {
            let mut s = shared.lock();
            while s.phase != Phase::Watching {
                s = shared
                    .changed
                    .wait(s)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
        // No timeout: returns when the descriptor is readable.
        if let Err(e) = smoltcp::phy::wait(fd, None) {
            if e.kind() != std::io::ErrorKind::Interrupted {
                crate::log::net_warn!("waiting for fd {} to be readable: {}", fd, e);
                // Not a busy loop if the error persists; the runner still
                // polls on its timers meanwhile.
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            continue;
        }
        let waker = {
            let mut s = shared.lock();
            s.phase = Phase::Readable;
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl DeviceReady for TapReady {
    fn ready(&mut self) -> impl Future<Output = ()> {
        // Asked again: the runner polled the interface since it was last
        // told, so the thread may look at the descriptor again.
        {
            let mut s = self.shared.lock();
            if s.phase == Phase::Taken {
                s.phase = Phase::Watching;
                self.shared.changed.notify_one();
            }
        }
        let shared = &self.shared;
        poll_fn(move |cx| {
            let mut s = shared.lock();
            if s.phase == Phase::Readable {
                s.phase = Phase::Taken;
                s.waker = None;
                return Poll::Ready(());
            }
            match &s.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => s.waker = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
    }
}
