//! A Linux TAP device (feature `std`): smoltcp's `TunTapInterface`, opened
//! only after checking what Linux would otherwise report badly, so a failed
//! open says what really happened: no such device, a TUN device, not a TAP
//! device at all, no `/dev/net/tun` or no permission to open it, busy
//! (another program has it), or down (smoltcp would panic writing to it).

use crate::time::StdClock;
use core::fmt;
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium, TunTapInterface};
use smoltcp::time::Instant;
use std::format;
use std::os::unix::io::{AsRawFd, RawFd};

/// Why a TAP device could not be opened ([`Tap::open`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum TapError {
    /// No network device has this name (none is created: as root, opening
    /// a missing name would make a new device nobody configured).
    NoSuchDevice,
    /// The device is a TUN device (IP frames), not a TAP device (Ethernet).
    Tun,
    /// The device exists but is no TUN/TAP device at all (a NIC, a bridge).
    NotTap,
    /// `/dev/net/tun`, the TUN/TAP control device, cannot be opened for
    /// want of permission.
    ControlPermissionDenied,
    /// `/dev/net/tun` cannot be opened for another reason.
    NoControlDevice(std::io::Error),
    /// The device belongs to another user.
    PermissionDenied,
    /// Another program has the device open (a TAP device serves one).
    Busy,
    /// The device is down (`ip link set NAME up`).
    Down,
    /// Any other failure of the open, as Linux reported it.
    Other(std::io::Error),
}

impl fmt::Display for TapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TapError::NoSuchDevice => f.write_str("no network device of that name"),
            TapError::Tun => f.write_str("it is a TUN device, not a TAP device"),
            TapError::NotTap => f.write_str("it is not a TAP device"),
            TapError::ControlPermissionDenied => f.write_str(
                "permission denied opening /dev/net/tun, the TUN/TAP control device: run as \
                 root, or let your user open it (usually mode 0666)",
            ),
            TapError::NoControlDevice(e) => write!(
                f,
                "cannot open /dev/net/tun, the TUN/TAP control device: {e}"
            ),
            TapError::PermissionDenied => {
                f.write_str("permission denied: the TAP device belongs to another user")
            }
            TapError::Busy => f.write_str(
                "busy: another program has it open (a TAP device serves one program at a time)",
            ),
            TapError::Down => f.write_str("the device is down"),
            TapError::Other(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TapError {}

/// Linux's `IFF_TAP` bit in /sys/class/net/NAME/tun_flags.
const IFF_TAP: u32 = 0x0002;
/// `IFF_UP` in /sys/class/net/NAME/flags.
const IFF_UP: u32 = 0x0001;

fn sys_hex(name: &str, file: &str) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/sys/class/net/{name}/{file}")).ok()?;
    u32::from_str_radix(text.trim().trim_start_matches("0x"), 16).ok()
}

/// How long [`Tap::open`] waits at most for Linux to take the carrier.
pub const CARRIER_WAIT: core::time::Duration = core::time::Duration::from_secs(2);

/// Wait (at most [`CARRIER_WAIT`]) until Linux has acted on the carrier
/// that opening TAP device `name` raised.
///
/// A TAP device has no carrier until a program opens it; Linux acts on the
/// new carrier later, in its link-watch work (some 100 ms). Until then the
/// device's transmit queue is inactive and every frame Linux sends on it is
/// dropped: the reply to the first ARP request was lost about one time in
/// five (smoltcp asks again only after 1 s), and a first DHCP DISCOVER's
/// OFFER can be lost the same way (smoltcp repeats it after 10 s).
/// `operstate` turns `up` once that work has run.
fn wait_for_carrier(name: &str) {
    let path = format!("/sys/class/net/{name}/operstate");
    let start = std::time::Instant::now();
    loop {
        let state = std::fs::read_to_string(&path).unwrap_or_default();
        if state.trim() == "up" {
            return;
        }
        if start.elapsed() >= CARRIER_WAIT {
            crate::log::net_warn!(
                "TAP device '{}': Linux still reports it {} after {:?}; its first replies may be lost",
                name,
                state.trim(),
                CARRIER_WAIT
            );
            return;
        }
        std::thread::sleep(core::time::Duration::from_millis(2));
    }
}

/// A Linux TAP device as the stack's device. Its file descriptor is what
/// the clock sleeps on ([`Tap::clock`]) and what `asynch::TapReady`
/// watches for the async runner.
///
/// ```no_run
/// use smolsock::device::Tap;
/// use smolsock::{Config, Stack, StackResources};
/// let mut tap = Tap::open("tap0").map_err(|e| format!("cannot open TAP device 'tap0': {e}"))?;
/// let clock = tap.clock();
/// let mut res = Box::new(StackResources::<8, 4096>::new());
/// let stack = Stack::new(&mut tap, &clock, &mut res, Config::dhcp([0x02, 0, 0, 0, 0, 2]))?;
/// let lease = stack.wait_config_up(Some(std::time::Duration::from_secs(10)))?;
/// eprintln!("address {}", lease.address);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Tap {
    inner: TunTapInterface,
}

impl fmt::Debug for Tap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tap")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

impl Tap {
    /// Open TAP device `name` (it must exist and be up), or say why not;
    /// then wait (at most [`CARRIER_WAIT`]) until Linux sends on it.
    pub fn open(name: &str) -> Result<Tap, TapError> {
        if !std::path::Path::new("/sys/class/net").join(name).exists() {
            return Err(TapError::NoSuchDevice);
        }
        match sys_hex(name, "tun_flags") {
            Some(f) if f & IFF_TAP != 0 => {}
            Some(_) => return Err(TapError::Tun),
            None => return Err(TapError::NotTap),
        }
        if let Err(e) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/net/tun")
        {
            return Err(match e.raw_os_error() {
                Some(1 | 13) => TapError::ControlPermissionDenied,
                _ => TapError::NoControlDevice(e),
            });
        }
        let inner =
            TunTapInterface::new(name, Medium::Ethernet).map_err(|e| match e.raw_os_error() {
                Some(16) => TapError::Busy,
                Some(1 | 13) => TapError::PermissionDenied,
                _ => TapError::Other(e),
            })?;
        // smoltcp's TAP device panics on a write to a link that is down (EIO).
        if sys_hex(name, "flags").is_none_or(|f| f & IFF_UP == 0) {
            return Err(TapError::Down);
        }
        wait_for_carrier(name);
        Ok(Tap { inner })
    }

    /// A wall clock whose idle hook sleeps on this device's descriptor
    /// (until a frame comes or the deadline passes).
    pub fn clock(&self) -> StdClock {
        StdClock::with_fd(self.as_raw_fd())
    }
}

impl AsRawFd for Tap {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl Device for Tap {
    type RxToken<'a> = <TunTapInterface as Device>::RxToken<'a>;
    type TxToken<'a> = <TunTapInterface as Device>::TxToken<'a>;

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        self.inner.receive(now)
    }
    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        self.inner.transmit(now)
    }
    fn capabilities(&self) -> DeviceCapabilities {
        phy::Device::capabilities(&self.inner)
    }
}
