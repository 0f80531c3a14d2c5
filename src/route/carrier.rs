//! The four mainland carriers a number can belong to, and the names config files and CSV
//! imports may use for them.
//!
//! Each carrier runs its own SP protocol — China Mobile CMPP, China Telecom SMGP, China
//! Unicom SGIP — and a message has to go through its own carrier's link: a message pushed
//! into another carrier's gateway is delivered (if at all) from that carrier's access
//! number, so the extended number that ties a reply to its job is lost.
//!
//! China Broadnet (中国广电, segment 192) is the odd one out. It has no SP gateway protocol
//! of its own: its subscribers ride China Mobile's radio network (the 2020 co-build and
//! co-share agreement), and whether a China Mobile SP account reaches 192 numbers depends
//! on the account. So hongyan does **not** guess: Broadnet is routed like any other
//! carrier — to a link configured for Broadnet, or to an explicitly configured fallback
//! (typically `broadnet → mobile`), and otherwise the job fails with that reason.
//! [`Carrier::shares_network_with`] records the relationship so errors can suggest the fix.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A mainland mobile carrier.
///
/// [`Display`](fmt::Display) prints the short config name (`mobile`, `telecom`, `unicom`,
/// `broadnet`), which [`FromStr`] reads back; [`Carrier::full_name`] is the name for
/// sentences meant for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Carrier {
    /// China Mobile (中国移动), CMPP.
    Mobile,
    /// China Telecom (中国电信), SMGP.
    Telecom,
    /// China Unicom (中国联通), SGIP.
    Unicom,
    /// China Broadnet (中国广电), segment 192; shares China Mobile's network.
    Broadnet,
}

impl Carrier {
    /// Every carrier, in a fixed order.
    pub const ALL: [Carrier; 4] = [
        Carrier::Mobile,
        Carrier::Telecom,
        Carrier::Unicom,
        Carrier::Broadnet,
    ];

    /// The short name used in config files, CSV files and logs: `mobile`, `telecom`,
    /// `unicom` or `broadnet`.
    pub const fn name(self) -> &'static str {
        match self {
            Carrier::Mobile => "mobile",
            Carrier::Telecom => "telecom",
            Carrier::Unicom => "unicom",
            Carrier::Broadnet => "broadnet",
        }
    }

    /// The English name for messages to people, e.g. `China Telecom`.
    pub const fn full_name(self) -> &'static str {
        match self {
            Carrier::Mobile => "China Mobile",
            Carrier::Telecom => "China Telecom",
            Carrier::Unicom => "China Unicom",
            Carrier::Broadnet => "China Broadnet",
        }
    }

    /// The Chinese name, e.g. `中国电信`.
    pub const fn chinese_name(self) -> &'static str {
        match self {
            Carrier::Mobile => "中国移动",
            Carrier::Telecom => "中国电信",
            Carrier::Unicom => "中国联通",
            Carrier::Broadnet => "中国广电",
        }
    }

    /// The carrier whose radio network this carrier's subscribers use, if it is not its
    /// own: China Broadnet rides China Mobile's. A hint for configuring a fallback, never
    /// applied on its own.
    pub const fn shares_network_with(self) -> Option<Carrier> {
        match self {
            Carrier::Broadnet => Some(Carrier::Mobile),
            Carrier::Mobile | Carrier::Telecom | Carrier::Unicom => None,
        }
    }
}

impl fmt::Display for Carrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A carrier name that [`Carrier::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarrierParseError {
    /// The name was empty (or only spaces).
    #[error("the carrier is missing; expected mobile, telecom, unicom or broadnet")]
    Empty,
    /// The name is not one of the accepted spellings.
    #[error(
        "unknown carrier {0:?}; expected mobile, telecom, unicom or broadnet \
         (cmcc, ct, cu, cbn and the Chinese names are accepted too)"
    )]
    Unknown(String),
}

impl FromStr for Carrier {
    type Err = CarrierParseError;

    /// Reads a carrier name, ignoring case, surrounding spaces and any spaces, dashes or
    /// underscores inside (`China Mobile`, `china_mobile`, `CMCC` all work). Accepted:
    ///
    /// | carrier | names |
    /// |---|---|
    /// | Mobile | `mobile`, `cmcc`, `chinamobile`, `移动`, `中国移动` |
    /// | Telecom | `telecom`, `ct`, `chinatelecom`, `电信`, `中国电信` |
    /// | Unicom | `unicom`, `cu`, `chinaunicom`, `联通`, `中国联通` |
    /// | Broadnet | `broadnet`, `cbn`, `chinabroadnet`, `广电`, `中国广电` |
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        let carrier = match key.as_str() {
            "" => return Err(CarrierParseError::Empty),
            "mobile" | "cmcc" | "chinamobile" | "移动" | "中国移动" => Carrier::Mobile,
            "telecom" | "ct" | "chinatelecom" | "电信" | "中国电信" => Carrier::Telecom,
            "unicom" | "cu" | "chinaunicom" | "联通" | "中国联通" => Carrier::Unicom,
            "broadnet" | "cbn" | "chinabroadnet" | "广电" | "中国广电" => Carrier::Broadnet,
            _ => return Err(CarrierParseError::Unknown(s.trim().to_owned())),
        };
        Ok(carrier)
    }
}

impl Serialize for Carrier {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Carrier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn display_round_trips_through_from_str() {
        for c in Carrier::ALL {
            assert_eq!(c.to_string().parse::<Carrier>().unwrap(), c);
        }
        assert_eq!(Carrier::Telecom.to_string(), "telecom");
    }

    #[test]
    fn every_documented_alias_parses() {
        let cases = [
            ("mobile", Carrier::Mobile),
            ("cmcc", Carrier::Mobile),
            ("chinamobile", Carrier::Mobile),
            ("China Mobile", Carrier::Mobile),
            ("china_mobile", Carrier::Mobile),
            ("  CMCC ", Carrier::Mobile),
            ("中国移动", Carrier::Mobile),
            ("移动", Carrier::Mobile),
            ("telecom", Carrier::Telecom),
            ("ct", Carrier::Telecom),
            ("chinatelecom", Carrier::Telecom),
            ("China-Telecom", Carrier::Telecom),
            ("中国电信", Carrier::Telecom),
            ("电信", Carrier::Telecom),
            ("unicom", Carrier::Unicom),
            ("CU", Carrier::Unicom),
            ("chinaunicom", Carrier::Unicom),
            ("中国联通", Carrier::Unicom),
            ("联通", Carrier::Unicom),
            ("broadnet", Carrier::Broadnet),
            ("cbn", Carrier::Broadnet),
            ("China Broadnet", Carrier::Broadnet),
            ("中国广电", Carrier::Broadnet),
            ("广电", Carrier::Broadnet),
        ];
        for (name, want) in cases {
            assert_eq!(name.parse::<Carrier>(), Ok(want), "{name}");
        }
    }

    #[test]
    fn unknown_and_empty_names_say_what_is_accepted() {
        let err = "vodafone".parse::<Carrier>().unwrap_err();
        assert_eq!(err, CarrierParseError::Unknown("vodafone".into()));
        let text = err.to_string();
        assert!(text.contains("\"vodafone\""), "{text}");
        assert!(
            text.contains("mobile, telecom, unicom or broadnet"),
            "{text}"
        );

        assert_eq!(" ".parse::<Carrier>(), Err(CarrierParseError::Empty));
        assert!(
            CarrierParseError::Empty
                .to_string()
                .contains("carrier is missing")
        );
        // A name that only matches after dropping too much must not slip through.
        assert!("c-m".parse::<Carrier>().is_err());
        assert!("mobil".parse::<Carrier>().is_err());
    }

    #[test]
    fn names_for_people() {
        assert_eq!(Carrier::Telecom.full_name(), "China Telecom");
        assert_eq!(Carrier::Broadnet.chinese_name(), "中国广电");
        assert_eq!(
            Carrier::Broadnet.shares_network_with(),
            Some(Carrier::Mobile)
        );
        assert_eq!(Carrier::Unicom.shares_network_with(), None);
    }

    #[test]
    fn serde_uses_the_short_name_and_accepts_aliases() {
        assert_eq!(
            serde_json::to_string(&Carrier::Unicom).unwrap(),
            "\"unicom\""
        );
        assert_eq!(
            serde_json::from_str::<Carrier>("\"CMCC\"").unwrap(),
            Carrier::Mobile
        );
        let err = serde_json::from_str::<Carrier>("\"att\"").unwrap_err();
        assert!(err.to_string().contains("unknown carrier"), "{err}");
    }
}
