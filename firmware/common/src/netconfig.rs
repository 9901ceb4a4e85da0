//! The interface configuration both boards use on QEMU's user network
//! (guest 10.0.2.15/24, gateway 10.0.2.2), with the stack's random seed.

use smolsock::smoltcp::wire::{EthernetAddress, IpCidr, Ipv4Address};
use smolsock::Config;

/// The stack's random seed from a board's varying value (`entropy`: a timer
/// read at start-up; QEMU's boards have no RNG) mixed with its MAC. A real
/// board uses its hardware RNG, ADC noise, or a unique ID and a boot counter.
///
/// ```
/// use smolsock_firmware::netconfig::seed;
/// assert_ne!(seed(1, [2, 0, 0, 0, 0, 1]), seed(2, [2, 0, 0, 0, 0, 1]));
/// ```
pub fn seed(entropy: u64, mac: [u8; 6]) -> u64 {
    entropy.rotate_left(32) ^ mac.iter().fold(0u64, |a, b| a << 8 | u64::from(*b))
}

/// An Ethernet interface with `mac` at 10.0.2.15/24 via 10.0.2.2, seeded
/// with [`seed`]`(entropy, mac)`.
///
/// ```
/// let cfg = smolsock_firmware::netconfig::qemu_user_net([2, 0, 0, 0, 0, 1], 7);
/// assert_eq!(cfg.addresses.len(), 1);
/// ```
pub fn qemu_user_net(mac: [u8; 6], entropy: u64) -> Config {
    Config::new(EthernetAddress(mac).into(), seed(entropy, mac))
        .with_address(IpCidr::new(Ipv4Address::new(10, 0, 2, 15).into(), 24))
        .with_gateway(Ipv4Address::new(10, 0, 2, 2).into())
}
