//! Name resolution (Python's getaddrinfo / gaierror), distinct from socket errors.
mod common;
use common::*;
use smolsock::ResolveError;
use smoltcp::phy::{Loopback, Medium};
use smoltcp::time::Duration;
use smoltcp::wire::IpAddress;

#[test]
fn literals_and_localhost_need_no_dns() {
    with_stack::<2, _>(|stack, _| {
        assert_eq!(
            stack.resolve("127.0.0.1", None),
            Ok(IpAddress::v4(127, 0, 0, 1))
        );
        assert_eq!(
            stack.resolve("[::1]", None),
            Ok(IpAddress::v6(0, 0, 0, 0, 0, 0, 0, 1))
        );
        assert_eq!(
            stack.resolve("localhost", None),
            Ok(IpAddress::v4(127, 0, 0, 1))
        );
    });
}

#[test]
fn a_name_without_a_dns_server_is_its_own_error() {
    with_stack::<2, _>(|stack, _| {
        assert_eq!(
            stack.resolve("example.com", None),
            Err(ResolveError::NoServer)
        );
        assert_eq!(stack.resolve("", None), Err(ResolveError::InvalidName));
        assert_eq!(
            stack.resolve("bad name", None),
            Err(ResolveError::InvalidName)
        );
    });
}

#[test]
fn a_silent_dns_server_times_out_at_the_deadline_and_gives_its_slot_back() {
    let clock = SimClock::new();
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = Box::new(StackResources::<2, 1024>::new());
    // Nobody answers on 127.0.0.1:53.
    let config = Config::loopback().with_dns_server(IpAddress::v4(127, 0, 0, 1));
    let stack = Stack::new(&mut dev, &clock, &mut res, config).expect("valid config");
    // Fill the pool: the query must borrow a free slot's place, and give it back.
    let a = tcp(&stack);
    let b = tcp(&stack);
    drop(b);
    let t0 = clock.now();
    assert_eq!(
        stack.resolve("example.com", Some(core::time::Duration::from_secs(3))),
        Err(ResolveError::TimedOut)
    );
    assert_eq!(clock.now() - t0, Duration::from_secs(3));
    let b = tcp(&stack);
    assert_eq!(
        Socket::new(&stack, Domain::IPV4, Type::STREAM).err(),
        Some(Error::NoBufferSpace)
    );
    drop((a, b));
    assert!(ResolveError::NotFound.to_string().contains("not known"));
}
