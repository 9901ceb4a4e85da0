//! The HTTP client and a small HTTP server on one loopback stack.
//!
//! One thread, one stack, a blocking client: the exchange runs in two halves.
//! `Client::send` resolves, connects (the listen backlog completes the
//! handshake while nobody has called `accept` yet), sends the request and
//! half-closes. Then the server accepts, reads the request to EOF and
//! answers; then the client reads the response to EOF.

use smolsock::http::Client;
use smolsock::{Config, Domain, Socket, Stack, StackResources, StdClock, Type};
use smoltcp::phy::{Loopback, Medium};
use std::ops::ControlFlow;

const PAGE: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\nHello from smolsock!";

pub fn run() {
    if let Err(e) = exchange() {
        eprintln!("http: {e}");
        std::process::exit(1);
    }
}

fn exchange() -> Result<(), Box<dyn std::error::Error>> {
    let clock = StdClock::new();
    let mut dev = super::capture(Loopback::new(Medium::Ip));
    let mut res = Box::new(StackResources::<4, 4096>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");

    let server = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
    server.bind("127.0.0.1:8080".parse()?)?;
    server.listen(1)?;

    println!();
    println!("== HTTP client and a small HTTP server on loopback 127.0.0.1:8080 ==");
    // Client, first half: the request goes out.
    let response = Client::new(&stack).send("http://127.0.0.1:8080/hello.txt")?;

    // Server: read the request until the client's half-close, answer, close.
    let (conn, peer) = server.accept()?;
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match conn.recv(&mut buf)? {
            0 => break,
            n => request.extend_from_slice(&buf[..n]),
        }
    }
    println!("[http server] request from {peer}:");
    for line in String::from_utf8_lossy(&request).split_inclusive("\r\n") {
        println!("[http server]   {line:?}");
    }
    conn.send_all(PAGE)?;
    conn.close()?;

    // Client, second half: the raw response, chunk by chunk, to EOF.
    let mut got = Vec::new();
    response.read_raw(|chunk| {
        got.extend_from_slice(chunk);
        ControlFlow::Continue(())
    })?;
    println!("[http client] response ({} bytes):", got.len());
    for line in String::from_utf8_lossy(&got).split_inclusive("\r\n") {
        println!("[http client]   {line:?}");
    }
    Ok(())
}
