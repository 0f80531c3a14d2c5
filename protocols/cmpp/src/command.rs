//! Command ids (cmpp.md §3) and their spec names.
//!
//! A response id is the request id with the top bit set. The route commands start at
//! 0x10 (hex), not decimal 10; they and CMPP_FWD are gateway-to-gateway traffic that an
//! SP never sees, so they are named here but decode as [`Body::Unknown`](crate::Body::Unknown).

/// Bit set in every response id.
pub const RESPONSE_BIT: u32 = 0x8000_0000;

/// CMPP_CONNECT: SP → ISMG login.
pub const CONNECT: u32 = 0x0000_0001;
/// CMPP_CONNECT_RESP.
pub const CONNECT_RESP: u32 = CONNECT | RESPONSE_BIT;
/// CMPP_TERMINATE: either side closes the session.
pub const TERMINATE: u32 = 0x0000_0002;
/// CMPP_TERMINATE_RESP.
pub const TERMINATE_RESP: u32 = TERMINATE | RESPONSE_BIT;
/// CMPP_SUBMIT: SP → ISMG, mobile-terminated message.
pub const SUBMIT: u32 = 0x0000_0004;
/// CMPP_SUBMIT_RESP.
pub const SUBMIT_RESP: u32 = SUBMIT | RESPONSE_BIT;
/// CMPP_DELIVER: ISMG → SP, mobile-originated message or status report.
pub const DELIVER: u32 = 0x0000_0005;
/// CMPP_DELIVER_RESP.
pub const DELIVER_RESP: u32 = DELIVER | RESPONSE_BIT;
/// CMPP_QUERY: SP → ISMG, daily statistics.
pub const QUERY: u32 = 0x0000_0006;
/// CMPP_QUERY_RESP.
pub const QUERY_RESP: u32 = QUERY | RESPONSE_BIT;
/// CMPP_CANCEL: SP → ISMG, delete a pending MT.
pub const CANCEL: u32 = 0x0000_0007;
/// CMPP_CANCEL_RESP.
pub const CANCEL_RESP: u32 = CANCEL | RESPONSE_BIT;
/// CMPP_ACTIVE_TEST: keep-alive, either side.
pub const ACTIVE_TEST: u32 = 0x0000_0008;
/// CMPP_ACTIVE_TEST_RESP.
pub const ACTIVE_TEST_RESP: u32 = ACTIVE_TEST | RESPONSE_BIT;
/// CMPP_FWD: ISMG → ISMG only.
pub const FWD: u32 = 0x0000_0009;
/// CMPP_MT_ROUTE: ISMG → GNS.
pub const MT_ROUTE: u32 = 0x0000_0010;
/// CMPP_MO_ROUTE: ISMG → GNS.
pub const MO_ROUTE: u32 = 0x0000_0011;
/// CMPP_GET_MT_ROUTE (CMPP_GET_ROUTE in 2.x): ISMG → GNS.
pub const GET_MT_ROUTE: u32 = 0x0000_0012;
/// CMPP_MT_ROUTE_UPDATE: ISMG → GNS.
pub const MT_ROUTE_UPDATE: u32 = 0x0000_0013;
/// CMPP_MO_ROUTE_UPDATE: ISMG → GNS.
pub const MO_ROUTE_UPDATE: u32 = 0x0000_0014;
/// CMPP_PUSH_MT_ROUTE_UPDATE: GNS → ISMG.
pub const PUSH_MT_ROUTE_UPDATE: u32 = 0x0000_0015;
/// CMPP_PUSH_MO_ROUTE_UPDATE: GNS → ISMG.
pub const PUSH_MO_ROUTE_UPDATE: u32 = 0x0000_0016;
/// CMPP_GET_MO_ROUTE: ISMG → GNS (3.0).
pub const GET_MO_ROUTE: u32 = 0x0000_0017;

/// True when `command_id` is a response (top bit set).
pub const fn is_response(command_id: u32) -> bool {
    command_id & RESPONSE_BIT != 0
}

/// Spec name of a command id, e.g. `CMPP_SUBMIT_RESP`; `None` for ids CMPP does not define.
pub fn name(command_id: u32) -> Option<&'static str> {
    let resp = is_response(command_id);
    let (req, resp_name) = match command_id & !RESPONSE_BIT {
        CONNECT => ("CMPP_CONNECT", "CMPP_CONNECT_RESP"),
        TERMINATE => ("CMPP_TERMINATE", "CMPP_TERMINATE_RESP"),
        SUBMIT => ("CMPP_SUBMIT", "CMPP_SUBMIT_RESP"),
        DELIVER => ("CMPP_DELIVER", "CMPP_DELIVER_RESP"),
        QUERY => ("CMPP_QUERY", "CMPP_QUERY_RESP"),
        CANCEL => ("CMPP_CANCEL", "CMPP_CANCEL_RESP"),
        ACTIVE_TEST => ("CMPP_ACTIVE_TEST", "CMPP_ACTIVE_TEST_RESP"),
        FWD => ("CMPP_FWD", "CMPP_FWD_RESP"),
        MT_ROUTE => ("CMPP_MT_ROUTE", "CMPP_MT_ROUTE_RESP"),
        MO_ROUTE => ("CMPP_MO_ROUTE", "CMPP_MO_ROUTE_RESP"),
        GET_MT_ROUTE => ("CMPP_GET_MT_ROUTE", "CMPP_GET_MT_ROUTE_RESP"),
        MT_ROUTE_UPDATE => ("CMPP_MT_ROUTE_UPDATE", "CMPP_MT_ROUTE_UPDATE_RESP"),
        MO_ROUTE_UPDATE => ("CMPP_MO_ROUTE_UPDATE", "CMPP_MO_ROUTE_UPDATE_RESP"),
        PUSH_MT_ROUTE_UPDATE => (
            "CMPP_PUSH_MT_ROUTE_UPDATE",
            "CMPP_PUSH_MT_ROUTE_UPDATE_RESP",
        ),
        PUSH_MO_ROUTE_UPDATE => (
            "CMPP_PUSH_MO_ROUTE_UPDATE",
            "CMPP_PUSH_MO_ROUTE_UPDATE_RESP",
        ),
        GET_MO_ROUTE => ("CMPP_GET_MO_ROUTE", "CMPP_GET_MO_ROUTE_RESP"),
        _ => return None,
    };
    Some(if resp { resp_name } else { req })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_requests_and_responses() {
        assert_eq!(name(SUBMIT), Some("CMPP_SUBMIT"));
        assert_eq!(name(0x8000_0004), Some("CMPP_SUBMIT_RESP"));
        assert_eq!(name(0x10), Some("CMPP_MT_ROUTE"));
        assert_eq!(name(0x8000_0017), Some("CMPP_GET_MO_ROUTE_RESP"));
    }

    #[test]
    fn gaps_are_unknown() {
        // 0x03 is unused and route commands start at hex 0x10, not decimal 10.
        assert_eq!(name(0x03), None);
        assert_eq!(name(10), None);
        assert_eq!(name(0x18), None);
        assert_eq!(name(0), None);
    }

    #[test]
    fn response_bit() {
        assert!(is_response(ACTIVE_TEST_RESP));
        assert!(!is_response(ACTIVE_TEST));
        assert_eq!(CONNECT_RESP, 0x8000_0001);
    }
}
