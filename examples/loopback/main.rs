//! `cargo run --example loopback [-- --pcap FILE]`: everything on smoltcp's
//! `Loopback` device in one process, no privileges: the line server with a
//! client, then the HTTP client against a small HTTP server. Each side's
//! output is shown.
//!
//! `--pcap FILE` writes every packet of both demos to FILE (read it with
//! `tshark -r FILE`). On `Loopback` every packet sent is also the packet
//! received, so the capture is `PcapMode::TxOnly`: each packet once.

mod http;
mod line;

use smolsock::smoltcp::phy::{Loopback, PcapLinkType, PcapMode, PcapSink, PcapWriter};
use std::cell::RefCell;
use std::io::Write;

const USAGE: &str = "usage: loopback [--pcap FILE]";

/// The capture file both demos write to, if `--pcap` was given.
struct Capture {
    out: std::io::BufWriter<std::fs::File>,
    header_written: bool,
    error: Option<std::io::Error>,
}

thread_local! {
    static CAPTURE: RefCell<Option<Capture>> = const { RefCell::new(None) };
}

/// A pcap sink writing to the one capture file (nothing without `--pcap`).
/// Both demos' devices share the file: its global header is written once.
pub struct Sink;

impl PcapSink for Sink {
    fn write(&mut self, data: &[u8]) {
        CAPTURE.with(|c| {
            if let Some(c) = c.borrow_mut().as_mut() {
                if c.error.is_none() {
                    if let Err(e) = c.out.write_all(data) {
                        c.error = Some(e);
                    }
                }
            }
        });
    }

    fn global_header(&mut self, link_type: PcapLinkType) {
        let first = CAPTURE.with(|c| {
            c.borrow_mut()
                .as_mut()
                .is_some_and(|c| !std::mem::replace(&mut c.header_written, true))
        });
        if first {
            self.write_u32(0xa1b2c3d4); // magic number
            self.write_u16(2); // major version
            self.write_u16(4); // minor version
            self.write_u32(0); // timezone (UTC)
            self.write_u32(0); // accuracy
            self.write_u32(self.max_packet_size());
            self.write_u32(link_type.into());
        }
    }
}

/// The demos' device: `dev` with every packet it sends written to the
/// capture file (`--pcap`), once each (`TxOnly`: on `Loopback` what is
/// sent is what is received).
pub fn capture(dev: Loopback) -> PcapWriter<Loopback, Sink> {
    PcapWriter::new(dev, Sink, PcapMode::TxOnly)
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2)
}

fn parse_args() -> Result<Option<String>, String> {
    let mut pcap = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--pcap") => {
                let v = args.next().ok_or("--pcap needs a value")?;
                let v = v
                    .into_string()
                    .map_err(|v| format!("--pcap: not valid UTF-8: {v:?}"))?;
                pcap = Some(v);
            }
            Some("-h" | "--help") => {
                println!("{USAGE}\n\n  --pcap FILE  write every packet to FILE (read it with: tshark -r FILE)");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown argument {arg:?}; {USAGE}")),
        }
    }
    Ok(pcap)
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let pcap = parse_args().unwrap_or_else(|e| fail(e));
    if let Some(path) = &pcap {
        let file = std::fs::File::create(path)
            .unwrap_or_else(|e| fail(format_args!("cannot create pcap file '{path}': {e}")));
        CAPTURE.with(|c| {
            *c.borrow_mut() = Some(Capture {
                out: std::io::BufWriter::new(file),
                header_written: false,
                error: None,
            })
        });
    }
    line::run();
    http::run();
    if let (Some(path), Some(c)) = (&pcap, CAPTURE.with(|c| c.borrow_mut().take())) {
        let Capture { mut out, error, .. } = c;
        if let Some(e) = error.or_else(|| Write::flush(&mut out).err()) {
            fail(format_args!("cannot write pcap file '{path}': {e}"));
        }
        println!();
        println!("packets written to {path} (read them with: tshark -r {path})");
    }
}
