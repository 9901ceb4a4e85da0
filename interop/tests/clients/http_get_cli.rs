//! `http_get --features tls` over a TAP device against OpenSSL (moved from
//! the root's tests/tap/http_get_cli.rs: it needs `rcgen`). The example must be
//! built with the feature first: `cargo build --examples --features tls`.

use crate::netns::{self, run_within as run, stderr_line};

use std::time::Duration;

/// A TLS 1.3 server (Python's ssl, OpenSSL) on 192.168.69.1:8443 with the
/// certificate and key given; answers every request with `REPLY`.
const TLS_SERVER: &str = r#"
import socket, ssl, sys, time
IP = "192.168.69.1"
REPLY = b"HTTP/1.0 200 OK\r\nContent-Length: 13\r\n\r\nhello, https\n"
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((IP, 8443))
s.listen(8)
open(sys.argv[1], "w").write("ready")
while True:
    c, _ = s.accept()
    try:
        t = ctx.wrap_socket(c, server_side=True)
        data = b""
        while not data.endswith(b"\r\n\r\n"):
            more = t.recv(4096)
            if not more:
                break
            data += more
        t.sendall(REPLY)
        t.close()
    except Exception:
        c.close()
"#;

/// `http_get --features tls` end to end over a TAP device against OpenSSL:
/// verified with `--cacert` (PEM), refused with another CA (exit 2, one
/// line), accepted with `--insecure`.
#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn http_get_fetches_https_over_tap_verifying_the_certificate() {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    require_tap!();
    let dir = netns::scratch_dir("https-cli");
    let ca = |name: &str| {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, name);
        let cert = p.self_signed(&key).unwrap();
        (cert.pem(), Issuer::new(p, key))
    };
    let (ca_pem, issuer) = ca("smolsock test CA");
    let (other_pem, _) = ca("another CA");
    // embedded-tls matches names, not iPAddress entries: the IP as the
    // common name (no subjectAltName) is what it can verify.
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, netns::LINUX_IP);
    let cert = p.signed_by(&key, &issuer).unwrap();
    for (file, text) in [
        ("ca.pem", ca_pem),
        ("other.pem", other_pem),
        ("server.pem", cert.pem()),
        ("server.key", key.serialize_pem()),
    ] {
        std::fs::write(dir.join(file), text).unwrap();
    }
    let ns = netns::Netns::new();
    let _server = ns.python(
        &dir,
        "server.py",
        TLS_SERVER,
        &[&dir.join("server.pem"), &dir.join("server.key")],
    );
    let url = format!("https://{}:8443/", netns::LINUX_IP);
    let get = |extra: &[&str]| {
        let exe = netns::example("http_get");
        run(
            ns.command(exe.to_str().unwrap())
                .args(["--tap", netns::TAP, "--timeout", "10"])
                .args(extra)
                .arg(&url),
            Duration::from_secs(30),
        )
    };
    let reply = b"HTTP/1.0 200 OK\r\nContent-Length: 13\r\n\r\nhello, https\n";

    let ca = dir.join("ca.pem");
    let o = get(&["--cacert", ca.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(o.stdout, reply);
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let other = dir.join("other.pem");
    let o = get(&["--cacert", other.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        stderr_line(&o).contains("TLS: certificate verification failed"),
        "{o:?}"
    );
    assert!(o.stdout.is_empty());

    let o = get(&["--insecure"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(o.stdout, reply);
    drop(ns);
    let _ = std::fs::remove_dir_all(&dir);
}
