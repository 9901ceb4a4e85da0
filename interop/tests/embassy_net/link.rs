//! The cable between two embassy-net-driver-channel devices: every frame
//! one side transmits is received by the other, counted.

use super::MTU;
use embassy_net_driver::LinkState;
use embassy_net_driver_channel as ch;
use std::cell::Cell;

/// Frames carried each way.
#[derive(Default)]
pub struct Wire {
    pub a_to_b: Cell<usize>,
    pub b_to_a: Cell<usize>,
}

/// Carry frames both ways, link up on both ends; never returns.
pub async fn pump(a: ch::Runner<'_, MTU>, b: ch::Runner<'_, MTU>, wire: &Wire) {
    let (a_state, mut a_rx, mut a_tx) = a.split();
    let (b_state, mut b_rx, mut b_tx) = b.split();
    a_state.set_link_state(LinkState::Up);
    b_state.set_link_state(LinkState::Up);
    futures_util::future::join(
        forward(&mut a_tx, &mut b_rx, &wire.a_to_b),
        forward(&mut b_tx, &mut a_rx, &wire.b_to_a),
    )
    .await;
}

/// Move each frame `from` transmits into `to`'s receive queue.
async fn forward(
    from: &mut ch::TxRunner<'_, MTU>,
    to: &mut ch::RxRunner<'_, MTU>,
    n: &Cell<usize>,
) {
    loop {
        let frame = from.tx_buf().await;
        let len = frame.len();
        let slot = to.rx_buf().await;
        slot[..len].copy_from_slice(frame);
        to.rx_done(len);
        from.tx_done();
        n.set(n.get() + 1);
    }
}
