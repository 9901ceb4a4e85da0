//! A Linux TAP device (feature `std`): `/dev/net/tun` attached to the
//! device with the `TUNSETIFF` ioctl, frames read and written without
//! blocking. Opened only after checking what Linux would otherwise report
//! badly, so a failed open says what really happened: no such device, a TUN
//! device, not a TAP device at all, no `/dev/net/tun` or no permission to
//! open it, busy (another program has it), or down.
//!
//! A write that fails drops that frame (logged), never panics; `EIO` or
//! `ENETDOWN` (the device was set down) makes the next link check read the
//! kernel's state at once. The link state the stack follows is the
//! device's `operstate` in `/sys/class/net`, read at most every
//! [`LINK_CHECK`] (and every [`LINK_CHECK`] while it is down, so the stack
//! sees it come back).

use super::driver::sealed::Driver;
use crate::time::StdClock;
use core::fmt;
use smoltcp::iface::{Config, Interface, PollIngressSingleResult, PollResult, SocketSet};
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use std::format;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::{AsRawFd, RawFd};
use std::string::String;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::vec::Vec;

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

/// How often at most [`Tap`] reads the kernel's link state (and how often
/// the stack looks again while the link is down).
pub const LINK_CHECK: core::time::Duration = core::time::Duration::from_millis(100);

/// `ENETDOWN`: a write to a TAP device that is down.
const ENETDOWN: i32 = 100;
/// `EIO`: a write to a TAP device that is down (older kernels).
const EIO: i32 = 5;

/// A Linux TAP device as the stack's device. Its file descriptor is what
/// the clock sleeps on ([`Tap::clock`]) and what `asynch::TapReady`
/// watches for the async runner. The stack follows its link state
/// (`ip link set NAME down` / `up`: [`Stack::is_link_up`](crate::Stack::is_link_up)).
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
///
/// `D` is the smoltcp device that moves its frames: [`TapFrames`], or a
/// wrapper around it ([`Tap::map_frames`]: a pcap writer, a tracer); the
/// stack follows the TAP device's link either way.
pub struct Tap<D = TapFrames> {
    frames: D,
    fd: RawFd,
    name: String,
    /// A write found the device down since the last link check.
    write_down: Arc<AtomicBool>,
    /// The link state last read, and when.
    link_up: bool,
    checked: Option<std::time::Instant>,
}

/// A TAP device's descriptor and frame buffers: the smoltcp device inside
/// a [`Tap`] (a write error drops the frame, never panics).
///
/// ```no_run
/// use smolsock::smoltcp::phy::{Device, Medium};
/// let tap = smolsock::device::Tap::open("tap0")?;
/// let tap = tap.map_frames(|frames| {
///     assert_eq!(frames.capabilities().medium, Medium::Ethernet);
///     frames
/// });
/// # Ok::<(), smolsock::device::TapError>(())
/// ```
pub struct TapFrames {
    file: std::fs::File,
    /// Largest frame (the device's MTU plus the Ethernet header).
    mtu: usize,
    rx: Vec<u8>,
    tx: Vec<u8>,
    write_down: Arc<AtomicBool>,
}

impl fmt::Debug for TapFrames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TapFrames")
            .field("fd", &self.file.as_raw_fd())
            .field("mtu", &self.mtu)
            .finish()
    }
}

impl<D> fmt::Debug for Tap<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tap")
            .field("name", &self.name)
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

/// Attach `file` (`/dev/net/tun`) to TAP device `name` (no packet-info header).
#[allow(unsafe_code)]
fn attach(file: &std::fs::File, name: &str) -> std::io::Result<()> {
    // SAFETY: `ifreq` is a plain C struct (byte arrays, integers, pointers
    // in a union) for which all-zero bytes are a valid value.
    let mut req: libc::ifreq = unsafe { core::mem::zeroed() };
    if name.len() >= req.ifr_name.len() || name.as_bytes().contains(&0) {
        return Err(std::io::Error::from_raw_os_error(libc::ENODEV));
    }
    for (dst, src) in req.ifr_name.iter_mut().zip(name.as_bytes()) {
        *dst = *src as libc::c_char;
    }
    // The name stays NUL-terminated: it is shorter than the zeroed array.
    req.ifr_ifru.ifru_flags = (libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short;
    // SAFETY: `file` is an open descriptor for the whole call; TUNSETIFF
    // reads and writes one `struct ifreq`, and `req` is one, alive and
    // exclusively borrowed for the call.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF, &mut req) };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Is device `name` up, as the kernel sees it (`operstate`)? `unknown`
/// (a device that reports no carrier) counts as up; no file as down.
fn operstate_up(name: &str) -> bool {
    match std::fs::read_to_string(format!("/sys/class/net/{name}/operstate")) {
        Ok(s) => matches!(s.trim(), "up" | "unknown"),
        Err(_) => false,
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
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open("/dev/net/tun")
            .map_err(|e| match e.raw_os_error() {
                Some(1 | 13) => TapError::ControlPermissionDenied,
                _ => TapError::NoControlDevice(e),
            })?;
        attach(&file, name).map_err(|e| match e.raw_os_error() {
            Some(16) => TapError::Busy,
            Some(1 | 13) => TapError::PermissionDenied,
            _ => TapError::Other(e),
        })?;
        if sys_hex(name, "flags").is_none_or(|f| f & IFF_UP == 0) {
            return Err(TapError::Down);
        }
        let ip_mtu = std::fs::read_to_string(format!("/sys/class/net/{name}/mtu"))
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(1500);
        // The Ethernet header comes on top of the IP MTU.
        let mtu = ip_mtu.saturating_add(14);
        wait_for_carrier(name);
        let write_down = Arc::new(AtomicBool::new(false));
        Ok(Tap {
            fd: file.as_raw_fd(),
            frames: TapFrames {
                file,
                mtu,
                rx: std::vec![0; mtu],
                tx: std::vec![0; mtu],
                write_down: Arc::clone(&write_down),
            },
            write_down,
            name: String::from(name),
            link_up: true,
            checked: Some(std::time::Instant::now()),
        })
    }
}

impl<D> Tap<D> {
    /// The same TAP device with its frames moved by `f(frames)` (a
    /// `smoltcp::phy::PcapWriter` around them, say); the stack still
    /// follows the device's link. `f` wraps the frames, it does not drop
    /// them: they hold the descriptor ([`AsRawFd`]) the clock sleeps on.
    ///
    /// ```no_run
    /// use smolsock::smoltcp::phy::{PcapMode, PcapWriter};
    /// let tap = smolsock::device::Tap::open("tap0")?;
    /// let file = std::fs::File::create("tap0.pcap")?;
    /// let tap = tap.map_frames(|frames| PcapWriter::new(frames, file, PcapMode::Both));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map_frames<E>(self, f: impl FnOnce(D) -> E) -> Tap<E> {
        Tap {
            frames: f(self.frames),
            fd: self.fd,
            name: self.name,
            write_down: self.write_down,
            link_up: self.link_up,
            checked: self.checked,
        }
    }

    /// A wall clock whose idle hook sleeps on this device's descriptor
    /// (until a frame comes or the deadline passes).
    pub fn clock(&self) -> StdClock {
        StdClock::with_fd(self.as_raw_fd())
    }

    /// The device's name.
    ///
    /// ```no_run
    /// let tap = smolsock::device::Tap::open("tap0")?;
    /// assert_eq!(tap.name(), "tap0");
    /// # Ok::<(), smolsock::device::TapError>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Is the link up? The kernel's view, read at most every [`LINK_CHECK`]
    /// (at once after a write found the device down).
    fn check_link(&mut self) -> bool {
        let due = self.write_down.swap(false, Ordering::Relaxed)
            || self.checked.is_none_or(|t| t.elapsed() >= LINK_CHECK);
        if due {
            self.link_up = operstate_up(&self.name);
            self.checked = Some(std::time::Instant::now());
        }
        self.link_up
    }
}

impl<D> AsRawFd for Tap<D> {
    fn as_raw_fd(&self) -> RawFd {
        self.fd
    }
}

/// A received frame.
#[doc(hidden)]
pub struct RxToken<'a> {
    frame: &'a [u8],
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.frame)
    }
}

/// Room for one frame to send.
#[doc(hidden)]
pub struct TxToken<'a> {
    file: &'a std::fs::File,
    buf: &'a mut [u8],
    write_down: &'a AtomicBool,
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.min(self.buf.len());
        let frame = self.buf.get_mut(..len).unwrap_or_default();
        let r = f(frame);
        let mut file = self.file;
        match file.write(frame) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                crate::log::net_debug!("TAP: transmit queue full, frame of {} bytes dropped", len);
            }
            Err(e) => {
                if matches!(e.raw_os_error(), Some(EIO | ENETDOWN)) {
                    self.write_down.store(true, Ordering::Relaxed);
                }
                crate::log::net_warn!("TAP: write failed ({}), frame of {} bytes dropped", e, len);
            }
        }
        r
    }
}

impl Device for TapFrames {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let mut file = &self.file;
        match file.read(&mut self.rx) {
            Ok(n) if n > 0 => {
                let rx = RxToken {
                    frame: self.rx.get(..n)?,
                };
                let tx = TxToken {
                    file: &self.file,
                    buf: &mut self.tx,
                    write_down: &self.write_down,
                };
                Some((rx, tx))
            }
            Ok(_) => None,
            Err(e) => {
                if e.kind() != std::io::ErrorKind::WouldBlock {
                    crate::log::net_debug!("TAP: read failed ({})", e);
                }
                None
            }
        }
    }

    fn transmit(&mut self, _: Instant) -> Option<Self::TxToken<'_>> {
        Some(TxToken {
            file: &self.file,
            buf: &mut self.tx,
            write_down: &self.write_down,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = self.mtu;
        caps
    }
}

impl<D: Device> Driver for Tap<D> {
    fn interface(&mut self, config: Config, now: Instant) -> Interface {
        Interface::new(config, &mut self.frames, now)
    }
    fn ingress(&mut self, iface: &mut Interface, set: &mut SocketSet<'_>, now: Instant) -> bool {
        iface.poll_ingress_single(now, &mut self.frames, set) != PollIngressSingleResult::None
    }
    fn egress(&mut self, iface: &mut Interface, set: &mut SocketSet<'_>, now: Instant) -> bool {
        iface.poll_egress(now, &mut self.frames, set) == PollResult::SocketStateChanged
    }
    fn medium(&self) -> Medium {
        self.frames.capabilities().medium
    }
    fn link_up(&mut self) -> bool {
        self.check_link()
    }
    fn link_check_interval(&self) -> Option<smoltcp::time::Duration> {
        Some(smoltcp::time::Duration::from_micros(
            LINK_CHECK.as_micros() as u64
        ))
    }
}
