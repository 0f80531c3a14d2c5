//! Which carrier a mobile number belongs to, by its leading digits (号段).
//!
//! The built-in table holds the mainland mobile prefixes as allocated by MIIT (工信部)
//! and in use in 2025/2026, keyed by 3-digit prefixes with 4-digit exceptions; lookup is
//! longest-prefix, so `1349…` (Telecom satellite) wins over `134…` (Mobile) and the
//! virtual-operator blocks `1700`–`1709` split three ways. Config can add new prefixes or
//! override any entry ([`PrefixTable::extend`]) — the table changes every year or two
//! and hongyan must not need a release for it.
//!
//! | carrier | prefixes |
//! |---|---|
//! | China Mobile | 134 (1340–1348), 135–139, 147, 148ᴰ, 150–152, 157–159, 165ⱽ, 172, 178, 182–184, 187, 188, 195, 197, 198, 1440ᴰ, 1703ⱽ/1705ⱽ/1706ⱽ |
//! | China Unicom | 130–132, 145, 146ᴰ, 155, 156, 166, 167ⱽ, 171ⱽ, 175, 176, 185, 186, 196, 1704ⱽ/1707ⱽ/1708ⱽ/1709ⱽ |
//! | China Telecom | 133, 149, 153, 162ⱽ, 173, 177, 180, 181, 189, 190, 191, 193, 199, 1349ˢ, 1740ˢ, 1700ⱽ/1701ⱽ/1702ⱽ, 1410ᴰ |
//! | China Broadnet | 192 |
//!
//! ⱽ virtual operators (MVNO, 虚拟运营商): their subscribers are on the host carrier's
//! network and SMS to them goes through that carrier. ˢ satellite (1349 is the former
//! China Satcom block, 17400–17405 Tiantong), both operated by China Telecom. ᴰ data-only
//! / IoT (物联网) blocks.
//!
//! # Sources and uncertainty
//!
//! Compiled from MIIT's published prefix allocations and the carriers' own lists as
//! remembered at the time of writing, not from a machine-readable source; every entry is
//! one line in [`BUILTIN`] and config can correct it without a release. Known soft spots:
//!
//! * **Data-only / IoT blocks** (1440, 146, 148, 1410): some of these are issued as
//!   13-digit numbers, which [`normalize`](super::normalize) already rejects by length;
//!   11-digit numbers in them are accepted as numbers of their carrier, and if the
//!   subscription cannot receive SMS the carrier's gateway rejects the message — a clearer
//!   and more current answer than a local guess. 140x is not listed (its holder varies
//!   between lists); config can add it.
//! * **145, 147, 149** started as data-card prefixes and are now issued with voice and SMS,
//!   so they are ordinary entries.
//! * **174**: only 1740 (satellite) is listed; 17406–17412 (emergency communication) and
//!   1741–1749 are not SMS-reachable subscriber numbers, so they are unknown prefixes.
//! * **172** is listed as China Mobile; some lists mark it as IoT-only.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

use serde::{Serialize, Serializer};

use super::carrier::Carrier;
use super::number::{MSISDN_DIGITS, Msisdn, NumberError};

/// Shortest number prefix the table accepts.
pub const MIN_PREFIX_DIGITS: usize = 3;
/// Longest number prefix the table accepts.
pub const MAX_PREFIX_DIGITS: usize = 7;

/// What a prefix is used for. Informational: routing depends only on the carrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrefixKind {
    /// Ordinary subscriber numbers.
    Standard,
    /// A virtual operator (MVNO) block hosted by the carrier.
    Virtual,
    /// Data-only / IoT block; SMS may be refused by the carrier.
    DataOnly,
    /// Satellite phone numbers.
    Satellite,
}

/// The leading 3–7 digits of a mobile number that identify its block (号段), e.g. `138` or
/// `1349`. Always starts with `1`, so the value alone fixes the digit count.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix(u32);

impl Prefix {
    /// Reads a prefix from config: 3–7 ASCII digits starting with `1`, surrounding spaces
    /// ignored, not in the 10/12 service ranges (those numbers never reach the table).
    pub fn parse(text: &str) -> Result<Prefix, PrefixError> {
        let prefix = text.trim();
        let bad = |problem| PrefixError {
            prefix: prefix.to_owned(),
            problem,
        };
        if prefix.is_empty() {
            return Err(bad(PrefixProblem::Empty));
        }
        if let Some(ch) = prefix.chars().find(|c| !c.is_ascii_digit()) {
            return Err(bad(PrefixProblem::NotDigit(ch)));
        }
        if !(MIN_PREFIX_DIGITS..=MAX_PREFIX_DIGITS).contains(&prefix.len()) {
            return Err(bad(PrefixProblem::Length(prefix.len())));
        }
        if !prefix.starts_with('1') {
            return Err(bad(PrefixProblem::NotStartingWithOne));
        }
        if prefix.starts_with("10") || prefix.starts_with("12") {
            return Err(bad(PrefixProblem::ServiceRange));
        }
        prefix
            .parse::<u32>()
            .map(Prefix)
            .map_err(|_| bad(PrefixProblem::Length(prefix.len())))
    }

    /// How many digits the prefix has.
    pub fn digits(&self) -> usize {
        self.0.checked_ilog10().map_or(0, |l| l as usize + 1)
    }

    /// The prefix of `msisdn` with `len` digits.
    fn of(msisdn: &Msisdn, len: usize) -> Prefix {
        Prefix(
            msisdn
                .as_bytes()
                .iter()
                .take(len)
                .fold(0, |acc, d| acc * 10 + u32::from(d.saturating_sub(b'0'))),
        )
    }

    /// Whether this prefix begins with the digits of `lead`.
    fn starts_with(&self, lead: Prefix) -> bool {
        let (mine, theirs) = (self.digits(), lead.digits());
        mine >= theirs
            && u32::try_from(mine - theirs)
                .ok()
                .and_then(|shift| 10u32.checked_pow(shift))
                .is_some_and(|scale| self.0 / scale == lead.0)
    }

    /// Sort key giving lexicographic digit order: `134` < `1340` < `1349` < `135`.
    fn sort_key(&self) -> (u64, usize) {
        let len = self.digits();
        let pad = u32::try_from(MAX_PREFIX_DIGITS.saturating_sub(len)).unwrap_or(0);
        (u64::from(self.0) * 10u64.pow(pad), len)
    }
}

impl Ord for Prefix {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl PartialOrd for Prefix {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Prefix({})", self.0)
    }
}

impl Serialize for Prefix {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A number prefix from config that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("number prefix {prefix:?} {problem}")]
pub struct PrefixError {
    /// The prefix as given (trimmed).
    pub prefix: String,
    /// What is wrong with it.
    pub problem: PrefixProblem,
}

/// What is wrong with a number prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PrefixProblem {
    /// Nothing given.
    #[error("is empty")]
    Empty,
    /// A character other than an ASCII digit.
    #[error("contains {0:?}; a prefix is digits only")]
    NotDigit(char),
    /// Too short or too long.
    #[error("has {0} digits; a prefix has 3 to 7")]
    Length(usize),
    /// Mobile numbers start with 1.
    #[error("does not start with 1, so no mobile number can match it")]
    NotStartingWithOne,
    /// 10… and 12… are service codes and never reach the prefix table.
    #[error("is in the 10/12 service-code range, which is never a mobile number")]
    ServiceRange,
}

/// One entry of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PrefixEntry {
    /// The leading digits it covers.
    pub prefix: Prefix,
    /// The carrier whose numbers these are.
    pub carrier: Carrier,
    /// What the block is used for.
    pub kind: PrefixKind,
    /// False for entries added or changed by config.
    pub built_in: bool,
}

// Short names keep the table below one readable line per prefix.
use Carrier::{Broadnet, Mobile, Telecom, Unicom};
use PrefixKind::{DataOnly, Satellite, Standard, Virtual};

/// The built-in prefixes: prefix, carrier, kind. See the module docs for sources.
pub const BUILTIN: &[(u32, Carrier, PrefixKind)] = &[
    // China Mobile
    (134, Mobile, Standard), // 1340–1348; 1349 below
    (135, Mobile, Standard),
    (136, Mobile, Standard),
    (137, Mobile, Standard),
    (138, Mobile, Standard),
    (139, Mobile, Standard),
    (147, Mobile, Standard),
    (148, Mobile, DataOnly),
    (150, Mobile, Standard),
    (151, Mobile, Standard),
    (152, Mobile, Standard),
    (157, Mobile, Standard),
    (158, Mobile, Standard),
    (159, Mobile, Standard),
    (165, Mobile, Virtual),
    (172, Mobile, Standard),
    (178, Mobile, Standard),
    (182, Mobile, Standard),
    (183, Mobile, Standard),
    (184, Mobile, Standard),
    (187, Mobile, Standard),
    (188, Mobile, Standard),
    (195, Mobile, Standard),
    (197, Mobile, Standard),
    (198, Mobile, Standard),
    (1440, Mobile, DataOnly),
    (1703, Mobile, Virtual),
    (1705, Mobile, Virtual),
    (1706, Mobile, Virtual),
    // China Unicom
    (130, Unicom, Standard),
    (131, Unicom, Standard),
    (132, Unicom, Standard),
    (145, Unicom, Standard),
    (146, Unicom, DataOnly),
    (155, Unicom, Standard),
    (156, Unicom, Standard),
    (166, Unicom, Standard),
    (167, Unicom, Virtual),
    (171, Unicom, Virtual),
    (175, Unicom, Standard),
    (176, Unicom, Standard),
    (185, Unicom, Standard),
    (186, Unicom, Standard),
    (196, Unicom, Standard),
    (1704, Unicom, Virtual),
    (1707, Unicom, Virtual),
    (1708, Unicom, Virtual),
    (1709, Unicom, Virtual),
    // China Telecom
    (133, Telecom, Standard),
    (149, Telecom, Standard),
    (153, Telecom, Standard),
    (162, Telecom, Virtual),
    (173, Telecom, Standard),
    (177, Telecom, Standard),
    (180, Telecom, Standard),
    (181, Telecom, Standard),
    (189, Telecom, Standard),
    (190, Telecom, Standard),
    (191, Telecom, Standard),
    (193, Telecom, Standard),
    (199, Telecom, Standard),
    (1349, Telecom, Satellite),
    (1740, Telecom, Satellite),
    (1700, Telecom, Virtual),
    (1701, Telecom, Virtual),
    (1702, Telecom, Virtual),
    (1410, Telecom, DataOnly),
    // China Broadnet
    (192, Broadnet, Standard),
];

/// Number prefixes to carriers, with longest-prefix lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixTable {
    entries: HashMap<Prefix, PrefixEntry>,
}

impl Default for PrefixTable {
    /// The built-in table.
    fn default() -> Self {
        PrefixTable::builtin()
    }
}

impl PrefixTable {
    /// The built-in table of current mainland prefixes ([`BUILTIN`]).
    pub fn builtin() -> PrefixTable {
        let entries = BUILTIN
            .iter()
            .map(|&(value, carrier, kind)| {
                let prefix = Prefix(value);
                let entry = PrefixEntry {
                    prefix,
                    carrier,
                    kind,
                    built_in: true,
                };
                (prefix, entry)
            })
            .collect();
        PrefixTable { entries }
    }

    /// A table with no entries, for configs that want to list every prefix themselves.
    pub fn empty() -> PrefixTable {
        PrefixTable {
            entries: HashMap::new(),
        }
    }

    /// Adds a prefix or overrides an existing entry for exactly this prefix, as an
    /// ordinary ([`PrefixKind::Standard`]) prefix. Returns the entry it replaced.
    pub fn extend(
        &mut self,
        prefix: &str,
        carrier: Carrier,
    ) -> Result<Option<PrefixEntry>, PrefixError> {
        self.extend_with_kind(prefix, carrier, PrefixKind::Standard)
    }

    /// [`PrefixTable::extend`] with an explicit kind.
    pub fn extend_with_kind(
        &mut self,
        prefix: &str,
        carrier: Carrier,
        kind: PrefixKind,
    ) -> Result<Option<PrefixEntry>, PrefixError> {
        let prefix = Prefix::parse(prefix)?;
        let entry = PrefixEntry {
            prefix,
            carrier,
            kind,
            built_in: false,
        };
        Ok(self.entries.insert(prefix, entry))
    }

    /// Removes the entry for exactly this prefix; numbers under it then fall to a shorter
    /// entry, if any. Returns the removed entry.
    pub fn remove(&mut self, prefix: &str) -> Result<Option<PrefixEntry>, PrefixError> {
        let prefix = Prefix::parse(prefix)?;
        Ok(self.entries.remove(&prefix))
    }

    /// The entry for exactly this prefix.
    pub fn get(&self, prefix: Prefix) -> Option<&PrefixEntry> {
        self.entries.get(&prefix)
    }

    /// The most specific entry covering `msisdn`, or
    /// [`NumberError::UnknownPrefix`] naming the shortest leading digits nothing covers.
    pub fn lookup(&self, msisdn: &Msisdn) -> Result<PrefixEntry, NumberError> {
        (MIN_PREFIX_DIGITS..=MAX_PREFIX_DIGITS)
            .rev()
            .find_map(|len| self.entries.get(&Prefix::of(msisdn, len)))
            .copied()
            .ok_or_else(|| NumberError::UnknownPrefix {
                prefix: self.uncovered_prefix(msisdn).to_owned(),
            })
    }

    /// The carrier of `msisdn` by prefix.
    pub fn carrier_of(&self, msisdn: &Msisdn) -> Result<Carrier, NumberError> {
        self.lookup(msisdn).map(|s| s.carrier)
    }

    /// The shortest leading digits of `msisdn` that no entry begins with, so the error
    /// says `1741` rather than `174` when `1740` is known.
    fn uncovered_prefix<'a>(&self, msisdn: &'a Msisdn) -> &'a str {
        let len = (MIN_PREFIX_DIGITS..=MAX_PREFIX_DIGITS)
            .find(|&len| {
                let lead = Prefix::of(msisdn, len);
                !self.entries.keys().any(|p| p.starts_with(lead))
            })
            .unwrap_or(MSISDN_DIGITS);
        msisdn.leading(len)
    }

    /// Every entry, in digit order (`133`, `134`, `1349`, `135`, …).
    pub fn iter(&self) -> impl Iterator<Item = &PrefixEntry> {
        let mut all: Vec<&PrefixEntry> = self.entries.values().collect();
        all.sort_unstable_by_key(|s| s.prefix);
        all.into_iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::route::number::normalize;
    use proptest::prelude::*;

    fn number(digits: &str) -> Msisdn {
        normalize(digits).unwrap()
    }

    /// A number whose longest matching entry is `prefix` itself, if one exists: the prefix
    /// padded with a repeated digit, trying each digit.
    fn number_under(table: &PrefixTable, prefix: Prefix) -> Option<Msisdn> {
        let text = prefix.to_string();
        (b'0'..=b'9').find_map(|fill| {
            let mut digits = text.clone();
            while digits.len() < MSISDN_DIGITS {
                digits.push(char::from(fill));
            }
            let n = number(&digits);
            (table.lookup(&n).ok()?.prefix == prefix).then_some(n)
        })
    }

    #[test]
    fn every_builtin_entry_is_a_valid_prefix() {
        for &(value, _, _) in BUILTIN {
            let parsed = Prefix::parse(&value.to_string()).unwrap();
            assert_eq!(parsed, Prefix(value));
        }
        assert_eq!(
            PrefixTable::builtin().len(),
            BUILTIN.len(),
            "duplicate prefix"
        );
    }

    #[test]
    fn every_builtin_prefix_routes_to_its_carrier() {
        let table = PrefixTable::builtin();
        for &(value, carrier, kind) in BUILTIN {
            let prefix = Prefix(value);
            let n = number_under(&table, prefix)
                .unwrap_or_else(|| panic!("{prefix} is shadowed by longer entries"));
            let seg = table.lookup(&n).unwrap();
            assert_eq!(seg.carrier, carrier, "{n}");
            assert_eq!(seg.kind, kind, "{n}");
            assert!(seg.built_in);
            assert_eq!(table.carrier_of(&n), Ok(carrier));
        }
    }

    /// The brief's list, independent of [`BUILTIN`]: every 3-digit prefix and 4-digit
    /// exception with the carrier it must map to.
    #[test]
    fn brief_prefix_list() {
        let expect: &[(&str, &[&str], Carrier)] = &[
            (
                "mobile",
                &[
                    "1340", "1348", "135", "136", "137", "138", "139", "147", "148", "150", "151",
                    "152", "157", "158", "159", "165", "172", "178", "182", "183", "184", "187",
                    "188", "195", "197", "198", "1440", "1703", "1705", "1706",
                ],
                Mobile,
            ),
            (
                "unicom",
                &[
                    "130", "131", "132", "145", "146", "155", "156", "166", "167", "171", "175",
                    "176", "185", "186", "196", "1704", "1707", "1708", "1709",
                ],
                Unicom,
            ),
            (
                "telecom",
                &[
                    "133", "149", "153", "173", "177", "180", "181", "189", "190", "191", "193",
                    "199", "162", "1349", "17400", "17405", "1700", "1701", "1702", "1410",
                ],
                Telecom,
            ),
            ("broadnet", &["192"], Broadnet),
        ];
        let table = PrefixTable::builtin();
        for (name, prefixes, carrier) in expect {
            for prefix in *prefixes {
                for fill in ['0', '5', '9'] {
                    let mut digits = prefix.to_string();
                    while digits.len() < MSISDN_DIGITS {
                        digits.push(fill);
                    }
                    assert_eq!(
                        table.carrier_of(&number(&digits)),
                        Ok(*carrier),
                        "{name} {digits}"
                    );
                }
            }
        }
    }

    #[test]
    fn four_digit_exceptions_beat_three_digit_prefixes() {
        let table = PrefixTable::builtin();
        let m = |d: &str| table.lookup(&number(d)).unwrap();
        assert_eq!(m("13480000000").carrier, Mobile);
        assert_eq!(m("13480000000").prefix, Prefix(134));
        assert_eq!(m("13490000000").carrier, Telecom);
        assert_eq!(m("13490000000").prefix, Prefix(1349));
        assert_eq!(m("13490000000").kind, Satellite);
        assert_eq!(m("17000000000").carrier, Telecom);
        assert_eq!(m("17030000000").carrier, Mobile);
        assert_eq!(m("17040000000").carrier, Unicom);
        assert_eq!(m("17400000000").kind, Satellite);
        assert_eq!(m("14400000000").kind, DataOnly);
        assert_eq!(m("16500000000").kind, Virtual);
    }

    #[test]
    fn unknown_prefix_name_the_uncovered_digits() {
        let table = PrefixTable::builtin();
        let unknown = |d: &str| match table.lookup(&number(d)) {
            Err(NumberError::UnknownPrefix { prefix }) => prefix,
            other => panic!("{d}: {other:?}"),
        };
        assert_eq!(unknown("11100000000"), "111");
        assert_eq!(unknown("17410000000"), "1741");
        assert_eq!(unknown("14000000000"), "140");
        assert_eq!(unknown("14420000000"), "1442");
        assert_eq!(unknown("16000000000"), "160");
        assert_eq!(unknown("19400000000"), "194");
        assert_eq!(
            PrefixTable::empty().lookup(&number("13800138000")),
            Err(NumberError::UnknownPrefix {
                prefix: "138".into()
            })
        );
    }

    #[test]
    fn config_can_add_and_override_prefixes() {
        let mut table = PrefixTable::builtin();
        let n1741 = number("17410000000");
        assert!(table.lookup(&n1741).is_err());
        assert_eq!(table.extend("1741", Telecom), Ok(None));
        let seg = table.lookup(&n1741).unwrap();
        assert_eq!(
            (seg.carrier, seg.kind, seg.built_in),
            (Telecom, Standard, false)
        );

        // Overriding an existing entry returns what it replaced.
        let old = table.extend(" 192 ", Mobile).unwrap().unwrap();
        assert_eq!((old.carrier, old.built_in), (Broadnet, true));
        assert_eq!(table.carrier_of(&number("19200000000")), Ok(Mobile));

        // A longer config entry carves out a block inside a built-in prefix.
        table.extend_with_kind("1380013", Unicom, Virtual).unwrap();
        assert_eq!(table.carrier_of(&number("13800138000")), Ok(Unicom));
        assert_eq!(table.carrier_of(&number("13800148000")), Ok(Mobile));

        // Removing an exception falls back to the shorter entry.
        let removed = table.remove("1349").unwrap().unwrap();
        assert_eq!(removed.carrier, Telecom);
        assert_eq!(table.carrier_of(&number("13490000000")), Ok(Mobile));
        assert_eq!(table.remove("1349"), Ok(None));
    }

    #[test]
    fn bad_prefixes_are_rejected_with_the_reason() {
        let mut table = PrefixTable::builtin();
        let before = table.clone();
        let cases = [
            ("", PrefixProblem::Empty),
            ("  ", PrefixProblem::Empty),
            ("13a", PrefixProblem::NotDigit('a')),
            ("+86138", PrefixProblem::NotDigit('+')),
            ("１３８", PrefixProblem::NotDigit('１')),
            ("13", PrefixProblem::Length(2)),
            ("13800138", PrefixProblem::Length(8)),
            ("238", PrefixProblem::NotStartingWithOne),
            ("106", PrefixProblem::ServiceRange),
            ("1234", PrefixProblem::ServiceRange),
        ];
        for (prefix, problem) in cases {
            let err = table.extend(prefix, Mobile).unwrap_err();
            assert_eq!(err.problem, problem, "{prefix:?}");
            assert_eq!(err.prefix, prefix.trim());
            assert_eq!(table.remove(prefix).unwrap_err().problem, problem);
        }
        assert_eq!(table, before, "a rejected prefix must not change the table");
        assert_eq!(
            Prefix::parse("13a").unwrap_err().to_string(),
            "number prefix \"13a\" contains 'a'; a prefix is digits only"
        );
        assert_eq!(
            Prefix::parse("13").unwrap_err().to_string(),
            "number prefix \"13\" has 2 digits; a prefix has 3 to 7"
        );
    }

    #[test]
    fn iteration_is_in_digit_order() {
        let table = PrefixTable::builtin();
        let order: Vec<String> = table.iter().map(|s| s.prefix.to_string()).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
        let at = |p: &str| order.iter().position(|x| x == p).unwrap();
        assert!(at("134") < at("1349") && at("1349") < at("135"));
    }

    #[test]
    fn prefix_helpers() {
        assert_eq!(Prefix(134).digits(), 3);
        assert_eq!(Prefix(1380013).digits(), 7);
        assert!(Prefix(1349).starts_with(Prefix(134)));
        assert!(Prefix(134).starts_with(Prefix(134)));
        assert!(!Prefix(134).starts_with(Prefix(1349)));
        assert!(!Prefix(1359).starts_with(Prefix(134)));
        assert_eq!(format!("{:?}", Prefix(192)), "Prefix(192)");
        assert_eq!(serde_json::to_string(&Prefix(1349)).unwrap(), "\"1349\"");
    }

    proptest! {
        #[test]
        fn lookup_finds_the_longest_covering_entry(digits in "1[13-9][0-9]{9}") {
            let table = PrefixTable::builtin();
            let n = number(&digits);
            match table.lookup(&n) {
                Ok(seg) => {
                    let p = seg.prefix.to_string();
                    prop_assert!(digits.starts_with(&p));
                    for longer in table.iter() {
                        let l = longer.prefix.to_string();
                        prop_assert!(!(digits.starts_with(&l) && l.len() > p.len()));
                    }
                }
                Err(NumberError::UnknownPrefix { prefix }) => {
                    prop_assert!(digits.starts_with(&prefix));
                    prop_assert!(table.iter().all(|s| !digits.starts_with(&s.prefix.to_string())));
                }
                Err(other) => prop_assert!(false, "unexpected {:?}", other),
            }
        }
    }
}
