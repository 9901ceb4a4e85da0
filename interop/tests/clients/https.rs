//! `https://` in the HTTP client (feature `tls`, issue 11): embedded-tls on
//! the client side against a rustls 0.23 server, both on one `Loopback`
//! stack in one thread, on simulated time.
//!
//! The client blocks; the rustls server is a non-blocking smolsock socket
//! driven from the clock's idle hook (as the HTTP servers of
//! tests/programs/http_loopback.rs are): whenever a blocking call would sleep, the
//! hook moves the server's TLS records first, and time only jumps when it
//! has nothing to do. Certificates come from `rcgen`: a test CA and a
//! server certificate for `localhost`, ECDSA P-256 (what embedded-tls can
//! verify without a heap). The client's RNG is seeded: runs are repeatable.

mod with_tls {

    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SignatureAlgorithm,
    };
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use rustls::ServerConnection;
    use smolsock::http::{
        Client, HttpError, Https, Part, Phase, ResponseParser, TlsBuffers, TlsClock, TlsFailure,
        Verify, CHUNK,
    };
    use smolsock::{
        Clock, Config, Domain, Error, Idle, SimClock, Socket, Stack, StackResources, Type,
    };
    use smoltcp::phy::{Loopback, Medium};
    use smoltcp::time::{Duration as SimDuration, Instant};
    use std::cell::RefCell;
    use std::io::{Read, Write};
    use std::ops::ControlFlow;
    use std::rc::Rc;
    use std::sync::Arc;
    use std::time::Duration;

    type Sock = Socket<'static, 'static>;
    type Net = &'static Stack<'static>;
    type Hook = Box<dyn FnMut() -> bool>;

    /// A simulated clock that runs a hook (true: it made progress) before it
    /// lets time pass.
    struct HookClock {
        sim: SimClock,
        hook: RefCell<Option<Hook>>,
        /// Rounds in a row with progress: a spinning server fails the test
        /// instead of running forever.
        busy: std::cell::Cell<u32>,
    }

    impl Clock for HookClock {
        fn now(&self) -> Instant {
            self.sim.now()
        }
        fn idle(&self, until: Option<Instant>) -> Idle {
            let progress = match self.hook.borrow_mut().as_mut() {
                Some(hook) => hook(),
                None => false,
            };
            if progress {
                self.busy.set(self.busy.get() + 1);
                assert!(self.busy.get() < 1_000_000, "the test server spins");
                Idle::Waited
            } else {
                self.busy.set(0);
                self.sim.idle(until)
            }
        }
    }

    fn world() -> (Net, &'static HookClock) {
        let clock: &'static HookClock = Box::leak(Box::new(HookClock {
            sim: SimClock::new(),
            hook: RefCell::new(None),
            busy: std::cell::Cell::new(0),
        }));
        let dev = Box::leak(Box::new(Loopback::new(Medium::Ip)));
        let res = Box::leak(Box::new(StackResources::<8, 32768>::new()));
        let stack: Net = Box::leak(Box::new(
            Stack::new(dev, clock, res, Config::loopback()).expect("valid config"),
        ));
        (stack, clock)
    }

    /// A deterministic RNG for the client (xorshift64*; a test needs
    /// repeatability, not secrecy).
    struct TestRng(u64);

    impl rand_core::RngCore for TestRng {
        fn next_u32(&mut self) -> u32 {
            self.next_u64() as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for chunk in dest.chunks_mut(8) {
                let v = self.next_u64().to_le_bytes();
                chunk.copy_from_slice(&v[..chunk.len()]);
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    impl rand_core::CryptoRng for TestRng {}

    /// A CA and a server certificate it signed, for `names`.
    struct Pki {
        ca_der: Vec<u8>,
        chain: Vec<CertificateDer<'static>>,
        key: Vec<u8>,
    }

    fn pki(alg: &'static SignatureAlgorithm, names: &[&str]) -> Pki {
        pki_valid(alg, names, None)
    }

    /// `pki`, with the server certificate valid from one year to another.
    fn pki_valid(
        alg: &'static SignatureAlgorithm,
        names: &[&str],
        years: Option<(i32, i32)>,
    ) -> Pki {
        let ca_key = KeyPair::generate_for(alg).unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "smolsock test CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate_for(alg).unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "smolsock test server");
        if let Some((from, to)) = years {
            params.not_before = rcgen::date_time_ymd(from, 1, 1);
            params.not_after = rcgen::date_time_ymd(to, 1, 1);
        }
        let cert = params.signed_by(&key, &issuer).unwrap();
        Pki {
            ca_der: ca_cert.der().to_vec(),
            chain: vec![cert.der().clone()],
            key: key.serialize_der(),
        }
    }

    fn server_config(pki: &Pki) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                pki.chain.clone(),
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key.clone())),
            )
            .unwrap();
        Arc::new(config)
    }

    /// How the server ends each connection after its reply.
    #[derive(Clone, Copy, PartialEq)]
    enum End {
        /// `close_notify`, then FIN.
        CloseNotify,
        /// FIN without `close_notify`.
        Fin,
        /// Never reply, never close.
        Silent,
    }

    /// What the server saw, shared with the test.
    #[derive(Default)]
    struct Seen {
        requests: Vec<Vec<u8>>,
        /// rustls's verdict on a failed handshake (e.g. the client's alert).
        errors: Vec<String>,
    }

    /// A rustls HTTPS server, one connection at a time, every request answered
    /// with `reply`.
    struct TlsServer {
        listener: Sock,
        config: Arc<rustls::ServerConfig>,
        conn: Option<(Sock, ServerConnection, Vec<u8>, bool)>,
        reply: Vec<u8>,
        end: End,
        seen: Rc<RefCell<Seen>>,
    }

    impl TlsServer {
        fn start(
            net: Net,
            clock: &HookClock,
            port: u16,
            pki: &Pki,
            reply: &[u8],
            end: End,
        ) -> Rc<RefCell<Seen>> {
            let listener = Socket::new(net, Domain::IPV4, Type::STREAM).unwrap();
            listener.set_reuse_address(true).unwrap();
            listener
                .bind(format!("127.0.0.1:{port}").parse().unwrap())
                .unwrap();
            listener.listen(2).unwrap();
            listener.set_nonblocking(true).unwrap();
            let seen = Rc::new(RefCell::new(Seen::default()));
            let mut server = TlsServer {
                listener,
                config: server_config(pki),
                conn: None,
                reply: reply.to_vec(),
                end,
                seen: seen.clone(),
            };
            *clock.hook.borrow_mut() = Some(Box::new(move || server.service()));
            seen
        }

        /// One round of work; true when anything happened.
        fn service(&mut self) -> bool {
            let mut progress = false;
            if self.conn.is_none() {
                match self.listener.accept() {
                    Ok((s, _)) => {
                        s.set_nonblocking(true).unwrap();
                        let mut tls = ServerConnection::new(self.config.clone()).unwrap();
                        tls.set_buffer_limit(None); // a 1 MiB reply is queued at once
                        self.conn = Some((s, tls, Vec::new(), false));
                        progress = true;
                    }
                    Err(Error::WouldBlock) => return false,
                    Err(e) => panic!("accept: {e}"),
                }
            }
            let Some((mut sock, mut tls, mut request, mut replied)) = self.conn.take() else {
                unreachable!()
            };
            let mut done = false;
            // Records in.
            while tls.wants_read() {
                match tls.read_tls(&mut sock) {
                    Ok(0) => {
                        done = true;
                        break;
                    }
                    Ok(_) => {
                        progress = true;
                        if let Err(e) = tls.process_new_packets() {
                            self.seen.borrow_mut().errors.push(e.to_string());
                            let _ = tls.write_tls(&mut sock); // the alert
                            done = true;
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(_) => {
                        done = true;
                        break;
                    }
                }
            }
            // Plaintext in, the reply out.
            let mut buf = [0u8; 4096];
            loop {
                match tls.reader().read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        request.extend_from_slice(&buf[..n]);
                        progress = true;
                    }
                    Err(_) => break,
                }
            }
            if !replied && request.ends_with(b"\r\n\r\n") {
                // Taken: a silent server keeps it and never answers.
                self.seen
                    .borrow_mut()
                    .requests
                    .push(std::mem::take(&mut request));
                if self.end != End::Silent {
                    tls.writer().write_all(&self.reply).unwrap();
                    if self.end == End::CloseNotify {
                        tls.send_close_notify();
                    }
                    replied = true;
                }
                progress = true;
            }
            // Records out.
            while tls.wants_write() {
                match tls.write_tls(&mut sock) {
                    Ok(_) => progress = true,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(_) => {
                        done = true;
                        break;
                    }
                }
            }
            if done || (replied && !tls.wants_write()) {
                // All queued: close (FIN after the queued data).
                drop(sock);
                return true;
            }
            self.conn = Some((sock, tls, request, replied));
            progress
        }
    }

    fn request_for(target: &str, host: &str) -> Vec<u8> {
        format!(
            "GET {target} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: {}\r\nConnection: close\r\n\r\n",
            // smolsock's version, not this test crate's (tests/programs/http_loopback.rs pins the text).
            smolsock::http::USER_AGENT
        )
        .into_bytes()
    }

    /// Raw GET over TLS: (result, bytes, largest chunk).
    fn get_raw(
        net: Net,
        url: &str,
        verify: Verify<'_>,
    ) -> (Result<u64, HttpError>, Vec<u8>, usize) {
        let mut buffers = Box::new(TlsBuffers::<16640, 4096>::new());
        let mut https = Https::new(&mut buffers, TestRng(0x5eed_1234_5678_9abc), verify);
        let mut got = Vec::new();
        let mut largest = 0;
        let r = Client::new(net).get_raw_tls(url, &mut https, |chunk| {
            largest = largest.max(chunk.len());
            got.extend_from_slice(chunk);
            ControlFlow::Continue(())
        });
        (r, got, largest)
    }

    const PAGE: &[u8] =
    b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n\r\nHello over TLS 1.3!\r\n";

    #[test]
    fn a_page_over_verified_tls_arrives_byte_exact() {
        let (net, clock) = world();
        let pki = pki(&rcgen::PKCS_ECDSA_P256_SHA256, &["localhost"]);
        let seen = TlsServer::start(net, clock, 8443, &pki, PAGE, End::CloseNotify);
        let start = clock.now();
        let (r, got, _) = get_raw(
            net,
            "https://localhost:8443/hello.txt",
            Verify::Ca(&pki.ca_der),
        );
        assert_eq!(r, Ok(PAGE.len() as u64));
        assert_eq!(got, PAGE);
        assert_eq!(
            seen.borrow().requests,
            vec![request_for("/hello.txt", "localhost:8443")]
        );
        assert!(
            seen.borrow().errors.is_empty(),
            "{:?}",
            seen.borrow().errors
        );
        assert!(clock.now() - start < SimDuration::from_secs(1));

        // Parsed: the head, then the body.
        let mut buffers = Box::new(TlsBuffers::<16640, 4096>::new());
        let mut https = Https::new(&mut buffers, TestRng(7), Verify::Ca(&pki.ca_der));
        let mut parser = ResponseParser::<1024>::new();
        let (mut code, mut body) = (0, Vec::new());
        let r = Client::new(net).get_tls("https://localhost:8443/", &mut https, &mut parser, |p| {
            match p {
                Part::Head(h) => code = h.code(),
                Part::Body(b) => body.extend_from_slice(b),
            }
            ControlFlow::Continue(())
        });
        assert_eq!(
            (r, code, body.as_slice()),
            (Ok(21), 200, &b"Hello over TLS 1.3!\r\n"[..])
        );
        // Plain http:// through the same call still works (no TLS).
        assert_eq!(
            get_raw(net, "http://127.0.0.1:8444/", Verify::Insecure).0,
            Err(HttpError::ConnectionRefused)
        );
    }

    #[test]
    fn one_mebibyte_over_tls_in_chunks_of_at_most_1024() {
        let (net, clock) = world();
        let pki = pki(&rcgen::PKCS_ECDSA_P256_SHA256, &["localhost"]);
        let body: Vec<u8> = (0..1usize << 20).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut reply =
            format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        reply.extend_from_slice(&body);
        TlsServer::start(net, clock, 8443, &pki, &reply, End::Fin);
        // The server ends with FIN and no close_notify: the end of the stream
        // ends the response; the Content-Length says it is complete.
        let (r, got, largest) = get_raw(net, "https://localhost:8443/big", Verify::Ca(&pki.ca_der));
        assert_eq!(r, Ok(reply.len() as u64));
        assert!(got == reply, "bytes differ");
        assert!(largest > 0 && largest <= CHUNK, "{largest}");
    }

    #[test]
    fn a_certificate_from_another_ca_is_refused_and_accepted_with_insecure() {
        let (net, clock) = world();
        let pki = pki(&rcgen::PKCS_ECDSA_P256_SHA256, &["localhost"]);
        let other = pki_other_ca();
        let seen = TlsServer::start(net, clock, 8443, &pki, PAGE, End::CloseNotify);
        let (r, got, _) = get_raw(net, "https://localhost:8443/", Verify::Ca(&other));
        assert_eq!(
            (r, got.len()),
            (Err(HttpError::Tls(TlsFailure::Certificate)), 0)
        );
        assert!(
            seen.borrow().requests.is_empty(),
            "no request on a failed handshake"
        );
        let (r, got, _) = get_raw(net, "https://localhost:8443/", Verify::Insecure);
        assert_eq!((r, got.as_slice()), (Ok(PAGE.len() as u64), PAGE));
    }

    fn pki_other_ca() -> Vec<u8> {
        pki(&rcgen::PKCS_ECDSA_P256_SHA256, &["localhost"]).ca_der
    }

    #[test]
    fn a_certificate_for_another_name_is_refused() {
        let (net, clock) = world();
        let pki = pki(&rcgen::PKCS_ECDSA_P256_SHA256, &["web.test"]);
        TlsServer::start(net, clock, 8443, &pki, PAGE, End::CloseNotify);
        let refused = Err(HttpError::Tls(TlsFailure::Certificate));
        assert_eq!(
            get_raw(net, "https://localhost:8443/", Verify::Ca(&pki.ca_der)).0,
            refused
        );
        // An IP literal: embedded-tls matches DNS names only (the common name
        // and dNSName entries), not iPAddress entries, so a certificate for
        // 127.0.0.1 (an iPAddress SAN, as it should be) cannot be verified:
        // refused, never accepted unverified; --insecure reaches it.
        let ip = self::pki(&rcgen::PKCS_ECDSA_P256_SHA256, &["127.0.0.1"]);
        TlsServer::start(net, clock, 8445, &ip, PAGE, End::CloseNotify);
        assert_eq!(
            get_raw(net, "https://127.0.0.1:8445/", Verify::Ca(&ip.ca_der)).0,
            refused
        );
        let (r, got, _) = get_raw(net, "https://127.0.0.1:8445/", Verify::Insecure);
        assert_eq!((r, got.as_slice()), (Ok(PAGE.len() as u64), PAGE));
    }

    /// embedded-tls verifies ECDSA P-256 only (without a heap and without its
    /// optional `p384`/`ed25519` features): other certificates are refused as
    /// such, and work with `Verify::Insecure`.
    #[test]
    fn certificates_it_cannot_verify_are_unsupported_algorithm() {
        for alg in [&rcgen::PKCS_ECDSA_P384_SHA384, &rcgen::PKCS_ED25519] {
            let (net, clock) = world();
            let pki = pki(alg, &["localhost"]);
            TlsServer::start(net, clock, 8443, &pki, PAGE, End::CloseNotify);
            assert_eq!(
                get_raw(net, "https://localhost:8443/", Verify::Ca(&pki.ca_der)).0,
                Err(HttpError::Tls(TlsFailure::UnsupportedAlgorithm)),
                "{alg:?}"
            );
            let (r, got, _) = get_raw(net, "https://localhost:8443/", Verify::Insecure);
            assert_eq!(
                (r, got.as_slice()),
                (Ok(PAGE.len() as u64), PAGE),
                "{alg:?}"
            );
        }
    }

    /// Issue 10's two failures over TLS too.
    #[test]
    fn empty_reply_and_partial_body_over_tls() {
        let (net, clock) = world();
        let pki = pki(&rcgen::PKCS_ECDSA_P256_SHA256, &["localhost"]);
        TlsServer::start(net, clock, 8443, &pki, b"", End::CloseNotify);
        assert_eq!(
            get_raw(net, "https://localhost:8443/", Verify::Ca(&pki.ca_der)),
            (Err(HttpError::EmptyReply), vec![], 0)
        );
        let cut = b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nonly this";
        for (port, end) in [(8444, End::CloseNotify), (8445, End::Fin)] {
            TlsServer::start(net, clock, port, &pki, cut, end);
            let (r, got, _) = get_raw(
                net,
                &format!("https://localhost:{port}/"),
                Verify::Ca(&pki.ca_der),
            );
            assert_eq!(
                (r, got.as_slice()),
                (
                    Err(HttpError::PartialBody {
                        expected: 100,
                        received: 9
                    }),
                    &cut[..]
                )
            );
        }
    }

    #[test]
    fn a_server_that_never_answers_times_out_at_the_one_deadline() {
        let (net, clock) = world();
        // Nobody accepts: the handshake never starts.
        let l = Socket::new(net, Domain::IPV4, Type::STREAM).unwrap();
        l.bind("127.0.0.1:8443".parse().unwrap()).unwrap();
        l.listen(1).unwrap();
        let start = clock.now();
        let mut buffers = Box::new(TlsBuffers::<16640, 4096>::new());
        let mut https = Https::new(&mut buffers, TestRng(1), Verify::Insecure);
        let client = Client::new(net).with_timeout(Duration::from_millis(2500));
        let r = client.get_raw_tls("https://localhost:8443/", &mut https, |_| {
            ControlFlow::Continue(())
        });
        assert_eq!(r, Err(HttpError::TimedOut(Phase::Handshake)));
        assert_eq!(clock.now() - start, SimDuration::from_millis(2500));
        drop(l);

        // Handshake done, request read, no reply ever.
        let pki = pki(&rcgen::PKCS_ECDSA_P256_SHA256, &["localhost"]);
        let seen = TlsServer::start(net, clock, 8444, &pki, PAGE, End::Silent);
        let start = clock.now();
        let r = client.get_raw_tls("https://localhost:8444/", &mut https, |_| {
            ControlFlow::Continue(())
        });
        assert_eq!(r, Err(HttpError::TimedOut(Phase::Receive)));
        assert_eq!(clock.now() - start, SimDuration::from_millis(2500));
        assert_eq!(
            seen.borrow().requests,
            vec![request_for("/", "localhost:8444")]
        );
    }

    /// A fixed calendar clock: 2030-01-01 (Unix time 1 893 456 000).
    struct In2030;

    impl TlsClock for In2030 {
        fn now() -> Option<u64> {
            Some(1_893_456_000)
        }
    }

    /// Validity dates are checked only with a clock (`Https::with_clock`):
    /// without one (the default; the stack has no calendar time) an expired
    /// certificate passes, with one it is refused, and a current one passes.
    #[test]
    fn validity_dates_are_checked_with_a_clock_only() {
        /// GET from a fresh world whose server has a certificate valid
        /// `years`, with the 2030 clock or without a clock.
        fn get(years: (i32, i32), with_clock: bool) -> (Result<u64, HttpError>, Vec<u8>) {
            let (net, clock) = world();
            let pki = pki_valid(&rcgen::PKCS_ECDSA_P256_SHA256, &["localhost"], Some(years));
            TlsServer::start(net, clock, 8443, &pki, PAGE, End::CloseNotify);
            let mut buffers = Box::new(TlsBuffers::<16640, 4096>::new());
            let https = Https::new(&mut buffers, TestRng(3), Verify::Ca(&pki.ca_der));
            let mut got = Vec::new();
            let client = Client::new(net);
            let url = "https://localhost:8443/";
            let sink = |chunk: &[u8]| {
                got.extend_from_slice(chunk);
                ControlFlow::Continue(())
            };
            let r = if with_clock {
                client.get_raw_tls(url, &mut https.with_clock::<In2030>(), sink)
            } else {
                let mut https = https;
                client.get_raw_tls(url, &mut https, sink)
            };
            (r, got)
        }
        let ok = (Ok(PAGE.len() as u64), PAGE.to_vec());
        let refused = (Err(HttpError::Tls(TlsFailure::Certificate)), vec![]);
        assert_eq!(get((2000, 2001), false), ok, "expired, no clock: passes");
        assert_eq!(get((2000, 2001), true), refused, "expired");
        assert_eq!(get((2025, 2035), true), ok, "current");
        assert_eq!(get((2031, 2035), true), refused, "not yet valid");
    }
}
