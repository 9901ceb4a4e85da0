//! What the TAP examples share: the common flags (`--tap`, `--ip`,
//! `--gateway`, `--dns`, `--pcap`; parsed and checked in the `smolsock-cli`
//! crate, cli/src/args.rs), opening
//! the TAP device with an error that says what really happened, and building
//! a `Stack` on it with a wall clock that sleeps on the device's file
//! descriptor.
#![allow(dead_code)]

use smolsock_cli::args;
pub use smolsock_cli::args::NetOpts;

use smolsock::device::Tap;
use smolsock::smoltcp::phy::{Device, DeviceCapabilities, PcapMode, PcapWriter};
use smolsock::smoltcp::time::Instant;
use smolsock::smoltcp::wire::{IpAddress, IpCidr};
use smolsock::{Clock, Config, Stack, StackResources, StdClock};
use std::time::Duration;

/// Socket slots and buffer size of the examples' stack.
pub const SLOTS: usize = 16;
pub const BUF: usize = 8192;

/// Print one clear line on stderr and exit non-zero.
pub fn die(msg: impl std::fmt::Display) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2)
}

/// What the line servers print after every closed connection.
pub const SEPARATOR: &[u8] = b"----------------";

/// Write `bytes` and a newline to stdout, flushed (the line servers' output);
/// a failed write ends the program (`die`).
pub fn print_line(bytes: &[u8]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let r = out
        .write_all(bytes)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(e) = r {
        die(format_args!("cannot write to stdout: {e}"));
    }
}

/// A locally administered MAC derived from the IP, so two instances differ.
pub fn mac_for(ip: &IpCidr) -> [u8; 6] {
    let o = match ip.address() {
        IpAddress::Ipv4(a) => a.octets(),
        IpAddress::Ipv6(a) => {
            let x = a.octets();
            [x[12], x[13], x[14], x[15]]
        }
    };
    [0x02, 0x00, o[0], o[1], o[2], o[3]]
}

/// Open TAP device `name`, or say exactly why not and how to fix it.
pub fn open_tap(opts: &NetOpts, name: &str) -> Result<Tap, String> {
    Tap::open(name).map_err(|e| args::tap_open_error(name, &e, opts.gateway, opts.ip.prefix_len()))
}

/// How long `line_server --dhcp` waits for its lease.
pub const DHCP_WAIT: Duration = Duration::from_secs(30);

/// A device whose timestamps are wall-clock time: `offset` (Unix time at
/// the clock's zero) is added to the stack's instant before `inner` sees
/// it. Under a [`PcapWriter`], the capture's packet times are real dates
/// instead of seconds since the program started (1970 in `tshark`).
pub struct WallClockStamps<D> {
    inner: D,
    offset: smolsock::smoltcp::time::Duration,
}

impl<D: Device> Device for WallClockStamps<D> {
    type RxToken<'a>
        = D::RxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = D::TxToken<'a>
    where
        Self: 'a;

    fn receive(&mut self, at: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        self.inner.receive(at + self.offset)
    }

    fn transmit(&mut self, at: Instant) -> Option<Self::TxToken<'_>> {
        self.inner.transmit(at + self.offset)
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

/// `dev` captured to the pcap file `path` (`--pcap`), stamped with
/// wall-clock time; `now` is the stack clock's reading at this moment.
pub fn capture<D: Device>(
    dev: D,
    path: &str,
    now: Instant,
) -> Result<WallClockStamps<PcapWriter<D, std::fs::File>>, String> {
    let file = std::fs::File::create(path)
        .map_err(|e| format!("cannot create pcap file '{path}': {e}"))?;
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let unix = Instant::from_micros(i64::try_from(unix.as_micros()).unwrap_or(0));
    Ok(WallClockStamps {
        inner: PcapWriter::new(dev, file, PcapMode::Both),
        offset: unix - now,
    })
}

/// Open the TAP device named in `opts` and run `f` with a stack on it (and a
/// pcap capture when `--pcap` is given). With `--dhcp`, first wait at most
/// `lease_within` for a lease and print one stderr line with it. Exits with
/// one clear line on error.
pub fn with_tap_stack<R>(
    opts: &NetOpts,
    lease_within: Duration,
    f: impl FnOnce(&Stack<'_>) -> R,
) -> R {
    if let Err(e) = opts.check() {
        die(e);
    }
    let name = opts
        .tap
        .as_deref()
        .unwrap_or_else(|| die("--tap TAP is required"));
    let tap = open_tap(opts, name).unwrap_or_else(|e| die(e));
    let clock = tap.clock();
    let config = tap_config(opts);
    match &opts.pcap {
        Some(path) => {
            let now = clock.now();
            let mut dev = tap.map_frames(|f| capture(f, path, now).unwrap_or_else(|e| die(e)));
            run_on(&mut dev, &clock, config, |s| {
                lease_then(s, name, lease_within, f)
            })
        }
        None => {
            let mut dev = tap;
            run_on(&mut dev, &clock, config, |s| {
                lease_then(s, name, lease_within, f)
            })
        }
    }
}

/// With DHCP, wait for the lease (at most `within`) and say what it is on
/// stderr; then run `f`.
fn lease_then<R>(
    stack: &Stack<'_>,
    tap: &str,
    within: Duration,
    f: impl FnOnce(&Stack<'_>) -> R,
) -> R {
    if stack.ipv4_config().is_none() {
        match stack.wait_config_up(Some(within)) {
            Ok(l) => {
                let dns: Vec<String> = l.dns_servers.iter().map(|d| d.to_string()).collect();
                let gw = l.gateway.map_or("none".to_string(), |g| g.to_string());
                eprintln!(
                    "DHCP lease on {tap}: {} (gateway {gw}, DNS {})",
                    l.address,
                    if dns.is_empty() {
                        "none".to_string()
                    } else {
                        dns.join(", ")
                    }
                );
            }
            Err(smolsock::Error::TimedOut) => die(format_args!(
                "no DHCP lease on {tap} within {} s: no DHCP server answered",
                within.as_secs_f64()
            )),
            Err(e) => die(format_args!("waiting for a DHCP lease on {tap}: {e}")),
        }
    }
    f(stack)
}

/// The stack's configuration on a TAP device: the MAC made from `--ip`, the
/// address, gateway and DNS server of the flags, or DHCP (`--dhcp`); the
/// random seed from the OS.
pub fn tap_config(opts: &NetOpts) -> Config {
    if opts.dhcp {
        return Config::dhcp(mac_for(&opts.ip));
    }
    Config::ethernet(mac_for(&opts.ip))
        .with_address(opts.ip)
        .with_gateway(opts.gateway)
        .with_dns_server(opts.dns)
}

fn run_on<D: smolsock::NetDevice, R>(
    dev: &mut D,
    clock: &StdClock,
    config: Config,
    f: impl FnOnce(&Stack<'_>) -> R,
) -> R {
    // SLOTS sockets and the resolver's entry of the set.
    let mut res = Box::new(StackResources::<{ SLOTS + 1 }, BUF>::new());
    let stack = Stack::new(dev, clock, &mut res, config)
        .unwrap_or_else(|e| die(format_args!("bad interface configuration: {e}")));
    f(&stack)
}
