//! The wait for the DHCP lease (feature `dhcp`): a program's first step on
//! a board that takes its address from the network (QEMU's built-in DHCP
//! server on its user network). One line on the host's stderr
//! (semihosting) with the lease, beside the program's own output on the
//! console; no lease in time is an `error: ...` line and exit status 1.

use crate::out::{self, Board};
use core::time::Duration;
use smolsock::{Ipv4Config, Stack};

/// How long a program waits for its lease. smoltcp's DHCP client repeats
/// its DISCOVER every 10 s: this leaves room for two lost ones.
pub const WAIT: Duration = Duration::from_secs(30);

/// A line of text built in place (no `core::fmt`: it costs kilobytes of
/// flash), cut at its capacity.
struct Text<'b> {
    buf: &'b mut [u8; 64],
    len: usize,
}

impl Text<'_> {
    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
    }

    fn number(&mut self, n: u32) {
        self.push(out::decimal(n, &mut [0; 10]));
    }

    fn ipv4(&mut self, octets: [u8; 4]) {
        for (k, o) in octets.into_iter().enumerate() {
            if k > 0 {
                self.push(b".");
            }
            self.number(u32::from(o));
        }
    }
}

/// The lease as one line: `dhcp: lease 10.0.2.15/24 via 10.0.2.2` (no
/// ` via ...` without a gateway).
///
/// ```
/// use smolsock::smoltcp::wire::{Ipv4Address, Ipv4Cidr};
/// let mut v4 = smolsock::Ipv4Config {
///     address: Ipv4Cidr::new(Ipv4Address::new(10, 0, 2, 15), 24),
///     gateway: Some(Ipv4Address::new(10, 0, 2, 2)),
///     dns_servers: Default::default(),
///     from_dhcp: true,
/// };
/// let mut line = [0; 64];
/// assert_eq!(
///     smolsock_firmware::lease::describe(&v4, &mut line),
///     b"dhcp: lease 10.0.2.15/24 via 10.0.2.2"
/// );
/// v4.gateway = None;
/// assert_eq!(smolsock_firmware::lease::describe(&v4, &mut line), b"dhcp: lease 10.0.2.15/24");
/// ```
pub fn describe<'b>(v4: &Ipv4Config, buf: &'b mut [u8; 64]) -> &'b [u8] {
    let mut text = Text { buf, len: 0 };
    text.push(b"dhcp: lease ");
    text.ipv4(v4.address.address().octets());
    text.push(b"/");
    text.number(u32::from(v4.address.prefix_len()));
    if let Some(gw) = v4.gateway {
        text.push(b" via ");
        text.ipv4(gw.octets());
    }
    let Text { buf, len } = text;
    buf.get(..len).unwrap_or_default()
}

/// Wait up to [`WAIT`] for `stack`'s DHCP lease and note it on the host's
/// stderr; with none in time, print `error: no DHCP lease ...` on the
/// console and end the program with exit status 1.
pub fn wait<B: Board>(stack: &Stack<'_>) {
    match stack.wait_config_up(Some(WAIT)) {
        Ok(v4) => {
            let mut line = [0; 64];
            crate::semihosting::write_line::<B::Semihosting>(&[describe(&v4, &mut line)]);
        }
        Err(e) => out::fail_with::<B>(
            b"no DHCP lease within 30 s (is the board on a network with a DHCP server?): ",
            e.python_name().as_bytes(),
        ),
    }
}
