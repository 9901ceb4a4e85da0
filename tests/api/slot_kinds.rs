//! Issue 18, item 2: a slot that was TCP stays TCP (smoltcp's sockets never
//! give their buffers back), and `Stats` and the error say so.

use crate::common::*;

#[test]
fn a_listener_that_took_every_slot_leaves_them_tcp() {
    with_stack::<5, _>(|stack, _| {
        let fresh = stack.stats().unwrap();
        assert_eq!((fresh.free_tcp, fresh.free_udp), (4, 4));
        let l = tcp(stack);
        l.bind(addr("127.0.0.1:80")).unwrap();
        l.listen(100).unwrap();
        drop(l);
        let st = stack.stats().unwrap();
        assert_eq!(st.free, 4, "{st:?}");
        assert_eq!((st.free_tcp, st.free_udp), (4, 0), "{st:?}");
        let e = Socket::new(stack, Domain::IPV4, Type::DGRAM).err();
        assert_eq!(e, Some(Error::NoBufferSpace));
        let msg = Error::NoBufferSpace.to_string();
        assert!(
            msg.contains("first use") && msg.contains("free_udp"),
            "{msg}"
        );
        // TCP sockets can still be had, all four.
        let socks: Vec<_> = (0..4).map(|_| tcp(stack)).collect();
        assert_eq!(stack.stats().unwrap().free_tcp, 0);
        drop(socks);
    });
}

#[test]
fn free_per_kind_counts_the_udp_capable_slots() {
    let clock = SimClock::new();
    let mut dev = smoltcp::phy::Loopback::new(smoltcp::phy::Medium::Ip);
    // 4 slots (and the resolver's entry), of which only 2 can ever be UDP.
    let mut res = Box::new(StackResources::<5, 256, 2>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).unwrap();
    let st = stack.stats().unwrap();
    assert_eq!((st.free_tcp, st.free_udp), (4, 2));
    let u = Socket::new(&stack, Domain::IPV4, Type::DGRAM).unwrap();
    let st = stack.stats().unwrap();
    assert_eq!((st.free_tcp, st.free_udp), (3, 1));
    drop(u);
    // The UDP slot is free again, for UDP only; one more can become UDP.
    let st = stack.stats().unwrap();
    assert_eq!((st.free, st.unused), (1, 3));
    assert_eq!((st.free_tcp, st.free_udp), (3, 2));
    let t: Vec<_> = (0..3).map(|_| tcp(&stack)).collect();
    let st = stack.stats().unwrap();
    assert_eq!((st.free_tcp, st.free_udp), (0, 1));
    assert_eq!(tcp_or_err(&stack), Some(Error::NoBufferSpace));
    drop(t);
}

fn tcp_or_err(stack: &Stack<'_>) -> Option<Error> {
    Socket::new(stack, Domain::IPV4, Type::STREAM).err()
}
