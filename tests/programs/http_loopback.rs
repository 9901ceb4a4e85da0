//! The HTTP client against test servers on one `Loopback` stack, on simulated time.
//!
//! Everything runs in one thread on one stack and the client blocks, so the
//! servers (an HTTP server, a DNS responder) are non-blocking sockets driven
//! from the clock's idle hook: whenever a blocking call would sleep, the hook
//! services them first, and time only jumps when they have nothing to do.
//! The stack lives for the whole test process (`Box::leak`) so the hook may
//! own sockets on it.

use crate::common;
use common::{HookClock, Service};
use smolsock::http::{
    Client, HttpError, Part, Phase, ResponseError, ResponseParser, CHUNK, DEFAULT_TIMEOUT,
};
use smolsock::{
    Clock, Config, Domain, Error, SimClock, SockAddr, Socket, Stack, StackResources, Type,
};
use smoltcp::phy::{Loopback, Medium};
use smoltcp::time::{Duration as SimDuration, Instant};
use smoltcp::wire::IpAddress;
use std::cell::{Cell, RefCell};
use std::ops::ControlFlow;
use std::rc::Rc;
use std::time::Duration;

type Sock = Socket<'static, 'static>;
type Net = &'static Stack<'static>;

/// DNS questions seen: (name, type).
type Queries = Rc<RefCell<Vec<(String, u16)>>>;

/// A loopback stack (with 127.0.0.1 as DNS server if `dns`) and its clock.
#[track_caller]
fn world(dns: bool) -> (Net, &'static HookClock<'static>) {
    let sim: &'static SimClock = Box::leak(Box::new(SimClock::new()));
    let clock: &'static HookClock<'static> = Box::leak(Box::new(HookClock::new(sim)));
    let dev = Box::leak(Box::new(Loopback::new(Medium::Ip)));
    let res = Box::leak(Box::new(StackResources::<8, 16384>::new()));
    let mut config = Config::loopback();
    if dns {
        config = config.with_dns_server(IpAddress::v4(127, 0, 0, 1));
    }
    let stack: Net = Box::leak(Box::new(
        Stack::new(dev, clock, res, config).expect("valid config"),
    ));
    (stack, clock)
}

fn serve(clock: &HookClock<'static>, hook: impl FnMut(Instant) -> Service + 'static) {
    clock.set_hook(hook);
}

#[track_caller]
fn addr(s: &str) -> SockAddr {
    s.parse().unwrap()
}

#[track_caller]
fn listen(net: Net, at: &str) -> Sock {
    let a = addr(at);
    let l = Socket::new(net, Domain::for_address(a), Type::STREAM).unwrap();
    l.bind(a).unwrap();
    l.listen(2).unwrap();
    l
}

/// The bytes a server sends: `prefix`, then `fill` up to `total` bytes.
#[derive(Clone)]
struct Payload {
    prefix: Vec<u8>,
    fill: u8,
    total: usize,
}

impl Payload {
    fn bytes(b: &[u8]) -> Self {
        Payload {
            prefix: b.to_vec(),
            fill: 0,
            total: b.len(),
        }
    }
    fn at(&self, off: usize, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.total - off);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = *self.prefix.get(off + i).unwrap_or(&self.fill);
        }
        n
    }
}

/// How a connection ends once the payload is queued.
#[derive(Clone, Copy, PartialEq)]
enum End {
    /// Graceful close (FIN).
    Close,
    /// Close with the request unread: a reset, as Linux does.
    Reset,
}

/// What the server saw, shared with the test.
#[derive(Default)]
struct Seen {
    requests: RefCell<Vec<Vec<u8>>>,
    sent: Cell<usize>,
    error: Cell<Option<Error>>,
}

/// An HTTP server, one connection at a time, every one answered the same.
struct HttpServer {
    listener: Sock,
    conn: Option<Sock>,
    read_request: bool,
    end: End,
    payload: Payload,
    /// Send one byte per this interval (a dribbling server).
    drip: Option<SimDuration>,
    next_drip: Instant,
    reset_at: Option<Instant>,
    request: Vec<u8>,
    eof: bool,
    sent: usize,
    seen: Rc<Seen>,
}

impl HttpServer {
    #[track_caller]
    fn new(listener: Sock, payload: Payload) -> Self {
        listener.set_nonblocking(true).unwrap();
        HttpServer {
            listener,
            conn: None,
            read_request: true,
            end: End::Close,
            payload,
            drip: None,
            next_drip: Instant::ZERO,
            reset_at: None,
            request: Vec::new(),
            eof: false,
            sent: 0,
            seen: Rc::default(),
        }
    }

    #[track_caller]
    fn service(&mut self, now: Instant) -> Service {
        let mut progress = false;
        if self.conn.is_none() {
            match self.listener.accept() {
                Ok((c, _)) => {
                    c.set_nonblocking(true).unwrap();
                    self.conn = Some(c);
                    self.request.clear();
                    (self.eof, self.sent, progress) = (false, 0, true);
                    self.next_drip = now;
                    self.reset_at = None;
                }
                Err(Error::WouldBlock) => return Service::Sleep(None),
                Err(e) => panic!("accept: {e}"),
            }
        }
        let Some(c) = self.conn.take() else {
            unreachable!()
        };
        match self.step(&c, now, &mut progress) {
            Ok((_, true)) => Service::Progress, // `c` is dropped: closed
            Ok((wake, false)) => {
                self.conn = Some(c);
                if progress {
                    Service::Progress
                } else {
                    Service::Sleep(wake)
                }
            }
            Err(e) => {
                self.seen.error.set(Some(e));
                Service::Progress
            }
        }
    }

    /// Serve `c`: Ok((wake, close)).
    fn step(
        &mut self,
        c: &Sock,
        now: Instant,
        progress: &mut bool,
    ) -> Result<(Option<Instant>, bool), Error> {
        let mut buf = [0u8; 2048];
        while self.read_request && !self.eof {
            match c.recv(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    self.seen.requests.borrow_mut().push(self.request.clone());
                }
                Ok(n) => self.request.extend_from_slice(&buf[..n]),
                Err(Error::WouldBlock) => return Ok((None, false)),
                Err(e) => return Err(e),
            }
            *progress = true;
        }
        while self.sent < self.payload.total {
            let mut max = buf.len();
            if let Some(every) = self.drip {
                if now < self.next_drip {
                    return Ok((Some(self.next_drip), false));
                }
                self.next_drip = now + every;
                max = 1;
            }
            let n = self.payload.at(self.sent, &mut buf[..max]);
            match c.send(&buf[..n]) {
                Ok(n) => self.sent += n,
                Err(Error::WouldBlock) => return Ok((None, false)),
                Err(e) => return Err(e),
            }
            self.seen.sent.set(self.sent);
            *progress = true;
        }
        // All queued: end the connection. A reset discards unsent data, so
        // it comes half a second later, when all has been sent and read
        // (close() with the request unread sends a reset).
        if self.end == End::Reset {
            let at = *self
                .reset_at
                .get_or_insert(now + SimDuration::from_millis(500));
            return Ok((Some(at), now >= at));
        }
        Ok((None, true))
    }
}

fn start(clock: &HookClock<'static>, server: HttpServer) -> Rc<Seen> {
    let seen = server.seen.clone();
    let mut server = server;
    serve(clock, move |now| server.service(now));
    seen
}

/// Raw GET: (result, bytes, largest chunk).
fn get_raw(client: &Client<'_, '_>, url: &str) -> (Result<u64, HttpError>, Vec<u8>, usize) {
    let mut got = Vec::new();
    let mut largest = 0;
    let r = client.get_raw(url, |chunk| {
        largest = largest.max(chunk.len());
        got.extend_from_slice(chunk);
        ControlFlow::Continue(())
    });
    (r, got, largest)
}

/// Parsed GET: (result, status code, body).
fn get(client: &Client<'_, '_>, url: &str) -> (Result<u64, HttpError>, u16, Vec<u8>) {
    let mut parser = ResponseParser::<4096>::new();
    let mut code = 0;
    let mut body = Vec::new();
    let r = client.get(url, &mut parser, |part| {
        match part {
            Part::Head(h) => code = h.code(),
            Part::Body(b) => body.extend_from_slice(b),
        }
        ControlFlow::Continue(())
    });
    (r, code, body)
}

fn request_for(target: &str, host: &str) -> Vec<u8> {
    format!(
        "GET {target} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: smolsock/{}\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes()
}

#[test]
fn one_mebibyte_body_arrives_byte_exact_in_chunks_of_at_most_1024() {
    let (net, clock) = world(false);
    let body: Vec<u8> = (0..1usize << 20).map(|i| (i * 7 + i / 251) as u8).collect();
    let mut response =
        format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    response.extend_from_slice(&body);
    let seen = start(
        clock,
        HttpServer::new(listen(net, "127.0.0.1:8080"), Payload::bytes(&response)),
    );
    let client = Client::new(net);

    let (r, got, largest) = get_raw(&client, "http://127.0.0.1:8080/big");
    assert_eq!(r, Ok(response.len() as u64));
    assert!(largest <= CHUNK && largest > 0, "largest chunk {largest}");
    assert!(got == response, "raw bytes differ");

    // Parsed, the body alone, and still never buffered whole.
    let (r, code, got_body) = get(&client, "http://127.0.0.1:8080/big");
    assert_eq!((r, code), (Ok(body.len() as u64), 200));
    assert!(got_body == body, "body differs");
    assert_eq!(seen.requests.borrow().len(), 2);
    assert!(clock.now() < Instant::ZERO + SimDuration::from_secs(20));
}

#[test]
fn request_bytes_are_exactly_as_specified() {
    let (net, clock) = world(false);
    let ok = Payload::bytes(b"HTTP/1.0 200 OK\r\n\r\nhi");
    let seen = start(
        clock,
        HttpServer::new(listen(net, "127.0.0.1:8080"), ok.clone()),
    );
    let client = Client::new(net);
    let (r, got, _) = get_raw(&client, "http://127.0.0.1:8080/a/b?c=d&e=%20#frag");
    assert_eq!(r, Ok(21));
    assert_eq!(got, b"HTTP/1.0 200 OK\r\n\r\nhi");
    let req = seen.requests.borrow()[0].clone();
    assert_eq!(
        String::from_utf8_lossy(&req),
        String::from_utf8_lossy(&request_for("/a/b?c=d&e=%20", "127.0.0.1:8080"))
    );
    assert_eq!(get_raw(&client, "http://localhost:8080").0, Ok(21));
    assert_eq!(
        seen.requests.borrow()[1],
        request_for("/", "localhost:8080")
    );

    // IPv6 literal, default port: Host without the port.
    let seen = start(clock, HttpServer::new(listen(net, "[::1]:80"), ok));
    assert_eq!(get_raw(&client, "http://[::1]/x").0, Ok(21));
    assert_eq!(seen.requests.borrow()[0], request_for("/x", "[::1]"));
}

#[test]
fn a_server_that_never_answers_times_out_at_the_deadline() {
    let (net, clock) = world(false);
    // The backlog completes the handshake; nobody ever accepts or answers.
    let _l = listen(net, "127.0.0.1:8080");
    let start = clock.now();
    let (r, got, _) = get_raw(&Client::new(net), "http://127.0.0.1:8080/");
    assert_eq!(
        (r, got.len()),
        (Err(HttpError::TimedOut(Phase::Receive)), 0)
    );
    assert_eq!(clock.now() - start, SimDuration::from_secs(20));
    assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(20));

    let start = clock.now();
    let client = Client::new(net).with_timeout(Duration::from_millis(5500));
    assert_eq!(
        get_raw(&client, "http://127.0.0.1:8080/").0,
        Err(HttpError::TimedOut(Phase::Receive))
    );
    assert_eq!(clock.now() - start, SimDuration::from_millis(5500));
}

#[test]
fn one_deadline_bounds_the_whole_exchange_not_each_recv() {
    let (net, clock) = world(false);
    let mut server = HttpServer::new(
        listen(net, "127.0.0.1:8080"),
        Payload {
            prefix: b"HTTP/1.0 200 OK\r\n\r\n".to_vec(),
            fill: b'x',
            total: usize::MAX / 2,
        },
    );
    server.drip = Some(SimDuration::from_millis(100)); // one byte every 100 ms, forever
    start(clock, server);
    let start = clock.now();
    let (r, got, _) = get_raw(
        &Client::new(net).with_timeout(Duration::from_secs(3)),
        "http://127.0.0.1:8080/",
    );
    assert_eq!(r, Err(HttpError::TimedOut(Phase::Receive)));
    assert_eq!(clock.now() - start, SimDuration::from_secs(3));
    // Every recv got its byte well within its own time; the total still ended it.
    assert!(
        got.len() > 20 && got.starts_with(b"HTTP/1.0 200 OK"),
        "{}",
        got.len()
    );
}

#[test]
fn refused() {
    let (net, clock) = world(false);
    let start = clock.now();
    assert_eq!(
        get_raw(&Client::new(net), "http://127.0.0.1:8081/").0,
        Err(HttpError::ConnectionRefused)
    );
    assert!(clock.now() - start < SimDuration::from_secs(1));
    assert_eq!(
        get(&Client::new(net), "http://[::1]:8081/").0,
        Err(HttpError::ConnectionRefused)
    );
}

#[test]
fn reset_in_the_middle_of_the_body() {
    let (net, clock) = world(false);
    let mut partial = b"HTTP/1.0 200 OK\r\nContent-Length: 10000\r\n\r\n".to_vec();
    partial.extend(std::iter::repeat_n(b'b', 3000));
    let mut server = HttpServer::new(listen(net, "127.0.0.1:8080"), Payload::bytes(&partial));
    server.read_request = false;
    server.end = End::Reset;
    start(clock, server);
    let (r, got, _) = get_raw(&Client::new(net), "http://127.0.0.1:8080/");
    assert_eq!(r, Err(HttpError::ConnectionReset));
    assert!(
        got == partial,
        "got {} of {} bytes before the reset",
        got.len(),
        partial.len()
    );
    let (r, code, body) = get(&Client::new(net), "http://127.0.0.1:8080/");
    assert_eq!(
        (r, code, body.len()),
        (Err(HttpError::ConnectionReset), 200, 3000)
    );
}

#[test]
fn garbage_is_not_http_when_parsing_is_asked_for() {
    let (net, clock) = world(false);
    let garbage = b"SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\n".to_vec();
    start(
        clock,
        HttpServer::new(listen(net, "127.0.0.1:2222"), Payload::bytes(&garbage)),
    );
    let client = Client::new(net);
    assert_eq!(
        get(&client, "http://127.0.0.1:2222/").0,
        Err(HttpError::BadResponse(ResponseError::NotHttp))
    );
    // Raw mode does not judge: it prints what came, like the seed.
    let (r, got, _) = get_raw(&client, "http://127.0.0.1:2222/");
    assert_eq!((r, got), (Ok(garbage.len() as u64), garbage));
}

#[test]
fn a_ten_mebibyte_header_line_is_an_error_in_bounded_memory() {
    let (net, clock) = world(false);
    let big = Payload {
        prefix: b"HTTP/1.0 200 OK\r\nX-Big: ".to_vec(),
        fill: b'a',
        total: 10 << 20,
    };
    let seen = start(clock, HttpServer::new(listen(net, "127.0.0.1:8080"), big));
    let mut parser = ResponseParser::<4096>::new();
    let mut parts = 0;
    let r = Client::new(net).get("http://127.0.0.1:8080/", &mut parser, |_| {
        parts += 1;
        ControlFlow::Continue(())
    });
    assert_eq!(r, Err(HttpError::BadResponse(ResponseError::HeadTooLarge)));
    assert_eq!(parts, 0);
    // The client stopped reading at the bound: the server could not push
    // more than about the window sizes before the connection was reset.
    assert!(
        seen.sent.get() < 256 * 1024,
        "server sent {}",
        seen.sent.get()
    );
    assert!(std::mem::size_of::<ResponseParser<4096>>() < 8 * 1024);
}

#[test]
fn a_404_is_a_response_not_an_error() {
    let (net, clock) = world(false);
    let resp =
        b"HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found";
    start(
        clock,
        HttpServer::new(listen(net, "127.0.0.1:8080"), Payload::bytes(resp)),
    );
    let client = Client::new(net);
    assert_eq!(
        get(&client, "http://127.0.0.1:8080/missing"),
        (Ok(9), 404, b"not found".to_vec())
    );
    let (r, got, _) = get_raw(&client, "http://127.0.0.1:8080/missing");
    assert_eq!((r, got.as_slice()), (Ok(resp.len() as u64), &resp[..]));
}

/// Issue 10: a server that closes without sending a byte was a success
/// (`Ok(0)`, exit 0 with nothing printed). It is `EmptyReply`, raw or parsed.
#[test]
fn an_empty_reply_is_an_error_not_a_success() {
    let (net, clock) = world(false);
    let seen = start(
        clock,
        HttpServer::new(listen(net, "127.0.0.1:8080"), Payload::bytes(b"")),
    );
    let client = Client::new(net);
    assert_eq!(
        get_raw(&client, "http://127.0.0.1:8080/"),
        (Err(HttpError::EmptyReply), vec![], 0)
    );
    assert_eq!(
        get(&client, "http://127.0.0.1:8080/"),
        (Err(HttpError::EmptyReply), 0, vec![])
    );
    assert_eq!(seen.requests.borrow().len(), 2, "both requests were served");
    assert!(!HttpError::EmptyReply.to_string().contains('\n'));
}

/// Issue 10: a body cut short of its `Content-Length` by an orderly close
/// (FIN) was a success. It is `PartialBody`, after every byte that came was
/// handed on, raw or parsed; a body that is complete (or longer) is fine.
#[test]
fn a_body_short_of_its_content_length_is_a_partial_body() {
    let (net, clock) = world(false);
    let mut cut = b"HTTP/1.0 200 OK\r\nContent-Length: 10000\r\n\r\n".to_vec();
    let head_len = cut.len();
    cut.extend((0..3000u32).map(|i| (i % 251) as u8));
    start(
        clock,
        HttpServer::new(listen(net, "127.0.0.1:8080"), Payload::bytes(&cut)),
    );
    let client = Client::new(net);
    let short = HttpError::PartialBody {
        expected: 10000,
        received: 3000,
    };
    let partial = Err(short);
    let (r, got, _) = get_raw(&client, "http://127.0.0.1:8080/");
    assert_eq!(r, partial);
    assert!(got == cut, "got {} of {} bytes", got.len(), cut.len());
    let (r, code, body) = get(&client, "http://127.0.0.1:8080/");
    assert_eq!((r, code), (partial, 200));
    assert!(body == cut[head_len..], "body differs");
    assert_eq!(
        short.to_string(),
        "partial body: the connection closed after 3000 of the 10000 bytes its Content-Length announced"
    );

    // Exactly the announced length, or more: a response.
    let exact = b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    start(
        clock,
        HttpServer::new(listen(net, "127.0.0.1:8081"), Payload::bytes(exact)),
    );
    assert_eq!(
        get_raw(&client, "http://127.0.0.1:8081/").0,
        Ok(exact.len() as u64)
    );
    let longer = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhello";
    start(
        clock,
        HttpServer::new(listen(net, "127.0.0.1:8082"), Payload::bytes(longer)),
    );
    assert_eq!(
        get(&client, "http://127.0.0.1:8082/"),
        (Ok(5), 200, b"hello".to_vec())
    );
}

/// Issue 18 (5): a complete response (`Content-Length: 2`, body `ok`)
/// followed by a reset was `ConnectionReset`; curl takes it (exit 0). The
/// body is complete, so it is a success, raw and parsed alike; a reset
/// before the body is complete stays `ConnectionReset`.
#[test]
fn a_reset_after_the_whole_body_is_a_complete_response() {
    let (net, clock) = world(false);
    let reply = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let mut server = HttpServer::new(listen(net, "127.0.0.1:8080"), Payload::bytes(reply));
    server.read_request = false;
    server.end = End::Reset;
    start(clock, server);
    let client = Client::new(net);
    let (r, got, _) = get_raw(&client, "http://127.0.0.1:8080/");
    assert_eq!((r, &got[..]), (Ok(reply.len() as u64), &reply[..]));
    assert_eq!(
        get(&client, "http://127.0.0.1:8080/"),
        (Ok(2), 200, b"ok".to_vec())
    );

    // One byte short: the reset cuts the response.
    let short = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok";
    let mut server = HttpServer::new(listen(net, "127.0.0.1:8081"), Payload::bytes(short));
    server.read_request = false;
    server.end = End::Reset;
    start(clock, server);
    assert_eq!(
        get_raw(&client, "http://127.0.0.1:8081/").0,
        Err(HttpError::ConnectionReset)
    );
    // Without a Content-Length only the close ends the body: a reset is an error.
    let open = b"HTTP/1.0 200 OK\r\n\r\nok";
    let mut server = HttpServer::new(listen(net, "127.0.0.1:8082"), Payload::bytes(open));
    server.read_request = false;
    server.end = End::Reset;
    start(clock, server);
    assert_eq!(
        get(&client, "http://127.0.0.1:8082/").0,
        Err(HttpError::ConnectionReset)
    );
}

/// Issue 18 (5): a negative `Content-Length`, two different ones, and one
/// too large for 64 bits were accepted (the body printed, `Ok`). RFC 9112
/// §6.3: each is an unrecoverable error. Raw and parsed agree: the same
/// `BadResponse`, and the chunk that completed the head is not handed on.
#[test]
fn invalid_or_conflicting_content_lengths_are_bad_responses() {
    let (net, clock) = world(false);
    let invalid = HttpError::BadResponse(ResponseError::InvalidContentLength);
    let conflict = HttpError::BadResponse(ResponseError::ConflictingContentLength);
    let cases: [(&[u8], HttpError); 4] = [
        (
            b"HTTP/1.0 200 OK\r\nContent-Length: -1\r\n\r\nhello",
            invalid,
        ),
        (
            b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\nContent-Length: 3\r\n\r\nhello",
            conflict,
        ),
        (
            b"HTTP/1.0 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nhello",
            invalid,
        ),
        (
            b"HTTP/1.0 200 OK\r\nContent-Length: five\r\n\r\nhello",
            invalid,
        ),
    ];
    let client = Client::new(net);
    for (port, (reply, want)) in (8080u16..).zip(cases) {
        start(
            clock,
            HttpServer::new(
                listen(net, &format!("127.0.0.1:{port}")),
                Payload::bytes(reply),
            ),
        );
        let url = format!("http://127.0.0.1:{port}/");
        assert_eq!(get_raw(&client, &url), (Err(want), vec![], 0), "{url}");
        assert_eq!(get(&client, &url), (Err(want), 0, vec![]), "{url}");
    }
    assert_eq!(
        invalid.to_string(),
        "bad HTTP response: invalid Content-Length (not a number of bytes: negative, not digits, or too large)"
    );
    assert_eq!(
        conflict.to_string(),
        "bad HTTP response: two different Content-Length values"
    );
    // The same value twice is that value.
    let twice = b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello";
    start(
        clock,
        HttpServer::new(listen(net, "127.0.0.1:8090"), Payload::bytes(twice)),
    );
    assert_eq!(
        get(&client, "http://127.0.0.1:8090/"),
        (Ok(5), 200, b"hello".to_vec())
    );
}

/// A reply that ends inside its headers is incomplete in raw mode too.
#[test]
fn a_reply_cut_inside_its_head_is_incomplete() {
    let (net, clock) = world(false);
    let cut = b"HTTP/1.0 200 OK\r\nContent-Ty";
    start(
        clock,
        HttpServer::new(listen(net, "127.0.0.1:8080"), Payload::bytes(cut)),
    );
    let client = Client::new(net);
    let incomplete = Err(HttpError::BadResponse(ResponseError::Incomplete));
    assert_eq!(
        get_raw(&client, "http://127.0.0.1:8080/"),
        (incomplete, cut.to_vec(), cut.len())
    );
    assert_eq!(get(&client, "http://127.0.0.1:8080/").0, incomplete);
}

#[test]
fn the_sink_can_stop_the_exchange() {
    let (net, clock) = world(false);
    let body = Payload {
        prefix: b"HTTP/1.0 200 OK\r\n\r\n".to_vec(),
        fill: b'z',
        total: 100_000,
    };
    start(clock, HttpServer::new(listen(net, "127.0.0.1:8080"), body));
    let mut chunks = 0;
    let r = Client::new(net).get_raw("http://127.0.0.1:8080/", |_| {
        chunks += 1;
        if chunks == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert_eq!((r, chunks), (Err(HttpError::Aborted), 3));
}

#[test]
fn bad_urls_fail_before_any_network_use() {
    let (net, clock) = world(false);
    let client = Client::new(net);
    // https:// needs TLS (feature `tls`, `get_raw_tls`); never a crash.
    assert_eq!(
        get_raw(&client, "https://example.com/").0,
        Err(HttpError::HttpsNotSupported)
    );
    assert!(HttpError::HttpsNotSupported
        .to_string()
        .contains("https:// is not supported"));
    assert_eq!(
        get_raw(&client, "ftp://example.com/").0,
        Err(HttpError::UnsupportedScheme)
    );
    assert!(matches!(
        get_raw(&client, "http://exa mple/").0,
        Err(HttpError::BadUrl(_))
    ));
    assert!(matches!(
        get_raw(&client, "example.com").0,
        Err(HttpError::BadUrl(_))
    ));
    assert_eq!(clock.now(), Instant::ZERO);
}

// ---- DNS ------------------------------------------------------------------

/// A DNS responder on a UDP socket: A records for `names`, NXDOMAIN else.
struct DnsResponder {
    sock: Sock,
    names: Vec<(&'static str, [u8; 4])>,
    queries: Queries,
}

impl DnsResponder {
    #[track_caller]
    fn new(net: Net, names: Vec<(&'static str, [u8; 4])>) -> Self {
        let sock = Socket::new(net, Domain::IPV4, Type::DGRAM).unwrap();
        sock.bind(addr("127.0.0.1:53")).unwrap();
        sock.set_nonblocking(true).unwrap();
        DnsResponder {
            sock,
            names,
            queries: Rc::default(),
        }
    }

    #[track_caller]
    fn service(&mut self) -> bool {
        let mut progress = false;
        let mut q = [0u8; 512];
        while let Ok((n, from)) = self.sock.recv_from(&mut q) {
            progress = true;
            if let Some(answer) = self.answer(&q[..n]) {
                self.sock.send_to(&answer, from).unwrap();
            }
        }
        progress
    }

    fn answer(&self, q: &[u8]) -> Option<Vec<u8>> {
        // Header (12 bytes), then one question: labels, 0, type, class.
        let mut i = 12;
        let mut labels = Vec::new();
        while *q.get(i)? != 0 {
            let len = q[i] as usize;
            labels.push(String::from_utf8_lossy(q.get(i + 1..i + 1 + len)?).into_owned());
            i += 1 + len;
        }
        let qtype = u16::from_be_bytes([*q.get(i + 1)?, *q.get(i + 2)?]);
        let question = q.get(12..i + 5)?;
        let name = labels.join(".");
        self.queries.borrow_mut().push((name.clone(), qtype));
        let known = self
            .names
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name));
        let answers = matches!((known, qtype), (Some(_), 1)) as u8;
        let rcode = if known.is_some() { 0 } else { 3 };
        let mut r = vec![q[0], q[1], 0x81, 0x80 | rcode, 0, 1, 0, answers, 0, 0, 0, 0];
        r.extend_from_slice(question);
        if let (Some((_, ip)), 1) = (known, answers) {
            r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            r.extend_from_slice(ip);
        }
        Some(r)
    }
}

/// A stack with the DNS responder and an HTTP server on port 80, both served from the hook.
fn dns_world() -> (Net, &'static HookClock<'static>, Queries, Rc<Seen>) {
    let (net, clock) = world(true);
    let mut dns = DnsResponder::new(net, vec![("web.test", [127, 0, 0, 1])]);
    let queries = dns.queries.clone();
    let mut http = HttpServer::new(
        listen(net, "127.0.0.1:80"),
        Payload::bytes(b"HTTP/1.0 200 OK\r\n\r\nresolved"),
    );
    let seen = http.seen.clone();
    serve(clock, move |now| {
        let d = dns.service();
        match http.service(now) {
            Service::Sleep(w) if !d => Service::Sleep(w),
            _ => Service::Progress,
        }
    });
    (net, clock, queries, seen)
}

#[test]
fn a_name_resolves_through_the_stack_dns() {
    let (net, _, queries, seen) = dns_world();
    let (r, code, body) = get(&Client::new(net), "http://web.test/page");
    assert_eq!((r, code, body.as_slice()), (Ok(8), 200, &b"resolved"[..]));
    assert_eq!(seen.requests.borrow()[0], request_for("/page", "web.test"));
    assert_eq!(queries.borrow().as_slice(), &[("web.test".to_string(), 1)]);
}

#[test]
fn a_name_that_does_not_resolve_gives_the_resolve_error() {
    let (net, clock, queries, seen) = dns_world();
    let start = clock.now();
    assert_eq!(
        get_raw(&Client::new(net), "http://nx.test/").0,
        Err(HttpError::NameNotResolved)
    );
    assert!(
        clock.now() - start < SimDuration::from_secs(1),
        "answered, not timed out"
    );
    // Both families were asked for (A, then AAAA), both NXDOMAIN.
    let asked = queries.borrow().clone();
    assert_eq!(
        asked,
        vec![("nx.test".to_string(), 1), ("nx.test".to_string(), 28)]
    );
    assert!(
        seen.requests.borrow().is_empty(),
        "no connection for an unresolved name"
    );
    assert!(HttpError::NameNotResolved
        .to_string()
        .contains("not resolved"));
}

/// Regression test (once a core bug), without the HTTP client:
/// `resolve` maps smoltcp's `Failed` (NXDOMAIN) to `NotFound`, and then,
/// because the result is an error, calls `cancel_query` on the query slot
/// that `get_query_result` has already freed: smoltcp panics
/// "Canceling query in a free slot." (src/resolve.rs, `query`).
#[test]
fn resolve_reports_nxdomain_without_panicking() {
    let (net, clock) = world(true);
    let mut dns = DnsResponder::new(net, vec![]);
    serve(clock, move |_| {
        if dns.service() {
            Service::Progress
        } else {
            Service::Sleep(None)
        }
    });
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        net.resolve("nx.test", Some(Duration::from_secs(5)))
    }));
    assert_eq!(
        r.ok(),
        Some(Err(smolsock::ResolveError::NotFound)),
        "resolve panicked"
    );
}

#[test]
fn a_silent_dns_server_times_out_within_the_one_deadline() {
    let (net, clock) = world(true); // 127.0.0.1:53 configured, nothing answers
    let start = clock.now();
    let client = Client::new(net).with_timeout(Duration::from_secs(2));
    // Issue 18 (7): the error says the deadline ran out while resolving.
    assert_eq!(
        get_raw(&client, "http://web.test/").0,
        Err(HttpError::TimedOut(Phase::Resolve))
    );
    assert_eq!(clock.now() - start, SimDuration::from_secs(2));
    assert_eq!(
        HttpError::TimedOut(Phase::Resolve).to_string(),
        "timed out while resolving the host name"
    );
}

/// Issue 18 (7): every time-out was "timed out", whatever the step. A SYN
/// nobody answers (10.0.0.9 is on the link of the loopback device's second
/// address, and nobody is there) times out while connecting; a server that
/// never answers, while waiting for the response.
#[test]
fn a_time_out_names_the_step_it_ran_out_in() {
    let sim: &'static SimClock = Box::leak(Box::new(SimClock::new()));
    let dev = Box::leak(Box::new(Loopback::new(Medium::Ip)));
    let res = Box::leak(Box::new(StackResources::<4, 4096>::new()));
    let config =
        Config::ip().with_address(smoltcp::wire::IpCidr::new(IpAddress::v4(10, 0, 0, 2), 24));
    let stack = Stack::new(dev, sim, res, config).expect("valid config");
    let start = sim.now();
    let client = Client::new(&stack).with_timeout(Duration::from_secs(4));
    let r = get_raw(&client, "http://10.0.0.9:8080/").0;
    assert_eq!(r, Err(HttpError::TimedOut(Phase::Connect)));
    assert_eq!(sim.now() - start, SimDuration::from_secs(4));
    assert_eq!(
        HttpError::TimedOut(Phase::Connect).to_string(),
        "timed out while connecting"
    );
    let (net, _clock) = world(false);
    let client = Client::new(net).with_timeout(Duration::from_secs(4));
    let _l = listen(net, "127.0.0.1:8081");
    let r = get_raw(&client, "http://127.0.0.1:8081/").0;
    assert_eq!(r, Err(HttpError::TimedOut(Phase::Receive)));
    assert_eq!(
        HttpError::TimedOut(Phase::Receive).to_string(),
        "timed out while waiting for the response"
    );
}

#[test]
fn a_name_without_a_dns_server_is_its_own_error() {
    let (net, _) = world(false);
    let client = Client::new(net);
    assert_eq!(
        get_raw(&client, "http://web.test/").0,
        Err(HttpError::NoDnsServer)
    );
    // Literals and localhost need no DNS: refused, not a resolve error.
    assert_eq!(
        get_raw(&client, "http://localhost:9/").0,
        Err(HttpError::ConnectionRefused)
    );
}
