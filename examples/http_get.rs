//! The seed's HTTP client on a Linux TAP device.
//!
//! ```text
//! cargo run --release --example http_get -- --tap TAP [--ip CIDR] [--gateway IP]
//!     [--dns IP] [--timeout SECS] [--pcap FILE] [--cacert FILE | --insecure] URL
//! ```
//!
//! `https://` URLs need the `tls` feature (`--features tls`); without it
//! they are a clear "not supported" error.
//!
//! stdout: the raw response bytes exactly as received (status line, headers,
//! body). Exits 0 when the response was read to its end, whatever its status;
//! otherwise one line on stderr and a non-zero exit code (see `EXIT_CODES`).

#[path = "common/mod.rs"]
mod common;

use common::{with_tap_stack, NetOpts};
use smolsock::http::{Client, HttpError, Phase, ResponseError, Scheme, Url, DEFAULT_TIMEOUT};
use smolsock_cli::args::{Once, NET_HELP};
use std::io::Write;
use std::ops::ControlFlow;
use std::time::Duration;

const USAGE: &str = "usage: http_get --tap TAP [--ip CIDR] [--gateway IP] [--dns IP] [--dhcp] \
[--timeout SECS] [--pcap FILE] [--cacert FILE | --insecure] URL";

/// What `--help` prints after the usage line (`{NET_HELP}`: the shared
/// flags' lines).
const HELP: &str = "\
Fetch URL with HTTP/1.0 GET over the TAP device and print the raw response
(status line, headers, body) on stdout, exactly as received.

{NET_HELP}
  --dns IP         the DNS server (default 192.168.69.1)
  --timeout SECS   deadline for the whole exchange, the wait for a --dhcp
                   lease and name resolution included (default 20; a number of seconds > 0 and <= 1000000000)
  --cacert FILE    https://: the CA certificate (PEM or DER) the server's
                   certificate must be signed by (ECDSA P-256); its name
                   and validity dates are checked too; required for
                   https:// unless --insecure (with http:// it is read
                   and checked all the same, and unused)
  --insecure       https://: do not verify the server's certificate at all

https:// needs a build with the `tls` feature (cargo run --features tls ...);
without it, an https:// URL is a \"not supported\" error (exit 2).

exit codes:
  0   the response was read to its end (whatever its HTTP status)
  2   any other error: bad option or URL, name not resolved, connection
      refused, timed out, connection reset, TAP device unusable, TLS
      failure (certificate not verified, ...), https:// not supported, ...
  8   invalid response framing: a Content-Length that is not a number of
      bytes (negative, not digits, too large) or two different ones
      (RFC 9112 section 6.3; curl's CURLE_WEIRD_SERVER_REPLY)
  18  partial body: the server closed before the Content-Length was reached
  52  empty reply: the server closed without sending a byte";

/// The largest `--timeout`, in seconds (about 31 years).
const MAX_TIMEOUT_SECS: f64 = 1e9;

/// The exit code of an error other than the two below (as `common::die`).
const EXIT_ERROR: i32 = 2;
/// curl's "weird server reply": the response's framing is invalid.
const EXIT_WEIRD: i32 = 8;
/// curl's "partial file": the body ended before its `Content-Length`.
const EXIT_PARTIAL: i32 = 18;
/// curl's "empty reply from server".
const EXIT_EMPTY: i32 = 52;

struct Args {
    net: NetOpts,
    timeout: Duration,
    url: String,
    cacert: Option<String>,
    insecure: bool,
}

/// One clear line on stderr, then exit with `code`.
fn fail(code: i32, msg: impl std::fmt::Display) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(code)
}

/// `--timeout`'s value: seconds, finite, > 0, at most `MAX_TIMEOUT_SECS`.
fn parse_timeout(v: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "--timeout: not a number of seconds greater than 0 and at most {MAX_TIMEOUT_SECS}: {v}"
        )
    };
    let secs: f64 = v.trim().parse().map_err(|_| bad())?;
    if !(secs > 0.0 && secs <= MAX_TIMEOUT_SECS) {
        return Err(bad());
    }
    // Never panics (unlike Duration::from_secs_f64); a value that rounds
    // to zero is refused too (zero would mean "already timed out").
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(bad)
}

fn parse_args() -> Result<Args, String> {
    // Arguments that are not UTF-8 are an error, not a panic (std::env::args).
    let argv = std::env::args_os()
        .skip(1)
        .map(|a| {
            a.into_string()
                .map_err(|a| format!("argument is not valid UTF-8: {a:?}"))
        })
        .collect::<Result<Vec<String>, String>>()?;
    let mut net = NetOpts::default();
    let mut timeout = DEFAULT_TIMEOUT;
    let mut url = None;
    let mut cacert = None;
    let mut insecure = false;
    let mut args = argv.into_iter();
    let mut once = Once::default();
    while let Some(arg) = args.next() {
        once.check(&arg)?;
        if net.take(&arg, &mut args)? {
            continue;
        }
        match arg.as_str() {
            "--timeout" => {
                let v = args.next().ok_or("--timeout needs a value")?;
                timeout = parse_timeout(&v)?;
            }
            "--cacert" => cacert = Some(args.next().ok_or("--cacert needs a value")?),
            "--insecure" | "-k" => insecure = true,
            "-h" | "--help" => {
                println!("{USAGE}\n\n{}", HELP.replace("{NET_HELP}", NET_HELP));
                std::process::exit(0);
            }
            flag if flag.starts_with('-') && flag.len() > 1 => {
                return Err(format!("unknown option {flag}; {USAGE}"))
            }
            _ if url.is_some() => return Err(format!("more than one URL; {USAGE}")),
            _ => url = Some(arg),
        }
    }
    // smoltcp panics on an interface name that does not fit `ifreq`.
    if let Some(tap) = &net.tap {
        if tap.is_empty() || tap.len() >= 16 || tap.contains(['/', ' ']) {
            return Err(format!(
                "--tap: not a network interface name (1 to 15 bytes, no '/' or space): {tap:?}"
            ));
        }
    }
    let url = url.ok_or_else(|| format!("no URL given; {USAGE}"))?;
    if cacert.is_some() && insecure {
        return Err("--cacert and --insecure exclude each other".into());
    }
    Ok(Args {
        net,
        timeout,
        url,
        cacert,
        insecure,
    })
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args = parse_args().unwrap_or_else(|e| fail(EXIT_ERROR, e));
    // A bad URL is reported before the TAP device is touched.
    let url = Url::parse(&args.url).unwrap_or_else(|e| {
        fail(
            EXIT_ERROR,
            format_args!("{}: {}", args.url, HttpError::from(e)),
        )
    });
    let host = url.host();
    let ca = trust(&args, &url).unwrap_or_else(|e| fail(EXIT_ERROR, e));

    let mut stdout = std::io::stdout().lock();
    let mut write_error = None;
    // One deadline for the whole exchange, the wait for a DHCP lease included.
    let start = std::time::Instant::now();
    let result = with_tap_stack(&args.net, args.timeout, |stack| {
        // (What the lease left of it; a lease at the very end leaves the
        // client 1 ms, and it says in which step it ran out.)
        let left = args.timeout.saturating_sub(start.elapsed());
        let client = Client::new(stack).with_timeout(left.max(Duration::from_millis(1)));
        fetch(&client, &args.url, ca.as_deref(), |chunk| {
            match stdout.write_all(chunk) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    write_error = Some(e);
                    ControlFlow::Break(())
                }
            }
        })
    });
    if let Some(e) = write_error {
        fail(EXIT_ERROR, format_args!("cannot write to stdout: {e}"));
    }
    if let Err(e) = stdout.flush() {
        fail(EXIT_ERROR, format_args!("cannot write to stdout: {e}"));
    }
    let url = &args.url;
    match result {
        Ok(_) => {}
        Err(e @ HttpError::EmptyReply) => fail(EXIT_EMPTY, format_args!("{url}: {e}")),
        Err(e @ HttpError::PartialBody { .. }) => fail(EXIT_PARTIAL, format_args!("{url}: {e}")),
        Err(
            e @ HttpError::BadResponse(
                ResponseError::InvalidContentLength | ResponseError::ConflictingContentLength,
            ),
        ) => fail(EXIT_WEIRD, format_args!("{url}: {e}")),
        Err(e @ (HttpError::NameNotResolved | HttpError::NoDnsServer | HttpError::Resolve(_))) => {
            fail(
                EXIT_ERROR,
                format_args!("{url}: cannot resolve host '{host}': {e}"),
            )
        }
        Err(HttpError::TimedOut(phase)) => fail(
            EXIT_ERROR,
            format_args!(
                "{url}: timed out after {} s (--timeout) {}",
                args.timeout.as_secs_f64(),
                match phase {
                    Phase::Resolve => format!("while resolving host '{host}'"),
                    phase => phase.to_string(),
                }
            ),
        ),
        Err(e) => fail(EXIT_ERROR, format_args!("{url}: {e}")),
    }
}

/// The CA certificate (DER) an `https://` URL is verified against; `None`
/// for `http://` and `--insecure`. Checked before the TAP device is touched.
fn trust(args: &Args, url: &Url<'_>) -> Result<Option<Vec<u8>>, String> {
    // A --cacert that cannot be read or holds no certificate is an error
    // whatever the URL (curl ignores it for http://; a typo must not pass).
    let ca = args.cacert.as_deref().map(read_ca).transpose()?;
    if url.scheme() != Scheme::Https {
        return Ok(None);
    }
    if !cfg!(feature = "tls") {
        return Err(format!(
            "{}: {} (rebuild with --features tls)",
            args.url,
            HttpError::HttpsNotSupported
        ));
    }
    if args.insecure {
        return Ok(None);
    }
    match ca {
        Some(ca) => Ok(Some(ca)),
        None => Err(format!(
            "{}: https:// needs --cacert FILE (the CA certificate that signed the server's, PEM or DER) or --insecure",
            args.url
        )),
    }
}

/// The certificate in `--cacert`'s file (DER).
fn read_ca(path: &str) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("--cacert: cannot read '{path}': {e}"))?;
    pem_or_der(&bytes).ok_or_else(|| {
        format!(
            "--cacert: '{path}' holds no certificate (expected PEM \"BEGIN CERTIFICATE\" or DER)"
        )
    })
}

/// The first certificate of a PEM file, or the bytes of a DER file.
fn pem_or_der(bytes: &[u8]) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    if bytes.first() == Some(&0x30) {
        return Some(bytes.to_vec()); // a DER SEQUENCE
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let body = text.split_once(BEGIN)?.1.split_once(END)?.0;
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in body
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// GET `url` raw: over TLS for `https://` (feature `tls`), verified against
/// `ca` unless it is `None` (`--insecure`).
#[cfg(feature = "tls")]
fn fetch(
    client: &Client<'_, '_>,
    url: &str,
    ca: Option<&[u8]>,
    sink: impl FnMut(&[u8]) -> ControlFlow<()>,
) -> Result<u64, HttpError> {
    use smolsock::http::{Https, SystemClock, TlsBuffers, Verify};
    let mut buffers = Box::new(TlsBuffers::<{ smolsock::http::TLS_READ_BUF }>::new());
    let verify = ca.map_or(Verify::Insecure, Verify::Ca);
    // Validity dates checked against the system's calendar time.
    let mut https = Https::new(&mut buffers, rand_core::OsRng, verify).with_clock::<SystemClock>();
    client.get_raw_tls(url, &mut https, sink)
}

/// GET `url` raw (`http://` only: built without the `tls` feature).
#[cfg(not(feature = "tls"))]
fn fetch(
    client: &Client<'_, '_>,
    url: &str,
    _ca: Option<&[u8]>,
    sink: impl FnMut(&[u8]) -> ControlFlow<()>,
) -> Result<u64, HttpError> {
    client.get_raw(url, sink)
}
