//! Code tables: response Status (§9), status-report `stat` and `err` (§10), and the
//! small enumerations of Login / Submit / Deliver fields, so a log line can say
//! "status 75: SP daily volume exceeded" rather than "status 75".

/// Meaning of a Status code in Login_Resp, Submit_Resp, Deliver_Resp and friends.
///
/// 0–76 are the SMGP table (go_smgp, clz619 agree). 101–119 are the "enterprise
/// messenger" codes listed by clz619 only — platform specific, but seen in the field.
pub fn status_meaning(code: u32) -> &'static str {
    match code {
        0 => "success",
        1 => "system busy",
        2 => "too many connections",
        10 => "message structure error",
        11 => "command word (RequestID) error",
        12 => "duplicate sequence number",
        20 => "IP address error",
        21 => "authentication error",
        22 => "version too high",
        30 => "illegal MsgType",
        31 => "illegal Priority",
        32 => "illegal FeeType",
        33 => "illegal FeeCode",
        34 => "illegal MsgFormat",
        35 => "illegal time format",
        36 => "illegal MsgLength",
        37 => "validity period expired",
        38 => "illegal QueryType",
        39 => "routing error",
        40 => "illegal FixedFee",
        41 => "illegal UpdateType",
        42 => "illegal RouteId",
        43 => "illegal ServiceId",
        44 => "illegal ValidTime",
        45 => "illegal AtTime",
        46 => "illegal SrcTermId",
        47 => "illegal DestTermId",
        48 => "illegal ChargeTermId",
        49 => "illegal SPCode",
        56 => "illegal SrcGatewayID",
        57 => "illegal QueryTermID",
        58 => "no matching route",
        59 => "illegal SPType",
        60 => "illegal LastRouteID",
        61 => "illegal RouteType",
        62 => "illegal DestGatewayID",
        63 => "illegal DestGatewayIP",
        64 => "illegal DestGatewayPort",
        65 => "illegal TermRangeID",
        66 => "illegal ProvinceCode",
        67 => "illegal UserType",
        68 => "node does not support route update",
        69 => "illegal SPID",
        70 => "illegal SPAccessType",
        71 => "route update failed",
        72 => "illegal timestamp",
        73 => "illegal MServiceID",
        74 => "SP sending forbidden in this time window",
        75 => "SP daily volume exceeded",
        76 => "SP account expired",
        101 => "no such account or account disabled (vendor)",
        102 => "wrong password (vendor)",
        103 => "submitting too fast: flow control (vendor)",
        104 => "system busy: total submit rate over capacity (vendor)",
        105 => "illegal source number (vendor)",
        106 => "sensitive content (vendor)",
        107 => "bad message length (vendor)",
        108 => "too many numbers in one Submit (vendor)",
        109 => "bad mobile number (vendor)",
        110 => "IP address error (vendor)",
        114 => "no permission to send (vendor)",
        115 => "no free messages left (vendor)",
        116 => "enterprise blacklisted (vendor)",
        117 => "enterprise suspended (vendor)",
        119 => "virtual number over flow limit (vendor)",
        3..=9 | 13..=19 | 23..=29 => "reserved",
        _ => "unknown status",
    }
}

/// Is `status` a "slow down and try again" answer?
///
/// SMGP has no single flow-control code (unlike CMPP's result 8). The codes that mean
/// "you are sending faster than the gateway accepts right now" are 1 (system busy),
/// 103 (submitting too fast), 104 (system busy: total rate over capacity) and 119
/// (virtual number over flow limit). 75 (daily volume exceeded) is deliberately not
/// included: backing off for seconds does not help, it is a quota for the day.
pub fn is_flow_control(status: u32) -> bool {
    matches!(status, 1 | 103 | 104 | 119)
}

/// Meaning of a status report `stat` value (7 ASCII characters).
///
/// `VMFLUCTL` is listed by clz619 but has 8 characters and cannot fit the 7-byte field
/// (README disagreement 13); both it and its 7-byte truncation `VMFLUCT` are accepted.
pub fn stat_meaning(stat: &[u8]) -> &'static str {
    // Some gateways pad with spaces instead of 0x00.
    let end = stat
        .iter()
        .rposition(|&b| b != 0 && b != b' ')
        .map_or(0, |p| p + 1);
    match stat.get(..end).unwrap_or_default() {
        b"DELIVRD" => "delivered",
        b"EXPIRED" => "validity period expired",
        b"DELETED" => "deleted",
        b"UNDELIV" => "undeliverable",
        b"ACCEPTD" => "accepted",
        b"UNKNOWN" => "unknown state",
        b"REJECTD" => "rejected",
        b"DTBLACK" => "destination blacklisted",
        b"VMFLUCT" | b"VMFLUCTL" => "virtual number flow control",
        _ => "unrecognised stat",
    }
}

/// True when a report `stat` means the message reached the handset.
pub fn stat_is_delivered(stat: &[u8]) -> bool {
    stat.starts_with(b"DELIVRD")
}

/// Meaning of a status report `err` value (3 ASCII digits, parsed). [single: clz619]
pub fn err_meaning(err: u16) -> &'static str {
    match err {
        0 => "success",
        1 => "user cannot communicate",
        2 => "user busy",
        3 => "terminal lacks this component",
        4 => "illegal user",
        5 => "user in blacklist",
        6 => "system error",
        7 => "user memory full",
        8 => "not an information terminal",
        9 => "data error",
        10 => "data lost",
        999 => "unknown error",
        _ => "unrecognised err",
    }
}

/// Meaning of Login.LoginMode.
pub fn login_mode_meaning(mode: u8) -> &'static str {
    match mode {
        0 => "send (SP to SMGW Submit only)",
        1 => "receive (SMGW to SP Deliver only)",
        2 => "transmit (send and receive)",
        _ => "unknown login mode",
    }
}

/// Meaning of Submit.MsgType.
pub fn msg_type_meaning(v: u8) -> &'static str {
    match v {
        0 => "MO",
        6 => "MT",
        7 => "point-to-point",
        _ => "reserved",
    }
}

/// Meaning of Submit.Priority.
pub fn priority_meaning(v: u8) -> &'static str {
    match v {
        0 => "low",
        1 => "normal",
        2 => "higher",
        3 => "highest",
        _ => "reserved",
    }
}

/// Meaning of Submit.FeeType (2 ASCII digits).
pub fn fee_type_meaning(v: &[u8]) -> &'static str {
    match v {
        b"00" => "free",
        b"01" => "per message (FeeCode)",
        b"02" => "monthly (FixedFee)",
        b"03" => "capped (FeeCode per message, FixedFee cap)",
        _ => "unknown fee type",
    }
}

/// Meaning of MsgFormat.
pub fn msg_format_meaning(v: u8) -> &'static str {
    match v {
        0 => "ASCII",
        3 => "SIM card write",
        4 => "binary",
        8 => "UCS2",
        15 => "GB18030",
        246 => "(U)SIM related",
        _ => "other (GSM 03.38 DCS)",
    }
}

/// Meaning of Query.QueryType.
pub fn query_type_meaning(v: u8) -> &'static str {
    match v {
        0 => "totals",
        1 => "by service",
        _ => "unknown query type",
    }
}

/// Meaning of the ChargeUserType TLV.
pub fn charge_user_type_meaning(v: u8) -> &'static str {
    match v {
        0 => "charge the receiver",
        1 => "charge the sender",
        2 => "charge the SP",
        3 => "see ChargeTermID / ChargeTermPseudo",
        _ => "unknown charge user type",
    }
}

/// Meaning of the *TermType TLVs (ChargeTermType, DestTermType, SrcTermType, SrcType).
pub fn term_type_meaning(v: u8) -> &'static str {
    match v {
        0 => "real number",
        1 => "pseudonym",
        _ => "unknown term type",
    }
}

/// Meaning of the SubmitMsgType TLV. [single: E9 codec]
pub fn submit_msg_type_meaning(v: u8) -> &'static str {
    match v {
        0 => "normal message",
        1 => "web subscribe notice",
        2 => "web unsubscribe notice",
        3 => "terminal subscribe notice",
        4 => "terminal unsubscribe notice",
        5 => "monthly fee notice",
        _ => "unknown submit message type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table_spot_checks() {
        assert_eq!(status_meaning(0), "success");
        assert_eq!(status_meaning(21), "authentication error");
        assert_eq!(status_meaning(75), "SP daily volume exceeded");
        assert_eq!(
            status_meaning(103),
            "submitting too fast: flow control (vendor)"
        );
        assert_eq!(status_meaning(5), "reserved");
        assert_eq!(status_meaning(50), "unknown status");
        assert_eq!(status_meaning(u32::MAX), "unknown status");
    }

    #[test]
    fn flow_control_codes() {
        for code in [1, 103, 104, 119] {
            assert!(is_flow_control(code), "{code}");
        }
        for code in [0, 2, 21, 75, 102, 118] {
            assert!(!is_flow_control(code), "{code}");
        }
    }

    #[test]
    fn stat_table_accepts_padding_and_the_long_vmfluctl() {
        assert_eq!(stat_meaning(b"DELIVRD"), "delivered");
        assert_eq!(stat_meaning(b"UNDELIV"), "undeliverable");
        assert_eq!(stat_meaning(b"DTBLACK"), "destination blacklisted");
        assert_eq!(stat_meaning(b"VMFLUCT"), "virtual number flow control");
        assert_eq!(stat_meaning(b"VMFLUCTL"), "virtual number flow control");
        assert_eq!(stat_meaning(b"REJECT\0"), "unrecognised stat");
        assert_eq!(stat_meaning(b"ACCEPTD  "), "accepted");
        assert_eq!(stat_meaning(b""), "unrecognised stat");
        assert!(stat_is_delivered(b"DELIVRD"));
        assert!(!stat_is_delivered(b"EXPIRED"));
    }

    #[test]
    fn err_and_enum_tables() {
        assert_eq!(err_meaning(0), "success");
        assert_eq!(err_meaning(7), "user memory full");
        assert_eq!(err_meaning(999), "unknown error");
        assert_eq!(err_meaning(500), "unrecognised err");
        assert_eq!(login_mode_meaning(2), "transmit (send and receive)");
        assert_eq!(msg_type_meaning(6), "MT");
        assert_eq!(priority_meaning(3), "highest");
        assert_eq!(fee_type_meaning(b"02"), "monthly (FixedFee)");
        assert_eq!(msg_format_meaning(15), "GB18030");
        assert_eq!(msg_format_meaning(0xF6), "(U)SIM related");
        assert_eq!(query_type_meaning(1), "by service");
        assert_eq!(charge_user_type_meaning(2), "charge the SP");
        assert_eq!(term_type_meaning(1), "pseudonym");
        assert_eq!(submit_msg_type_meaning(5), "monthly fee notice");
    }
}
