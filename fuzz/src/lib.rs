//! Shared pieces of the fuzz targets: the line framing model, the response
//! parser driver, and in-process devices that feed fuzz bytes to a stack.
//! Only smolsock's public API is used.

pub mod framing;
pub mod net;
pub mod response;
