//! The line server and a client on one loopback stack (filled in by the line-server work).
pub fn run() {}
