//! A random seed from the operating system (feature `std`), for
//! [`Config`](crate::Config)'s constructors.

use std::hash::{BuildHasher, Hasher};
use std::io::Read;

/// 64 random bits from the operating system: `/dev/urandom` (the kernel's
/// CSPRNG, never blocking after boot), else std's per-process random
/// hashing keys (which std itself draws from the OS). What
/// [`Config::ip`](crate::Config::ip), [`Config::ethernet`](crate::Config::ethernet)
/// and [`Config::loopback`](crate::Config::loopback) use.
///
/// ```
/// let (a, b) = (smolsock::os_random_seed(), smolsock::os_random_seed());
/// assert_ne!(a, b);
/// ```
pub fn os_random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    match read {
        Ok(()) => u64::from_ne_bytes(bytes),
        // No /dev/urandom (a sandbox, another OS): a fresh `RandomState`
        // has keys of its own, OS-seeded per process.
        Err(_) => std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish(),
    }
}
