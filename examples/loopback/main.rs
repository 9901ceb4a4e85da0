//! `cargo run --example loopback`: everything on smoltcp's `Loopback` device in
//! one process, no privileges: the line server with a client, then the HTTP
//! client against a small HTTP server. Each side's output is shown.

mod http;
mod line;

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    line::run();
    http::run();
}
