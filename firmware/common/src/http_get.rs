//! The seed's HTTP GET client: fetches the URL on the board's command line
//! (else the built-in one), prints the raw response and exits 0 at EOF; on
//! any error prints one `error: ...` line and exits 1.
//!
//! The URL follows the TAP `http_get`'s rules (`smolsock::http::Url`): a
//! URL that does not parse (a space in the path, a bad port, ...) or a
//! command line that does not fit the firmware's buffer is an error, never
//! a fallback to another URL.

use crate::out::{self, Board};
use core::fmt::{self, Write as _};
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ops::ControlFlow;
use smolsock::http::{Client, HttpError, Url};
use smolsock::smoltcp::phy::Device;
use smolsock::{Clock, Config, Stack};
use smolsock_firmware_resources::{self as resources, HttpGetResources};

/// The URL fetched when the command line has none: `SMOLSOCK_HTTP_URL` at
/// build time, else `http://10.0.2.2:8000/` (the host's port 8000 behind
/// QEMU's user network).
pub const DEFAULT_URL: &str = match option_env!("SMOLSOCK_HTTP_URL") {
    Some(u) => u,
    None => "http://10.0.2.2:8000/",
};

/// The URL on a command line: from the first word holding `://` to the
/// end of the line (so that `http://h/a b` stays whole and is refused for
/// its space); `None` if no word holds `://`. QEMU's command line starts
/// with the kernel's file name, which this skips.
///
/// ```
/// use smolsock_firmware::http_get::url_in;
/// assert_eq!(url_in("fw.elf http://10.0.2.2:8000/a b\n"), Some("http://10.0.2.2:8000/a b"));
/// assert_eq!(url_in("fw.elf"), None);
/// ```
pub fn url_in(cmdline: &str) -> Option<&str> {
    let at = cmdline.find("://")?;
    let start = cmdline
        .get(..at)?
        .rfind(|c: char| c.is_ascii_whitespace())
        .map_or(0, |k| k + 1);
    Some(cmdline.get(start..)?.trim_end())
}

/// `core::fmt` output to the console (for the URL error's reason).
struct Console<B>(PhantomData<B>);

impl<B: Board> fmt::Write for Console<B> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        out::write::<B>(s.as_bytes());
        Ok(())
    }
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

/// The URL to fetch, or the program ends with its error line: the
/// command line read into `buf` must fit it and be UTF-8, and its URL (or,
/// with none on it, [`DEFAULT_URL`]) must parse.
fn url<B: Board>(buf: &mut [u8]) -> &str {
    let size = buf.len() as u32;
    let Some(n) = crate::semihosting::cmdline::<B::Semihosting>(buf) else {
        out::write::<B>(b"error: the command line (the URL) does not fit the firmware's ");
        out::number::<B>(size);
        out::line::<B>(b"-byte buffer");
        B::exit(false)
    };
    let Ok(line) = core::str::from_utf8(buf.get(..n).unwrap_or_default()) else {
        out::fail::<B>(b"the command line is not UTF-8")
    };
    let url = url_in(line).unwrap_or(DEFAULT_URL);
    if let Err(e) = Url::parse(url) {
        let _ = writeln!(
            Console::<B>(PhantomData),
            "error: {url}: {}",
            HttpError::from(e)
        );
        B::exit(false);
    }
    url
}

/// Fetch the URL of the command line (read into `cmdline`, the firmware's
/// buffer), else [`DEFAULT_URL`], on `device`; print the raw response and
/// end the program: exit status 0 at EOF, else an `error: ...` line and 1.
/// The pool is filled in place in `resources`: 2 slots, 2 KiB + 2 KiB each.
pub fn run<B: Board, D: Device>(
    device: &'static mut D,
    clock: &'static dyn Clock,
    config: Config,
    resources: &'static mut MaybeUninit<HttpGetResources>,
    cmdline: &'static mut [u8],
) -> ! {
    let url = url::<B>(cmdline);
    let resources = resources::http_get(resources);
    let Ok(stack) = Stack::new(device, clock, resources, config) else {
        out::fail::<B>(b"bad network configuration")
    };
    let client = Client::new(&stack);
    let mut last = b'\n';
    match client.get_raw(url, |chunk| {
        out::write::<B>(chunk);
        if let Some(&b) = chunk.last() {
            last = b;
        }
        ControlFlow::Continue(())
    }) {
        Ok(_) => B::exit(true),
        Err(e) => {
            // The error gets a line of its own after a partial response.
            if last != b'\n' {
                out::write::<B>(b"\n");
            }
            out::fail::<B>(describe(e))
        }
    }
}
