//! The seed's HTTP GET client on the LM3S6965 (QEMU `lm3s6965evb`):
//! 10.0.2.15/24 via 10.0.2.2. Fetches the URL given on the semihosting
//! command line (QEMU's `-append`), else the one built in
//! (`SMOLSOCK_HTTP_URL` at build time, default `http://10.0.2.2:8000/`),
//! prints the raw response on UART0 and exits 0 at EOF; on error prints one
//! `error: ...` line and exits 1.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::mem::MaybeUninit;
use core::ops::ControlFlow;
use cortex_m_rt::entry;
use smolsock::http::{Client, HttpError};
use smolsock::Stack;
use smolsock_lm3s6965::clock::SysTickClock;
use smolsock_lm3s6965::enet::{Enet, MTU};
use smolsock_lm3s6965::{board, console, hw};
use smolsock_lm3s6965_resources::{self as resources, HttpGetResources};

const DEFAULT_URL: &str = match option_env!("SMOLSOCK_HTTP_URL") {
    Some(u) => u,
    None => "http://10.0.2.2:8000/",
};

/// The URL: the last word of the semihosting command line if it is one.
fn url(buf: &mut [u8]) -> &str {
    let n = hw::cmdline(buf).unwrap_or(0);
    let line = core::str::from_utf8(&buf[..n]).unwrap_or("");
    line.split_ascii_whitespace()
        .rfind(|w| w.contains("://"))
        .unwrap_or(DEFAULT_URL)
}

fn describe(e: HttpError) -> &'static [u8] {
    match e {
        HttpError::ConnectionRefused => b"connection refused",
        HttpError::TimedOut(_) => b"timed out",
        HttpError::ConnectionReset => b"connection reset by peer",
        HttpError::BadUrl(_) => b"bad URL",
        HttpError::UnsupportedScheme => b"unsupported URL scheme: only http:// is supported",
        HttpError::NameNotResolved | HttpError::NoDnsServer | HttpError::Resolve(_) => {
            b"name not resolved (this firmware has no DNS: use an IP address)"
        }
        HttpError::HttpsNotSupported => b"https:// is not supported by this firmware",
        HttpError::EmptyReply => b"empty reply from server",
        HttpError::PartialBody { .. } => {
            b"partial body: the connection closed before Content-Length bytes arrived"
        }
        HttpError::BadResponse(_) => b"bad HTTP response",
        HttpError::Socket(_) => b"socket error",
        _ => b"request failed",
    }
}

#[entry]
fn main() -> ! {
    static mut RESOURCES: MaybeUninit<HttpGetResources> = MaybeUninit::uninit();
    static mut DEVICE: Option<Enet> = None;
    static mut RX_BUFFER: [u8; MTU] = [0; MTU];
    static mut CLOCK: Option<SysTickClock> = None;
    static mut CMDLINE: [u8; 256] = [0; 256];

    let (device, clock, config) = board::network(RX_BUFFER, DEVICE, CLOCK);
    // In .bss (no flash image), filled in place at run time: 2 slots, 2 KiB + 2 KiB each.
    let resources = resources::http_get(RESOURCES);
    let Ok(stack) = Stack::new(device, clock, resources, config) else {
        board::fail(b"bad network configuration")
    };
    let url = url(CMDLINE);
    let client = Client::new(&stack);
    let mut last = b'\n';
    match client.get_raw(url, |chunk| {
        console::write(chunk);
        if let Some(&b) = chunk.last() {
            last = b;
        }
        ControlFlow::Continue(())
    }) {
        Ok(_) => board::exit_ok(),
        Err(e) => {
            // The error gets a line of its own after a partial response.
            if last != b'\n' {
                console::write(b"\n");
            }
            board::fail(describe(e))
        }
    }
}
