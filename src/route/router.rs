//! The routing decision: which carrier a number belongs to, and which link sends to it.
//!
//! A message goes only through its own carrier's link. Another carrier's gateway would
//! deliver it (if at all) from that carrier's access number, losing the extended number
//! that ties a reply to its job — so hongyan never picks another link by itself. When the
//! number's carrier has no link the route fails with [`RouteError::NoLink`], unless the
//! config names a fallback for that carrier explicitly ([`Router::set_fallback`]); then
//! the route says so ([`Route::fallback`]) so the job records that replies may not match.
//!
//! Fallbacks do not chain: a message crosses at most one carrier boundary, and a fallback
//! to a carrier without a link is an error of its own ([`RouteError::FallbackHasNoLink`]).
//! "Has a link" means *configured*: a link that is down right now is a reason to wait,
//! not to re-route, so the router never looks at connection state.
//!
//! Order of the decision: [`normalize`] → portability override (携号转网) → prefix table
//! (longest prefix) → the carrier's link → an explicit fallback.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::carrier::Carrier;
use super::number::{Msisdn, NumberError, normalize};
use super::portability::PortabilityTable;
use super::prefixes::{Prefix, PrefixTable};

/// Where a route took the number's carrier from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteSource {
    /// The prefix table entry with this prefix.
    Prefix(Prefix),
    /// A portability override for this very number.
    Portability,
}

/// A routed recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Route {
    /// The normalised number.
    pub msisdn: Msisdn,
    /// The carrier the number belongs to.
    pub carrier: Carrier,
    /// The carrier whose link sends the message: `carrier` unless `fallback`.
    pub via: Carrier,
    /// Where `carrier` came from.
    pub source: RouteSource,
    /// True when an explicitly configured fallback link is used; replies may then arrive
    /// without the extended number.
    pub fallback: bool,
}

/// Why a recipient cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The input is not a mainland mobile number of a known segment.
    #[error(transparent)]
    Number(#[from] NumberError),
    /// The number's carrier has no link and no fallback is configured.
    #[error(
        "no link for {} numbers and no fallback configured{}",
        carrier.full_name(),
        no_link_hint(*carrier)
    )]
    NoLink {
        /// The number's carrier.
        carrier: Carrier,
    },
    /// The configured fallback carrier has no link either.
    #[error(
        "no link for {} numbers, and the configured fallback {} has no link either",
        carrier.full_name(),
        fallback.full_name()
    )]
    FallbackHasNoLink {
        /// The number's carrier.
        carrier: Carrier,
        /// The fallback the config names for it.
        fallback: Carrier,
    },
}

impl RouteError {
    /// A stable snake_case identifier of the reason (the [`NumberError::code`] for bad
    /// numbers), for API responses and metrics.
    pub const fn code(&self) -> &'static str {
        match self {
            RouteError::Number(e) => e.code(),
            RouteError::NoLink { .. } => "no_link",
            RouteError::FallbackHasNoLink { .. } => "fallback_no_link",
        }
    }
}

fn no_link_hint(carrier: Carrier) -> String {
    match carrier.shares_network_with() {
        Some(host) => format!(
            " ({} shares {}'s network: a fallback {carrier} → {host} sends these through the \
             {} link if that account reaches them)",
            carrier.full_name(),
            host.full_name(),
            host.full_name()
        ),
        None => String::new(),
    }
}

/// A fallback the config asked for that cannot be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a fallback from {0} to itself makes no sense")]
pub struct FallbackError(pub Carrier);

/// Routes recipient numbers to links.
#[derive(Debug, Clone, Default)]
pub struct Router {
    table: PrefixTable,
    portability: PortabilityTable,
    links: BTreeSet<Carrier>,
    fallbacks: BTreeMap<Carrier, Carrier>,
}

impl Router {
    /// A router over these tables, with no links and no fallbacks yet.
    pub fn new(table: PrefixTable, portability: PortabilityTable) -> Router {
        Router {
            table,
            portability,
            links: BTreeSet::new(),
            fallbacks: BTreeMap::new(),
        }
    }

    /// Records that a link for `carrier` is configured. Returns false if it already was.
    pub fn add_link(&mut self, carrier: Carrier) -> bool {
        self.links.insert(carrier)
    }

    /// Records that `carrier` no longer has a configured link. Returns false if it had none.
    pub fn remove_link(&mut self, carrier: Carrier) -> bool {
        self.links.remove(&carrier)
    }

    /// Whether `carrier` has a configured link.
    pub fn has_link(&self, carrier: Carrier) -> bool {
        self.links.contains(&carrier)
    }

    /// The carriers with a configured link.
    pub fn links(&self) -> impl Iterator<Item = Carrier> + '_ {
        self.links.iter().copied()
    }

    /// Sends `from`'s numbers through `to`'s link when `from` has no link of its own.
    /// Returns the fallback it replaced.
    pub fn set_fallback(
        &mut self,
        from: Carrier,
        to: Carrier,
    ) -> Result<Option<Carrier>, FallbackError> {
        if from == to {
            return Err(FallbackError(from));
        }
        Ok(self.fallbacks.insert(from, to))
    }

    /// Removes `from`'s fallback; returns it.
    pub fn remove_fallback(&mut self, from: Carrier) -> Option<Carrier> {
        self.fallbacks.remove(&from)
    }

    /// The fallback configured for `from`.
    pub fn fallback(&self, from: Carrier) -> Option<Carrier> {
        self.fallbacks.get(&from).copied()
    }

    /// Fallbacks whose target has no link (`(from, to)` pairs), for validating a config
    /// up front rather than failing jobs later.
    pub fn unusable_fallbacks(&self) -> Vec<(Carrier, Carrier)> {
        self.fallbacks
            .iter()
            .filter(|(_, to)| !self.links.contains(to))
            .map(|(from, to)| (*from, *to))
            .collect()
    }

    /// The prefix table.
    pub fn table(&self) -> &PrefixTable {
        &self.table
    }

    /// The prefix table, for config changes.
    pub fn table_mut(&mut self) -> &mut PrefixTable {
        &mut self.table
    }

    /// The portability overrides.
    pub fn portability(&self) -> &PortabilityTable {
        &self.portability
    }

    /// The portability overrides, for imports and edits.
    pub fn portability_mut(&mut self) -> &mut PortabilityTable {
        &mut self.portability
    }

    /// The carrier `msisdn` belongs to and where that came from, ignoring links.
    pub fn carrier_of(&self, msisdn: &Msisdn) -> Result<(Carrier, RouteSource), NumberError> {
        if let Some(carrier) = self.portability.get(msisdn) {
            return Ok((carrier, RouteSource::Portability));
        }
        let segment = self.table.lookup(msisdn)?;
        Ok((segment.carrier, RouteSource::Prefix(segment.prefix)))
    }

    /// Routes user input: normalise, find the carrier, pick the link.
    pub fn route(&self, input: &str) -> Result<Route, RouteError> {
        self.route_number(normalize(input)?)
    }

    /// Routes an already normalised number.
    pub fn route_number(&self, msisdn: Msisdn) -> Result<Route, RouteError> {
        let (carrier, source) = self.carrier_of(&msisdn)?;
        let (via, fallback) = if self.links.contains(&carrier) {
            (carrier, false)
        } else {
            match self.fallbacks.get(&carrier) {
                Some(&to) if self.links.contains(&to) => (to, true),
                Some(&to) => {
                    return Err(RouteError::FallbackHasNoLink {
                        carrier,
                        fallback: to,
                    });
                }
                None => return Err(RouteError::NoLink { carrier }),
            }
        };
        Ok(Route {
            msisdn,
            carrier,
            via,
            source,
            fallback,
        })
    }

    /// Routes a list of recipients: every input ends up in exactly one of the batch's
    /// lists, by its index. A number that appears again (in any spelling) after its first
    /// occurrence is listed as a duplicate of that first index, whether the first was
    /// routed or not — the caller decides whether to send twice.
    pub fn route_many<I, S>(&self, inputs: I) -> RouteBatch
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut batch = RouteBatch::default();
        let mut first_seen: HashMap<Msisdn, usize> = HashMap::new();
        for (index, input) in inputs.into_iter().enumerate() {
            let input = input.as_ref();
            let msisdn = match normalize(input) {
                Ok(msisdn) => msisdn,
                Err(e) => {
                    batch.rejected.push(Rejected {
                        index,
                        input: input.to_owned(),
                        error: e.into(),
                    });
                    continue;
                }
            };
            if let Some(&first) = first_seen.get(&msisdn) {
                batch.duplicates.push(Duplicate {
                    index,
                    input: input.to_owned(),
                    msisdn,
                    first,
                });
                continue;
            }
            first_seen.insert(msisdn, index);
            match self.route_number(msisdn) {
                Ok(route) => batch.routes.push(Routed { index, route }),
                Err(error) => batch.rejected.push(Rejected {
                    index,
                    input: input.to_owned(),
                    error,
                }),
            }
        }
        batch
    }
}

/// The outcome of [`Router::route_many`]; each list is in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteBatch {
    /// Recipients that can be sent to.
    pub routes: Vec<Routed>,
    /// Recipients that cannot, each with its reason.
    pub rejected: Vec<Rejected>,
    /// Repeats of a number already listed earlier.
    pub duplicates: Vec<Duplicate>,
}

/// A routed input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    /// Position in the input list.
    pub index: usize,
    /// The route.
    pub route: Route,
}

/// An input that cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("recipient {index} ({input:?}): {error}")]
pub struct Rejected {
    /// Position in the input list.
    pub index: usize,
    /// The input as given.
    pub input: String,
    /// Why.
    pub error: RouteError,
}

/// An input whose number already appeared earlier in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// Position in the input list.
    pub index: usize,
    /// The input as given.
    pub input: String,
    /// The number both inputs normalise to.
    pub msisdn: Msisdn,
    /// Position of the first occurrence.
    pub first: usize,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::route::prefixes::BUILTIN;
    use Carrier::{Broadnet, Mobile, Telecom, Unicom};
    use proptest::prelude::*;

    fn router_with(links: &[Carrier]) -> Router {
        let mut r = Router::default();
        for &c in links {
            assert!(r.add_link(c));
        }
        r
    }

    fn n(s: &str) -> Msisdn {
        normalize(s).unwrap()
    }

    #[test]
    fn each_carrier_routes_through_its_own_link() {
        let r = router_with(&Carrier::ALL);
        for (input, carrier, prefix) in [
            ("13800138000", Mobile, 138),
            ("+86 133 0013 3000", Telecom, 133),
            ("13000130000", Unicom, 130),
            ("19200192000", Broadnet, 192),
            ("13490000000", Telecom, 1349),
        ] {
            let route = r.route(input).unwrap();
            assert_eq!(route.carrier, carrier, "{input}");
            assert_eq!(route.via, carrier, "{input}");
            assert!(!route.fallback);
            assert_eq!(
                route.source,
                RouteSource::Prefix(Prefix::parse(&prefix.to_string()).unwrap())
            );
            assert_eq!(route.msisdn, n(input));
        }
    }

    #[test]
    fn every_builtin_segment_routes_with_all_links() {
        let r = router_with(&Carrier::ALL);
        for &(value, carrier, _) in BUILTIN {
            let mut digits = value.to_string();
            // Padding with 0s never lands in a longer built-in entry (segments.rs checks
            // the general case with every fill digit).
            while digits.len() < 11 {
                digits.push('0');
            }
            let route = r.route(&digits).unwrap();
            assert_eq!((route.carrier, route.via), (carrier, carrier), "{digits}");
        }
    }

    #[test]
    fn portability_override_wins_over_the_segment() {
        let mut r = router_with(&Carrier::ALL);
        r.portability_mut().insert(n("13800138000"), Telecom);
        let route = r.route("+86 138-0013-8000").unwrap();
        assert_eq!(route.carrier, Telecom);
        assert_eq!(route.via, Telecom);
        assert_eq!(route.source, RouteSource::Portability);
        // Neighbours in the same segment are untouched.
        assert_eq!(r.route("13800138001").unwrap().carrier, Mobile);
        // An override also covers a number whose segment is unknown.
        r.portability_mut().insert(n("17410000000"), Unicom);
        assert_eq!(r.route("17410000000").unwrap().carrier, Unicom);
        assert_eq!(
            r.carrier_of(&n("17410000000")),
            Ok((Unicom, RouteSource::Portability))
        );
    }

    #[test]
    fn a_ported_number_never_falls_back_to_its_old_carrier_link() {
        let mut r = router_with(&[Mobile]);
        r.portability_mut().insert(n("13800138000"), Telecom);
        assert_eq!(
            r.route("13800138000"),
            Err(RouteError::NoLink { carrier: Telecom })
        );
    }

    #[test]
    fn no_link_is_a_clear_error() {
        let r = router_with(&[Mobile, Unicom]);
        let err = r.route("13300133000").unwrap_err();
        assert_eq!(err, RouteError::NoLink { carrier: Telecom });
        assert_eq!(
            err.to_string(),
            "no link for China Telecom numbers and no fallback configured"
        );
        assert_eq!(err.code(), "no_link");
    }

    #[test]
    fn broadnet_needs_a_link_or_an_explicit_fallback() {
        let mut r = router_with(&[Mobile]);
        let err = r.route("19200192000").unwrap_err();
        assert_eq!(err, RouteError::NoLink { carrier: Broadnet });
        let text = err.to_string();
        assert!(
            text.starts_with("no link for China Broadnet numbers and no fallback configured ("),
            "{text}"
        );
        assert!(text.contains("broadnet → mobile"), "{text}");

        assert_eq!(r.set_fallback(Broadnet, Mobile), Ok(None));
        let route = r.route("19200192000").unwrap();
        assert_eq!(
            (route.carrier, route.via, route.fallback),
            (Broadnet, Mobile, true)
        );

        // A Broadnet link of its own beats the fallback.
        r.add_link(Broadnet);
        let route = r.route("19200192000").unwrap();
        assert_eq!((route.via, route.fallback), (Broadnet, false));
    }

    #[test]
    fn fallback_only_when_configured_and_only_one_step() {
        let mut r = router_with(&[Mobile]);
        assert!(r.route("13000130000").is_err());
        r.set_fallback(Unicom, Mobile).unwrap();
        let route = r.route("13000130000").unwrap();
        assert_eq!(
            (route.carrier, route.via, route.fallback),
            (Unicom, Mobile, true)
        );
        assert_eq!(
            route.source,
            RouteSource::Prefix(Prefix::parse("130").unwrap())
        );

        // Telecom → Unicom → Mobile does not chain.
        r.set_fallback(Telecom, Unicom).unwrap();
        let err = r.route("13300133000").unwrap_err();
        assert_eq!(
            err,
            RouteError::FallbackHasNoLink {
                carrier: Telecom,
                fallback: Unicom
            }
        );
        assert_eq!(
            err.to_string(),
            "no link for China Telecom numbers, and the configured fallback China Unicom has no \
             link either"
        );
        assert_eq!(err.code(), "fallback_no_link");
        assert_eq!(r.unusable_fallbacks(), vec![(Telecom, Unicom)]);

        // Removing the fallback restores the plain error.
        assert_eq!(r.remove_fallback(Unicom), Some(Mobile));
        assert_eq!(r.fallback(Unicom), None);
        assert_eq!(
            r.route("13000130000"),
            Err(RouteError::NoLink { carrier: Unicom })
        );
    }

    #[test]
    fn a_fallback_never_overrides_an_existing_link() {
        let mut r = router_with(&[Mobile, Telecom]);
        r.set_fallback(Telecom, Mobile).unwrap();
        let route = r.route("13300133000").unwrap();
        assert_eq!((route.via, route.fallback), (Telecom, false));
        assert!(r.unusable_fallbacks().is_empty());
    }

    #[test]
    fn self_fallback_is_refused_and_replacing_returns_the_old_one() {
        let mut r = Router::default();
        assert_eq!(r.set_fallback(Mobile, Mobile), Err(FallbackError(Mobile)));
        assert_eq!(
            FallbackError(Mobile).to_string(),
            "a fallback from mobile to itself makes no sense"
        );
        assert_eq!(r.set_fallback(Broadnet, Mobile), Ok(None));
        assert_eq!(r.set_fallback(Broadnet, Unicom), Ok(Some(Mobile)));
    }

    #[test]
    fn link_bookkeeping() {
        let mut r = Router::default();
        assert!(r.add_link(Unicom));
        assert!(!r.add_link(Unicom));
        assert!(r.has_link(Unicom));
        assert_eq!(r.links().collect::<Vec<_>>(), [Unicom]);
        assert!(r.remove_link(Unicom));
        assert!(!r.remove_link(Unicom));
        assert_eq!(
            r.route("13000130000"),
            Err(RouteError::NoLink { carrier: Unicom })
        );
    }

    #[test]
    fn bad_numbers_carry_their_reason() {
        let r = router_with(&Carrier::ALL);
        let err = r.route("010-12345678").unwrap_err();
        assert!(matches!(
            err,
            RouteError::Number(NumberError::Landline { .. })
        ));
        assert_eq!(err.code(), "landline");
        assert_eq!(
            err.to_string(),
            "01012345678 is a fixed-line number (it starts with an area code); text messages \
             need a mobile number"
        );
        assert_eq!(
            r.route("17410000000"),
            Err(RouteError::Number(NumberError::UnknownPrefix {
                prefix: "1741".into()
            }))
        );
        assert_eq!(r.route("10086").unwrap_err().code(), "service_code");
    }

    #[test]
    fn config_segment_changes_apply() {
        let mut r = router_with(&Carrier::ALL);
        r.table_mut().extend("1741", Telecom).unwrap();
        assert_eq!(r.route("17410000000").unwrap().carrier, Telecom);
        assert_eq!(r.table().len(), BUILTIN.len() + 1);
        let r2 = Router::new(PrefixTable::empty(), PortabilityTable::new());
        assert_eq!(
            r2.route("13800138000").unwrap_err().code(),
            "unknown_segment"
        );
        assert!(r2.portability().is_empty());
    }

    #[test]
    fn route_many_sorts_every_input_into_one_list() {
        let r = router_with(&[Mobile, Unicom]);
        let inputs = [
            "13800138000",            // 0 routed
            "010-12345678",           // 1 bad number
            "+86 138 0013 8000",      // 2 duplicate of 0
            "13300133000",            // 3 telecom: no link
            "13000130000",            // 4 routed
            "8613300133000",          // 5 duplicate of 3 (which was rejected)
            "010-12345678",           // 6 bad again: bad inputs are not deduplicated
            "１３０００１３００００", // 7 duplicate of 4
        ];
        let batch = r.route_many(inputs);
        let routed: Vec<(usize, Carrier)> = batch
            .routes
            .iter()
            .map(|x| (x.index, x.route.carrier))
            .collect();
        assert_eq!(routed, [(0, Mobile), (4, Unicom)]);
        let rejected: Vec<(usize, &str, &str)> = batch
            .rejected
            .iter()
            .map(|x| (x.index, x.input.as_str(), x.error.code()))
            .collect();
        assert_eq!(
            rejected,
            [
                (1, "010-12345678", "landline"),
                (3, "13300133000", "no_link"),
                (6, "010-12345678", "landline"),
            ]
        );
        let dups: Vec<(usize, usize, &str)> = batch
            .duplicates
            .iter()
            .map(|d| (d.index, d.first, d.input.as_str()))
            .collect();
        assert_eq!(
            dups,
            [
                (2, 0, "+86 138 0013 8000"),
                (5, 3, "8613300133000"),
                (7, 4, "１３０００１３００００")
            ]
        );
        assert_eq!(batch.duplicates[0].msisdn, n("13800138000"));
        assert_eq!(
            batch.rejected[1].to_string(),
            "recipient 3 (\"13300133000\"): no link for China Telecom numbers and no fallback \
             configured"
        );
        // Owned strings work as input too, and an empty list gives an empty batch.
        let owned = vec![String::from("13800138000")];
        assert_eq!(r.route_many(&owned).routes.len(), 1);
        assert_eq!(r.route_many(Vec::<String>::new()), RouteBatch::default());
    }

    #[test]
    fn route_serialises_for_the_api() {
        let r = router_with(&[Mobile]);
        let route = r.route("13800138000").unwrap();
        assert_eq!(
            serde_json::to_value(route).unwrap(),
            serde_json::json!({
                "msisdn": "13800138000",
                "carrier": "mobile",
                "via": "mobile",
                "source": {"prefix": "138"},
                "fallback": false
            })
        );
    }

    proptest! {
        #[test]
        fn route_never_panics(input in any::<String>()) {
            let r = router_with(&[Mobile]);
            let _ = r.route(&input);
        }

        #[test]
        fn decorated_input_routes_like_the_plain_number(
            entry in prop::sample::select(BUILTIN.to_vec()),
            rest in "[0-9]{8}",
            prefix in prop::sample::select(vec!["", "+86 ", "0086-", "86", "＋８６"]),
        ) {
            let r = router_with(&Carrier::ALL);
            let plain: String = format!("{}{rest}", entry.0).chars().take(11).collect();
            let decorated = format!("{prefix}{} {}", &plain[..3], &plain[3..]);
            prop_assert_eq!(r.route(&decorated), r.route(&plain));
            prop_assert!(r.route(&plain).is_ok());
        }
    }
}
