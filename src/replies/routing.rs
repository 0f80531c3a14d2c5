//! Which item an inbound message answers: the link it came in on gives the carrier,
//! the service code and the extension length; the destination gives the extension; the
//! store says who holds it; and only the number the item's message went to may answer.

use crate::config::Config;
use crate::replies::extension::{Destination, split_destination};
use crate::route::Carrier;

/// Where an MO destination points, before the store is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routed {
    /// An extension under this link's service code, of this carrier.
    Extension {
        /// The carrier (extensions are unique per carrier).
        carrier: Carrier,
        /// The extension digits.
        extension: String,
    },
    /// No item can be meant; the stable reason code.
    Unmatched(&'static str),
}

/// Splits an inbound message's destination by the settings of the link it came in on.
pub fn route_destination(config: &Config, link: &str, destination: &str) -> Routed {
    let Some(l) = config.links.iter().find(|l| l.name == link) else {
        return Routed::Unmatched("unknown_link");
    };
    if l.extension_length == 0 {
        return Routed::Unmatched("no_extensions");
    }
    match split_destination(destination, &l.service_code, l.extension_length) {
        Destination::Extension(ext) => Routed::Extension {
            carrier: l.carrier(),
            extension: ext.to_string(),
        },
        Destination::Bare => Routed::Unmatched("bare_service_code"),
        Destination::Other => Routed::Unmatched("other_number"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn destinations_split_by_the_links_own_service_code() {
        let c = Config::embedded_default().unwrap();
        let mobile = &c
            .links
            .iter()
            .find(|l| l.carrier() == Carrier::Mobile)
            .unwrap();
        let code = mobile.service_code.clone();
        let ext = "7".repeat(usize::from(mobile.extension_length));
        assert_eq!(
            route_destination(&c, &mobile.name, &format!("{code}{ext}")),
            Routed::Extension {
                carrier: Carrier::Mobile,
                extension: ext.clone()
            }
        );
        assert_eq!(
            route_destination(&c, &mobile.name, &code),
            Routed::Unmatched("bare_service_code")
        );
        assert_eq!(
            route_destination(&c, &mobile.name, "12345"),
            Routed::Unmatched("other_number")
        );
        assert_eq!(
            route_destination(&c, "nope", &code),
            Routed::Unmatched("unknown_link")
        );
    }
}
