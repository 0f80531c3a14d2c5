//! Extended numbers: a link's service code followed by the extension of the item a
//! message belongs to, and the way back from an MO message's destination to that
//! extension.
//!
//! Which extension an item gets is durable state and is decided by the store
//! ([`Store::allocate_extension`](crate::store::Store::allocate_extension)); this file holds
//! the pure rules around it.

use std::time::Duration;

/// A suggested quarantine before a released extension is handed to another item: people
/// answer old messages days later, and a late "同意" must not reach whatever item holds
/// the extension next. A week lets a 4-digit space (10 000 extensions) close about 1 400
/// items a day per carrier before new ones have to wait.
pub const DEFAULT_QUARANTINE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The source number of a message for an item: service code + extension.
pub fn extended_number(service_code: &str, extension: &str) -> String {
    let mut number = String::with_capacity(service_code.len() + extension.len());
    number.push_str(service_code);
    number.push_str(extension);
    number
}

/// Where an MO message was addressed, relative to one link's service code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination<'a> {
    /// The bare service code: no item can be meant.
    Bare,
    /// Service code + an extension of the configured length.
    Extension(&'a str),
    /// Anything else: another service code, a different number of extension digits, or
    /// non-digits. Not guessed at: after a change of `extension_length`, the first digits
    /// of a longer number could name an unrelated live item.
    Other,
}

/// Splits an MO destination into the service code and an extension of `length` digits.
pub fn split_destination<'a>(
    destination: &'a str,
    service_code: &str,
    length: u8,
) -> Destination<'a> {
    let Some(extension) = destination.strip_prefix(service_code) else {
        return Destination::Other;
    };
    if extension.is_empty() {
        return Destination::Bare;
    }
    if extension.len() == usize::from(length) && extension.bytes().all(|b| b.is_ascii_digit()) {
        Destination::Extension(extension)
    } else {
        Destination::Other
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn an_extended_number_is_the_service_code_then_the_extension() {
        assert_eq!(extended_number("10690123", "0042"), "106901230042");
        assert_eq!(extended_number("10690123", ""), "10690123");
    }

    #[test]
    fn a_destination_splits_back_into_its_extension() {
        let code = "10690123";
        assert_eq!(
            split_destination("106901230042", code, 4),
            Destination::Extension("0042")
        );
        assert_eq!(split_destination("10690123", code, 4), Destination::Bare);
        assert_eq!(
            split_destination("1069012300421", code, 4),
            Destination::Other,
            "too long"
        );
        assert_eq!(
            split_destination("10690123004", code, 4),
            Destination::Other,
            "too short"
        );
        assert_eq!(
            split_destination("1069012300a2", code, 4),
            Destination::Other
        );
        assert_eq!(
            split_destination("106559990042", code, 4),
            Destination::Other
        );
        assert_eq!(split_destination("", code, 4), Destination::Other);
        assert_eq!(
            split_destination("106901235", code, 1),
            Destination::Extension("5")
        );
    }

    #[test]
    fn extended_number_and_split_destination_round_trip() {
        for ext in ["0000", "0001", "9999", "4711"] {
            let number = extended_number("1065501", ext);
            assert_eq!(
                split_destination(&number, "1065501", 4),
                Destination::Extension(ext)
            );
        }
    }
}
