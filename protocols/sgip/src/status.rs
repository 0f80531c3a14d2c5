//! SGIP code tables: Result / ErrorCode (spec §5.2), Report `State`, `ReportType`,
//! UserRpt `UserCondition`, and the Submit enumerations, each with a human meaning so
//! a log line can say "result 11: node busy" rather than "result 11".

/// Result 0.
pub const SUCCESS: u8 = 0;
/// Result 11: node busy / queue full — the SGIP 1.2 "try later" answer.
pub const NODE_BUSY: u8 = 11;
/// Result 33: SMSC queue full (appendix) / flow limit exceeded in this second (1.3
/// main table). Both readings mean "send slower".
pub const FLOW_LIMIT: u8 = 33;

/// Meaning of an SGIP error code (Result of a response, ErrorCode of a Report, Result
/// of a Trace_Resp record).
///
/// Codes 32–34 are read differently by the two tables of the SGIP 1.3 document
/// (reference disagreement 16); their meaning names both readings. Codes 5001–5021 do
/// not fit the 1-byte fields but are listed by the spec for SMG logs.
pub fn error_code_meaning(code: u32) -> &'static str {
    match code {
        0 => "success",
        1 => "illegal login (bad name or password)",
        2 => "repeated login on the same connection",
        3 => "too many connections (more than 60 from one node)",
        4 => "wrong Login Type",
        5 => "parameter format error",
        6 => "illegal mobile number (e.g. missing 86 prefix)",
        7 => "message (command) id error",
        8 => "message length error",
        9 => "illegal sequence number (duplicate or malformed)",
        10 => "illegal GNS operation",
        11 => "node busy (queue full), try later",
        13 => "service code not assigned (1.3)",
        14 => "wrong fee type or fee value (1.3)",
        17 => "LinkID mismatch (1.3)",
        18 => "user has not subscribed (1.3)",
        19 => "UserCount must be 1 (1.3)",
        21 => "destination unreachable",
        22 => "routing error",
        23 => "route does not exist",
        24 => "charged number invalid (authorisation failed)",
        25 => "user cannot communicate (off or out of coverage)",
        26 => "handset memory full",
        27 => "handset does not support SMS",
        28 => "handset error receiving SMS",
        29 => "unknown user",
        30 => "function not provided",
        31 => "illegal device",
        32 => "system failure (appendix) / packet format error (1.3 main table)",
        33 => "SMSC queue full (appendix) / flow limit exceeded in this second (1.3 main table)",
        34 => "IN-platform charging failed (appendix) / logins too frequent (1.3 main table)",
        38 => "too many MTs for one LinkID (1.3)",
        39 => "third-party charging (1.3)",
        40 => "SP may not set MorelatetoMTFlag = 3 (1.3)",
        43 => "web on-demand command word does not exist (1.3)",
        44 => "notice intercepted (1.3)",
        95 => "monthly bill not allowed now (1.3)",
        107 => "SPMS authorisation: LinkID mismatch (1.3)",
        114 => "SPMS authorisation: UserCount must be 1 (1.3)",
        100..=124 => "SPMS authorisation result (1.3 appendix)",
        5001..=5021 => "SMG failure talking to the SP (connect, Bind, timeout)",
        _ => "unknown error code",
    }
}

/// Meaning of a 1-byte Result / ErrorCode.
pub fn result_meaning(result: u8) -> &'static str {
    error_code_meaning(u32::from(result))
}

/// True when a response Result asks the sender to slow down and retry later rather
/// than reporting a permanent failure: 11 (node busy / queue full) and 33 (SMSC queue
/// full / flow limit exceeded — both readings of disagreement 16 are a rate problem).
///
/// 34 is not included: in the appendix reading it is a charging failure, and in the
/// 1.3 reading it concerns Bind frequency, which a reconnect back-off handles.
pub fn is_flow_control(result: u8) -> bool {
    matches!(result, NODE_BUSY | FLOW_LIMIT)
}

/// Report `State`: the delivery outcome of the reported Submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReportState {
    /// 0: delivered to the handset.
    #[default]
    Delivered,
    /// 1: waiting to be delivered (SMSC ENROUTE / ACCEPTED).
    Waiting,
    /// 2: failed; Report `ErrorCode` says why.
    Failed,
    /// Any other value, kept as received.
    Other(u8),
}

impl ReportState {
    /// From the wire byte.
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Delivered,
            1 => Self::Waiting,
            2 => Self::Failed,
            other => Self::Other(other),
        }
    }

    /// To the wire byte.
    pub fn as_u8(self) -> u8 {
        match self {
            Self::Delivered => 0,
            Self::Waiting => 1,
            Self::Failed => 2,
            Self::Other(v) => v,
        }
    }

    /// Human meaning.
    pub fn meaning(self) -> &'static str {
        state_meaning(self.as_u8())
    }

    /// True when no further report will follow (delivered or failed).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Failed)
    }

    /// The State an SMG reports for an SMSC receipt status (spec §5.4): DELIVERED → 0;
    /// ENROUTE, ACCEPTED → 1; EXPIRED, DELETED, UNDELIVERABLE, UNKNOWN, REJECTED → 2.
    /// Accepts the full words and their SMPP 7-character forms (`DELIVRD`, `UNDELIV`, …).
    pub fn from_smsc_stat(stat: &str) -> Option<Self> {
        match stat.trim().to_ascii_uppercase().as_str() {
            "DELIVERED" | "DELIVRD" => Some(Self::Delivered),
            "ENROUTE" | "ACCEPTED" | "ACCEPTD" => Some(Self::Waiting),
            "EXPIRED" | "DELETED" | "UNDELIVERABLE" | "UNDELIV" | "UNKNOWN" | "REJECTED"
            | "REJECTD" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// Meaning of a Report `State` byte.
pub fn state_meaning(state: u8) -> &'static str {
    match state {
        0 => "delivered",
        1 => "waiting to be delivered",
        2 => "delivery failed",
        _ => "unknown state",
    }
}

/// Meaning of a Report `ReportType` byte.
pub fn report_type_meaning(report_type: u8) -> &'static str {
    match report_type {
        0 => "report for an earlier Submit",
        1 => "report for an earlier forwarded Deliver",
        _ => "unknown report type",
    }
}

/// Meaning of a UserRpt `UserCondition` byte.
pub fn user_condition_meaning(condition: u8) -> &'static str {
    match condition {
        0 => "deregistered",
        1 => "suspended for arrears",
        2 => "back to normal",
        _ => "unknown user condition",
    }
}

/// Meaning of a Submit `FeeType` byte (spec §5.3).
pub fn fee_type_meaning(fee_type: u8) -> &'static str {
    match fee_type {
        0 => "send type, no information fee",
        1 => "free",
        2 => "charged per message",
        3 => "monthly fee",
        4 => "charged by the SP",
        _ => "unknown fee type",
    }
}

/// Meaning of a Submit `AgentFlag` byte.
pub fn agent_flag_meaning(flag: u8) -> &'static str {
    match flag {
        0 => "receivable",
        1 => "actually received",
        _ => "unknown agent flag",
    }
}

/// Meaning of a Submit `MorelatetoMTFlag` byte.
pub fn morelateto_mt_flag_meaning(flag: u8) -> &'static str {
    match flag {
        0 => "first MT caused by an MO request",
        1 => "further MT caused by an MO request",
        2 => "MT not caused by an MO",
        3 => "MT caused by a system notice (not for SPs)",
        _ => "unknown MorelatetoMTFlag",
    }
}

/// Meaning of a Submit `ReportFlag` byte.
pub fn report_flag_meaning(flag: u8) -> &'static str {
    match flag {
        0 => "report only on failure",
        1 => "always report",
        2 => "no report",
        3 => "monthly-fee-only message, not delivered, report returned (1.3)",
        _ => "unknown report flag",
    }
}

/// Meaning of the Result of one Trace_Resp record: 0 received OK at that node, 1
/// waiting, anything else an error code.
pub fn trace_result_meaning(result: u8) -> &'static str {
    match result {
        0 => "received at this node",
        1 => "waiting at this node",
        other => result_meaning(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_have_meanings() {
        assert_eq!(result_meaning(0), "success");
        assert_eq!(
            result_meaning(6),
            "illegal mobile number (e.g. missing 86 prefix)"
        );
        assert_eq!(result_meaning(11), "node busy (queue full), try later");
        assert_eq!(result_meaning(29), "unknown user");
        assert_eq!(result_meaning(12), "unknown error code");
        assert_eq!(result_meaning(255), "unknown error code");
        assert_eq!(
            error_code_meaning(107),
            "SPMS authorisation: LinkID mismatch (1.3)"
        );
        assert_eq!(
            error_code_meaning(101),
            "SPMS authorisation result (1.3 appendix)"
        );
        assert_eq!(
            error_code_meaning(5010),
            "SMG failure talking to the SP (connect, Bind, timeout)"
        );
    }

    #[test]
    fn disagreement_16_gives_both_readings() {
        for (code, appendix, main) in [
            (32, "system failure", "packet format error"),
            (33, "SMSC queue full", "flow limit exceeded"),
            (34, "IN-platform charging failed", "logins too frequent"),
        ] {
            let m = result_meaning(code);
            assert!(m.contains(appendix) && m.contains(main), "{code}: {m}");
        }
    }

    #[test]
    fn flow_control_codes() {
        assert!(is_flow_control(11));
        assert!(is_flow_control(33));
        for code in (0..=255u8).filter(|c| ![11, 33].contains(c)) {
            assert!(!is_flow_control(code), "{code}");
        }
    }

    #[test]
    fn report_state_values_and_meanings() {
        for v in 0..=255u8 {
            assert_eq!(ReportState::from_u8(v).as_u8(), v);
        }
        assert_eq!(ReportState::from_u8(0).meaning(), "delivered");
        assert_eq!(ReportState::from_u8(1).meaning(), "waiting to be delivered");
        assert_eq!(ReportState::from_u8(2).meaning(), "delivery failed");
        assert_eq!(ReportState::from_u8(7).meaning(), "unknown state");
        assert!(ReportState::Failed.is_final() && !ReportState::Waiting.is_final());
    }

    #[test]
    fn smsc_stat_mapping_follows_spec_5_4() {
        assert_eq!(
            ReportState::from_smsc_stat("DELIVRD"),
            Some(ReportState::Delivered)
        );
        assert_eq!(
            ReportState::from_smsc_stat("delivered"),
            Some(ReportState::Delivered)
        );
        assert_eq!(
            ReportState::from_smsc_stat("ENROUTE"),
            Some(ReportState::Waiting)
        );
        assert_eq!(
            ReportState::from_smsc_stat("ACCEPTD"),
            Some(ReportState::Waiting)
        );
        for s in ["EXPIRED", "DELETED", "UNDELIV", "UNKNOWN", "REJECTD"] {
            assert_eq!(
                ReportState::from_smsc_stat(s),
                Some(ReportState::Failed),
                "{s}"
            );
        }
        assert_eq!(ReportState::from_smsc_stat("MA:0001"), None);
    }

    #[test]
    fn enumeration_meanings() {
        assert_eq!(report_type_meaning(0), "report for an earlier Submit");
        assert_eq!(user_condition_meaning(1), "suspended for arrears");
        assert_eq!(fee_type_meaning(1), "free");
        assert_eq!(agent_flag_meaning(1), "actually received");
        assert_eq!(morelateto_mt_flag_meaning(2), "MT not caused by an MO");
        assert_eq!(report_flag_meaning(1), "always report");
        assert_eq!(trace_result_meaning(0), "received at this node");
        assert_eq!(trace_result_meaning(1), "waiting at this node");
        assert_eq!(trace_result_meaning(21), "destination unreachable");
        assert_eq!(fee_type_meaning(9), "unknown fee type");
    }
}
