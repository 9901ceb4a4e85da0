//! `EmbassyClock`: the stack's clock and the runner's timer on `embassy-time`.

use crate::time::{Clock, Idle, Timer};
use core::future::Future;
use smoltcp::time::Instant;

/// A [`Clock`] and [`Timer`] on `embassy-time` (feature `embassy-time`): the
/// stack's instants are embassy's, in microseconds. The program links an
/// embassy time driver, as every embassy program does.
///
/// Blocking calls on this clock (a [`Socket`](crate::Socket) used beside the
/// async ones) wait in `idle` with `embassy_time::block_for`, at most 1 ms
/// at a time: they block the executor while they wait, as a blocking call does.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbassyClock;

fn to_embassy(at: Instant) -> embassy_time::Instant {
    embassy_time::Instant::from_micros(u64::try_from(at.total_micros()).unwrap_or(0))
}

impl Clock for EmbassyClock {
    fn now(&self) -> Instant {
        let us = embassy_time::Instant::now().as_micros();
        Instant::from_micros(i64::try_from(us).unwrap_or(i64::MAX))
    }

    fn idle(&self, until: Option<Instant>) -> Idle {
        let step = embassy_time::Duration::from_millis(1);
        let wait = match until {
            Some(t) => to_embassy(t)
                .checked_duration_since(embassy_time::Instant::now())
                .map_or(embassy_time::Duration::from_ticks(0), |d| d.min(step)),
            None => step,
        };
        embassy_time::block_for(wait);
        Idle::Waited
    }
}

impl Timer for EmbassyClock {
    fn sleep_until(&self, at: Instant) -> impl Future<Output = ()> {
        embassy_time::Timer::at(to_embassy(at))
    }
}
