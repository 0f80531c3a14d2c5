//! The 122-byte status report carried in Deliver.MsgContent when IsReport = 1 (§6.4).
//!
//! Modelled on the SMPP receipt text, but the id is 10 raw MsgID bytes and every value
//! has a fixed width, so it is parsed **by offset**. The keywords are spelled
//! differently by different gateways (`Submit date:` / `submit date:` /
//! `submit_date:`, `Text:` / `text:`; README disagreement 9) — all the same length, and
//! never compared. [`StatusReport::to_bytes`] writes the spec spelling.
//!
//! | Offset | Size | Content |
//! |---:|---:|---|
//! | 0 | 3 | `id:` |
//! | 3 | 10 | MsgID of the original Submit_Resp (binary BCD) |
//! | 13 | 5 | ` sub:` |
//! | 18 | 3 | sub, default `001` |
//! | 21 | 7 | ` dlvrd:` |
//! | 28 | 3 | dlvrd, default `001` |
//! | 31 | 13 | ` Submit date:` |
//! | 44 | 10 | submit date `YYMMDDhhmm` |
//! | 54 | 11 | ` done date:` |
//! | 65 | 10 | done date `YYMMDDhhmm` |
//! | 75 | 6 | ` stat:` |
//! | 81 | 7 | stat, e.g. `DELIVRD` ([`crate::status::stat_meaning`]) |
//! | 88 | 5 | ` err:` |
//! | 93 | 3 | err, 3 digits ([`crate::status::err_meaning`]) |
//! | 96 | 6 | ` Text:` |
//! | 102 | 20 | 3 ASCII digits of the original length + first 17 bytes of the content |
//!
//! Example (reference Example 5):
//! `id:<01006101021304000001> sub:001 dlvrd:001 Submit date:2401021304 done
//! date:2401021305 stat:DELIVRD err:000 Text:004<4f60597d><13×00>`.

use wire::field::{PResult, finish, octets, take};
use wire::{DecodeError, Octets};

use crate::msg_id::MsgId;
use crate::status;

pub(crate) const REPORT_PDU: &str = "SMGP_STATUS_REPORT";

/// Length of a status report.
pub const REPORT_LEN: usize = 122;

/// A status report, parsed by offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusReport {
    /// MsgID of the Submit_Resp this report is about.
    pub msg_id: MsgId,
    /// `sub`: number of messages submitted (3 digits).
    pub sub: Octets<3>,
    /// `dlvrd`: number delivered (3 digits).
    pub dlvrd: Octets<3>,
    /// Submit date `YYMMDDhhmm`.
    pub submit_date: Octets<10>,
    /// Done date `YYMMDDhhmm`.
    pub done_date: Octets<10>,
    /// `stat`, 7 characters.
    pub stat: Octets<7>,
    /// `err`, 3 digits.
    pub err: Octets<3>,
    /// `Text`: 3 digits of the original length, then the first 17 content bytes (raw,
    /// may contain 0x00).
    pub text: [u8; 20],
}

impl Default for StatusReport {
    /// A delivered report with `sub`/`dlvrd` `001`, `err` `000` and empty dates.
    fn default() -> Self {
        Self {
            msg_id: MsgId::ZERO,
            sub: Octets(*b"001"),
            dlvrd: Octets(*b"001"),
            submit_date: Octets::EMPTY,
            done_date: Octets::EMPTY,
            stat: Octets(*b"DELIVRD"),
            err: Octets(*b"000"),
            text: [0; 20],
        }
    }
}

fn digits(raw: &[u8]) -> Option<u16> {
    if raw.is_empty() || !raw.iter().all(u8::is_ascii_digit) {
        return None;
    }
    raw.iter().try_fold(0u16, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u16::from(d - b'0'))
    })
}

impl StatusReport {
    /// Parse a report from Deliver content. At least 122 bytes are required; bytes
    /// after the 122nd are ignored. A short report names the field it ran out in.
    pub fn parse(content: &[u8]) -> Result<Self, DecodeError> {
        fn parse(i: &[u8]) -> PResult<'_, StatusReport> {
            let (i, _) = take("'id:'", 3)(i)?;
            let (i, id) = octets::<10>("id")(i)?;
            let (i, _) = take("' sub:'", 5)(i)?;
            let (i, sub) = octets::<3>("sub")(i)?;
            let (i, _) = take("' dlvrd:'", 7)(i)?;
            let (i, dlvrd) = octets::<3>("dlvrd")(i)?;
            let (i, _) = take("' Submit date:'", 13)(i)?;
            let (i, submit_date) = octets::<10>("submit date")(i)?;
            let (i, _) = take("' done date:'", 11)(i)?;
            let (i, done_date) = octets::<10>("done date")(i)?;
            let (i, _) = take("' stat:'", 6)(i)?;
            let (i, stat) = octets::<7>("stat")(i)?;
            let (i, _) = take("' err:'", 5)(i)?;
            let (i, err) = octets::<3>("err")(i)?;
            let (i, _) = take("' Text:'", 6)(i)?;
            let (i, text) = octets::<20>("Text")(i)?;
            let report = StatusReport {
                msg_id: MsgId(id.0),
                sub,
                dlvrd,
                submit_date,
                done_date,
                stat,
                err,
                text: text.0,
            };
            Ok((i, report))
        }
        finish(REPORT_PDU, false, parse(content))
    }

    /// The 122 bytes, with the spec's keyword spelling.
    pub fn to_bytes(&self) -> [u8; REPORT_LEN] {
        let mut out = [0u8; REPORT_LEN];
        let parts: [&[u8]; 16] = [
            b"id:",
            &self.msg_id.0,
            b" sub:",
            self.sub.raw(),
            b" dlvrd:",
            self.dlvrd.raw(),
            b" Submit date:",
            self.submit_date.raw(),
            b" done date:",
            self.done_date.raw(),
            b" stat:",
            self.stat.raw(),
            b" err:",
            self.err.raw(),
            b" Text:",
            &self.text,
        ];
        let mut at = 0;
        for p in parts {
            if let Some(slot) = out.get_mut(at..at + p.len()) {
                slot.copy_from_slice(p);
            }
            at += p.len();
        }
        out
    }

    /// Did the message reach the handset (`stat` = `DELIVRD`)?
    pub fn is_delivered(&self) -> bool {
        status::stat_is_delivered(self.stat.raw())
    }

    /// Meaning of `stat`.
    pub fn stat_meaning(&self) -> &'static str {
        status::stat_meaning(self.stat.raw())
    }

    /// `err` as a number, when it is all digits.
    pub fn err_code(&self) -> Option<u16> {
        digits(self.err.raw())
    }

    /// Meaning of `err` (`"unrecognised err"` when not numeric).
    pub fn err_meaning(&self) -> &'static str {
        self.err_code()
            .map_or("unrecognised err", status::err_meaning)
    }

    /// `sub` as a number.
    pub fn sub_count(&self) -> Option<u16> {
        digits(self.sub.value())
    }

    /// `dlvrd` as a number.
    pub fn dlvrd_count(&self) -> Option<u16> {
        digits(self.dlvrd.value())
    }

    /// Original message length from the first 3 bytes of `Text`, when they are digits.
    pub fn text_length(&self) -> Option<u16> {
        digits(self.text.get(..3).unwrap_or_default())
    }

    /// The start of the original content (bytes 3–19 of `Text`).
    pub fn text_content(&self) -> &[u8] {
        self.text.get(3..).unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sample() -> StatusReport {
        let mut text = [0u8; 20];
        text[..7].copy_from_slice(&[b'0', b'0', b'4', 0x4f, 0x60, 0x59, 0x7d]);
        StatusReport {
            msg_id: "01006101021304000001".parse().unwrap(),
            submit_date: Octets(*b"2401021304"),
            done_date: Octets(*b"2401021305"),
            text,
            ..StatusReport::default()
        }
    }

    #[test]
    fn spec_spelling_round_trips() {
        let bytes = sample().to_bytes();
        assert_eq!(&bytes[..3], b"id:");
        assert_eq!(&bytes[31..44], b" Submit date:");
        assert_eq!(&bytes[96..102], b" Text:");
        assert_eq!(StatusReport::parse(&bytes), Ok(sample()));
    }

    #[test]
    fn every_keyword_spelling_parses_the_same() {
        let spec = sample().to_bytes();
        for (from, to) in [
            (&b" Submit date:"[..], &b" submit date:"[..]),
            (b" Submit date:", b" submit_date:"),
            (b" done date:", b" done_date:"),
            (b" Text:", b" text:"),
            (b" stat:", b" STAT:"),
        ] {
            let mut v = spec.to_vec();
            let at = v.windows(from.len()).position(|w| w == from).unwrap();
            v[at..at + to.len()].copy_from_slice(to);
            assert_ne!(v, spec.to_vec());
            assert_eq!(
                StatusReport::parse(&v),
                Ok(sample()),
                "{}",
                String::from_utf8_lossy(to)
            );
        }
    }

    #[test]
    fn short_report_names_the_field_it_ran_out_in() {
        let bytes = sample().to_bytes();
        let field = |n: usize| StatusReport::parse(&bytes[..n]).unwrap_err().field;
        assert_eq!(field(0), "'id:'");
        assert_eq!(field(5), "id");
        assert_eq!(field(85), "stat");
        assert_eq!(field(121), "Text");
        let err = StatusReport::parse(&bytes[..121]).unwrap_err();
        assert_eq!(err.pdu, REPORT_PDU);
    }

    #[test]
    fn extra_bytes_after_122_are_ignored() {
        let mut v = sample().to_bytes().to_vec();
        v.extend_from_slice(b"xx");
        assert_eq!(StatusReport::parse(&v), Ok(sample()));
    }

    #[test]
    fn accessors_read_the_digits() {
        let r = sample();
        assert!(r.is_delivered());
        assert_eq!(r.stat_meaning(), "delivered");
        assert_eq!((r.err_code(), r.err_meaning()), (Some(0), "success"));
        assert_eq!((r.sub_count(), r.dlvrd_count()), (Some(1), Some(1)));
        assert_eq!(r.text_length(), Some(4));
        assert_eq!(&r.text_content()[..4], &[0x4f, 0x60, 0x59, 0x7d]);
        let odd = StatusReport {
            err: Octets(*b"x1 "),
            stat: Octets(*b"UNDELIV"),
            text: [0; 20],
            ..r
        };
        assert_eq!(
            (odd.err_code(), odd.err_meaning()),
            (None, "unrecognised err")
        );
        assert!(!odd.is_delivered());
        assert_eq!(odd.text_length(), None);
    }
}
