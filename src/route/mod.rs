//! Routing: which carrier a recipient number belongs to, and which link carries it.

mod carrier;

pub use carrier::{Carrier, CarrierParseError};
