//! What the TAP examples share: the common flags (`--tap`, `--ip`,
//! `--gateway`, `--dns`, `--pcap`), opening the TAP device with a clear
//! error, and building a `Stack` on it with a wall clock that sleeps on the
//! device's file descriptor.
#![allow(dead_code)]

use smolsock::smoltcp::phy::{Device, Medium, PcapMode, PcapWriter, TunTapInterface};
use smolsock::smoltcp::wire::{IpAddress, IpCidr};
use smolsock::{Config, Stack, StackResources, StdClock};
use std::os::unix::io::AsRawFd;

/// Socket slots and buffer size of the examples' stack.
pub const SLOTS: usize = 16;
pub const BUF: usize = 8192;

/// The flags every TAP example takes.
#[derive(Debug, Clone)]
pub struct NetOpts {
    pub tap: Option<String>,
    pub ip: IpCidr,
    pub gateway: IpAddress,
    pub dns: IpAddress,
    pub pcap: Option<String>,
}

impl Default for NetOpts {
    fn default() -> Self {
        NetOpts {
            tap: None,
            ip: IpCidr::new(IpAddress::v4(192, 168, 69, 2), 24),
            gateway: IpAddress::v4(192, 168, 69, 1),
            dns: IpAddress::v4(192, 168, 69, 1),
            pcap: None,
        }
    }
}

impl NetOpts {
    /// Take `flag` (with its value from `args`) if it is one of the shared
    /// flags. `Ok(false)`: not a shared flag; `Err`: a bad value.
    pub fn take(
        &mut self,
        flag: &str,
        args: &mut impl Iterator<Item = String>,
    ) -> Result<bool, String> {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag {
            "--tap" => self.tap = Some(value()?),
            "--ip" => {
                self.ip = value()?
                    .parse()
                    .map_err(|_| "--ip: not an address/prefix (e.g. 192.168.69.2/24)".to_string())?
            }
            "--gateway" => self.gateway = parse_ip("--gateway", &value()?)?,
            "--dns" => self.dns = parse_ip("--dns", &value()?)?,
            "--pcap" => self.pcap = Some(value()?),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn parse_ip(flag: &str, v: &str) -> Result<IpAddress, String> {
    v.parse::<std::net::IpAddr>()
        .map(IpAddress::from)
        .map_err(|_| format!("{flag}: not an IP address: {v}"))
}

/// Print one clear line on stderr and exit non-zero.
pub fn die(msg: impl std::fmt::Display) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2)
}

/// A locally administered MAC derived from the IP, so two instances differ.
fn mac_for(ip: &IpCidr) -> [u8; 6] {
    let o = match ip.address() {
        IpAddress::Ipv4(a) => a.octets(),
        IpAddress::Ipv6(a) => {
            let x = a.octets();
            [x[12], x[13], x[14], x[15]]
        }
    };
    [0x02, 0x00, o[0], o[1], o[2], o[3]]
}

/// Open the TAP device named in `opts` and run `f` with a stack on it (and a
/// pcap capture when `--pcap` is given). Exits with one clear line on error.
pub fn with_tap_stack<R>(opts: &NetOpts, f: impl FnOnce(&Stack<'_>) -> R) -> R {
    let name = opts
        .tap
        .as_deref()
        .unwrap_or_else(|| die("--tap TAP is required"));
    let tap = TunTapInterface::new(name, Medium::Ethernet).unwrap_or_else(|e| {
        die(format_args!(
            "cannot open TAP device '{name}': {e}; create it with: sudo ip tuntap add dev {name} mode tap user $USER && sudo ip link set {name} up && sudo ip addr add {}/{} dev {name}",
            opts.gateway,
            opts.ip.prefix_len()
        ))
    });
    // smoltcp's TAP device panics on a write to a link that is down (EIO):
    // say so clearly instead.
    let flags = std::fs::read_to_string(format!("/sys/class/net/{name}/flags")).unwrap_or_default();
    let up =
        u32::from_str_radix(flags.trim().trim_start_matches("0x"), 16).is_ok_and(|f| f & 1 != 0);
    if !up {
        die(format_args!(
            "TAP device '{name}' is down; bring it up with: sudo ip link set {name} up && sudo ip addr add {}/{} dev {name}",
            opts.gateway,
            opts.ip.prefix_len()
        ));
    }
    let clock = StdClock::with_fd(tap.as_raw_fd());
    let config = Config::ethernet(mac_for(&opts.ip))
        .with_address(opts.ip)
        .with_gateway(opts.gateway)
        .with_dns_server(opts.dns)
        .with_random_seed(std::process::id() as u64 ^ 0x5eed_cafe);
    match &opts.pcap {
        Some(path) => {
            let file = std::fs::File::create(path)
                .unwrap_or_else(|e| die(format_args!("cannot create pcap file '{path}': {e}")));
            let mut dev = PcapWriter::new(tap, file, PcapMode::Both);
            run_on(&mut dev, &clock, config, f)
        }
        None => {
            let mut dev = tap;
            run_on(&mut dev, &clock, config, f)
        }
    }
}

fn run_on<D: Device, R>(
    dev: &mut D,
    clock: &StdClock,
    config: Config,
    f: impl FnOnce(&Stack<'_>) -> R,
) -> R {
    let mut res = Box::new(StackResources::<SLOTS, BUF>::new());
    let stack = Stack::new(dev, clock, &mut res, config)
        .unwrap_or_else(|e| die(format_args!("bad interface configuration: {e}")));
    f(&stack)
}
