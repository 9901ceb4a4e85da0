//! Issue 18, item 1: no fixed default seed. Under `std` every stack built
//! from a default `Config` draws its seed from the OS, so two runs differ in
//! their TCP initial sequence numbers and first ephemeral ports; a seed set
//! on purpose reproduces both.

use crate::common::*;
use crate::record::Recorder;

/// The first SYN a fresh stack built on `config` sends: (source port, ISN).
fn first_syn(config: Config) -> (u16, u32) {
    let clock = SimClock::new();
    let mut dev = Recorder::looping();
    let mut res = Box::new(StackResources::<4, 1024>::new());
    {
        let stack = Stack::new(&mut dev, &clock, &mut res, config).expect("valid config");
        let l = listener(&stack, 80, 1);
        let c = tcp(&stack);
        c.connect(addr("127.0.0.1:80")).expect("connect");
        drop((c, l));
    }
    dev.first_syn().expect("a SYN was sent")
}

#[test]
fn default_configs_differ_in_isn_and_first_port() {
    let runs: Vec<(u16, u32)> = (0..3).map(|_| first_syn(Config::loopback())).collect();
    let (ports, isns): (Vec<u16>, Vec<u32>) = runs.iter().copied().unzip();
    assert!(
        isns.windows(2).all(|w| w[0] != w[1]),
        "every run its own ISN: {runs:?}"
    );
    assert!(
        ports.windows(2).any(|w| w[0] != w[1]),
        "first ephemeral ports differ: {runs:?}"
    );
    assert!(
        ports.iter().all(|p| (32768..=60999).contains(p)),
        "Linux's ephemeral range: {ports:?}"
    );
    assert_ne!(Config::ip().random_seed, Config::ip().random_seed);
    assert_ne!(
        Config::ethernet([2, 0, 0, 0, 0, 1]).random_seed,
        Config::ethernet([2, 0, 0, 0, 0, 1]).random_seed
    );
}

#[test]
fn a_fixed_seed_is_reproducible() {
    let a = first_syn(Config::loopback().with_random_seed(7));
    let b = first_syn(Config::loopback().with_random_seed(7));
    assert_eq!(a, b);
    let c = first_syn(Config::loopback().with_random_seed(8));
    assert_ne!(a.0, c.0, "the first port is a seeded point of the range");
    assert_ne!(a.1, c.1);
}

#[test]
fn config_new_takes_the_seed() {
    use smoltcp::wire::HardwareAddress;
    assert_eq!(Config::new(HardwareAddress::Ip, 99).random_seed, 99);
}
