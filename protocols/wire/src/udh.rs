//! GSM 03.40 User Data Header: parsing every information element and building the
//! concatenation header (IEI 0x00, 8-bit reference; IEI 0x08, 16-bit reference).

/// One information element of a UDH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformationElement {
    /// IEI byte.
    pub iei: u8,
    /// IE data (IEDL bytes).
    pub data: Vec<u8>,
}

/// Concatenation info taken from IEI 0x00 or 0x08.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    /// Reference number (8- or 16-bit).
    pub reference: u16,
    /// True when it came from (or will be written as) the 16-bit IEI 0x08.
    pub wide: bool,
    /// Total number of segments.
    pub total: u8,
    /// This segment's number, from 1.
    pub number: u8,
}

/// A parsed UDH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Udh {
    /// All IEs in order, the concatenation IE included.
    pub elements: Vec<InformationElement>,
}

/// Why a UDH could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UdhError {
    /// The content is empty: no UDHL byte.
    #[error("UDHL missing: content is empty")]
    Empty,
    /// UDHL points past the end of the content.
    #[error("UDHL {udhl} exceeds the {available} byte(s) after it")]
    LengthOverrun {
        /// Declared UDH length.
        udhl: usize,
        /// Bytes available after UDHL.
        available: usize,
    },
    /// An IE's IEDL points past the end of the UDH.
    #[error(
        "IE 0x{iei:02x} at offset {offset} declares {iedl} byte(s), {available} left in the UDH"
    )]
    ElementOverrun {
        /// IEI of the broken element.
        iei: u8,
        /// Offset of the IE inside the UDH.
        offset: usize,
        /// Declared IE data length.
        iedl: usize,
        /// Bytes left.
        available: usize,
    },
}

impl Udh {
    /// Split `content` into its UDH and the user data after it.
    pub fn parse(content: &[u8]) -> Result<(Udh, &[u8]), UdhError> {
        let (&udhl, rest) = content.split_first().ok_or(UdhError::Empty)?;
        let udhl = udhl as usize;
        if udhl > rest.len() {
            return Err(UdhError::LengthOverrun {
                udhl,
                available: rest.len(),
            });
        }
        let (header, payload) = rest.split_at(udhl);
        let mut elements = Vec::new();
        let mut i = 0;
        while let Some(&iei) = header.get(i) {
            let Some(&iedl) = header.get(i + 1) else {
                return Err(UdhError::ElementOverrun {
                    iei,
                    offset: i,
                    iedl: 1,
                    available: 0,
                });
            };
            let iedl = iedl as usize;
            let start = i + 2;
            let Some(data) = header.get(start..start + iedl) else {
                let available = header.len().saturating_sub(start);
                return Err(UdhError::ElementOverrun {
                    iei,
                    offset: i,
                    iedl,
                    available,
                });
            };
            elements.push(InformationElement {
                iei,
                data: data.to_vec(),
            });
            i = start + iedl;
        }
        Ok((Udh { elements }, payload))
    }

    /// The concatenation IE, if any (the first well-formed IEI 0x00 or 0x08).
    pub fn concat(&self) -> Option<Concat> {
        self.elements
            .iter()
            .find_map(|ie| match (ie.iei, ie.data.as_slice()) {
                (0x00, &[r, t, n]) => Some(Concat {
                    reference: r as u16,
                    wide: false,
                    total: t,
                    number: n,
                }),
                (0x08, &[rh, rl, t, n]) => Some(Concat {
                    reference: u16::from_be_bytes([rh, rl]),
                    wide: true,
                    total: t,
                    number: n,
                }),
                _ => None,
            })
    }
}

impl Concat {
    /// The UDH bytes for this segment: `05 00 03 RR TT SS` or `06 08 04 RH RL TT SS`.
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.wide {
            let [rh, rl] = self.reference.to_be_bytes();
            vec![0x06, 0x08, 0x04, rh, rl, self.total, self.number]
        } else {
            vec![
                0x05,
                0x00,
                0x03,
                self.reference as u8,
                self.total,
                self.number,
            ]
        }
    }

    /// UDH length in bytes for this form (6 or 7).
    pub fn header_len(wide: bool) -> usize {
        if wide { 7 } else { 6 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_8_and_16_bit_concat() {
        let (udh, rest) = Udh::parse(&[0x05, 0x00, 0x03, 0x5a, 0x02, 0x01, 0x30, 0x10])
            .map_err(|e| e.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            udh.concat(),
            Some(Concat {
                reference: 0x5a,
                wide: false,
                total: 2,
                number: 1
            })
        );
        assert_eq!(rest, &[0x30, 0x10]);
        let bytes = [
            0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x02, 0x6d, 0x4b, 0x8b, 0xd5,
        ];
        let (udh, rest) = Udh::parse(&bytes)
            .map_err(|e| e.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        let c = udh.concat();
        assert_eq!(
            c,
            Some(Concat {
                reference: 0x1234,
                wide: true,
                total: 3,
                number: 2
            })
        );
        assert_eq!(rest.len(), 4);
        assert_eq!(c.map(|c| c.to_bytes()), Some(bytes[..7].to_vec()));
    }

    #[test]
    fn walks_other_elements() {
        // Port-addressing IE 0x05 before the concat IE.
        let bytes = [
            0x0b, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x00, 0x03, 0x01, 0x02, 0x01, b'x',
        ];
        let (udh, rest) = Udh::parse(&bytes)
            .map_err(|e| e.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(udh.elements.len(), 2);
        assert_eq!(udh.concat().map(|c| (c.total, c.number)), Some((2, 1)));
        assert_eq!(rest, b"x");
    }

    #[test]
    fn malformed_udh_is_an_error_not_a_panic() {
        assert_eq!(Udh::parse(&[]), Err(UdhError::Empty));
        assert_eq!(
            Udh::parse(&[5, 0, 3]),
            Err(UdhError::LengthOverrun {
                udhl: 5,
                available: 2
            })
        );
        assert!(matches!(
            Udh::parse(&[3, 0, 3, 1]),
            Err(UdhError::ElementOverrun { iei: 0, .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics_and_accounts_for_every_byte(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            if let Ok((udh, rest)) = Udh::parse(&bytes) {
                let header: usize = udh.elements.iter().map(|ie| 2 + ie.data.len()).sum();
                proptest::prop_assert_eq!(1 + header + rest.len(), bytes.len());
                let _ = udh.concat();
            }
        }

        #[test]
        fn concat_round_trips(reference: u16, wide: bool, total: u8, number: u8) {
            let c = Concat { reference: if wide { reference } else { reference & 0xff }, wide, total, number };
            let bytes = c.to_bytes();
            proptest::prop_assert_eq!(bytes.len(), Concat::header_len(wide));
            let parsed = Udh::parse(&bytes).map(|(u, rest)| (u.concat(), rest.len()));
            proptest::prop_assert_eq!(parsed, Ok((Some(c), 0)));
        }
    }
}
