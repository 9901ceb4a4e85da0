//! The HTTP client and a small HTTP server on one loopback stack (filled in by the HTTP work).
pub fn run() {}
