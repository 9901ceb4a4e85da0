//! Shared test helpers: a loopback stack on a simulated clock.
#![allow(dead_code)]

pub use smolsock::{
    Config, Domain, Error, Shutdown, SimClock, SockAddr, Socket, Stack, StackResources, Type,
};
use smoltcp::phy::{Loopback, Medium};

/// Run `f` with a loopback stack of `N` slots of 2 KiB buffers on a simulated clock.
pub fn with_stack<const N: usize, R>(f: impl FnOnce(&Stack<'_>, &SimClock) -> R) -> R {
    with_stack_buf::<N, 2048, R>(f)
}

pub fn with_stack_buf<const N: usize, const B: usize, R>(
    f: impl FnOnce(&Stack<'_>, &SimClock) -> R,
) -> R {
    let clock = SimClock::new();
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = Box::new(StackResources::<N, B>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback());
    f(&stack, &clock)
}

pub fn addr(s: &str) -> SockAddr {
    s.parse().expect("test address")
}

pub fn tcp<'s, 'a>(stack: &'s Stack<'a>) -> Socket<'s, 'a> {
    Socket::new(stack, Domain::IPV4, Type::STREAM).expect("tcp socket")
}

/// A listener on 127.0.0.1:`port` with `backlog`.
pub fn listener<'s, 'a>(stack: &'s Stack<'a>, port: u16, backlog: usize) -> Socket<'s, 'a> {
    let l = tcp(stack);
    l.bind(addr(&format!("127.0.0.1:{port}"))).expect("bind");
    l.listen(backlog).expect("listen");
    l
}

/// Start a non-blocking connect to 127.0.0.1:`port`.
pub fn start_connect<'s, 'a>(stack: &'s Stack<'a>, port: u16) -> Socket<'s, 'a> {
    let c = tcp(stack);
    c.set_nonblocking(true).unwrap();
    assert_eq!(
        c.connect(addr(&format!("127.0.0.1:{port}"))),
        Err(Error::WouldBlock)
    );
    c
}

/// A connected pair: (client, accepted server side), both blocking.
pub fn pair<'s, 'a>(
    stack: &'s Stack<'a>,
    port: u16,
) -> (Socket<'s, 'a>, Socket<'s, 'a>, Socket<'s, 'a>) {
    let l = listener(stack, port, 1);
    let c = start_connect(stack, port);
    let (s, peer) = l.accept().expect("accept");
    assert_eq!(peer, c.local_addr().unwrap());
    c.set_nonblocking(false).unwrap();
    // The outcome of the non-blocking connect: success, reported once.
    assert_eq!(c.connect(addr(&format!("127.0.0.1:{port}"))), Ok(()));
    assert_eq!(
        c.connect(addr(&format!("127.0.0.1:{port}"))),
        Err(Error::AlreadyConnected)
    );
    (l, c, s)
}
