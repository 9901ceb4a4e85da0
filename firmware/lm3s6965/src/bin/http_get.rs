//! The seed's HTTP GET client on the LM3S6965 (QEMU `lm3s6965evb`):
//! 10.0.2.15/24 via 10.0.2.2. Fetches the URL given on the semihosting
//! command line (QEMU's `-append`), else the one built in
//! (`SMOLSOCK_HTTP_URL` at build time, default `http://10.0.2.2:8000/`),
//! prints the raw response on UART0 and exits 0 at EOF; on error (a URL
//! that does not parse or does not fit the 256-byte command-line buffer
//! included) prints one `error: ...` line and exits 1. The program is
//! `smolsock_firmware::http_get`, shared with the other boards.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::mem::MaybeUninit;
use cortex_m_rt::entry;
use smolsock_firmware::http_get;
use smolsock_firmware_resources::HttpGetResources;
use smolsock_lm3s6965::board::{self, Lm3s};
use smolsock_lm3s6965::clock::SysTickClock;
use smolsock_lm3s6965::enet::{Enet, MTU};

#[entry]
fn main() -> ! {
    static mut RESOURCES: MaybeUninit<HttpGetResources> = MaybeUninit::uninit();
    static mut DEVICE: Option<Enet> = None;
    static mut RX_BUFFER: [u8; MTU] = [0; MTU];
    static mut CLOCK: Option<SysTickClock> = None;
    static mut CMDLINE: [u8; 256] = [0; 256];

    let (device, clock, config) = board::network(RX_BUFFER, DEVICE, CLOCK);
    http_get::run::<Lm3s, _>(device, clock, config, RESOURCES, CMDLINE)
}
