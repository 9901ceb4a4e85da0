//! What the TAP examples share: the common flags (`--tap`, `--ip`,
//! `--gateway`, `--dns`, `--pcap`; parsed and checked in the `smolsock-cli`
//! crate, cli/src/args.rs), opening
//! the TAP device with an error that says what really happened, and building
//! a `Stack` on it with a wall clock that sleeps on the device's file
//! descriptor.
#![allow(dead_code)]

pub mod tap_ready;
use smolsock_cli::args;
pub use smolsock_cli::args::NetOpts;

use smolsock::smoltcp::phy::{
    Device, DeviceCapabilities, Medium, PcapMode, PcapWriter, TunTapInterface,
};
use smolsock::smoltcp::time::Instant;
use smolsock::smoltcp::wire::{IpAddress, IpCidr};
use smolsock::{Clock, Config, Stack, StackResources, StdClock};
use std::os::unix::io::AsRawFd;
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

/// Linux's `IFF_TAP` bit in /sys/class/net/NAME/tun_flags.
const IFF_TAP: u32 = 0x0002;

fn sys_hex(name: &str, file: &str) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/sys/class/net/{name}/{file}")).ok()?;
    u32::from_str_radix(text.trim().trim_start_matches("0x"), 16).ok()
}

/// Open TAP device `name`, or say exactly why not: no such device (never
/// created here: as root, opening a missing name would make a new device
/// that nobody configured), not a TAP device, no /dev/net/tun, permission
/// denied, busy, down.
pub fn open_tap(opts: &NetOpts, name: &str) -> Result<TunTapInterface, String> {
    let create = args::tap_create_hint(name, opts.gateway, opts.ip.prefix_len());
    if !std::path::Path::new("/sys/class/net").join(name).exists() {
        return Err(format!(
            "no network device named '{name}'; create it with: {create}"
        ));
    }
    match sys_hex(name, "tun_flags") {
        Some(f) if f & IFF_TAP != 0 => {}
        Some(_) => {
            return Err(format!(
                "'{name}' is a TUN device, not a TAP device; replace it with: \
                 sudo ip tuntap del dev {name} mode tun && {create}"
            ))
        }
        None => {
            let other = if name == "tap0" { "tap1" } else { "tap0" };
            let create = args::tap_create_hint(other, opts.gateway, opts.ip.prefix_len());
            return Err(format!(
                "'{name}' is not a TAP device; give --tap a TAP device, e.g. one made with: {create}"
            ));
        }
    }
    if let Err(e) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")
    {
        return Err(match e.raw_os_error() {
            Some(1 | 13) => "permission denied opening /dev/net/tun, the TUN/TAP control \
                             device: run as root, or let your user open it (usually mode 0666)"
                .to_string(),
            _ => format!("cannot open /dev/net/tun, the TUN/TAP control device: {e}"),
        });
    }
    let tap = TunTapInterface::new(name, Medium::Ethernet)
        .map_err(|e| args::tap_open_error(name, &e, &create))?;
    // smoltcp's TAP device panics on a write to a link that is down (EIO):
    // say so clearly instead.
    let up = sys_hex(name, "flags").is_some_and(|f| f & 1 != 0);
    if !up {
        return Err(format!(
            "TAP device '{name}' is down; bring it up with: sudo ip link set {name} up"
        ));
    }
    wait_for_carrier(name);
    Ok(tap)
}

/// How long [`wait_for_carrier`] waits at most.
pub const CARRIER_WAIT: Duration = Duration::from_secs(2);

/// Wait (at most [`CARRIER_WAIT`]) until Linux has taken the carrier that
/// opening TAP device `name` raised.
///
/// A TAP device has no carrier until a program opens it; opening turns it
/// on, but Linux acts on that later, in its link-watch work (up to some
/// 100 ms here). Until then the device's transmit queue is not active and
/// every frame Linux sends on it is dropped: the reply to our first ARP
/// request was lost about one time in five, and smoltcp asks again only
/// after 1 s (a 0.01 s fetch took 1.01 s). `operstate` turns `up` when
/// the link-watch work has run, so nothing is sent before.
pub fn wait_for_carrier(name: &str) {
    let path = format!("/sys/class/net/{name}/operstate");
    let start = std::time::Instant::now();
    loop {
        let state = std::fs::read_to_string(&path).unwrap_or_default();
        if state.trim() == "up" {
            return;
        }
        if start.elapsed() >= CARRIER_WAIT {
            log::warn!(
                "TAP device '{name}': Linux still reports it {} after {CARRIER_WAIT:?}; \
                 its first replies may be lost",
                state.trim()
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

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
/// pcap capture when `--pcap` is given). Exits with one clear line on error.
pub fn with_tap_stack<R>(opts: &NetOpts, f: impl FnOnce(&Stack<'_>) -> R) -> R {
    if let Err(e) = opts.check() {
        die(e);
    }
    let name = opts
        .tap
        .as_deref()
        .unwrap_or_else(|| die("--tap TAP is required"));
    let tap = open_tap(opts, name).unwrap_or_else(|e| die(e));
    let clock = StdClock::with_fd(tap.as_raw_fd());
    let config = tap_config(opts);
    match &opts.pcap {
        Some(path) => {
            let mut dev = capture(tap, path, clock.now()).unwrap_or_else(|e| die(e));
            run_on(&mut dev, &clock, config, f)
        }
        None => {
            let mut dev = tap;
            run_on(&mut dev, &clock, config, f)
        }
    }
}

/// The stack's configuration on a TAP device: the MAC made from `--ip`, the
/// address, gateway and DNS server of the flags (the random seed from the OS).
pub fn tap_config(opts: &NetOpts) -> Config {
    Config::ethernet(mac_for(&opts.ip))
        .with_address(opts.ip)
        .with_gateway(opts.gateway)
        .with_dns_server(opts.dns)
}

fn run_on<D: Device, R>(
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
