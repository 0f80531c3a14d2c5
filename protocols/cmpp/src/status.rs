//! Result and status code tables (cmpp.md §10, §11), so a log line can say
//! "result 8: flow control" rather than "result 8".

/// Meaning of a CMPP_CONNECT_RESP Status.
pub fn connect_status_meaning(status: u32) -> &'static str {
    match status {
        0 => "success",
        1 => "message structure error",
        2 => "illegal source address (unknown SP_Id)",
        3 => "authentication error",
        4 => "version too high",
        _ => "other error",
    }
}

/// Meaning of a CMPP_SUBMIT_RESP Result (3.0 table; 2.0 defines 0–8 and "9+ other").
pub fn submit_result_meaning(result: u32) -> &'static str {
    match result {
        0 => "success",
        1 => "message structure error",
        2 => "command word error",
        3 => "duplicate message sequence",
        4 => "message length error",
        5 => "fee code error",
        6 => "exceeds maximum message length",
        7 => "service code (Service_Id) error",
        8 => "flow control error",
        9 => "this gateway does not serve the charged number",
        10 => "Src_Id error",
        11 => "Msg_src error",
        12 => "Fee_terminal_Id error",
        13 => "Dest_terminal_Id error",
        14..=99 => "reserved by the protocol",
        100..=199 => "vendor-defined error",
        _ => "other error",
    }
}

/// Meaning of a CMPP_DELIVER_RESP Result (0–8 as SUBMIT_RESP, 9+ other).
pub fn deliver_result_meaning(result: u32) -> &'static str {
    match result {
        0..=8 => submit_result_meaning(result),
        _ => "other error",
    }
}

/// Meaning of a CMPP_CANCEL_RESP Success_Id.
pub fn cancel_success_meaning(success_id: u32) -> &'static str {
    match success_id {
        0 => "success",
        1 => "failure",
        _ => "unknown",
    }
}

/// Meaning of a CMPP_QUERY Query_Type.
pub fn query_type_meaning(query_type: u8) -> &'static str {
    match query_type {
        0 => "totals",
        1 => "by service (Query_Code = Service_Id)",
        _ => "unknown",
    }
}

/// SUBMIT_RESP Result 8: the gateway's rate or window limit was hit; back off and retry.
pub const fn is_flow_control(result: u32) -> bool {
    result == 8
}

/// SUBMIT_RESP Result 3: the gateway already has this Sequence_Id — after a resend this
/// means "already received" rather than a failure.
pub const fn is_duplicate_sequence(result: u32) -> bool {
    result == 3
}

/// The only status-report Stat that means success.
pub const STAT_DELIVERED: &[u8; 7] = b"DELIVRD";

/// True when a status report's Stat is `DELIVRD` (every other value is a failure).
pub fn stat_is_delivered(stat: &[u8]) -> bool {
    stat == STAT_DELIVERED
}

/// Meaning of a status-report `Stat` (7 ASCII bytes, spec table 1). Unknown values,
/// including vendor codes of the `XX:nnnn` shape, get a generic failure text.
pub fn stat_meaning(stat: &[u8]) -> &'static str {
    match stat {
        b"DELIVRD" => "delivered to the handset",
        b"EXPIRED" => "validity period expired",
        b"DELETED" => "deleted",
        b"UNDELIV" => "undeliverable",
        b"ACCEPTD" => "accepted (intermediate state)",
        b"UNKNOWN" => "unknown state",
        b"REJECTD" => "rejected",
        [a, b, b':', ..] => match &[*a, *b] {
            b"MA" => "SMSC gave no response",
            b"MB" => "SMSC returned an error response",
            b"MC" => "no report received from the SMSC",
            b"CA" => "SCP gave no response",
            b"CB" => "SCP returned an error",
            b"DA" => "DSMP gave no response",
            b"DB" => "DSMP returned an error",
            b"SA" => "SP gave no response",
            b"SB" => "SP returned an error",
            b"IA" => "next ISMG gave no response",
            b"IB" => "next ISMG returned an error",
            b"IC" => "no report received from the next ISMG",
            _ => "vendor-defined failure",
        },
        _ => "vendor-defined failure",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_control_and_duplicates() {
        assert!(is_flow_control(8));
        assert!(!is_flow_control(0));
        assert!(is_duplicate_sequence(3));
        assert_eq!(submit_result_meaning(8), "flow control error");
        assert_eq!(submit_result_meaning(3), "duplicate message sequence");
    }

    #[test]
    fn submit_table_ranges() {
        assert_eq!(submit_result_meaning(13), "Dest_terminal_Id error");
        assert_eq!(submit_result_meaning(50), "reserved by the protocol");
        assert_eq!(submit_result_meaning(150), "vendor-defined error");
        assert_eq!(submit_result_meaning(1000), "other error");
    }

    #[test]
    fn deliver_table_stops_at_8() {
        assert_eq!(deliver_result_meaning(8), "flow control error");
        assert_eq!(deliver_result_meaning(9), "other error");
    }

    #[test]
    fn connect_and_cancel() {
        assert_eq!(connect_status_meaning(3), "authentication error");
        assert_eq!(connect_status_meaning(4), "version too high");
        assert_eq!(connect_status_meaning(9), "other error");
        assert_eq!(cancel_success_meaning(1), "failure");
        assert_eq!(
            query_type_meaning(1),
            "by service (Query_Code = Service_Id)"
        );
    }

    #[test]
    fn stat_strings() {
        assert!(stat_is_delivered(b"DELIVRD"));
        assert!(!stat_is_delivered(b"UNDELIV"));
        assert_eq!(stat_meaning(b"EXPIRED"), "validity period expired");
        assert_eq!(stat_meaning(b"MB:0011"), "SMSC returned an error response");
        assert_eq!(
            stat_meaning(b"IC:0001"),
            "no report received from the next ISMG"
        );
        assert_eq!(stat_meaning(b"MK:0001"), "vendor-defined failure");
        assert_eq!(stat_meaning(b""), "vendor-defined failure");
    }
}
