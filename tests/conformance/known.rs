//! The documented divergences: each entry's id is a section of
//! CONFORMANCE.md. The harness forgives a difference only when an entry
//! here recognises it; any other difference fails the run.

use crate::gen::{Step, Target, SOCKET_SLOTS};
use crate::normalise::Out;

/// Where two runs of a program first differ.
pub struct Diff<'p> {
    pub program: &'p [Step],
    /// The index of the step that differs.
    pub at: usize,
    pub linux: &'p [Out],
    pub smol: &'p [Out],
}

impl Diff<'_> {
    pub fn step(&self) -> Step {
        self.program[self.at]
    }
    pub fn linux(&self) -> &Out {
        &self.linux[self.at]
    }
    pub fn smol(&self) -> &Out {
        &self.smol[self.at]
    }
}

/// A documented divergence.
pub struct Known {
    /// Its id in CONFORMANCE.md.
    pub id: &'static str,
    /// Whether the programs' states stay the same after it (then the
    /// comparison goes on; else it stops at this step).
    pub continues: bool,
    pub matches: fn(&Diff<'_>) -> bool,
}

fn err(o: &Out) -> Option<&str> {
    match o {
        Out::Err(e) => Some(e),
        _ => None,
    }
}

fn is_err(o: &Out, names: &[&str]) -> bool {
    err(o).is_some_and(|e| names.contains(&e))
}

impl Diff<'_> {
    fn slot(&self) -> Option<u8> {
        self.step().slot()
    }
    /// Some step before this one, on this step's slot, matches.
    fn before(&self, f: impl Fn(&Step) -> bool) -> bool {
        let e = self.slot();
        self.program[..self.at]
            .iter()
            .any(|s| s.slot() == e && f(s))
    }
    /// Some step before this one, on any slot, matches.
    fn anywhere_before(&self, f: impl Fn(&Step) -> bool) -> bool {
        self.program[..self.at].iter().any(f)
    }
    /// The slot holds a datagram socket (the last `Socket` step on it).
    fn udp(&self) -> bool {
        let Some(e) = self.slot() else { return false };
        if e >= SOCKET_SLOTS {
            return false;
        }
        self.program[..self.at]
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, s)| match *s {
                Step::Socket { e: x, udp, .. } if x == e && self.linux[i] != Out::Skipped => {
                    Some(udp)
                }
                _ => None,
            })
            .unwrap_or(false)
    }
    /// The destination of this step, or of the slot's last `connect`.
    fn destination(&self) -> Option<Target> {
        match self.step() {
            Step::Connect { to, .. } | Step::SendTo { to, .. } => Some(to),
            _ => self.program[..self.at].iter().rev().find_map(|s| match *s {
                Step::Connect { e, to } if Some(e) == self.slot() => Some(to),
                _ => None,
            }),
        }
    }
    /// A connect on this slot did not succeed at once on Linux: it failed,
    /// or went on in the background (and may have failed there).
    fn failed_connect_before(&self) -> bool {
        let e = self.slot();
        self.program[..self.at].iter().enumerate().any(|(i, s)| {
            matches!(s, Step::Connect { .. }) && s.slot() == e && self.linux[i] != Out::Done
        })
    }
}

fn is_shutdown(s: &Step, hows: &[u8]) -> bool {
    matches!(s, Step::Shutdown { how, .. } if hows.contains(how))
}

/// Every documented divergence, in the order CONFORMANCE.md lists them.
pub const KNOWN: &[Known] = &[
    Known {
        id: "listen-backlog",
        continues: false,
        matches: |d| {
            d.anywhere_before(|s| matches!(s, Step::Listen { .. }))
                && ((is_err(d.smol(), &["ConnectionRefused"])
                    && !is_err(d.linux(), &["ConnectionRefused"]))
                    || (matches!(d.step(), Step::Accept { .. })
                        && matches!(d.linux(), Out::Accepted(_))
                        && is_err(d.smol(), &["WouldBlock", "TimedOut"])))
        },
    },
    Known {
        id: "send-no-destination",
        continues: true,
        matches: |d| {
            matches!(d.step(), Step::Send { .. } | Step::SendAll { .. })
                && is_err(d.linux(), &["DestinationRequired"])
                && is_err(d.smol(), &["NotConnected"])
        },
    },
    Known {
        id: "recvfrom-stream-address",
        continues: true,
        matches: |d| match (d.linux(), d.smol()) {
            (Out::From(a, None), Out::From(b, Some(_))) => a == b,
            _ => false,
        },
    },
    Known {
        id: "recvfrom-empty-buffer",
        continues: false,
        matches: |d| matches!(d.step(), Step::RecvFrom { cap: 0, .. }),
    },
    Known {
        id: "recv-empty-closed",
        continues: true,
        matches: |d| {
            matches!(
                d.step(),
                Step::Recv { cap: 0, .. } | Step::RecvDontWait { cap: 0, .. }
            ) && *d.linux() == Out::Data(Vec::new())
                && is_err(d.smol(), &["BadDescriptor"])
        },
    },
    Known {
        id: "unusual-destination",
        continues: false,
        matches: |d| {
            matches!(
                d.step(),
                Step::Connect { .. }
                    | Step::SendTo { .. }
                    | Step::Send { .. }
                    | Step::SendAll { .. }
                    | Step::PeerAddr { .. }
            ) && (is_err(d.smol(), &["AddrNotAvailable", "InvalidInput"])
                || matches!(d.step(), Step::PeerAddr { .. }))
                && !matches!(d.destination(), Some(Target::Fixed(_)) | None)
        },
    },
    Known {
        id: "connect-after-waited-connect",
        continues: false,
        matches: |d| {
            matches!(d.step(), Step::Connect { .. })
                && d.before(|s| matches!(s, Step::Connect { .. }))
                && (matches!(d.linux(), Out::Done)
                    || is_err(d.linux(), &["ConnectionAborted", "ConnectionReset"]))
        },
    },
    Known {
        id: "failed-connect-state",
        continues: false,
        matches: |d| {
            let refused = d.program[..d.at]
                .iter()
                .enumerate()
                .any(|(i, s)| s.slot() == d.slot() && is_err(&d.linux[i], &["ConnectionRefused"]));
            (refused
                && matches!(
                    d.step(),
                    Step::Connect { .. }
                        | Step::Send { .. }
                        | Step::SendAll { .. }
                        | Step::SendTo { .. }
                        | Step::Select { .. }
                ))
                || d.failed_connect_before()
                    && matches!(
                        d.step(),
                        Step::Listen { .. }
                            | Step::Bind { .. }
                            | Step::LocalAddr { .. }
                            | Step::PeerAddr { .. }
                            | Step::Recv { .. }
                            | Step::RecvFrom { .. }
                            | Step::Peek { .. }
                            | Step::RecvDontWait { .. }
                    )
        },
    },
    Known {
        id: "port-released-at-close",
        continues: false,
        matches: |d| {
            let connected = |e: u8| {
                e >= SOCKET_SLOTS
                    || d.program[..d.at].iter().enumerate().any(|(i, s)| {
                        matches!(s, Step::Connect { .. })
                            && s.slot() == Some(e)
                            && d.linux[i] != Out::Skipped
                    })
            };
            match d.step() {
                Step::Bind { e, to } => {
                    connected(e)
                        || matches!(to, Target::Of(j) if connected(j))
                        || (is_err(d.smol(), &["AddrInUse"])
                            && *d.linux() == Out::Done
                            && d.anywhere_before(|s| {
                                matches!(s, Step::Accept { .. } | Step::Connect { .. })
                            }))
                }
                _ => false,
            }
        },
    },
    Known {
        id: "peer-address-after-close",
        continues: false,
        matches: |d| {
            matches!(d.step(), Step::PeerAddr { .. })
                && is_err(d.linux(), &["NotConnected"])
                && matches!(d.smol(), Out::Addr(_))
                && d.anywhere_before(|s| matches!(s, Step::Close { .. } | Step::Shutdown { .. }))
        },
    },
    Known {
        id: "any-address-both-families",
        continues: false,
        matches: |d| {
            let any = |s: &Step| {
                matches!(
                    s,
                    Step::Bind {
                        to: Target::AnyFixed(_) | Target::AnyZero,
                        ..
                    }
                )
            };
            let other_family_bind = matches!(d.step(), Step::Bind { .. })
                && is_err(d.smol(), &["AddrInUse"])
                && *d.linux() == Out::Done;
            (d.anywhere_before(any) || any(&d.step()) || other_family_bind)
                && d.anywhere_before(|s| matches!(s, Step::Socket { v6: true, .. }))
                && d.anywhere_before(|s| matches!(s, Step::Socket { v6: false, .. }))
                && matches!(
                    d.step(),
                    Step::Connect { .. }
                        | Step::Bind { .. }
                        | Step::Recv { .. }
                        | Step::RecvFrom { .. }
                        | Step::Peek { .. }
                        | Step::RecvDontWait { .. }
                        | Step::Select { .. }
                        | Step::Send { .. }
                        | Step::SendAll { .. }
                        | Step::SendTo { .. }
                        | Step::Accept { .. }
                        | Step::PeerAddr { .. }
                        | Step::LocalAddr { .. }
                        | Step::TakeError { .. }
                )
        },
    },
    Known {
        id: "shutdown-listener-or-connecting",
        continues: false,
        matches: |d| {
            (matches!(d.step(), Step::Shutdown { .. })
                && *d.linux() == Out::Done
                && is_err(d.smol(), &["NotConnected"]))
                || (d.before(|s| is_shutdown(s, &[0, 1, 2]))
                    && matches!(
                        d.step(),
                        Step::Connect { .. }
                            | Step::Accept { .. }
                            | Step::Listen { .. }
                            | Step::Shutdown { .. }
                            | Step::Select { .. }
                    ))
        },
    },
    Known {
        id: "connect-after-connection",
        continues: false,
        matches: |d| matches!(d.step(), Step::Connect { .. }) && is_err(d.linux(), &["BrokenPipe"]),
    },
    Known {
        id: "local-address-after-reset",
        continues: false,
        matches: |d| {
            !d.udp()
                && matches!(d.step(), Step::LocalAddr { .. })
                && match (d.linux(), d.smol()) {
                    (Out::Addr(l), Out::Addr(s)) => {
                        l.replace("127.0.0.1", "0.0.0.0").replace("[::1]", "[::]") == *s
                    }
                    _ => false,
                }
        },
    },
    Known {
        id: "pending-error-after-close-wait-reset",
        continues: false,
        matches: |d| {
            matches!(d.linux(), Out::Pending(Some(e)) if e == "BrokenPipe" || e == "ConnectionReset")
                && *d.smol() == Out::Pending(None)
        },
    },
    Known {
        id: "shutdown-read",
        continues: false,
        matches: |d| {
            d.before(|s| is_shutdown(s, &[0, 2]))
                && matches!(
                    d.step(),
                    Step::Recv { .. }
                        | Step::RecvFrom { .. }
                        | Step::Peek { .. }
                        | Step::RecvDontWait { .. }
                )
                && matches!(d.smol(), Out::Data(v) | Out::From(v, _) if v.is_empty())
        },
    },
    Known {
        id: "udp-connect-filter",
        continues: false,
        matches: |d| {
            d.udp()
                && d.before(|s| matches!(s, Step::Connect { .. }))
                && matches!(
                    d.step(),
                    Step::Recv { .. }
                        | Step::RecvFrom { .. }
                        | Step::Peek { .. }
                        | Step::RecvDontWait { .. }
                        | Step::Select { .. }
                )
        },
    },
    Known {
        id: "udp-connect-local-address",
        continues: true,
        matches: |d| {
            d.udp()
                && d.before(|s| matches!(s, Step::Connect { .. }))
                && matches!(d.step(), Step::LocalAddr { .. })
                && match (d.linux(), d.smol()) {
                    (Out::Addr(l), Out::Addr(s)) => {
                        l.replace("127.0.0.1", "0.0.0.0").replace("[::1]", "[::]") == *s
                    }
                    _ => false,
                }
        },
    },
    Known {
        id: "udp-port-unreachable",
        continues: false,
        matches: |d| {
            d.udp()
                && (is_err(d.linux(), &["ConnectionRefused"])
                    || *d.linux() == Out::Pending(Some("ConnectionRefused".into()))
                    || (matches!(d.step(), Step::Select { .. })
                        && d.before(|s| {
                            matches!(
                                s,
                                Step::Send { .. } | Step::SendAll { .. } | Step::SendTo { .. }
                            )
                        })))
        },
    },
];

/// The documented divergence this difference is, if any.
pub fn recognise(d: &Diff<'_>) -> Option<&'static Known> {
    KNOWN.iter().find(|k| (k.matches)(d))
}
