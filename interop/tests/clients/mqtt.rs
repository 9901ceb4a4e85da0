//! Third-party proof for the embedded-nal impl: `minimq` 0.10 (MQTT 5 over
//! embedded-nal 0.9) connects, subscribes, publishes and receives its own
//! messages through a small MQTT broker that the test runs on the same
//! `Loopback` stack — the broker, too, speaks only embedded-nal
//! (`TcpFullStack`: bind, listen with the real backlog, accept).
//!
//! One thread, simulated time, no blocking call: a super-loop polls the
//! client and the broker and moves the clock 1 ms per round.
use crate::common;
use common::*;
use embedded_nal::{nb, TcpClientStack, TcpError, TcpErrorKind, TcpFullStack};
use minimq::{broker::IpBroker, ConfigBuilder, Minimq, Publication, QoS};
use smolsock::io::{NalSocket, NalStack};
use smoltcp::time::Duration;

const TOPIC: &str = "smolsock/test";

/// The test's clock as minimq wants it: milliseconds of the simulated clock.
struct MqttClock<'c>(&'c SimClock);

impl embedded_time::Clock for MqttClock<'_> {
    type T = u32;
    const SCALING_FACTOR: embedded_time::rate::Fraction =
        embedded_time::rate::Fraction::new(1, 1000);
    fn try_now(&self) -> Result<embedded_time::Instant<Self>, embedded_time::clock::Error> {
        use smolsock::Clock as _;
        Ok(embedded_time::Instant::new(
            self.0.now().total_millis() as u32
        ))
    }
}

/// A remaining-length varint (MQTT §1.5.5).
fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            break;
        }
    }
}

/// (value, bytes used), or None if incomplete.
fn get_varint(b: &[u8]) -> Option<(usize, usize)> {
    let mut n = 0usize;
    for (i, byte) in b.iter().enumerate().take(4) {
        n |= ((byte & 0x7f) as usize) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((n, i + 1));
        }
    }
    None
}

fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![first];
    put_varint(&mut p, body.len());
    p.extend_from_slice(body);
    p
}

#[track_caller]
fn str_at(b: &[u8], at: usize) -> (String, usize) {
    let len = u16::from_be_bytes([b[at], b[at + 1]]) as usize;
    (
        String::from_utf8(b[at + 2..at + 2 + len].to_vec()).expect("UTF-8 topic"),
        at + 2 + len,
    )
}

/// A single-connection MQTT 5 broker over embedded-nal: CONNECT, SUBSCRIBE
/// (exact topics, QoS 0), PUBLISH (QoS 0 and 1, forwarded at QoS 0), PINGREQ.
struct Broker<'s, 'a> {
    nal: NalStack<'s, 'a>,
    listener: NalSocket<'s, 'a>,
    conn: Option<NalSocket<'s, 'a>>,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    subscriptions: Vec<String>,
    /// What the broker saw, in order: "CONNECT", "SUBSCRIBE topic", "PUBLISH topic qos".
    log: Vec<String>,
    /// The client closed its connection (end of stream, PipeClosed).
    client_closed: bool,
}

impl<'s, 'a> Broker<'s, 'a> {
    #[track_caller]
    fn new(mut nal: NalStack<'s, 'a>, port: u16) -> Self {
        let mut listener = TcpClientStack::socket(&mut nal).expect("socket");
        TcpFullStack::bind(&mut nal, &mut listener, port).expect("bind");
        nal.listen(&mut listener).expect("listen");
        Broker {
            nal,
            listener,
            conn: None,
            inbuf: Vec::new(),
            out: Vec::new(),
            subscriptions: Vec::new(),
            log: Vec::new(),
            client_closed: false,
        }
    }

    #[track_caller]
    fn pump(&mut self) {
        if self.conn.is_none() {
            match self.nal.accept(&mut self.listener) {
                Ok((c, _)) => self.conn = Some(c),
                Err(nb::Error::WouldBlock) => return,
                Err(nb::Error::Other(e)) => panic!("accept: {e}"),
            }
        }
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        let mut buf = [0u8; 512];
        loop {
            match TcpClientStack::receive(&mut self.nal, conn, &mut buf) {
                Ok(n) => self.inbuf.extend_from_slice(&buf[..n]),
                Err(nb::Error::WouldBlock) => break,
                Err(nb::Error::Other(e)) => {
                    assert_eq!(e.kind(), TcpErrorKind::PipeClosed, "{e}");
                    self.client_closed = true;
                    break;
                }
            }
        }
        while let Some((first, body)) = self.take_packet() {
            self.handle(first, &body);
        }
        if !self.out.is_empty() {
            let conn = self.conn.as_mut().expect("connection");
            match TcpClientStack::send(&mut self.nal, conn, &self.out) {
                Ok(n) => {
                    self.out.drain(..n);
                }
                Err(nb::Error::WouldBlock) => {}
                Err(nb::Error::Other(e)) => panic!("broker send: {e}"),
            }
        }
    }

    fn take_packet(&mut self) -> Option<(u8, Vec<u8>)> {
        let first = *self.inbuf.first()?;
        let (len, used) = get_varint(&self.inbuf[1..])?;
        if self.inbuf.len() < 1 + used + len {
            return None;
        }
        let body = self.inbuf[1 + used..1 + used + len].to_vec();
        self.inbuf.drain(..1 + used + len);
        Some((first, body))
    }

    #[track_caller]
    fn handle(&mut self, first: u8, b: &[u8]) {
        match first >> 4 {
            1 => {
                // CONNECT: protocol name "MQTT", version 5.
                let (name, at) = str_at(b, 0);
                assert_eq!((name.as_str(), b[at]), ("MQTT", 5), "MQTT 5 CONNECT");
                self.log.push("CONNECT".into());
                // CONNACK: no session, success, no properties.
                self.out.extend(packet(0x20, &[0, 0, 0]));
            }
            8 => {
                // SUBSCRIBE: packet id, properties, (topic, options)*.
                let id = [b[0], b[1]];
                let (props, used) = get_varint(&b[2..]).expect("properties");
                let mut at = 2 + used + props;
                let mut codes = Vec::new();
                while at < b.len() {
                    let (topic, next) = str_at(b, at);
                    self.log.push(format!("SUBSCRIBE {topic}"));
                    self.subscriptions.push(topic);
                    codes.push(0u8); // granted QoS 0
                    at = next + 1;
                }
                let mut body = vec![id[0], id[1], 0];
                body.extend(codes);
                self.out.extend(packet(0x90, &body));
            }
            3 => {
                // PUBLISH: topic, packet id (QoS > 0), properties, payload.
                let qos = (first >> 1) & 3;
                let (topic, mut at) = str_at(b, 0);
                let id = (qos > 0).then(|| {
                    at += 2;
                    [b[at - 2], b[at - 1]]
                });
                let (props, used) = get_varint(&b[at..]).expect("properties");
                let payload = &b[at + used + props..];
                self.log.push(format!("PUBLISH {topic} {qos}"));
                if let Some(id) = id {
                    // PUBACK: success, no properties.
                    self.out.extend(packet(0x40, &[id[0], id[1], 0, 0]));
                }
                if self.subscriptions.contains(&topic) {
                    let mut body = Vec::new();
                    body.extend((topic.len() as u16).to_be_bytes());
                    body.extend(topic.as_bytes());
                    body.push(0); // no properties
                    body.extend(payload);
                    self.out.extend(packet(0x30, &body));
                }
            }
            12 => {
                self.log.push("PINGREQ".into());
                self.out.extend(packet(0xd0, &[])); // PINGRESP
            }
            14 => self.log.push("DISCONNECT".into()),
            t => panic!("unexpected MQTT packet type {t}"),
        }
    }
}

#[test]
fn minimq_connects_subscribes_publishes_and_receives_its_own_messages() {
    with_stack::<6, _>(|stack, clock| {
        let nal = NalStack::new(stack).with_backlog(2);
        let mut broker = Broker::new(nal, 1883);

        let mut buffer = [0u8; 1024];
        let localhost: core::net::IpAddr = "127.0.0.1".parse().unwrap();
        let mut mqtt: Minimq<'_, _, _, IpBroker> = Minimq::new(
            nal,
            MqttClock(clock),
            ConfigBuilder::new(localhost.into(), &mut buffer)
                .client_id("smolsock")
                .unwrap()
                .keepalive_interval(10),
        );

        let mut received: Vec<(String, Vec<u8>)> = Vec::new();
        let (mut subscribed, mut published) = (false, false);
        let mut rounds = 0;
        while received.len() < 2 {
            rounds += 1;
            assert!(rounds < 5_000, "no progress: broker saw {:?}", broker.log);
            clock.advance(Duration::from_millis(1));
            stack.poll(stack.now());
            match mqtt.poll(|_client, topic, payload, _props| (topic.to_string(), payload.to_vec()))
            {
                Ok(Some(msg)) => received.push(msg),
                Ok(None) => {}
                Err(minimq::Error::SessionReset) => {} // the first connection has no session
                Err(e) => panic!("minimq: {e:?}"),
            }
            broker.pump();
            let client = mqtt.client();
            if !subscribed && client.is_connected() {
                client.subscribe(&[TOPIC.into()], &[]).expect("subscribe");
                subscribed = true;
            } else if subscribed && !published && !client.subscriptions_pending() {
                client
                    .publish(Publication::new(TOPIC, b"hello over smolsock"))
                    .expect("publish QoS 0");
                client
                    .publish(Publication::new(TOPIC, b"and once more, QoS 1").qos(QoS::AtLeastOnce))
                    .expect("publish QoS 1");
                published = true;
            }
        }
        assert_eq!(
            received,
            vec![
                (TOPIC.to_string(), b"hello over smolsock".to_vec()),
                (TOPIC.to_string(), b"and once more, QoS 1".to_vec()),
            ]
        );
        assert_eq!(
            broker.log,
            vec![
                "CONNECT".to_string(),
                format!("SUBSCRIBE {TOPIC}"),
                format!("PUBLISH {TOPIC} 0"),
                format!("PUBLISH {TOPIC} 1"),
            ]
        );
        // The QoS 1 message is acknowledged: nothing left in flight.
        for _ in 0..10 {
            clock.advance(Duration::from_millis(1));
            let _ = mqtt.poll(|_, _, _, _| ());
            broker.pump();
        }
        assert!(!mqtt.client().pending_messages(), "PUBACK processed");

        // Keep-alive: 10 s of quiet time; minimq pings, the broker answers,
        // the connection stays up.
        for _ in 0..15_000 {
            clock.advance(Duration::from_millis(1));
            let _ = mqtt.poll(|_, _, _, _| ());
            broker.pump();
        }
        assert!(
            mqtt.client().is_connected(),
            "kept alive by PINGREQ/PINGRESP"
        );
        assert!(
            broker.log.iter().any(|l| l == "PINGREQ"),
            "{:?}",
            broker.log
        );
        assert!(!broker.client_closed);

        // The client goes away: its socket closes, the broker reads the end
        // of the stream as PipeClosed.
        drop(mqtt);
        for _ in 0..10 {
            clock.advance(Duration::from_millis(1));
            broker.pump();
        }
        assert!(broker.client_closed, "end of stream seen as PipeClosed");
    });
}
