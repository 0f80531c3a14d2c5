//! Semantic checks of a Submit's fields against the ranges in the reference, each
//! mapped to the SGIP Result code a gateway answers with.
//!
//! Decoding only enforces what the layout depends on (UserCount 1–100, lengths), so
//! a Submit with, say, Priority 12 still decodes and can be answered. These checks
//! are what a gateway (our simulator) applies before accepting it, and what the SP
//! side can run before sending.

use std::fmt;

use wire::Octets;
use wire::describe::udhi_set;
use wire::udh::Udh;

use crate::submit::{CHARGE_SP, Submit};
use crate::user_numbers::MAX_USER_COUNT;

/// Result 5: parameter format error.
const PARAMETER_FORMAT: u8 = 5;
/// Result 6: illegal mobile number.
const ILLEGAL_NUMBER: u8 = 6;
/// Result 40 (1.3): an SP may not set MorelatetoMTFlag = 3.
const SP_SYSTEM_NOTICE: u8 = 40;

/// A field value a gateway would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// Spec field name.
    pub field: &'static str,
    /// The value, rendered for humans.
    pub value: String,
    /// What the reference allows.
    pub reason: &'static str,
    /// The SGIP Result code to answer with.
    pub result: u8,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SGIP_SUBMIT.{} = {:?}: {} (result {})",
            self.field, self.value, self.reason, self.result
        )
    }
}

impl std::error::Error for FieldProblem {}

fn problem(
    field: &'static str,
    value: impl fmt::Display,
    reason: &'static str,
    result: u8,
) -> FieldProblem {
    FieldProblem {
        field,
        value: value.to_string(),
        reason,
        result,
    }
}

fn text<const N: usize>(o: &Octets<N>) -> String {
    o.to_str_lossy().into_owned()
}

fn digits(v: &[u8]) -> bool {
    v.iter().all(u8::is_ascii_digit)
}

/// An `86`-prefixed MSISDN: digits only, 86 plus at least one more digit.
fn is_msisdn(v: &[u8]) -> bool {
    v.len() > 2 && v.starts_with(b"86") && digits(v)
}

/// Empty, or `0`–`99999` as decimal text.
fn is_fen(v: &[u8]) -> bool {
    v.len() <= 5 && digits(v)
}

/// Empty, or SMPP absolute time `yymmddhhmmsstnnp`: 12 digits of date and time,
/// tenths digit, 2-digit quarter-hour offset, and `+`, `-` (or `R`, relative).
fn is_smpp_time(v: &[u8]) -> bool {
    match v {
        [] => true,
        [date_time @ .., t, n1, n2, p] if date_time.len() == 12 => {
            digits(date_time) && digits(&[*t, *n1, *n2]) && matches!(p, b'+' | b'-' | b'R')
        }
        _ => false,
    }
}

impl Submit {
    /// Check every field against the reference; the first problem found, in field
    /// order, with the Result code a gateway answers with (5 parameter format, 6
    /// illegal mobile number, 40 MorelatetoMTFlag 3 from an SP).
    ///
    /// UserCount is accepted up to 100 (reference disagreement 18), although Unicom's
    /// SGIP 1.3 gateways only take 1.
    pub fn check(&self) -> Result<(), FieldProblem> {
        let sp = self.sp_number.value();
        if sp.is_empty() || !digits(sp) {
            return Err(problem(
                "SPNumber",
                text(&self.sp_number),
                "access number digits",
                PARAMETER_FORMAT,
            ));
        }
        let charge = self.charge_number.value();
        if !(charge.is_empty() || self.charge_number == CHARGE_SP || is_msisdn(charge)) {
            return Err(problem(
                "ChargeNumber",
                text(&self.charge_number),
                "empty, 21 × '0', or an 86-prefixed number",
                ILLEGAL_NUMBER,
            ));
        }
        let count = self.user_numbers.len();
        if !(1..=MAX_USER_COUNT).contains(&count) {
            return Err(problem(
                "UserCount",
                count,
                "1–100 recipients",
                PARAMETER_FORMAT,
            ));
        }
        if let Some(bad) = self.user_numbers.iter().find(|n| !is_msisdn(n.value())) {
            return Err(problem(
                "UserNumber",
                text(bad),
                "an 86-prefixed number",
                ILLEGAL_NUMBER,
            ));
        }
        let corp = self.corp_id.value();
        if corp.is_empty() || !digits(corp) {
            return Err(problem(
                "CorpId",
                text(&self.corp_id),
                "enterprise code 0–99999",
                PARAMETER_FORMAT,
            ));
        }
        if self.fee_type > 4 {
            return Err(problem("FeeType", self.fee_type, "0–4", PARAMETER_FORMAT));
        }
        if !is_fen(self.fee_value.value()) {
            return Err(problem(
                "FeeValue",
                text(&self.fee_value),
                "0–99999 fen",
                PARAMETER_FORMAT,
            ));
        }
        if !is_fen(self.given_value.value()) {
            return Err(problem(
                "GivenValue",
                text(&self.given_value),
                "0–99999 fen",
                PARAMETER_FORMAT,
            ));
        }
        if self.agent_flag > 1 {
            return Err(problem(
                "AgentFlag",
                self.agent_flag,
                "0 or 1",
                PARAMETER_FORMAT,
            ));
        }
        match self.morelateto_mt_flag {
            0..=2 => {}
            3 => {
                return Err(problem(
                    "MorelatetoMTFlag",
                    3,
                    "3 is reserved for system notices",
                    SP_SYSTEM_NOTICE,
                ));
            }
            other => return Err(problem("MorelatetoMTFlag", other, "0–3", PARAMETER_FORMAT)),
        }
        if self.priority > 9 {
            return Err(problem("Priority", self.priority, "0–9", PARAMETER_FORMAT));
        }
        if !is_smpp_time(self.expire_time.value()) {
            return Err(problem(
                "ExpireTime",
                text(&self.expire_time),
                "empty or yymmddhhmmsstnnp",
                PARAMETER_FORMAT,
            ));
        }
        if !is_smpp_time(self.schedule_time.value()) {
            return Err(problem(
                "ScheduleTime",
                text(&self.schedule_time),
                "empty or yymmddhhmmsstnnp",
                PARAMETER_FORMAT,
            ));
        }
        if self.report_flag > 3 {
            return Err(problem(
                "ReportFlag",
                self.report_flag,
                "0–3",
                PARAMETER_FORMAT,
            ));
        }
        if !matches!(self.tp_udhi, 0 | 1 | 0x40) {
            return Err(problem(
                "TP_udhi",
                self.tp_udhi,
                "0 or 1 (0x40 tolerated)",
                PARAMETER_FORMAT,
            ));
        }
        if self.message_type != 0 {
            return Err(problem(
                "MessageType",
                self.message_type,
                "0 (short message)",
                PARAMETER_FORMAT,
            ));
        }
        if udhi_set(self.tp_udhi) && Udh::parse(&self.message_content).is_err() {
            return Err(problem(
                "MessageContent",
                wire::hex::encode(&self.message_content),
                "TP_udhi is set but the content does not start with a valid UDH",
                PARAMETER_FORMAT,
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::user_numbers::UserNumbers;

    fn good() -> Submit {
        Submit {
            charge_number: CHARGE_SP,
            corp_id: Octets::new(b"12345").unwrap(),
            fee_type: 1,
            fee_value: Octets::new(b"0").unwrap(),
            expire_time: Octets::new(b"250102030405032+").unwrap(),
            ..Submit::new(
                "10655012345",
                "8613012345678",
                8,
                Bytes::from_static(&[0x4f, 0x60]),
            )
            .unwrap()
        }
    }

    fn field_and_result(s: &Submit) -> (&'static str, u8) {
        let p = s.check().unwrap_err();
        (p.field, p.result)
    }

    #[test]
    fn a_sensible_submit_passes() {
        assert_eq!(good().check(), Ok(()));
        let mut s = good();
        s.charge_number = Octets::EMPTY;
        s.user_numbers = (0..100)
            .map(|_| Octets::new(b"8613012345678").unwrap())
            .collect();
        assert_eq!(s.check(), Ok(()));
    }

    #[test]
    fn numbers_without_86_are_result_6() {
        let mut s = good();
        s.user_numbers = UserNumbers::parse(&["13012345678"]).unwrap();
        assert_eq!(field_and_result(&s), ("UserNumber", 6));
        let mut s = good();
        s.charge_number = Octets::new(b"13012345678").unwrap();
        assert_eq!(field_and_result(&s), ("ChargeNumber", 6));
    }

    #[test]
    fn out_of_range_fields_are_result_5() {
        type Breaker = fn(&mut Submit);
        let cases: [(&str, Breaker); 14] = [
            ("SPNumber", |s| s.sp_number = Octets::new(b"1065x").unwrap()),
            ("UserCount", |s| s.user_numbers = UserNumbers::new()),
            ("CorpId", |s| s.corp_id = Octets::EMPTY),
            ("FeeType", |s| s.fee_type = 5),
            ("FeeValue", |s| {
                s.fee_value = Octets::new(b"100000").unwrap()
            }),
            ("GivenValue", |s| {
                s.given_value = Octets::new(b"1a").unwrap()
            }),
            ("AgentFlag", |s| s.agent_flag = 2),
            ("MorelatetoMTFlag", |s| s.morelateto_mt_flag = 4),
            ("Priority", |s| s.priority = 10),
            ("ExpireTime", |s| {
                s.expire_time = Octets::new(b"2501020304").unwrap()
            }),
            ("ScheduleTime", |s| {
                s.schedule_time = Octets::new(b"250102030405032*").unwrap()
            }),
            ("ReportFlag", |s| s.report_flag = 4),
            ("TP_udhi", |s| s.tp_udhi = 2),
            ("MessageType", |s| s.message_type = 1),
        ];
        for (field, breaks) in cases {
            let mut s = good();
            breaks(&mut s);
            assert_eq!(field_and_result(&s), (field, 5), "{field}");
        }
    }

    #[test]
    fn system_notice_flag_is_result_40() {
        let mut s = good();
        s.morelateto_mt_flag = 3;
        assert_eq!(field_and_result(&s), ("MorelatetoMTFlag", 40));
    }

    #[test]
    fn udhi_requires_a_udh() {
        let mut s = good();
        s.tp_udhi = 0x40;
        s.message_content = Bytes::from_static(&[0x05, 0x00, 0x03, 1, 2, 1, 0x4f, 0x60]);
        assert_eq!(s.check(), Ok(()));
        s.message_content = Bytes::from_static(&[0x09, 0x00]);
        let p = s.check().unwrap_err();
        assert_eq!((p.field, p.result), ("MessageContent", 5));
        assert!(
            p.to_string()
                .starts_with("SGIP_SUBMIT.MessageContent = \"0900\"")
        );
    }
}
