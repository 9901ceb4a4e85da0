//! Time is ticks: the core never reads a clock by itself.
//!
//! A [`Clock`] tells the stack what time it is and lets a blocking call sleep
//! until a deadline or until a packet may have arrived. Three clocks:
//!
//! - [`SimClock`]: simulated time for tests; sleeping jumps straight to the
//!   deadline, so a 5 s timeout costs microseconds.
//! - `StdClock` (feature `std`): the wall clock; sleeps on the device's file
//!   descriptor (smoltcp's `phy::wait`) when it has one.
//! - your own: firmware reads a timer tick in `now` and executes `WFI` in `idle`.

use core::cell::Cell;
use smoltcp::time::{Duration, Instant};

/// What [`Clock::idle`] did.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// Time may have passed or a packet may have arrived: poll again.
    Waited,
    /// The clock cannot wait: no deadline was given and nothing can wake it.
    /// Blocking calls then return [`Error::Stalled`](crate::Error::Stalled).
    Stalled,
}

/// A source of time plus an idle hook.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Instant;
    /// Wait until `until` (or forever when `None`), or until a packet may have
    /// arrived, whichever comes first. Returning early is always allowed.
    fn idle(&self, until: Option<Instant>) -> Idle;
    /// The waker a device that wakes by itself (an
    /// `EmbassyDriver`) gets while a blocking
    /// call waits: waking it must end [`idle`](Self::idle) early. `None`
    /// (the default): the device gets a no-op waker, and `idle` must wake by
    /// its own means (an interrupt ends `WFI`; a file descriptor).
    fn waker(&self) -> Option<core::task::Waker> {
        None
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn idle(&self, until: Option<Instant>) -> Idle {
        (**self).idle(until)
    }
    fn waker(&self) -> Option<core::task::Waker> {
        (**self).waker()
    }
}

/// Sleeping for the async front end: the runner's way to wait for the
/// stack's next timer (feature `async`). It must count on the same clock as
/// the stack's [`Clock`]. Implemented by [`SimClock`], by `StdClock` (feature
/// `std`, on one timer thread) and, with the feature `embassy-time`, by
/// `asynch::EmbassyClock`.
#[cfg(feature = "async")]
pub trait Timer {
    /// Resolves at `at` or later. Resolving early is allowed (the runner
    /// looks at the clock and sleeps again).
    fn sleep_until(&self, at: Instant) -> impl core::future::Future<Output = ()>;
}

#[cfg(feature = "async")]
impl<T: Timer + ?Sized> Timer for &T {
    fn sleep_until(&self, at: Instant) -> impl core::future::Future<Output = ()> {
        (**self).sleep_until(at)
    }
}

/// Sleepers a [`SimClock`] remembers at once (feature `async`); one more
/// returns at once instead (which [`Timer`] allows).
#[cfg(feature = "async")]
pub const SIM_SLEEPERS: usize = 8;

/// Simulated time. `idle(Some(t))` jumps to `t`; `idle(None)` reports
/// [`Idle::Stalled`], so a test that would hang fails instead.
///
/// With the feature `async` it is also a `Timer` (`smolsock::asynch::Timer`)
/// whose sleepers wait until the test's executor, finding nothing else to
/// run, calls `fire_next`: time jumps to the earliest sleeper's instant
/// and wakes it, so async timeouts are as deterministic as blocking ones.
///
/// ```
/// use smolsock::{Clock, SimClock};
/// use smoltcp::time::{Duration, Instant};
/// let clock = SimClock::new();
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(clock.now(), Instant::from_secs(5));
/// ```
pub struct SimClock {
    now: Cell<Instant>,
    #[cfg(feature = "async")]
    sleepers: [Cell<Option<(Instant, core::task::Waker)>>; SIM_SLEEPERS],
}

impl core::fmt::Debug for SimClock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SimClock")
            .field("now", &self.now.get())
            .finish()
    }
}

impl SimClock {
    /// A clock at instant zero.
    pub const fn new() -> Self {
        SimClock {
            now: Cell::new(Instant::ZERO),
            #[cfg(feature = "async")]
            sleepers: [const { Cell::new(None) }; SIM_SLEEPERS],
        }
    }

    /// Jump to the earliest instant a [`Timer`] sleeper waits for, and wake
    /// every sleeper due by then. False if none waits: a test's executor
    /// with nothing to run and nothing to fire has stalled.
    #[cfg(feature = "async")]
    pub fn fire_next(&self) -> bool {
        let earliest = self
            .sleepers
            .iter()
            .filter_map(|c| take_peek(c, |v| v.as_ref().map(|(at, _)| *at)))
            .min();
        let Some(at) = earliest else { return false };
        self.set(at);
        // Woken, not emptied: the sleeper empties its cell when it
        // completes or is dropped.
        for c in &self.sleepers {
            let due = take_peek(c, |v| match v {
                Some((t, w)) if *t <= at => Some(w.clone()),
                _ => None,
            });
            if let Some(w) = due {
                w.wake();
            }
        }
        true
    }

    /// Move time forward (saturating at `Instant`'s largest value; the
    /// stack itself reads at most [`TIME_LIMIT`]).
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.total_micros()).unwrap_or(i64::MAX);
        let to = self.now.get().total_micros().saturating_add(by);
        self.now.set(Instant::from_micros(to));
    }

    /// Set the time (never backwards).
    pub fn set(&self, to: Instant) {
        if to > self.now.get() {
            self.now.set(to);
        }
    }
}

impl Default for SimClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SimClock {
    fn now(&self) -> Instant {
        self.now.get()
    }

    fn idle(&self, until: Option<Instant>) -> Idle {
        match until {
            Some(t) => {
                self.set(t);
                Idle::Waited
            }
            None => Idle::Stalled,
        }
    }
}

#[cfg(feature = "async")]
impl Timer for SimClock {
    fn sleep_until(&self, at: Instant) -> impl core::future::Future<Output = ()> {
        SimSleep {
            clock: self,
            at,
            cell: None,
        }
    }
}

/// A [`SimClock`] sleeper: holds a cell of the clock's table while pending,
/// and gives it back when dropped (so a sleep cut short leaves no stale
/// instant for `fire_next` to jump to).
#[cfg(feature = "async")]
struct SimSleep<'c> {
    clock: &'c SimClock,
    at: Instant,
    cell: Option<usize>,
}

#[cfg(feature = "async")]
impl core::future::Future for SimSleep<'_> {
    type Output = ();
    fn poll(
        mut self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<()> {
        let sleepers = &self.clock.sleepers;
        if self.clock.now() >= self.at {
            self.release();
            return core::task::Poll::Ready(());
        }
        let cell = self
            .cell
            .or_else(|| sleepers.iter().position(|c| take_peek(c, |v| v.is_none())));
        match cell.and_then(|i| sleepers.get(i).map(|c| (i, c))) {
            Some((i, c)) => {
                c.set(Some((self.at, cx.waker().clone())));
                self.cell = Some(i);
                core::task::Poll::Pending
            }
            // Full: return early, which `Timer` allows.
            None => core::task::Poll::Ready(()),
        }
    }
}

#[cfg(feature = "async")]
impl SimSleep<'_> {
    fn release(&mut self) {
        if let Some(c) = self.cell.take().and_then(|i| self.clock.sleepers.get(i)) {
            c.set(None);
        }
    }
}

#[cfg(feature = "async")]
impl Drop for SimSleep<'_> {
    fn drop(&mut self) {
        self.release();
    }
}

/// Look at a `Cell`'s value through `f`, leaving it in place.
#[cfg(feature = "async")]
fn take_peek<T, R>(c: &Cell<T>, f: impl FnOnce(&T) -> R) -> R
where
    T: Default,
{
    let v = c.take();
    let r = f(&v);
    c.set(v);
    r
}

/// The latest instant the stack works with: `i64::MAX / 4` microseconds
/// (about 73,000 years after the clock's zero), and the longest duration it
/// hands to smoltcp. smoltcp's `Instant` is `i64` microseconds and adds
/// durations without checking; clamping every clock reading and every
/// duration to a quarter of the range leaves the sum of any two far from
/// overflow, so no clock value can panic the stack (or wrap a deadline into
/// the past). A clock at or past this instant has reached the end of time
/// for the stack: a call that would wait returns
/// [`Error::TimedOut`](crate::Error::TimedOut) after its one try.
pub const TIME_LIMIT: Instant = Instant::from_micros_const(LIMIT_MICROS);

const LIMIT_MICROS: i64 = i64::MAX / 4;

/// A clock reading as the stack uses it: within `-TIME_LIMIT..=TIME_LIMIT`.
pub(crate) fn clamp(t: Instant) -> Instant {
    Instant::from_micros(t.total_micros().clamp(-LIMIT_MICROS, LIMIT_MICROS))
}

/// Longest span a deadline is computed over: added to any instant of a
/// running stack, it cannot overflow (2^50 µs, about 35 years).
pub(crate) const LONGEST: core::time::Duration = core::time::Duration::from_micros(1 << 50);

/// A `core` duration as smoltcp's, at most [`LONGEST`]: `now + span(d)`
/// always fits an `Instant` (the line server's limits, the HTTP client's
/// deadline).
#[cfg_attr(not(any(feature = "line", feature = "http")), allow(dead_code))]
pub(crate) fn span(d: core::time::Duration) -> Duration {
    to_smol(d.min(LONGEST))
}

/// A `core` duration as smoltcp's, saturating at [`TIME_LIMIT`]'s span.
#[cfg_attr(
    not(any(feature = "line", feature = "http", feature = "std")),
    allow(dead_code)
)]
pub(crate) fn to_smol(d: core::time::Duration) -> Duration {
    let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(micros.min(LIMIT_MICROS as u64))
}

/// Has a wait that started before `now` run out: its deadline passed, or
/// the clock is at [`TIME_LIMIT`] (time cannot move on for the stack).
pub(crate) fn expired(now: Instant, deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| now >= d) || now >= TIME_LIMIT
}

/// A smoltcp duration as `core`'s.
#[allow(dead_code)]
pub(crate) fn from_smol(d: Duration) -> core::time::Duration {
    core::time::Duration::from_micros(d.total_micros())
}

/// The instant `timeout` after `start`, at most [`TIME_LIMIT`] (where the
/// stack's time ends, see [`expired`]); `None` for no timeout, and for one
/// longer than `TIME_LIMIT`'s span (about 73,000 years), which is no
/// deadline at all: the call blocks.
pub(crate) fn deadline(start: Instant, timeout: Option<core::time::Duration>) -> Option<Instant> {
    let micros = i64::try_from(timeout?.as_micros()).ok()?;
    if micros > LIMIT_MICROS {
        return None;
    }
    let at = clamp(start).total_micros().saturating_add(micros);
    Some(Instant::from_micros(at.min(LIMIT_MICROS)))
}

/// How long a blocking call sleeps: until the deadline or the stack's next
/// timer, whichever is first. A timer already due is moved 1 ms ahead, so a
/// simulated clock cannot spin in place.
pub(crate) fn wake_at(
    now: Instant,
    deadline: Option<Instant>,
    next: Option<Instant>,
) -> Option<Instant> {
    let next = next.map(|t| t.max(now + Duration::from_millis(1)));
    match (deadline, next) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(feature = "std")]
pub use self::std_clock::StdClock;

#[cfg(feature = "std")]
mod std_clock {
    use super::{Clock, Idle};
    use smoltcp::time::{Duration, Instant};

    /// The wall clock (milliseconds since the clock was made). With a file
    /// descriptor (a TAP device's), `idle` sleeps until it is readable or the
    /// deadline passes; without one it sleeps at most `max_idle`.
    #[derive(Debug)]
    pub struct StdClock {
        start: std::time::Instant,
        fd: Option<std::os::unix::io::RawFd>,
        max_idle: core::time::Duration,
        /// `idle` parks the thread; the device's waker unparks it.
        park: bool,
    }

    /// Unparks the thread that waits in a parking `StdClock`'s `idle`.
    struct Unpark(std::thread::Thread);

    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }

    impl StdClock {
        /// A wall clock for a device with no file descriptor (e.g. `Loopback`).
        pub fn new() -> Self {
            StdClock {
                start: std::time::Instant::now(),
                fd: None,
                max_idle: core::time::Duration::from_millis(1),
                park: false,
            }
        }

        /// A wall clock for a device that wakes by itself (an
        /// `EmbassyDriver` such as
        /// embassy-net-tuntap, whose reactor thread wakes it): a blocking
        /// call parks its thread until the device's waker unparks it or the
        /// deadline passes. No polling loop.
        pub fn parking() -> Self {
            StdClock {
                park: true,
                ..Self::new()
            }
        }

        /// The wall-clock instant of the stack's instant `at`.
        #[cfg(feature = "async")]
        pub(crate) fn wall_instant(&self, at: Instant) -> std::time::Instant {
            let micros = u64::try_from(at.total_micros()).unwrap_or(0);
            self.start
                .checked_add(core::time::Duration::from_micros(micros))
                .unwrap_or(self.start)
        }

        /// A wall clock that sleeps on `fd` (e.g. `TunTapInterface::as_raw_fd`).
        pub fn with_fd(fd: std::os::unix::io::RawFd) -> Self {
            StdClock {
                fd: Some(fd),
                ..Self::new()
            }
        }
    }

    impl Default for StdClock {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Clock for StdClock {
        fn now(&self) -> Instant {
            Instant::ZERO + super::to_smol(self.start.elapsed())
        }

        fn waker(&self) -> Option<core::task::Waker> {
            self.park
                .then(|| std::sync::Arc::new(Unpark(std::thread::current())).into())
        }

        fn idle(&self, until: Option<Instant>) -> Idle {
            let wait = until.map(|t| {
                let now = self.now();
                if t > now {
                    t - now
                } else {
                    Duration::ZERO
                }
            });
            if self.park {
                match wait {
                    Some(w) => std::thread::park_timeout(super::from_smol(w)),
                    None => std::thread::park(),
                }
                return Idle::Waited;
            }
            match self.fd {
                Some(fd) => {
                    // An error (EINTR) just means "poll again".
                    let _ = smoltcp::phy::wait(fd, wait);
                }
                None => {
                    let max = self.max_idle;
                    let d = wait.map(|w| super::from_smol(w).min(max)).unwrap_or(max);
                    std::thread::sleep(d);
                }
            }
            Idle::Waited
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_clock_jumps_and_stalls() {
        let c = SimClock::new();
        assert_eq!(c.idle(Some(Instant::from_millis(5000))), Idle::Waited);
        assert_eq!(c.now(), Instant::from_millis(5000));
        // never backwards
        c.set(Instant::from_millis(10));
        assert_eq!(c.now(), Instant::from_millis(5000));
        assert_eq!(c.idle(None), Idle::Stalled);
    }

    #[test]
    fn deadlines_saturate_instead_of_overflowing() {
        let start = Instant::from_secs(10);
        let d = |s| Some(core::time::Duration::from_secs(s));
        assert_eq!(deadline(start, d(5)), Some(Instant::from_secs(15)));
        assert_eq!(deadline(start, None), None);
        // Too far to represent: no deadline, never a wrapped one in the past.
        assert_eq!(deadline(start, Some(core::time::Duration::MAX)), None);
        assert_eq!(deadline(start, d(u64::MAX / 2_000_000)), None);
        // Near the limit, a deadline stops at it (the call ends there).
        assert_eq!(deadline(TIME_LIMIT, d(1)), Some(TIME_LIMIT));
        let near = Instant::from_micros(TIME_LIMIT.total_micros() - 500_000);
        assert_eq!(deadline(near, d(1)), Some(TIME_LIMIT));
        assert_eq!(
            to_smol(core::time::Duration::MAX).total_micros(),
            TIME_LIMIT.total_micros() as u64
        );
    }

    #[test]
    fn readings_clamp_and_the_limit_expires_every_wait() {
        assert_eq!(clamp(Instant::from_micros(i64::MAX)), TIME_LIMIT);
        assert_eq!(
            clamp(Instant::from_micros(i64::MIN)).total_micros(),
            -TIME_LIMIT.total_micros()
        );
        assert_eq!(clamp(Instant::from_secs(7)), Instant::from_secs(7));
        // Any reading plus any duration the stack hands out stays in range.
        let sum = clamp(Instant::from_micros(i64::MAX)).total_micros()
            + to_smol(core::time::Duration::MAX).total_micros() as i64;
        assert!(sum < i64::MAX);
        assert!(!expired(Instant::from_secs(1), None));
        assert!(!expired(Instant::from_secs(1), Some(Instant::from_secs(2))));
        assert!(expired(Instant::from_secs(2), Some(Instant::from_secs(2))));
        assert!(
            expired(TIME_LIMIT, None),
            "no wait outlives the end of time"
        );
    }

    #[test]
    fn sim_clock_advance_saturates() {
        let c = SimClock::new();
        c.advance(Duration::from_micros(u64::MAX / 2));
        c.advance(Duration::from_micros(u64::MAX));
        assert_eq!(c.now(), Instant::from_micros(i64::MAX));
    }

    #[test]
    fn wake_at_takes_the_earlier_and_never_now() {
        let now = Instant::from_secs(1);
        let (a, b) = (Instant::from_secs(3), Instant::from_secs(2));
        assert_eq!(wake_at(now, Some(a), Some(b)), Some(b));
        assert_eq!(wake_at(now, Some(b), Some(a)), Some(b));
        assert_eq!(wake_at(now, None, Some(a)), Some(a));
        assert_eq!(wake_at(now, Some(a), None), Some(a));
        assert_eq!(wake_at(now, None, None), None);
        // A timer due now (or past) wakes 1 ms later, so simulated time moves.
        assert_eq!(
            wake_at(now, None, Some(now)),
            Some(now + Duration::from_millis(1))
        );
    }
}
