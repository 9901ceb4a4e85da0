//! The seed's HTTP client on a Linux TAP device.
//!
//! ```text
//! cargo run --release --example http_get -- --tap TAP [--ip CIDR] [--gateway IP]
//!     [--dns IP] [--timeout SECS] [--pcap FILE] URL
//! ```
//!
//! stdout: the raw response bytes exactly as received (status line, headers,
//! body). Exits 0 when the response was read to its end, whatever its status;
//! otherwise one line on stderr (name not resolved, connection refused, timed
//! out, connection reset, bad URL, ...) and a non-zero exit.

#[path = "common/mod.rs"]
mod common;

use common::{die, with_tap_stack, NetOpts};
use smolsock::http::{Client, HttpError, Url, DEFAULT_TIMEOUT};
use std::io::Write;
use std::ops::ControlFlow;
use std::time::Duration;

const USAGE: &str = "usage: http_get --tap TAP [--ip CIDR] [--gateway IP] [--dns IP] \
[--timeout SECS] [--pcap FILE] URL";

struct Args {
    net: NetOpts,
    timeout: Duration,
    url: String,
}

fn parse_args() -> Result<Args, String> {
    let mut net = NetOpts::default();
    let mut timeout = DEFAULT_TIMEOUT;
    let mut url = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if net.take(&arg, &mut args)? {
            continue;
        }
        match arg.as_str() {
            "--timeout" => {
                let v = args.next().ok_or("--timeout needs a value")?;
                let secs: f64 = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s < 1e9)
                    .ok_or_else(|| format!("--timeout: not a positive number of seconds: {v}"))?;
                timeout = Duration::from_secs_f64(secs);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}; {USAGE}"))
            }
            _ if url.is_some() => return Err(format!("more than one URL; {USAGE}")),
            _ => url = Some(arg),
        }
    }
    let url = url.ok_or_else(|| format!("no URL given; {USAGE}"))?;
    Ok(Args { net, timeout, url })
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args = parse_args().unwrap_or_else(|e| die(e));
    // A bad URL is reported before the TAP device is touched.
    let url = Url::parse(&args.url)
        .unwrap_or_else(|e| die(format_args!("{}: {}", args.url, HttpError::from(e))));
    let host = url.host();

    let mut stdout = std::io::stdout().lock();
    let mut write_error = None;
    let result = with_tap_stack(&args.net, |stack| {
        Client::new(stack)
            .with_timeout(args.timeout)
            .get_raw(&args.url, |chunk| match stdout.write_all(chunk) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    write_error = Some(e);
                    ControlFlow::Break(())
                }
            })
    });
    if let Some(e) = write_error {
        die(format_args!("cannot write to stdout: {e}"));
    }
    if let Err(e) = stdout.flush() {
        die(format_args!("cannot write to stdout: {e}"));
    }
    match result {
        Ok(_) => {}
        Err(e @ (HttpError::NameNotResolved | HttpError::NoDnsServer | HttpError::Resolve(_))) => {
            die(format_args!(
                "{}: cannot resolve host '{host}': {e}",
                args.url
            ))
        }
        Err(HttpError::TimedOut) => die(format_args!(
            "{}: timed out after {} s (--timeout)",
            args.url,
            args.timeout.as_secs_f64()
        )),
        Err(e) => die(format_args!("{}: {e}", args.url)),
    }
}
