//! `StdClock` as the runner's [`Timer`] (features `async` and `std`): one
//! timer thread for the whole program sleeps until the earliest sleeper's
//! instant and wakes it, so the async front end runs on a Linux device with
//! the same wall clock as the blocking one.

use crate::time::{StdClock, Timer};
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use smoltcp::time::Instant;
use std::boxed::Box;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::vec::Vec;

/// Sleepers: (when, id, waker). Kept small: one runner per stack.
struct Queue {
    sleepers: Mutex<Vec<(std::time::Instant, u64, Waker)>>,
    changed: Condvar,
}

fn queue() -> Option<&'static Queue> {
    static QUEUE: OnceLock<Option<&'static Queue>> = OnceLock::new();
    *QUEUE.get_or_init(|| {
        let q: &'static Queue = Box::leak(Box::new(Queue {
            sleepers: Mutex::new(Vec::new()),
            changed: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("smolsock timer".into())
            .spawn(move || run(q))
            .ok()
            .map(|_| q)
    })
}

/// The timer thread: wake every sleeper that is due, sleep until the next.
fn run(q: &Queue) {
    let mut list = q.sleepers.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let now = std::time::Instant::now();
        let mut due = Vec::new();
        list.retain(|(at, _, w)| {
            let keep = *at > now;
            if !keep {
                due.push(w.clone());
            }
            keep
        });
        let next = list.iter().map(|(at, _, _)| *at).min();
        drop(list);
        due.into_iter().for_each(Waker::wake);
        list = q.sleepers.lock().unwrap_or_else(PoisonError::into_inner);
        list = match next {
            Some(at) => {
                let wait = at.saturating_duration_since(std::time::Instant::now());
                q.changed
                    .wait_timeout(list, wait)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => q.changed.wait(list).unwrap_or_else(PoisonError::into_inner),
        };
    }
}

/// One sleep until a wall-clock instant.
struct Sleep {
    at: std::time::Instant,
    id: Option<u64>,
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::time::Instant::now() >= self.at {
            return Poll::Ready(());
        }
        // No timer thread (it could not be started): return early, which
        // `Timer` allows; the runner looks at the clock and sleeps again.
        let Some(q) = queue() else {
            return Poll::Ready(());
        };
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let id = *self
            .id
            .get_or_insert_with(|| NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let mut list = q.sleepers.lock().unwrap_or_else(PoisonError::into_inner);
        match list.iter_mut().find(|(_, i, _)| *i == id) {
            Some(entry) if entry.2.will_wake(cx.waker()) => {}
            Some(entry) => entry.2 = cx.waker().clone(),
            None => list.push((self.at, id, cx.waker().clone())),
        }
        q.changed.notify_one();
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let (Some(id), Some(q)) = (self.id, queue()) {
            let mut list = q.sleepers.lock().unwrap_or_else(PoisonError::into_inner);
            list.retain(|(_, i, _)| *i != id);
        }
    }
}

/// The wall clock's timer: a sleep resolves at the instant, woken by one
/// timer thread shared by every `StdClock`.
///
/// ```
/// use smolsock::{Clock, StdClock};
/// use smolsock::asynch::Timer;
/// let clock = StdClock::new();
/// let at = clock.now() + smolsock::smoltcp::time::Duration::from_millis(5);
/// futures_executor::block_on(clock.sleep_until(at));
/// assert!(clock.now() >= at);
/// ```
impl Timer for StdClock {
    fn sleep_until(&self, at: Instant) -> impl Future<Output = ()> {
        Sleep {
            at: self.wall_instant(at),
            id: None,
        }
    }
}
