//! Routing: which carrier a recipient number belongs to, and which link carries it.

mod carrier;
mod number;

pub use carrier::{Carrier, CarrierParseError};
pub use number::{MSISDN_DIGITS, Msisdn, NumberError, normalize};
