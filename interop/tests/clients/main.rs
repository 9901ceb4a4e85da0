//! Third-party clients and servers against smolsock: TLS (embedded-tls,
//! rustls, rcgen certificates), MQTT (minimq), HTTP (reqwless).

#[path = "../../../tests/common/mod.rs"]
mod common;
#[macro_use]
#[path = "../../../tests/netns/mod.rs"]
mod netns;

mod http_get_cli;
mod https;
mod mqtt;
mod reqwless;
mod tls_embedded;
