//! `cargo run --example loopback -- --pcap FILE` (issue 11): one pcap file
//! with both demos' packets, each packet once (`PcapMode::TxOnly` on
//! `Loopback`), readable by `tshark -r FILE`. No privileges needed.

use crate::netns;

use std::process::Command;

/// The packets of a classic pcap file, after checking its global header.
fn packets(file: &[u8]) -> Vec<&[u8]> {
    let u32_at = |at: usize| u32::from_ne_bytes(file[at..at + 4].try_into().unwrap());
    assert_eq!(u32_at(0), 0xa1b2_c3d4, "pcap magic");
    assert_eq!(
        &file[4..8],
        [2u16.to_ne_bytes(), 4u16.to_ne_bytes()].concat()
    );
    assert_eq!(u32_at(20), 101, "link type: raw IP (Medium::Ip)");
    let mut out = Vec::new();
    let mut at = 24;
    while at < file.len() {
        let (captured, original) = (u32_at(at + 8) as usize, u32_at(at + 12) as usize);
        assert_eq!(captured, original, "nothing truncated");
        out.push(&file[at + 16..at + 16 + captured]);
        at += 16 + captured;
    }
    assert_eq!(at, file.len(), "no torn record");
    out
}

#[test]
fn the_loopback_demo_writes_each_packet_once_to_one_pcap_file() {
    let path = std::env::temp_dir().join(format!("smolsock-loopback-{}.pcap", std::process::id()));
    let o = Command::new(netns::example("loopback"))
        .arg("--pcap")
        .arg(&path)
        .output()
        .expect("run the loopback example");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("tshark -r"), "{stdout}");
    let file = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let pk = packets(&file);
    // IPv4/TCP; SYNs (without ACK): the line demo's four clients and the
    // HTTP client, once each: had every packet been written on send and on
    // receive, each would appear twice.
    assert!(pk.iter().all(|p| p[0] >> 4 == 4 && p[9] == 6));
    let syns = pk
        .iter()
        .filter(|p| {
            let ihl = usize::from(p[0] & 0x0f) * 4;
            p[ihl + 13] & 0x12 == 0x02
        })
        .count();
    assert_eq!(syns, 5);
    assert!(
        pk.windows(2).all(|w| w[0] != w[1]),
        "a packet written twice"
    );
    // The HTTP exchange is in it, byte-exact in one segment each way.
    let has = |needle: &[u8]| {
        pk.iter()
            .any(|p| p.windows(needle.len()).any(|w| w == needle))
    };
    assert!(has(b"GET /hello.txt HTTP/1.0\r\nHost: 127.0.0.1:8080\r\n"));
    assert!(has(b"Hello from smolsock!"));

    // Without --pcap: no file, same demo.
    let o = Command::new(netns::example("loopback")).output().unwrap();
    assert!(o.status.success());
    assert!(!String::from_utf8_lossy(&o.stdout).contains("tshark"));
    let o = Command::new(netns::example("loopback"))
        .arg("--pcap")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: --pcap needs a value\n"
    );
}
