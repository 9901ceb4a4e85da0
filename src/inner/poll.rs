//! Moving packets: ingress one packet at a time (so listeners see arrival
//! order), egress until the sockets have nothing more to send, timers.

use super::observe::Phase;
use super::Inner;
use smoltcp::socket::tcp::State;
use smoltcp::time::Instant;

/// Packets taken from the device per round.
const MAX_INGRESS: usize = 256;
/// Bound on poll rounds per `poll` call (each round drains the device).
const MAX_ROUNDS: usize = 64;

impl Inner<'_> {
    /// Move packets and run timers at `now`; true if anything happened.
    pub fn poll(&mut self, now: Instant) -> bool {
        self.now = now;
        let link_changed = self.follow_link();
        if !self.link_up {
            // Link down: sockets keep their state, nothing moves.
            return link_changed;
        }
        self.iface.poll_maintenance(now);
        let mut any = link_changed;
        // Listeners need a look after every packet when one batch could hold
        // two arrivals (their order), or a connection dying while its slot
        // must be re-armed for the next SYN; the rest only after each batch.
        let listening = {
            let mut catching = 0;
            let mut half_open = false;
            for s in self.slots.iter().filter(|s| s.is_listening()) {
                catching += usize::from(s.last_state == State::Listen);
                half_open |= s.last_state == State::SynReceived;
            }
            catching >= 2 || half_open
        };
        for _ in 0..MAX_ROUNDS {
            let mut ingressed = false;
            // Bounded, so a flood of packets cannot keep `poll` from returning.
            let mut budget = MAX_INGRESS;
            while budget > 0 && self.device.ingress(&mut self.iface, &mut self.set, now) {
                budget -= 1;
                ingressed = true;
                if listening {
                    self.observe(Phase::Packet);
                }
            }
            // Only packets change a state in ingress.
            if ingressed {
                self.observe(Phase::Ingress);
            }
            // One egress pass per round: the round repeats while anything
            // moved, so what is left goes out on the next one (after the
            // ingress of what this one sent, on a loopback).
            let sent = self.device.egress(&mut self.iface, &mut self.set, now);
            if sent {
                self.observe(Phase::Egress);
            }
            if !(ingressed || sent) {
                break;
            }
            any = true;
        }
        // Egress timers can change a state without sending (TIME-WAIT
        // ending), and so can the program's own calls since the last poll.
        self.observe(Phase::Egress);
        if self.rearm_pending {
            self.rearm_all();
        }
        #[cfg(feature = "dhcp")]
        {
            any |= self.dhcp_update();
        }
        any
    }

    /// Read the device's link state; true if it changed. DHCP follows it.
    fn follow_link(&mut self) -> bool {
        let up = self.device.link_up();
        if up == self.link_up {
            return false;
        }
        self.link_up = up;
        crate::log::net_info!("link {}", if up { "up" } else { "down" });
        #[cfg(feature = "dhcp")]
        self.dhcp_link_changed(up);
        true
    }

    /// Transmit until the sockets have nothing more to send; true if any was sent.
    pub(super) fn flush_egress(&mut self, now: Instant) -> bool {
        let mut sent = false;
        while self.link_up && self.device.egress(&mut self.iface, &mut self.set, now) {
            sent = true;
        }
        sent
    }

    /// Egress only (what a `send` just queued leaves now), then a look at
    /// what egress changed (a connect timing out fires here).
    ///
    /// One egress pass: each socket sends one segment (a whole window on a
    /// loopback; the first segment on a small-MTU link, the rest go with
    /// the next poll, which the next blocking call or `Stack::poll` runs).
    /// True if anything was sent.
    pub fn transmit(&mut self, now: Instant) -> bool {
        self.now = now;
        let sent = self.link_up && self.device.egress(&mut self.iface, &mut self.set, now);
        if sent {
            // (A connect timing out sends its RST here; a TIME-WAIT ending
            // sends nothing, and the next poll's last look sees it.)
            self.observe(Phase::Egress);
        }
        sent
    }

    /// When the next `poll` is due.
    pub fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        if !self.link_up {
            // Nothing is due until the link comes back: the device says so,
            // or must be asked again (a TAP device).
            return self.device.link_check_interval().map(|d| now + d);
        }
        self.iface.poll_at(now, &self.set)
    }
}
