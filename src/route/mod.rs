//! Routing: which carrier a recipient number belongs to, and which link carries it.
//!
//! | piece | file | holds |
//! |---|---|---|
//! | [`Carrier`] | `carrier.rs` | the four carriers, their config/CSV names (`mobile`, `cmcc`, `中国移动`, …) |
//! | [`normalize`], [`Msisdn`] | `number.rs` | user input → 11-digit number, or a [`NumberError`] a user can act on |
//! | [`PrefixTable`] | `prefixes.rs` | built-in mainland number prefixes (号段), longest-prefix lookup, config overrides |
//! | [`PortabilityTable`] | `portability.rs` | per-number overrides for ported numbers (携号转网), CSV import |
//! | [`Router`] | `router.rs` | the decision: carrier, then that carrier's link or an explicit fallback |
//!
//! A message only ever goes through its own carrier's link, because another carrier's
//! gateway would lose the extended number replies are matched by; see `router.rs`.
//!
//! ```
//! use hongyan::route::{Carrier, Router, RouteError};
//!
//! let mut router = Router::default(); // built-in segments, no overrides
//! router.add_link(Carrier::Mobile);
//! router.add_link(Carrier::Unicom);
//!
//! let route = router.route("+86 138-0013-8000").unwrap();
//! assert_eq!((route.carrier, route.via), (Carrier::Mobile, Carrier::Mobile));
//! assert_eq!(route.msisdn.with_country_code(), "8613800138000");
//!
//! // No Telecom link and no fallback: the job fails with that reason.
//! let err = router.route("13300133000").unwrap_err();
//! assert_eq!(err, RouteError::NoLink { carrier: Carrier::Telecom });
//!
//! // Broadnet numbers go through China Mobile only when the config says so.
//! router.set_fallback(Carrier::Broadnet, Carrier::Mobile).unwrap();
//! assert!(router.route("19200192000").unwrap().fallback);
//! ```

mod carrier;
mod number;
mod portability;
mod prefixes;
mod router;

pub use carrier::{Carrier, CarrierParseError};
pub use number::{MSISDN_DIGITS, Msisdn, NumberError, normalize};
pub use portability::{ImportError, ImportReport, PortabilityTable, RejectedRow, RowError};
pub use prefixes::{
    BUILTIN, MAX_PREFIX_DIGITS, MIN_PREFIX_DIGITS, Prefix, PrefixEntry, PrefixError, PrefixKind,
    PrefixProblem, PrefixTable,
};
pub use router::{
    Duplicate, FallbackError, Rejected, Route, RouteBatch, RouteError, RouteSource, Routed, Router,
};
