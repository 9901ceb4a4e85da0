//! Random socket programs: a seeded generator and a shrinker.
//!
//! A program is a list of steps over a table of endpoint slots. Every step
//! names its slot; a step on an empty slot does nothing on both sides (so
//! removing steps, as the shrinker does, always leaves a valid program).
//! Slots `0..SOCKET_SLOTS` hold sockets the program makes, the rest the
//! sockets `accept` returns (the first free one; none free: the accepted
//! socket is closed at once).

/// Slots a `Socket` step may fill.
pub const SOCKET_SLOTS: u8 = 4;
/// All slots (the accepted sockets take the ones above `SOCKET_SLOTS`).
pub const SLOTS: usize = 8;
/// Fixed ports a program may use (symbolic: each interpreter maps them).
pub const FIXED_PORTS: u8 = 3;
/// The timeout of the timeout mode. The Linux interpreter really waits it.
pub const SMALL_TIMEOUT_MS: u64 = 10;

/// A small deterministic generator (splitmix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// Where an address argument points. Each interpreter makes it an address
/// of the socket's own family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The loopback address, fixed port `k`.
    Fixed(u8),
    /// The unspecified address (`0.0.0.0` / `::`), fixed port `k`.
    AnyFixed(u8),
    /// The loopback address, port 0.
    Zero,
    /// The unspecified address, port 0.
    AnyZero,
    /// The socket's own local address (`connect` to itself).
    Own,
    /// The local address of the endpoint in slot `j`, on loopback.
    Of(u8),
}

/// The timeout mode of a socket (a program never blocks without a bound:
/// that would hang the Linux side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `setblocking(False)`.
    NonBlocking,
    /// `settimeout(SMALL_TIMEOUT_MS)`.
    Timeout,
}

/// One call of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `socket(family, type)` then the mode, into slot `e`.
    Socket {
        e: u8,
        v6: bool,
        udp: bool,
        mode: Mode,
    },
    Bind {
        e: u8,
        to: Target,
    },
    Listen {
        e: u8,
        n: u8,
    },
    Connect {
        e: u8,
        to: Target,
    },
    /// `accept()`; the new socket is set non-blocking at once.
    Accept {
        e: u8,
    },
    Send {
        e: u8,
        len: u16,
    },
    SendAll {
        e: u8,
        len: u16,
    },
    SendTo {
        e: u8,
        to: Target,
        len: u16,
    },
    Recv {
        e: u8,
        cap: u16,
    },
    RecvFrom {
        e: u8,
        cap: u16,
    },
    /// 0 read, 1 write, 2 both.
    Shutdown {
        e: u8,
        how: u8,
    },
    Close {
        e: u8,
    },
    SetMode {
        e: u8,
        mode: Mode,
    },
    Reuse {
        e: u8,
        on: bool,
    },
    LocalAddr {
        e: u8,
    },
    PeerAddr {
        e: u8,
    },
    /// `recv(cap, MSG_PEEK)`.
    Peek {
        e: u8,
        cap: u16,
    },
    /// `recv(cap, MSG_DONTWAIT)`.
    RecvDontWait {
        e: u8,
        cap: u16,
    },
    /// `select.select([s] if read, [s] if write, [], 0)`: (readable, writable).
    Select {
        e: u8,
        read: bool,
        write: bool,
    },
    /// `getsockopt(SO_ERROR)`.
    TakeError {
        e: u8,
    },
    /// `SO_LINGER` with a zero time (close resets).
    Linger0 {
        e: u8,
    },
    /// The network quiesces.
    Settle,
}

impl Step {
    /// The slot the step acts on (none for `Settle`).
    pub fn slot(&self) -> Option<u8> {
        Some(match *self {
            Step::Socket { e, .. }
            | Step::Bind { e, .. }
            | Step::Listen { e, .. }
            | Step::Connect { e, .. }
            | Step::Accept { e }
            | Step::Send { e, .. }
            | Step::SendAll { e, .. }
            | Step::SendTo { e, .. }
            | Step::Recv { e, .. }
            | Step::RecvFrom { e, .. }
            | Step::Shutdown { e, .. }
            | Step::Close { e }
            | Step::SetMode { e, .. }
            | Step::Reuse { e, .. }
            | Step::LocalAddr { e }
            | Step::PeerAddr { e }
            | Step::Peek { e, .. }
            | Step::RecvDontWait { e, .. }
            | Step::Select { e, .. }
            | Step::TakeError { e }
            | Step::Linger0 { e } => e,
            Step::Settle => return None,
        })
    }
}

/// The bytes a step sends: fixed by the step's index and length, the same
/// on both sides.
pub fn payload(step: usize, len: u16) -> Vec<u8> {
    (0..len as usize)
        .map(|i| (step.wrapping_mul(31).wrapping_add(i)) as u8)
        .collect()
}

const LENS: [u16; 6] = [0, 1, 1, 7, 100, 600];
const CAPS: [u16; 5] = [0, 1, 16, 4096, 4096];

fn target(r: &mut Rng) -> Target {
    match r.below(20) {
        0..=9 => Target::Fixed(0),
        10..=11 => Target::Fixed(r.below(FIXED_PORTS as u64) as u8),
        12 => Target::AnyFixed(0),
        13 => Target::AnyFixed(r.below(FIXED_PORTS as u64) as u8),
        14 => Target::Zero,
        15 => Target::AnyZero,
        16 => Target::Own,
        _ => Target::Of(r.below(SLOTS as u64) as u8),
    }
}

fn mode(r: &mut Rng) -> Mode {
    if r.chance(75) {
        Mode::NonBlocking
    } else {
        Mode::Timeout
    }
}

/// A slot, mostly one that may hold a socket by now.
fn slot(r: &mut Rng, live: &[u8]) -> u8 {
    if !live.is_empty() && r.chance(90) {
        r.pick(live)
    } else {
        r.below(SLOTS as u64) as u8
    }
}

/// One random program of 8 to 40 steps, often opening with a server and
/// a client on one port (TCP) or two bound datagram sockets (UDP).
pub fn program(r: &mut Rng) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut live: Vec<u8> = Vec::new();
    let v6 = r.chance(15);
    let udp = r.chance(25);
    let sockets = 2 + r.below(3) as u8; // 2..=4 endpoints
    match r.below(3) {
        0 if !udp => {
            // A listener in 0, a client in 1 connecting to it, accepted.
            steps.push(Step::Socket {
                e: 0,
                v6,
                udp: false,
                mode: mode(r),
            });
            if r.chance(30) {
                steps.push(Step::Reuse { e: 0, on: true });
            }
            let to = if r.chance(20) {
                Target::AnyFixed(0)
            } else {
                Target::Fixed(0)
            };
            steps.push(Step::Bind { e: 0, to });
            steps.push(Step::Listen {
                e: 0,
                n: r.below(3) as u8,
            });
            steps.push(Step::Socket {
                e: 1,
                v6,
                udp: false,
                mode: mode(r),
            });
            steps.push(Step::Connect {
                e: 1,
                to: Target::Fixed(0),
            });
            steps.push(Step::Settle);
            steps.push(Step::Accept { e: 0 });
            live.extend([0, 1, SOCKET_SLOTS]);
        }
        0 | 1 if udp => {
            for e in 0..2 {
                steps.push(Step::Socket {
                    e,
                    v6,
                    udp: true,
                    mode: mode(r),
                });
                steps.push(Step::Bind {
                    e,
                    to: Target::Fixed(e),
                });
                live.push(e);
            }
            if r.chance(50) {
                steps.push(Step::Connect {
                    e: 1,
                    to: Target::Fixed(0),
                });
            }
        }
        _ => {}
    }
    for e in 0..sockets {
        if !live.contains(&e) && r.chance(70) {
            // Mostly the program's family; sometimes the other one, or
            // the other type.
            let v6 = if r.chance(90) { v6 } else { !v6 };
            let udp = if r.chance(85) { udp } else { !udp };
            steps.push(Step::Socket {
                e,
                v6,
                udp,
                mode: mode(r),
            });
            live.push(e);
        }
    }
    let len = 8 + r.below(33) as usize;
    while steps.len() < len {
        let e = slot(r, &live);
        let step = match r.below(100) {
            0..=2 => Step::Socket {
                e: r.below(SOCKET_SLOTS as u64) as u8,
                v6: if r.chance(85) { v6 } else { !v6 },
                udp: if r.chance(80) { udp } else { !udp },
                mode: mode(r),
            },
            3..=6 => Step::Bind { e, to: target(r) },
            7..=9 => Step::Listen {
                e,
                n: r.below(4) as u8,
            },
            10..=15 => Step::Connect { e, to: target(r) },
            16..=22 => {
                let k = (SOCKET_SLOTS..SLOTS as u8).find(|k| !live.contains(k));
                if let Some(k) = k {
                    live.push(k);
                }
                Step::Accept { e }
            }
            23..=32 => Step::Send {
                e,
                len: r.pick(&LENS),
            },
            33..=37 => Step::SendAll {
                e,
                len: r.pick(&LENS),
            },
            38..=42 => Step::SendTo {
                e,
                to: target(r),
                len: r.pick(&LENS),
            },
            43..=55 => Step::Recv {
                e,
                cap: r.pick(&CAPS),
            },
            56..=59 => Step::RecvFrom {
                e,
                cap: r.pick(&CAPS),
            },
            60..=64 => Step::Shutdown {
                e,
                how: r.below(3) as u8,
            },
            65..=68 => Step::Close { e },
            69..=71 => Step::SetMode { e, mode: mode(r) },
            72..=73 => Step::Reuse {
                e,
                on: r.chance(70),
            },
            74..=76 => Step::LocalAddr { e },
            77..=79 => Step::PeerAddr { e },
            80..=81 => Step::Peek {
                e,
                cap: r.pick(&CAPS[1..]),
            },
            82 => Step::RecvDontWait {
                e,
                cap: r.pick(&CAPS),
            },
            83..=85 => Step::Select {
                e,
                read: r.chance(70),
                write: r.chance(50),
            },
            86..=87 => Step::TakeError { e },
            88 => Step::Linger0 { e },
            _ => Step::Settle,
        };
        steps.push(step);
    }
    steps
}

/// Smaller variants of a program, most promising first: chunks removed,
/// then single steps, then smaller lengths.
pub fn shrink(p: &[Step]) -> Vec<Vec<Step>> {
    let mut out = Vec::new();
    let n = p.len();
    let mut chunk = n / 2;
    while chunk >= 1 {
        let mut start = 0;
        while start + chunk <= n {
            let mut q = p[..start].to_vec();
            q.extend_from_slice(&p[start + chunk..]);
            out.push(q);
            start += chunk;
        }
        chunk /= 2;
    }
    for (i, s) in p.iter().enumerate() {
        let smaller = match *s {
            Step::Send { e, len } if len > 1 => Some(Step::Send { e, len: 1 }),
            Step::SendAll { e, len } if len > 1 => Some(Step::SendAll { e, len: 1 }),
            Step::SendTo { e, to, len } if len > 1 => Some(Step::SendTo { e, to, len: 1 }),
            Step::SetMode {
                e,
                mode: Mode::Timeout,
            } => Some(Step::SetMode {
                e,
                mode: Mode::NonBlocking,
            }),
            Step::Socket {
                e,
                v6,
                udp,
                mode: Mode::Timeout,
            } => Some(Step::Socket {
                e,
                v6,
                udp,
                mode: Mode::NonBlocking,
            }),
            _ => None,
        };
        if let Some(smaller) = smaller {
            let mut q = p.to_vec();
            q[i] = smaller;
            out.push(q);
        }
    }
    out
}
