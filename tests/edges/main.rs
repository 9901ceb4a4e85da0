//! What a careless or hostile newcomer found at the edges (issue 18, items
//! 1 to 4): the random seed, slot kinds, special destinations, clock limits.

#[path = "../common/mod.rs"]
mod common;

mod clock;
mod record;
mod seed;
