fn main() { smoltcp::phy::Loopback::new(smoltcp::phy::Medium::Ip); }
