//! SMGP RequestIDs and their spec names.
//!
//! A response id is the request id with the top bit set (`| 0x8000_0000`). Ids 0x08 and
//! 0x09 mean Query_TE_Route / Query_SP_Route in SMGP 3.0 but MT_Route_Update /
//! MO_Route_Update in Huawei's SMGP 2.x codec (README disagreement 10): [`name_for`]
//! follows the version, [`name`] gives the 3.0 names.

use crate::version::Version;

/// Bit set in every response id.
pub const RESPONSE_BIT: u32 = 0x8000_0000;

/// Login (SP → SMGW, first PDU of a connection).
pub const LOGIN: u32 = 0x0000_0001;
/// Login_Resp.
pub const LOGIN_RESP: u32 = LOGIN | RESPONSE_BIT;
/// Submit (MT).
pub const SUBMIT: u32 = 0x0000_0002;
/// Submit_Resp.
pub const SUBMIT_RESP: u32 = SUBMIT | RESPONSE_BIT;
/// Deliver (MO or status report).
pub const DELIVER: u32 = 0x0000_0003;
/// Deliver_Resp.
pub const DELIVER_RESP: u32 = DELIVER | RESPONSE_BIT;
/// Active_Test (keep-alive, no body).
pub const ACTIVE_TEST: u32 = 0x0000_0004;
/// Active_Test_Resp (no body).
pub const ACTIVE_TEST_RESP: u32 = ACTIVE_TEST | RESPONSE_BIT;
/// Forward (gateway ⇄ gateway; not modelled, decodes as `Body::Unknown`).
pub const FORWARD: u32 = 0x0000_0005;
/// Forward_Resp.
pub const FORWARD_RESP: u32 = FORWARD | RESPONSE_BIT;
/// Exit (close the session, no body).
pub const EXIT: u32 = 0x0000_0006;
/// Exit_Resp (no body).
pub const EXIT_RESP: u32 = EXIT | RESPONSE_BIT;
/// Query (traffic statistics).
pub const QUERY: u32 = 0x0000_0007;
/// Query_Resp.
pub const QUERY_RESP: u32 = QUERY | RESPONSE_BIT;
/// Query_TE_Route (3.0) / MT_Route_Update (2.x).
pub const QUERY_TE_ROUTE: u32 = 0x0000_0008;
/// Query_SP_Route (3.0) / MO_Route_Update (2.x).
pub const QUERY_SP_ROUTE: u32 = 0x0000_0009;
/// Payment_Request.
pub const PAYMENT_REQUEST: u32 = 0x0000_000A;
/// Payment_Affirm.
pub const PAYMENT_AFFIRM: u32 = 0x0000_000B;
/// Query_UserState.
pub const QUERY_USERSTATE: u32 = 0x0000_000C;
/// Get_All_TE_Route.
pub const GET_ALL_TE_ROUTE: u32 = 0x0000_000D;
/// Get_All_SP_Route.
pub const GET_ALL_SP_ROUTE: u32 = 0x0000_000E;
/// Update_TE_Route.
pub const UPDATE_TE_ROUTE: u32 = 0x0000_000F;
/// Update_SP_Route.
pub const UPDATE_SP_ROUTE: u32 = 0x0000_0010;
/// Push_Update_TE_Route.
pub const PUSH_UPDATE_TE_ROUTE: u32 = 0x0000_0011;
/// Push_Update_SP_Route.
pub const PUSH_UPDATE_SP_ROUTE: u32 = 0x0000_0012;

/// (request id, request name, response name) for every SMGP 3.0 command.
const COMMANDS: [(u32, &str, &str); 18] = [
    (LOGIN, "SMGP_LOGIN", "SMGP_LOGIN_RESP"),
    (SUBMIT, "SMGP_SUBMIT", "SMGP_SUBMIT_RESP"),
    (DELIVER, "SMGP_DELIVER", "SMGP_DELIVER_RESP"),
    (ACTIVE_TEST, "SMGP_ACTIVE_TEST", "SMGP_ACTIVE_TEST_RESP"),
    (FORWARD, "SMGP_FORWARD", "SMGP_FORWARD_RESP"),
    (EXIT, "SMGP_EXIT", "SMGP_EXIT_RESP"),
    (QUERY, "SMGP_QUERY", "SMGP_QUERY_RESP"),
    (
        QUERY_TE_ROUTE,
        "SMGP_QUERY_TE_ROUTE",
        "SMGP_QUERY_TE_ROUTE_RESP",
    ),
    (
        QUERY_SP_ROUTE,
        "SMGP_QUERY_SP_ROUTE",
        "SMGP_QUERY_SP_ROUTE_RESP",
    ),
    (
        PAYMENT_REQUEST,
        "SMGP_PAYMENT_REQUEST",
        "SMGP_PAYMENT_REQUEST_RESP",
    ),
    (
        PAYMENT_AFFIRM,
        "SMGP_PAYMENT_AFFIRM",
        "SMGP_PAYMENT_AFFIRM_RESP",
    ),
    (
        QUERY_USERSTATE,
        "SMGP_QUERY_USERSTATE",
        "SMGP_QUERY_USERSTATE_RESP",
    ),
    (
        GET_ALL_TE_ROUTE,
        "SMGP_GET_ALL_TE_ROUTE",
        "SMGP_GET_ALL_TE_ROUTE_RESP",
    ),
    (
        GET_ALL_SP_ROUTE,
        "SMGP_GET_ALL_SP_ROUTE",
        "SMGP_GET_ALL_SP_ROUTE_RESP",
    ),
    (
        UPDATE_TE_ROUTE,
        "SMGP_UPDATE_TE_ROUTE",
        "SMGP_UPDATE_TE_ROUTE_RESP",
    ),
    (
        UPDATE_SP_ROUTE,
        "SMGP_UPDATE_SP_ROUTE",
        "SMGP_UPDATE_SP_ROUTE_RESP",
    ),
    (
        PUSH_UPDATE_TE_ROUTE,
        "SMGP_PUSH_UPDATE_TE_ROUTE",
        "SMGP_PUSH_UPDATE_TE_ROUTE_RESP",
    ),
    (
        PUSH_UPDATE_SP_ROUTE,
        "SMGP_PUSH_UPDATE_SP_ROUTE",
        "SMGP_PUSH_UPDATE_SP_ROUTE_RESP",
    ),
];

/// Is `id` a response id (top bit set)?
pub fn is_response(id: u32) -> bool {
    id & RESPONSE_BIT != 0
}

/// The SMGP 3.0 spec name of a command id, e.g. `SMGP_SUBMIT_RESP`; `None` when the id
/// is not in the 3.0 table.
pub fn name(id: u32) -> Option<&'static str> {
    let request = id & !RESPONSE_BIT;
    COMMANDS
        .iter()
        .find(|(rid, _, _)| *rid == request)
        .map(|&(_, req, resp)| if is_response(id) { resp } else { req })
}

/// The name of a command id as `version` uses it: SMGP 2.0 and 1.3 call ids 8 and 9
/// MT_Route_Update / MO_Route_Update.
pub fn name_for(version: Version, id: u32) -> Option<&'static str> {
    if version != Version::V30 {
        let resp = is_response(id);
        match id & !RESPONSE_BIT {
            QUERY_TE_ROUTE => {
                return Some(if resp {
                    "SMGP_MT_ROUTE_UPDATE_RESP"
                } else {
                    "SMGP_MT_ROUTE_UPDATE"
                });
            }
            QUERY_SP_ROUTE => {
                return Some(if resp {
                    "SMGP_MO_ROUTE_UPDATE_RESP"
                } else {
                    "SMGP_MO_ROUTE_UPDATE"
                });
            }
            _ => {}
        }
    }
    name(id)
}

/// Name for logs and JSON: the spec name, or `SMGP_UNKNOWN` / `SMGP_UNKNOWN_RESP`.
pub fn display_name(version: Version, id: u32) -> &'static str {
    name_for(version, id).unwrap_or(if is_response(id) {
        "SMGP_UNKNOWN_RESP"
    } else {
        "SMGP_UNKNOWN"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_have_the_top_bit() {
        assert_eq!(SUBMIT_RESP, 0x8000_0002);
        assert!(is_response(LOGIN_RESP));
        assert!(!is_response(LOGIN));
    }

    #[test]
    fn every_id_1_to_0x12_has_a_name_both_ways() {
        for id in 1..=0x12u32 {
            assert!(name(id).is_some(), "request {id:#x}");
            assert!(name(id | RESPONSE_BIT).is_some(), "response {id:#x}");
        }
        assert_eq!(name(0), None);
        assert_eq!(name(0x13), None);
        assert_eq!(name(EXIT_RESP), Some("SMGP_EXIT_RESP"));
        assert_eq!(name(ACTIVE_TEST), Some("SMGP_ACTIVE_TEST"));
    }

    #[test]
    fn ids_8_and_9_depend_on_the_version() {
        assert_eq!(name_for(Version::V30, 8), Some("SMGP_QUERY_TE_ROUTE"));
        assert_eq!(
            name_for(Version::V30, 0x8000_0009),
            Some("SMGP_QUERY_SP_ROUTE_RESP")
        );
        assert_eq!(name_for(Version::V20, 8), Some("SMGP_MT_ROUTE_UPDATE"));
        assert_eq!(
            name_for(Version::V20, 0x8000_0009),
            Some("SMGP_MO_ROUTE_UPDATE_RESP")
        );
        assert_eq!(name_for(Version::V20, SUBMIT), Some("SMGP_SUBMIT"));
    }

    #[test]
    fn unknown_ids_get_a_generic_name() {
        assert_eq!(display_name(Version::V30, 0x99), "SMGP_UNKNOWN");
        assert_eq!(display_name(Version::V30, 0x8000_0099), "SMGP_UNKNOWN_RESP");
    }
}
