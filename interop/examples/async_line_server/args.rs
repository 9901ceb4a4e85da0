//! The command line: `--loopback` (the default) or `--tap TAP` with the
//! shared TAP flags (checked by `common/args.rs`) and the server's own.

use crate::{DEFAULT_SESSIONS, MAX_SESSIONS, USAGE};
use smolsock::line::DEFAULT_PORT;
use smolsock_cli::args::{parse_backlog, parse_port, parse_secs, value, NetOpts, Once};
use std::time::Duration;

/// What the command line asked for.
#[derive(Debug)]
pub enum Mode {
    Help,
    Loopback,
    Tap(TapArgs),
}

#[derive(Debug)]
pub struct TapArgs {
    pub net: NetOpts,
    pub port: u16,
    pub sessions: usize,
    pub backlog: usize,
    pub idle: Option<Duration>,
}

pub fn parse_sessions(flag: &str, v: &str) -> Result<usize, String> {
    v.parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_SESSIONS).contains(n))
        .ok_or_else(|| format!("{flag}: not a number of sessions (1-{MAX_SESSIONS}): {v}"))
}

pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Mode, String> {
    let mut net = NetOpts::default();
    let mut loopback = false;
    let mut tap_only = None;
    let (mut port, mut sessions, mut backlog) = (DEFAULT_PORT, DEFAULT_SESSIONS, None);
    let mut idle = Some(smolsock::line::DEFAULT_IDLE_TIMEOUT);
    let mut args = args.into_iter();
    let mut once = Once::default();
    while let Some(flag) = args.next() {
        once.check(&flag)?;
        if flag == "--loopback" {
            loopback = true;
            continue;
        }
        if net.take(&flag, &mut args)? {
            if flag != "--tap" {
                tap_only.get_or_insert(flag);
            }
            continue;
        }
        match flag.as_str() {
            "-h" | "--help" => return Ok(Mode::Help),
            "--port" => port = parse_port(&flag, &value(&flag, &mut args)?)?,
            "--sessions" => sessions = parse_sessions(&flag, &value(&flag, &mut args)?)?,
            "--backlog" => backlog = Some(parse_backlog(&flag, &value(&flag, &mut args)?)?),
            "--idle-timeout" => idle = parse_secs(&flag, &value(&flag, &mut args)?, Some("never"))?,
            other => return Err(format!("unknown argument {other:?}; {USAGE}")),
        }
        tap_only.get_or_insert(flag);
    }
    match (loopback, net.tap.is_some()) {
        (true, true) => Err(format!("--loopback and --tap exclude each other; {USAGE}")),
        (_, false) => match tap_only {
            Some(flag) => Err(format!(
                "{flag} needs --tap TAP (the loopback demo takes no other flag); {USAGE}"
            )),
            None => Ok(Mode::Loopback),
        },
        (false, true) => {
            net.check().map_err(|e| format!("{e}; {USAGE}"))?;
            Ok(Mode::Tap(TapArgs {
                net,
                port,
                sessions,
                backlog: backlog.unwrap_or(sessions),
                idle,
            }))
        }
    }
}
