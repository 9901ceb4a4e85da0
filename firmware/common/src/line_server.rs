//! The seed's line server: port 10001, backlog 5, 5 s idle timeout. Prints
//! each line stripped and 16 dashes after each connection; `stop` ends the
//! program with exit status 0.

use crate::out::{self, Board};
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use smolsock::line::{CloseReason, Line, LineConfig, LineHandler, LineServer, SessionInfo};
use smolsock::smoltcp::phy::Device;
use smolsock::{Clock, Config, Stack};
use smolsock_firmware_resources::{self as resources, LineServerResources};

/// The seed's output: each line, then 16 dashes per closed connection.
struct Printer<B>(PhantomData<B>);

impl<B: Board> LineHandler for Printer<B> {
    fn line(&mut self, _s: &SessionInfo, line: Line<'_>) {
        out::line::<B>(line.as_bytes());
    }

    fn closed(&mut self, _s: &SessionInfo, _why: CloseReason) {
        out::line::<B>(b"----------------");
    }
}

/// Serve the line protocol on `device` until a client sends `stop` (exit
/// status 0) or the server fails (`error: ...`, exit status 1), `S`
/// connections at once (1: the seed's one at a time; the firmware's
/// wake-up measurement serves 2). The pool is filled in place in
/// `resources` (a `static`: no flash image): 6 slots (a backlog of 5 and
/// the connection being served), 1 KiB + 1 KiB each.
pub fn run<B: Board, D: Device, const S: usize>(
    device: &'static mut D,
    clock: &'static dyn Clock,
    config: Config,
    resources: &'static mut MaybeUninit<LineServerResources>,
) -> ! {
    let resources = resources::line_server(resources);
    let Ok(stack) = Stack::new(device, clock, resources, config) else {
        out::fail::<B>(b"bad network configuration")
    };
    let config = LineConfig::default().with_max_sessions(S);
    let mut server: LineServer<'_, '_, S> = match LineServer::new(&stack, config) {
        Ok(s) => s,
        Err(e) => out::fail_with::<B>(b"cannot listen on port 10001: ", e.python_name().as_bytes()),
    };
    match server.run(&mut Printer::<B>(PhantomData)) {
        Ok(()) => B::exit(true),
        Err(e) => out::fail_with::<B>(b"line server failed: ", e.python_name().as_bytes()),
    }
}
