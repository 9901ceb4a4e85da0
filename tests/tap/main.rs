//! The examples over a real TAP device in a network namespace the test
//! makes itself (`-- --ignored`, as root), and their command lines and errors.

#[macro_use]
#[path = "../netns/mod.rs"]
mod netns;

mod dhcp_lease;
mod dhcp_tap;
mod example_cli;
mod first_arp;
mod http_framing;
mod http_get_cli;
mod http_tap;
mod line_tap;
mod special_destinations;
mod tap_errors;
mod tap_link;
