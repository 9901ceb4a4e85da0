//! Issue 18, item 3, on a real TAP device with the Linux kernel on the far
//! side: `http_get` to a loopback, multicast, broadcast or its own address
//! fails at once with Linux's error, and no frame to 127.0.0.0/8 ever
//! reaches the kernel (before the fix each waited out the whole timeout
//! and a SYN to 127.0.0.1 went out on tap0, through the gateway).

use crate::netns::{self, run_within, stderr_line, Netns, SMOLSOCK_IP, TAP};
use std::time::{Duration, Instant};

/// IPv4 destinations of the Ethernet frames in a pcap file.
fn ipv4_destinations(pcap: &[u8]) -> Vec<[u8; 4]> {
    let mut out = Vec::new();
    let mut at = 24; // global header
    while let Some(rec) = pcap.get(at..at + 16) {
        let len = u32::from_le_bytes([rec[8], rec[9], rec[10], rec[11]]) as usize;
        let frame = pcap.get(at + 16..at + 16 + len).unwrap_or(&[]);
        if frame.get(12..14) == Some(&[0x08, 0x00]) {
            if let Some(d) = frame.get(30..34) {
                out.push([d[0], d[1], d[2], d[3]]);
            }
        }
        at += 16 + len;
    }
    out
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored"]
fn special_destinations_fail_at_once_and_never_leave_on_the_tap() {
    require_tap!();
    let ns = Netns::new();
    let cases = [
        ("http://127.0.0.1:10001/", "network is unreachable"),
        ("http://224.0.0.1/", "network is unreachable"),
        ("http://255.255.255.255/", "network is unreachable"),
        ("http://192.168.69.255/", "network is unreachable"),
        (
            &format!("http://{SMOLSOCK_IP}:8080/") as &str,
            "connection refused",
        ),
    ];
    for (i, (url, want)) in cases.iter().enumerate() {
        let pcap =
            std::env::temp_dir().join(format!("smolsock-special-{}-{i}.pcap", std::process::id()));
        let start = Instant::now();
        let o = run_within(
            ns.command(netns::example("http_get").to_str().unwrap())
                .args([
                    "--tap",
                    TAP,
                    "--timeout",
                    "5",
                    "--pcap",
                    pcap.to_str().unwrap(),
                    url,
                ]),
            Duration::from_secs(30),
        );
        let took = start.elapsed();
        let line = stderr_line(&o);
        assert_ne!(o.status.code(), Some(0), "{url}: {line}");
        assert!(line.contains(want), "{url}: {line}");
        assert!(
            took < Duration::from_secs(4),
            "{url}: at once, not after the timeout ({took:?})"
        );
        let frames = std::fs::read(&pcap).unwrap_or_default();
        let _ = std::fs::remove_file(&pcap);
        assert!(frames.len() >= 24, "{url}: a pcap was written");
        let dsts = ipv4_destinations(&frames);
        assert!(
            dsts.iter().all(|d| d[0] != 127),
            "{url}: a frame to 127/8 was sent: {dsts:?}"
        );
        assert!(dsts.is_empty(), "{url}: nothing sent at all: {dsts:?}");
    }
}
