//! Report: the SMG tells the SP the delivery outcome of an earlier Submit (on the
//! SMG → SP connection, Login Type 2).
//!
//! SGIP has no message id: the Report names the Submit by copying the Submit's full
//! 12-byte sequence number, so an SP must remember the (node, time, counter) of every
//! Submit it sends. A Submit to several recipients gets one Report per recipient,
//! told apart by UserNumber.

use bytes::{BufMut, BytesMut};
use wire::field::{PResult, finish, octets, u8_be};
use wire::{DecodeError, EncodeError, Octets};

use crate::sequence::SequenceNumber;
use crate::status::{self, ReportState};

const PDU: &str = "SGIP_REPORT";

/// Body size of a Report.
pub const REPORT_BODY_LEN: usize = 44;

/// ReportType 0: the report is for an earlier Submit.
pub const REPORT_TYPE_SUBMIT: u8 = 0;
/// ReportType 1: the report is for an earlier forwarded Deliver.
pub const REPORT_TYPE_DELIVER: u8 = 1;

/// SGIP_REPORT body.
///
/// Report — Message Length 64:
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 20 | 12 | SubmitSequenceNumber | sequence number of the reported Submit |
/// | 32 | 1 | ReportType | 0 for a Submit, 1 for a forwarded Deliver |
/// | 33 | 21 | UserNumber | the MT's recipient |
/// | 54 | 1 | State | 0 delivered, 1 waiting, 2 failed ([`ReportState`]) |
/// | 55 | 1 | ErrorCode | why, when State = 2 ([`crate::status::result_meaning`]) |
/// | 56 | 8 | Reserve | |
///
/// Example (reference Example 5: Submit `3010012345-0102030405-2` delivered to
/// 8613012345678):
///
/// ```text
/// 00000000  00 00 00 40 00 00 00 05  00 01 8a 89 06 14 dc ae
/// 00000010  00 00 00 4e b3 69 24 b9  06 14 dc 45 00 00 00 02
/// 00000020  00 38 36 31 33 30 31 32  33 34 35 36 37 38 00 00
/// 00000030  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Report {
    /// SubmitSequenceNumber: the sequence number of the reported Submit.
    pub submit_sequence: SequenceNumber,
    /// ReportType.
    pub report_type: u8,
    /// UserNumber: the recipient this report is about.
    pub user_number: Octets<21>,
    /// State.
    pub state: ReportState,
    /// ErrorCode (0 unless State = 2).
    pub error_code: u8,
    /// Reserve, kept raw.
    pub reserve: Octets<8>,
}

impl Report {
    /// A report on the Submit numbered `submit_sequence` for `user_number`.
    pub fn for_submit(
        submit_sequence: SequenceNumber,
        user_number: &str,
        state: ReportState,
        error_code: u8,
    ) -> Result<Self, EncodeError> {
        Ok(Self {
            submit_sequence,
            report_type: REPORT_TYPE_SUBMIT,
            user_number: Octets::for_field(PDU, "UserNumber", user_number.as_bytes())?,
            state,
            error_code,
            reserve: Octets::EMPTY,
        })
    }

    /// True for State 0.
    pub fn is_delivered(&self) -> bool {
        self.state == ReportState::Delivered
    }

    /// What State means.
    pub fn state_meaning(&self) -> &'static str {
        self.state.meaning()
    }

    /// What ErrorCode means.
    pub fn error_code_meaning(&self) -> &'static str {
        status::result_meaning(self.error_code)
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        finish(PDU, true, parser(body))
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        self.submit_sequence.put(buf);
        buf.put_u8(self.report_type);
        self.user_number.put(buf);
        buf.put_u8(self.state.as_u8());
        buf.put_u8(self.error_code);
        self.reserve.put(buf);
    }
}

fn parser(i: &[u8]) -> PResult<'_, Report> {
    let (i, submit_sequence) = SequenceNumber::parse("SubmitSequenceNumber")(i)?;
    let (i, report_type) = u8_be("ReportType")(i)?;
    let (i, user_number) = octets::<21>("UserNumber")(i)?;
    let (i, state) = u8_be("State")(i)?;
    let (i, error_code) = u8_be("ErrorCode")(i)?;
    let (i, reserve) = octets::<8>("Reserve")(i)?;
    let state = ReportState::from_u8(state);
    Ok((
        i,
        Report {
            submit_sequence,
            report_type,
            user_number,
            state,
            error_code,
            reserve,
        },
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn submit_seq() -> SequenceNumber {
        SequenceNumber {
            node_id: 3_010_012_345,
            timestamp: 102_030_405,
            counter: 2,
        }
    }

    #[test]
    fn round_trips_a_failed_report() {
        let r = Report::for_submit(submit_seq(), "8613012345678", ReportState::Failed, 26).unwrap();
        let mut buf = BytesMut::new();
        r.encode(&mut buf);
        assert_eq!(buf.len(), REPORT_BODY_LEN);
        assert_eq!(&buf[..12], &submit_seq().to_bytes());
        assert_eq!(buf[34], 2);
        assert_eq!(buf[35], 26);
        let back = Report::decode(&buf).unwrap();
        assert_eq!(back, r);
        assert!(!back.is_delivered());
        assert_eq!(back.state_meaning(), "delivery failed");
        assert_eq!(back.error_code_meaning(), "handset memory full");
    }

    #[test]
    fn unknown_state_values_are_kept() {
        let mut r = Report::for_submit(submit_seq(), "86130", ReportState::Delivered, 0).unwrap();
        r.state = ReportState::Other(9);
        let mut buf = BytesMut::new();
        r.encode(&mut buf);
        assert_eq!(Report::decode(&buf).unwrap().state, ReportState::Other(9));
    }

    #[test]
    fn short_report_names_the_field() {
        let err = Report::decode(&[0; 20]).unwrap_err();
        assert_eq!(err, DecodeError::truncated(PDU, "UserNumber", 21, 7));
        let err = Report::decode(&[0; 8]).unwrap_err();
        assert_eq!(err.field, "SubmitSequenceNumber");
    }
}
