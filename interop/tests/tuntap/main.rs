//! smolsock over a third-party embassy driver, embassy-net-tuntap, on a TAP
//! device in a network namespace this test creates, with the Linux kernel as
//! the peer: blocking (a parking `StdClock`, woken by the driver's reactor)
//! and async (the runner woken by the driver through its `Context`).
//!
//! The test re-runs itself inside the namespace (`ip netns exec NS <this
//! test binary> --exact NAME`, with `SMOLSOCK_TUNTAP_INSIDE=1`): there the
//! same test function opens `tap0` through embassy-net-tuntap and talks to
//! the kernel's sockets of the namespace (std::net on 192.168.69.1).
//! Root only (`-- --ignored`); bounded; the namespace is deleted on drop.

#[macro_use]
#[path = "../../../tests/netns/mod.rs"]
mod netns;

use smolsock::asynch::{AsyncSocket, NoInterrupt};
use smolsock::{
    Config, Domain, EmbassyDriver, SockAddr, Socket, Stack, StackResources, StdClock, Type,
};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::Duration;

const INSIDE: &str = "SMOLSOCK_TUNTAP_INSIDE";
const LINUX: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 1);
const SMOL: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 2);
/// Bytes each way per connection.
const N: usize = 256 * 1024;
/// The whole inside run.
const LIMIT: Duration = Duration::from_secs(60);

fn byte(i: usize, seed: u8) -> u8 {
    (i as u8).wrapping_mul(13).wrapping_add(seed) ^ (i >> 10) as u8
}

fn inside_or_rerun(name: &str) -> bool {
    netns::rerun_inside(INSIDE, name, LIMIT + Duration::from_secs(10))
}

/// The kernel's echo server on 192.168.69.1:`port`: one connection, every
/// byte sent back, then EOF.
fn kernel_echo(port: u16) -> std::thread::JoinHandle<usize> {
    let l = TcpListener::bind((LINUX, port)).expect("kernel listener");
    std::thread::spawn(move || {
        let (mut c, _) = l.accept().expect("kernel accept");
        c.set_read_timeout(Some(LIMIT)).unwrap();
        let mut buf = [0; 8192];
        let mut total = 0;
        loop {
            let n = c.read(&mut buf).expect("kernel read");
            if n == 0 {
                break;
            }
            c.write_all(&buf[..n]).expect("kernel write");
            total += n;
        }
        total
    })
}

/// The kernel as a client of smolsock's listener on :`port`: send `N`
/// pattern bytes, half-close, read the echo back, check it.
fn kernel_client(port: u16) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut c = None;
        for _ in 0..100 {
            match TcpStream::connect_timeout(&(SMOL, port).into(), Duration::from_secs(2)) {
                Ok(s) => {
                    c = Some(s);
                    break;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        let mut c = c.expect("kernel connect to smolsock");
        c.set_read_timeout(Some(LIMIT)).unwrap();
        let data: Vec<u8> = (0..N).map(|i| byte(i, 9)).collect();
        let mut r = c.try_clone().unwrap();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            r.read_to_end(&mut got).expect("kernel read echo");
            got
        });
        c.write_all(&data).expect("kernel write");
        c.shutdown(std::net::Shutdown::Write).unwrap();
        assert!(reader.join().unwrap() == data, "echo differs");
    })
}

fn device() -> EmbassyDriver<embassy_net_tuntap::TunTapDevice> {
    let mut d = embassy_net_tuntap::TunTapDevice::new(netns::TAP).expect("open tap0");
    d.set_hardware_address([0x02, 0, 0, 0, 0, 2]);
    EmbassyDriver::new(d)
}

fn config() -> Config {
    Config::ip()
        .with_address(smolsock::smoltcp::wire::IpCidr::new(SMOL.into(), 24))
        .with_gateway(LINUX.into())
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn blocking_sockets_over_embassy_net_tuntap_against_the_kernel() {
    if !inside_or_rerun("blocking_sockets_over_embassy_net_tuntap_against_the_kernel") {
        return;
    }
    let mut dev = device();
    let clock = StdClock::parking();
    let mut res = Box::new(StackResources::<8, 16384>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, config()).expect("stack");

    // smolsock connects to the kernel's echo server.
    let echo = kernel_echo(7200);
    let s = Socket::new(&stack, Domain::IPV4, Type::STREAM).unwrap();
    s.set_timeout(Some(LIMIT)).unwrap();
    s.connect(SockAddr::from((LINUX, 7200)))
        .expect("connect to the kernel");
    let data: Vec<u8> = (0..N).map(|i| byte(i, 1)).collect();
    let mut got = Vec::new();
    let mut buf = [0; 8192];
    for chunk in data.chunks(4096) {
        s.send_all(chunk).expect("send_all");
        // Read what came back so far (the kernel echoes as it reads).
        s.set_nonblocking(true).unwrap();
        while let Ok(n) = s.recv(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        s.set_timeout(Some(LIMIT)).unwrap();
    }
    s.shutdown(smolsock::Shutdown::Write).unwrap();
    loop {
        let n = s.recv(&mut buf).expect("recv echo");
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert!(
        got == data,
        "echo differs ({} of {} bytes)",
        got.len(),
        data.len()
    );
    assert_eq!(echo.join().unwrap(), N);

    // The kernel connects to smolsock's listener.
    let l = Socket::new(&stack, Domain::IPV4, Type::STREAM).unwrap();
    l.bind(SockAddr::from((SMOL, 7201))).unwrap();
    l.listen(2).unwrap();
    l.set_timeout(Some(LIMIT)).unwrap();
    let client = kernel_client(7201);
    let (c, peer) = l.accept().expect("accept the kernel");
    assert_eq!(peer.ip(), std::net::IpAddr::V4(LINUX));
    c.set_timeout(Some(LIMIT)).unwrap();
    loop {
        let n = c.recv(&mut buf).expect("recv");
        if n == 0 {
            break;
        }
        c.send_all(&buf[..n]).expect("echo");
    }
    c.close().unwrap();
    // Keep the stack running (FIN, last ACKs) until the kernel has read it all.
    while !client.is_finished() {
        stack.poll(smolsock::Clock::now(&clock));
        std::thread::sleep(Duration::from_millis(5));
    }
    client.join().unwrap();
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn async_sockets_over_embassy_net_tuntap_against_the_kernel() {
    if !inside_or_rerun("async_sockets_over_embassy_net_tuntap_against_the_kernel") {
        return;
    }
    let mut dev = device();
    let clock = StdClock::new();
    let mut res = Box::new(StackResources::<8, 16384>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, config()).expect("stack");
    let echo = kernel_echo(7300);
    let client = kernel_client(7301);
    let work = async {
        // smolsock to the kernel's echo server, both ways at once.
        let s = AsyncSocket::new(&stack, Domain::IPV4, Type::STREAM).unwrap();
        s.set_timeout(Some(LIMIT)).unwrap();
        s.connect(SockAddr::from((LINUX, 7300)))
            .await
            .expect("connect");
        let send = async {
            let data: Vec<u8> = (0..N).map(|i| byte(i, 2)).collect();
            s.send_all(&data).await.expect("send_all");
            s.shutdown(smolsock::Shutdown::Write).unwrap();
        };
        let recv = async {
            let mut buf = [0; 8192];
            let mut at = 0;
            loop {
                let n = s.recv(&mut buf).await.expect("recv");
                if n == 0 {
                    break;
                }
                for (k, b) in buf[..n].iter().enumerate() {
                    assert_eq!(*b, byte(at + k, 2), "byte {}", at + k);
                }
                at += n;
            }
            assert_eq!(at, N);
        };
        futures_util::future::join(send, recv).await;
        // The kernel to smolsock's listener: echo it back.
        let l = AsyncSocket::new(&stack, Domain::IPV4, Type::STREAM).unwrap();
        l.bind(SockAddr::from((SMOL, 7301))).unwrap();
        l.listen(2).unwrap();
        let (c, _) = l.accept().await.expect("accept");
        let mut buf = [0; 8192];
        loop {
            let n = c.recv(&mut buf).await.expect("recv");
            if n == 0 {
                break;
            }
            c.send_all(&buf[..n]).await.expect("echo");
        }
        c.close().unwrap();
        // Give the FIN time to leave.
        smolsock::asynch::Timer::sleep_until(
            &clock,
            smolsock::Clock::now(&clock) + smolsock::smoltcp::time::Duration::from_secs(1),
        )
        .await;
    };
    let runner = stack.run(&clock, NoInterrupt);
    futures_executor::block_on(async {
        futures_util::pin_mut!(work, runner);
        futures_util::future::select(work, runner).await;
    });
    assert_eq!(echo.join().unwrap(), N);
    client.join().unwrap();
}
