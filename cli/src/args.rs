//! Command-line parsing of the TAP examples, kept apart from any device so
//! that `tests/programs/example_args.rs` tests it as it is: every flag value is
//! checked here, up front, and a bad one is one clear sentence (the examples
//! print it after `error: ` and exit 2), never a panic further down.
//!
//! Also here: what a failure to open the TAP device means, in words
//! ([`tap_open_error`], from the library's `TapError`), so the wording is tested without root.
use smolsock::device::TapError;
use smolsock::line::{LineConfig, RemoteStop, MAX_STOP_PEERS};
use smolsock::smoltcp::wire::{IpAddress, IpCidr};
use std::net::IpAddr;
use std::time::Duration;

/// Longest time a flag accepts, in seconds (one year): beyond any sensible
/// timeout, far below what a `Duration` or smoltcp's clock can hold.
pub const MAX_SECS: f64 = 365.0 * 24.0 * 3600.0;
/// Shortest non-zero time a flag accepts, in seconds (the clock ticks in µs;
/// less than a millisecond is a typo, not a timeout).
pub const MIN_SECS: f64 = 0.001;
/// Longest backlog `--backlog` accepts (Linux's largest `somaxconn`); what
/// the stack's slot pool grants is reported at start.
pub const MAX_BACKLOG_FLAG: usize = 65535;
/// Longest interface name Linux takes (`IFNAMSIZ` - 1).
pub const MAX_IFNAME: usize = 15;

/// The flags seen so far on one command line: each may be given once (a
/// second `--tap` would silently replace the first).
///
/// ```
/// use smolsock_cli::args::Once;
/// let mut once = Once::default();
/// assert_eq!(once.check("--tap"), Ok(()));
/// assert_eq!(once.check("tap0"), Ok(())); // not a flag
/// assert_eq!(once.check("--tap"), Err("--tap given twice (each flag is taken once)".to_string()));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Once {
    seen: Vec<String>,
}

impl Once {
    /// `arg`, the next argument where a flag may stand: an error when it is
    /// a flag (`-x`, `--x`) seen before.
    pub fn check(&mut self, arg: &str) -> Result<(), String> {
        if !arg.starts_with('-') || arg.len() < 2 {
            return Ok(());
        }
        if self.seen.iter().any(|f| f == arg) {
            return Err(format!("{arg} given twice (each flag is taken once)"));
        }
        self.seen.push(arg.to_string());
        Ok(())
    }
}

/// The flags every TAP example takes.
#[derive(Debug, Clone)]
pub struct NetOpts {
    pub tap: Option<String>,
    pub ip: IpCidr,
    pub gateway: IpAddress,
    pub dns: IpAddress,
    pub pcap: Option<String>,
    /// `--dhcp`: address, gateway and DNS server from DHCP.
    pub dhcp: bool,
    /// The first of `--ip`, `--gateway`, `--dns` given (they exclude `--dhcp`).
    pub static_flag: Option<&'static str>,
    /// `--gateway` was given (else `gateway` is the default).
    pub gateway_given: bool,
}

impl Default for NetOpts {
    fn default() -> Self {
        NetOpts {
            tap: None,
            ip: IpCidr::new(IpAddress::v4(192, 168, 69, 2), 24),
            gateway: IpAddress::v4(192, 168, 69, 1),
            dns: IpAddress::v4(192, 168, 69, 1),
            pcap: None,
            dhcp: false,
            static_flag: None,
            gateway_given: false,
        }
    }
}

impl NetOpts {
    /// Take `flag` (with its value from `args`) if it is one of the shared
    /// flags. `Ok(false)`: not a shared flag; `Err`: a bad or missing value.
    pub fn take(
        &mut self,
        flag: &str,
        args: &mut impl Iterator<Item = String>,
    ) -> Result<bool, String> {
        if flag == "--dhcp" {
            self.dhcp = true;
            return Ok(true);
        }
        if !matches!(flag, "--tap" | "--ip" | "--gateway" | "--dns" | "--pcap") {
            return Ok(false);
        }
        let v = value(flag, args)?;
        match flag {
            "--ip" | "--gateway" | "--dns" if self.static_flag.is_none() => {
                self.static_flag = ["--ip", "--gateway", "--dns"]
                    .into_iter()
                    .find(|f| *f == flag);
            }
            _ => {}
        }
        match flag {
            "--tap" => self.tap = Some(parse_ifname(&v)?),
            "--ip" => self.ip = parse_cidr("--ip", &v)?,
            "--gateway" => {
                self.gateway = parse_unicast("--gateway", &v)?;
                self.gateway_given = true;
            }
            "--dns" => self.dns = parse_unicast("--dns", &v)?,
            _ => {
                if v.is_empty() {
                    return Err("--pcap: the file name is empty".into());
                }
                self.pcap = Some(v)
            }
        }
        Ok(true)
    }

    /// What only the flags together can tell: a TAP name was given, and the
    /// gateway is another host of `--ip`'s network (else nothing beyond the
    /// link is reachable, silently).
    pub fn check(&self) -> Result<(), String> {
        if self.tap.is_none() {
            return Err("--tap TAP is required".into());
        }
        if self.dhcp {
            return match self.static_flag {
                Some(f) => Err(format!(
                    "--dhcp and {f} exclude each other: with --dhcp the address, gateway \
                     and DNS server come from the DHCP server"
                )),
                None => Ok(()),
            };
        }
        let (ip, gw) = (self.ip.address(), self.gateway);
        if std::mem::discriminant(&ip) != std::mem::discriminant(&gw) {
            let version = |a: &IpAddress| match a {
                IpAddress::Ipv4(_) => "IPv4",
                IpAddress::Ipv6(_) => "IPv6",
            };
            return Err(if self.gateway_given {
                format!(
                    "--gateway {gw} is {} but --ip {} is {}: give both of one IP version",
                    version(&gw),
                    self.ip,
                    version(&ip)
                )
            } else {
                format!(
                    "--ip {} is {v}, so give --gateway an {v} address on its network \
                     (the default gateway {gw} is {})",
                    self.ip,
                    version(&gw),
                    v = version(&ip),
                )
            });
        }
        if gw == ip {
            return Err(format!("--gateway {gw} is smolsock's own address (--ip)"));
        }
        if !self.ip.contains_addr(&gw) {
            return Err(format!(
                "--gateway {gw} is not in --ip's network {}; it must be on the link",
                self.ip
            ));
        }
        Ok(())
    }
}

/// The value after `flag`; a missing one, or another flag in its place, is
/// an error.
pub fn value(flag: &str, args: &mut impl Iterator<Item = String>) -> Result<String, String> {
    match args.next() {
        Some(v) if !v.starts_with("--") => Ok(v),
        Some(v) => Err(format!("{flag} needs a value, got the flag {v}")),
        None => Err(format!("{flag} needs a value")),
    }
}

/// A network interface name as Linux takes it.
pub fn parse_ifname(v: &str) -> Result<String, String> {
    if v.is_empty() {
        return Err("--tap: the device name is empty".into());
    }
    if v.len() > MAX_IFNAME {
        return Err(format!(
            "--tap: device name '{v}' is longer than {MAX_IFNAME} bytes (Linux's limit)"
        ));
    }
    if v == "." || v == ".." || v.chars().any(|c| c == '/' || c == ':' || c.is_whitespace()) {
        return Err(format!("--tap: '{v}' is not a valid device name"));
    }
    Ok(v.to_string())
}

fn parse_addr(flag: &str, v: &str) -> Result<IpAddr, String> {
    v.parse::<IpAddr>()
        .map_err(|_| format!("{flag}: not an IP address: {v}"))
}

/// Why `a` cannot be a host's address, if it cannot.
fn not_unicast(a: IpAddr) -> Option<&'static str> {
    match a {
        _ if a.is_unspecified() => Some("the unspecified address"),
        _ if a.is_multicast() => Some("a multicast address"),
        _ if a.is_loopback() => Some("a loopback address"),
        IpAddr::V4(v4) if v4.is_broadcast() => Some("the broadcast address"),
        _ => None,
    }
}

/// The link-local range `a` is in, if it is (RFC 3927, RFC 4291 §2.5.6).
fn link_local(a: IpAddr) -> Option<&'static str> {
    match a {
        IpAddr::V4(v4) if v4.is_link_local() => Some("169.254.0.0/16"),
        IpAddr::V6(v6) if v6.is_unicast_link_local() => Some("fe80::/10"),
        _ => None,
    }
}

/// A host address: unicast, not loopback.
pub fn parse_unicast(flag: &str, v: &str) -> Result<IpAddress, String> {
    let a = parse_addr(flag, v)?;
    match not_unicast(a) {
        Some(why) => Err(format!("{flag}: {v} is {why}, not a host's address")),
        None => Ok(IpAddress::from(a)),
    }
}

/// `ADDRESS/PREFIX` for smolsock's interface: a unicast host address with a
/// prefix length in range, not the network's own or broadcast address.
pub fn parse_cidr(flag: &str, v: &str) -> Result<IpCidr, String> {
    let eg = "e.g. 192.168.69.2/24";
    let Some((a, p)) = v.split_once('/') else {
        return Err(format!("{flag}: {v} has no /PREFIX ({eg})"));
    };
    let addr = parse_addr(flag, a)?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = p
        .parse()
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| format!("{flag}: prefix length {p} is not in 0-{max} ({eg})"))?;
    if let Some(why) = not_unicast(addr) {
        return Err(format!("{flag}: {a} is {why}, not a host's address"));
    }
    if let Some(range) = link_local(addr) {
        return Err(format!(
            "{flag}: {a} is a link-local address ({range}): routers never forward it, so \
             nothing beyond the link (and no --gateway) is reachable from it; give a global \
             or private address (e.g. 192.168.69.2/24, or fd00::2/64)"
        ));
    }
    if let IpAddr::V4(v4) = addr {
        let host_bits = 32 - u32::from(prefix);
        if host_bits >= 2 {
            let mask = u32::MAX >> (32 - host_bits);
            let host = u32::from(v4) & mask;
            let net = format!(
                "{}/{prefix}",
                std::net::Ipv4Addr::from(u32::from(v4) & !mask)
            );
            if host == 0 {
                return Err(format!("{flag}: {a} is the network address of {net}"));
            }
            if host == mask {
                return Err(format!("{flag}: {a} is the broadcast address of {net}"));
            }
        }
    }
    Ok(IpCidr::new(IpAddress::from(addr), prefix))
}

/// A number of seconds: finite, not negative, at most [`MAX_SECS`], and if
/// not 0 at least [`MIN_SECS`]. `Ok(None)` for 0 when `zero` names what 0
/// means (e.g. "never"); 0 is an error otherwise.
pub fn parse_secs(flag: &str, v: &str, zero: Option<&str>) -> Result<Option<Duration>, String> {
    let zero_note = zero.map_or(String::new(), |z| format!("; 0 means {z}"));
    let secs: f64 = v
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite())
        .ok_or_else(|| format!("{flag}: not a number of seconds: {v}{zero_note}"))?;
    if secs < 0.0 {
        return Err(format!("{flag}: {v} is negative{zero_note}"));
    }
    if secs == 0.0 {
        return match zero {
            Some(_) => Ok(None),
            None => Err(format!("{flag}: must be more than 0 seconds")),
        };
    }
    if secs > MAX_SECS {
        return Err(format!(
            "{flag}: {v} s is more than a year ({MAX_SECS} s){zero_note}"
        ));
    }
    if secs < MIN_SECS {
        return Err(format!(
            "{flag}: {v} s is less than a millisecond{zero_note}"
        ));
    }
    Ok(Some(Duration::from_secs_f64(secs)))
}

/// A TCP port to listen on: 1-65535.
pub fn parse_port(flag: &str, v: &str) -> Result<u16, String> {
    v.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("{flag}: not a port number (1-65535): {v}"))
}

/// A listen backlog: 1-[`MAX_BACKLOG_FLAG`].
pub fn parse_backlog(flag: &str, v: &str) -> Result<usize, String> {
    v.parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_BACKLOG_FLAG).contains(n))
        .ok_or_else(|| format!("{flag}: not a backlog (a whole number, 1-{MAX_BACKLOG_FLAG}): {v}"))
}

/// `any`, `none`, or a comma-separated list of peer addresses.
pub fn parse_remote_stop(flag: &str, v: &str) -> Result<RemoteStop, String> {
    match v {
        "any" => return Ok(RemoteStop::Anyone),
        "none" => return Ok(RemoteStop::Nobody),
        _ => {}
    }
    let want = "(want any, none, or IP[,IP...])";
    let peers = v
        .split(',')
        .enumerate()
        .map(|(n, a)| match a.trim() {
            "" => Err(format!("{flag}: entry {} of '{v}' is empty {want}", n + 1)),
            a => parse_addr(flag, a).map_err(|e| format!("{e} {want}")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    RemoteStop::only(&peers).ok_or_else(|| format!("{flag}: more than {MAX_STOP_PEERS} addresses"))
}

pub const LINE_USAGE: &str = "usage: line_server --tap TAP [--ip CIDR] [--gateway IP] [--dhcp] \
[--port 10001] [--backlog 5] [--idle-timeout SECS] [--session-limit SECS] \
[--line-timeout SECS] [--remote-stop any|none|IP[,IP...]] [--pcap FILE]";

/// The shared flags' lines of a `--help` table ([`NetOpts`]); `--dns` is
/// left to the programs that resolve names.
pub const NET_HELP: &str = "  --tap TAP        the TAP device (required), e.g. tap0
  --ip CIDR        smolsock's address (default 192.168.69.2/24)
  --gateway IP     the default gateway (default 192.168.69.1)
  --dhcp           address, gateway and DNS server from a DHCP server on the
                   link, in place of --ip, --gateway and --dns
  --pcap FILE      write every packet sent and received to FILE (pcap;
                   read it with: tshark -r FILE)";

/// `line_server --help`: the usage, what it does, every flag, the exit codes.
///
/// ```
/// let help = smolsock_cli::args::line_help();
/// assert!(help.starts_with("usage: line_server"));
/// assert!(help.contains("--remote-stop WHO") && help.contains("--tap TAP"));
/// ```
pub fn line_help() -> String {
    const ABOUT: &str = "\
Serve the line protocol on the TAP device: print each line a client sends,
stripped, on stdout, and 16 dashes after each closed connection; a
client's `stop` ends the program.";
    const FLAGS: &str = "  --port PORT           TCP port to listen on (default 10001)
  --backlog N           connections waiting to be accepted (default 5;
                        1-65535, as far as the socket pool allows)
  --idle-timeout SECS   close a connection silent this long (default 5;
                        0 = never)
  --session-limit SECS  close a connection open this long (default 0 = no
                        limit)
  --line-timeout SECS   close a connection whose line takes longer than
                        this (default 0 = no minimum line rate)
  --remote-stop WHO     who may send `stop`: any (default), none, or a
                        comma-separated list of IP addresses";
    const EXIT: &str = "\
exit codes:
  0   a client sent `stop`
  2   a bad flag, or a TAP device that cannot be used";
    format!("{LINE_USAGE}\n\n{ABOUT}\n\n{NET_HELP}\n{FLAGS}\n\n{EXIT}")
}

/// What `line_server` was asked to do.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // made once per run
pub enum LineArgs {
    /// Serve with these settings.
    Run { net: NetOpts, config: LineConfig },
    /// `-h`/`--help`: print [`line_help`] and exit 0.
    Help,
}

/// Parse `line_server`'s command line (without the program name).
pub fn parse_line_args(args: impl IntoIterator<Item = String>) -> Result<LineArgs, String> {
    let mut net = NetOpts::default();
    let mut config = LineConfig::default();
    let mut args = args.into_iter();
    let mut once = Once::default();
    while let Some(flag) = args.next() {
        once.check(&flag)?;
        if net.take(&flag, &mut args)? {
            continue;
        }
        match flag.as_str() {
            "-h" | "--help" => return Ok(LineArgs::Help),
            "--port" => config.port = parse_port(&flag, &value(&flag, &mut args)?)?,
            "--backlog" => config.backlog = parse_backlog(&flag, &value(&flag, &mut args)?)?,
            "--idle-timeout" => {
                config.idle_timeout = parse_secs(&flag, &value(&flag, &mut args)?, Some("never"))?
            }
            "--session-limit" => {
                config.session_limit =
                    parse_secs(&flag, &value(&flag, &mut args)?, Some("no limit"))?
            }
            "--line-timeout" => {
                config.line_timeout = parse_secs(
                    &flag,
                    &value(&flag, &mut args)?,
                    Some("no minimum line rate"),
                )?
            }
            "--remote-stop" => {
                config.remote_stop = parse_remote_stop(&flag, &value(&flag, &mut args)?)?
            }
            other => return Err(format!("unknown argument {other:?}; {LINE_USAGE}")),
        }
    }
    net.check().map_err(|e| format!("{e}; {LINE_USAGE}"))?;
    Ok(LineArgs::Run { net, config })
}

/// What the failure to open TAP device `name` means, in one sentence with
/// the fix (the library's [`TapError`] says what happened); the hints name
/// the commands, with the Linux side at `gateway` on a `prefix`-long network.
pub fn tap_open_error(name: &str, e: &TapError, gateway: IpAddress, prefix: u8) -> String {
    let create = tap_create_hint(name, gateway, prefix);
    match e {
        TapError::NoSuchDevice => {
            format!("no network device named '{name}'; create it with: {create}")
        }
        TapError::Tun => format!(
            "'{name}' is a TUN device, not a TAP device; replace it with: \
             sudo ip tuntap del dev {name} mode tun && {create}"
        ),
        TapError::NotTap => {
            let other = if name == "tap0" { "tap1" } else { "tap0" };
            let create = tap_create_hint(other, gateway, prefix);
            format!(
                "'{name}' is not a TAP device; give --tap a TAP device, e.g. one made with: {create}"
            )
        }
        TapError::Busy => format!(
            "TAP device '{name}' is busy: another program has it open (a TAP device \
             serves one program at a time; line_server and http_get cannot share it); \
             stop that program or use another device"
        ),
        TapError::PermissionDenied => format!(
            "permission denied opening TAP device '{name}': it belongs to another user; \
             make it yours with: sudo ip tuntap del dev {name} mode tap && {create}"
        ),
        TapError::Down => {
            format!("TAP device '{name}' is down; bring it up with: sudo ip link set {name} up")
        }
        TapError::ControlPermissionDenied | TapError::NoControlDevice(_) => e.to_string(),
        e => format!("cannot open TAP device '{name}': {e}"),
    }
}

/// The commands that make TAP device `name` for this user, with the Linux
/// side at `gateway` on the `prefix`-long network.
pub fn tap_create_hint(name: &str, gateway: IpAddress, prefix: u8) -> String {
    format!(
        "sudo ip tuntap add dev {name} mode tap user $USER && sudo ip link set {name} up \
         && sudo ip addr add {gateway}/{prefix} dev {name}"
    )
}
