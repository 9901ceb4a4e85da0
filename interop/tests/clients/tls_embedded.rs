//! Third-party proof for the embedded-io impl: `embedded-tls` 0.19 (blocking,
//! no alloc) does a TLS 1.3 handshake over a smolsock stream socket against a
//! `rustls` 0.23 server, then 20 kB each way, byte-exact.
//!
//! One `Loopback` stack, one thread, simulated time. The rustls server sits
//! behind a non-blocking smolsock socket on the same stack and is serviced
//! from the clock's idle hook: whenever the client's blocking call waits, the
//! server reads what arrived, lets rustls answer, and sends the answer.
//!
//! The first test skips certificate checks (`UnsecureProvider`); the others
//! verify the server's chain against a test CA made with `rcgen`, and refuse a
//! certificate for another name or from another CA.
use crate::common;
use common::addr;
use embedded_tls::blocking::{
    Aes128GcmSha256, Certificate, CryptoProvider, NoClock, TlsConfig, TlsConnection, TlsContext,
    TlsError, TlsVerifier, UnsecureProvider,
};
use embedded_tls::pki::CertVerifier;
use rand_chacha::rand_core::SeedableRng;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use smolsock::{Clock, Config, Domain, Error, Idle, SimClock, Socket, Stack, StackResources, Type};
use smoltcp::phy::{Loopback, Medium};
use smoltcp::time::Instant;
use std::cell::RefCell;
use std::io::{Read as _, Write as _};
use std::sync::Arc;

const BYTES: usize = 20_000;

fn pattern(seed: u32, len: usize) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(seed) >> 3) as u8)
        .collect()
}

/// A simulated clock whose idle hook first runs `hook`; if the hook made
/// progress, the waiting call polls again at the same instant.
struct PumpClock {
    sim: SimClock,
    hook: RefCell<Option<Box<dyn Fn() -> bool>>>,
}

impl Clock for PumpClock {
    fn now(&self) -> Instant {
        self.sim.now()
    }
    fn idle(&self, until: Option<Instant>) -> Idle {
        let progress = self.hook.borrow().as_ref().is_some_and(|h| h());
        if progress {
            Idle::Waited
        } else {
            self.sim.idle(until)
        }
    }
}

/// The server side: a rustls connection behind a non-blocking smolsock socket.
struct TlsServer {
    sock: Socket<'static, 'static>,
    tls: RefCell<rustls::ServerConnection>,
    /// Ciphertext received but not yet taken by rustls.
    inbound: RefCell<Vec<u8>>,
    /// Ciphertext rustls produced but not yet queued on the socket.
    outbound: RefCell<Vec<u8>>,
    /// Plaintext received from the client.
    received: RefCell<Vec<u8>>,
    /// Whether the server has written its 20 kB answer.
    answered: RefCell<bool>,
    /// Whether the client's close_notify arrived.
    closed: RefCell<bool>,
    /// Why rustls gave up on the connection, if it did.
    failed: RefCell<Option<rustls::Error>>,
}

impl TlsServer {
    /// Move bytes one step in every direction; true if anything moved.
    #[track_caller]
    fn pump(&self) -> bool {
        let mut progress = false;
        let mut tls = self.tls.borrow_mut();
        let mut inbound = self.inbound.borrow_mut();
        let mut outbound = self.outbound.borrow_mut();
        // Network → rustls.
        let mut buf = [0u8; 4096];
        loop {
            match self.sock.recv(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    inbound.extend_from_slice(&buf[..n]);
                    progress = true;
                }
                Err(Error::WouldBlock) => break,
                Err(e) => panic!("server recv: {e}"),
            }
        }
        while !inbound.is_empty() {
            let mut rd: &[u8] = &inbound;
            let n = tls.read_tls(&mut rd).expect("read_tls");
            inbound.drain(..n);
            if let Err(e) = tls.process_new_packets() {
                *self.failed.borrow_mut() = Some(e);
                inbound.clear();
                break;
            }
            if n == 0 {
                break;
            }
        }
        // rustls → application: collect, answer once everything arrived.
        let mut plain = [0u8; 4096];
        loop {
            match tls.reader().read(&mut plain) {
                Ok(0) => {
                    *self.closed.borrow_mut() = true;
                    break;
                }
                Ok(n) => {
                    self.received.borrow_mut().extend_from_slice(&plain[..n]);
                    progress = true;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("server plaintext: {e}"),
            }
        }
        if self.received.borrow().len() == BYTES && !*self.answered.borrow() {
            tls.writer()
                .write_all(&pattern(40503, BYTES))
                .expect("queue answer");
            *self.answered.borrow_mut() = true;
            progress = true;
        }
        // rustls → network.
        while tls.wants_write() {
            tls.write_tls(&mut *outbound).expect("write_tls");
        }
        if !outbound.is_empty() {
            match self.sock.send(&outbound) {
                Ok(n) => {
                    outbound.drain(..n);
                    progress = true;
                }
                Err(Error::WouldBlock) => {}
                Err(e) => panic!("server send: {e}"),
            }
        }
        progress
    }
}

/// A self-signed certificate for `localhost`, as (certificate, key).
#[track_caller]
fn self_signed() -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("rcgen");
    let cert: CertificateDer<'static> = key.cert.der().clone();
    let pkey = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()));
    (cert, pkey)
}

/// A test CA (DER) and a `localhost` certificate it signed, with its key.
#[track_caller]
fn ca_and_leaf() -> (Vec<u8>, CertificateDer<'static>, PrivateKeyDer<'static>) {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "smolsock test CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("leaf params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf certificate");
    let pkey = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    (ca_cert.der().to_vec(), leaf.der().clone(), pkey)
}

#[track_caller]
fn server_config(
    cert: CertificateDer<'static>,
    pkey: PrivateKeyDer<'static>,
) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .with_no_client_auth()
        .with_single_cert(vec![cert], pkey)
        .expect("certificate");
    Arc::new(cfg)
}

/// 20 kB client → server in uneven pieces, then 20 kB back; both byte-exact.
#[track_caller]
fn exchange_20_kb_each_way<P>(
    tls: &mut TlsConnection<'_, Socket<'static, 'static>, P>,
    server: &TlsServer,
) where
    P: embedded_tls::blocking::TlsCipherSuite + 'static,
{
    // 20 kB client → server, in uneven pieces.
    let up = pattern(2654435761, BYTES);
    for chunk in up.chunks(1777) {
        embedded_io::Write::write_all(tls, chunk).expect("tls write");
    }
    embedded_io::Write::flush(tls).expect("tls flush");

    // 20 kB server → client.
    let mut down = vec![0u8; BYTES];
    embedded_io::Read::read_exact(tls, &mut down).expect("tls read");
    assert_eq!(
        *server.received.borrow(),
        up,
        "server got the client's 20 kB exactly"
    );
    assert_eq!(
        down,
        pattern(40503, BYTES),
        "client got the server's 20 kB exactly"
    );
}

fn leak<T>(t: T) -> &'static mut T {
    Box::leak(Box::new(t))
}

/// One Loopback stack on a pumping simulated clock; a TCP connection on
/// `port`; the rustls server (with `config`) behind its accepted end, pumped
/// from the clock's idle hook. Returns the client's blocking socket.
#[track_caller]
fn setup(
    port: u16,
    config: Arc<rustls::ServerConfig>,
) -> (Socket<'static, 'static>, &'static TlsServer) {
    let clock: &'static PumpClock = leak(PumpClock {
        sim: SimClock::new(),
        hook: RefCell::new(None),
    });
    let dev = leak(Loopback::new(Medium::Ip));
    let res = leak(StackResources::<4, 8192>::new());
    let stack: &'static Stack<'static> =
        leak(Stack::new(dev, clock, res, Config::loopback()).expect("valid config"));

    // TCP first: a listener, a non-blocking connect, accept.
    let listener = Socket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
    listener.bind(addr(&format!("127.0.0.1:{port}"))).unwrap();
    listener.listen(1).unwrap();
    let client = Socket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
    client.set_nonblocking(true).unwrap();
    assert_eq!(
        client.connect(addr(&format!("127.0.0.1:{port}"))),
        Err(Error::WouldBlock)
    );
    let (sock, _) = listener.accept().unwrap();
    client.set_nonblocking(false).unwrap();
    assert_eq!(client.connect(addr(&format!("127.0.0.1:{port}"))), Ok(()));
    sock.set_nonblocking(true).unwrap();

    let server: &'static TlsServer = leak(TlsServer {
        sock,
        tls: RefCell::new(rustls::ServerConnection::new(config).expect("server")),
        inbound: RefCell::new(Vec::new()),
        outbound: RefCell::new(Vec::new()),
        received: RefCell::new(Vec::new()),
        answered: RefCell::new(false),
        closed: RefCell::new(false),
        failed: RefCell::new(None),
    });
    *clock.hook.borrow_mut() = Some(Box::new(|| server.pump()));
    (client, server)
}

#[test]
fn embedded_tls_handshake_and_20_kb_each_way_against_rustls() {
    let (cert, pkey) = self_signed();
    let (client, server) = setup(4433, server_config(cert, pkey));

    // The client: embedded-tls over the socket's embedded-io impl. A 16 KiB
    // record plus overhead must fit the read buffer; rustls refuses records
    // over 16 KiB + 256, so writes go out in records of less than 4 KiB.
    let mut read_buf = vec![0u8; 16_640];
    let mut write_buf = vec![0u8; 4096];
    let mut tls: TlsConnection<'_, Socket<'static, 'static>, Aes128GcmSha256> =
        TlsConnection::new(client, &mut read_buf, &mut write_buf);
    let config = TlsConfig::new().with_server_name("localhost");
    let rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
    tls.open(TlsContext::new(
        &config,
        UnsecureProvider::new::<Aes128GcmSha256>(rng),
    ))
    .expect("TLS 1.3 handshake");
    // The client's Finished is on its way: let the server take it.
    while server.pump() {}
    {
        let srv = server.tls.borrow();
        assert!(!srv.is_handshaking());
        assert_eq!(
            srv.protocol_version(),
            Some(rustls::ProtocolVersion::TLSv1_3)
        );
        assert_eq!(
            srv.negotiated_cipher_suite().map(|s| s.suite()),
            Some(rustls::CipherSuite::TLS13_AES_128_GCM_SHA256)
        );
        assert_eq!(srv.server_name(), Some("localhost"));
    }

    exchange_20_kb_each_way(&mut tls, server);

    // close_notify reaches the server; the socket comes back.
    assert!(!*server.closed.borrow());
    let sock = tls.close().map_err(|(_, e)| e).expect("close_notify");
    while server.pump() {}
    assert!(
        *server.closed.borrow(),
        "the server read the client's close_notify"
    );
    assert!(server.inbound.borrow().is_empty() && server.outbound.borrow().is_empty());
    sock.shutdown(smolsock::Shutdown::Write).unwrap();
}

/// embedded-tls verifying the server's certificate against a CA, through
/// the same socket impl: no clock, so validity dates are not checked.
struct VerifyingProvider {
    rng: rand_chacha::ChaCha20Rng,
    verifier: CertVerifier<'static, Aes128GcmSha256, NoClock, 4096>,
}

impl CryptoProvider for VerifyingProvider {
    type CipherSuite = Aes128GcmSha256;
    type Signature = &'static [u8];

    fn rng(&mut self) -> impl embedded_tls::CryptoRngCore {
        &mut self.rng
    }

    fn verifier(&mut self) -> Result<&mut impl TlsVerifier<Aes128GcmSha256>, TlsError> {
        Ok(&mut self.verifier)
    }
}

/// Open a verifying client connection for `server_name`, trusting `ca`.
fn open_verified(
    client: Socket<'static, 'static>,
    ca: &'static [u8],
    server_name: &str,
) -> Result<TlsConnection<'static, Socket<'static, 'static>, Aes128GcmSha256>, TlsError> {
    let read_buf = leak(vec![0u8; 16_640]);
    let write_buf = leak(vec![0u8; 4096]);
    let mut tls = TlsConnection::new(client, read_buf, write_buf);
    let config = TlsConfig::new().with_server_name(server_name);
    let provider = VerifyingProvider {
        rng: rand_chacha::ChaCha20Rng::seed_from_u64(12),
        verifier: CertVerifier::new(Certificate::X509(ca)),
    };
    tls.open(TlsContext::new(&config, provider))?;
    Ok(tls)
}

#[test]
fn embedded_tls_verifies_the_rustls_servers_certificate_chain() {
    let (ca, leaf, pkey) = ca_and_leaf();
    let ca: &'static [u8] = leak(ca);
    let (client, server) = setup(4434, server_config(leaf, pkey));
    let mut tls = open_verified(client, ca, "localhost").expect("verified TLS 1.3 handshake");
    while server.pump() {}
    assert!(!server.tls.borrow().is_handshaking());
    exchange_20_kb_each_way(&mut tls, server);
}

#[test]
fn embedded_tls_refuses_a_certificate_for_another_name() {
    let (ca, leaf, pkey) = ca_and_leaf();
    let ca: &'static [u8] = leak(ca);
    let (client, _server) = setup(4435, server_config(leaf, pkey));
    let r = open_verified(client, ca, "not-localhost").map(|_| ());
    assert!(matches!(r, Err(TlsError::InvalidCertificate)), "{r:?}");
}

#[test]
fn embedded_tls_refuses_a_certificate_from_another_ca() {
    let (ca, _, _) = ca_and_leaf();
    let ca: &'static [u8] = leak(ca);
    let (cert, pkey) = self_signed();
    let (client, _server) = setup(4436, server_config(cert, pkey));
    let r = open_verified(client, ca, "localhost").map(|_| ());
    assert!(
        matches!(r, Err(TlsError::InvalidCertificate)),
        "a certificate our CA did not sign: {r:?}"
    );
}
