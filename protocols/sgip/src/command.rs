//! SGIP command ids and their spec names (SGIP 1.3 table 5-1; go_sgip,
//! bromine0x23/sgip, SMSGate and Huawei SMProxy agree).
//!
//! A response id is the request id with the top bit set. Only the SP ⇄ SMG commands
//! (Bind, Unbind, Submit, Deliver, Report, UserRpt, Trace) have typed bodies; the
//! SMG ⇄ GNS / billing-centre family (0x06–0x10) is named here so logs and the
//! `decode` CLI can say what arrived, but decodes to `Body::Unknown`.

/// Set in every response command id.
pub const RESPONSE_BIT: u32 = 0x8000_0000;

/// SGIP_BIND: open a session (Login Type, name, password).
pub const BIND: u32 = 0x0000_0001;
/// SGIP_BIND_RESP.
pub const BIND_RESP: u32 = 0x8000_0001;
/// SGIP_UNBIND: close a session.
pub const UNBIND: u32 = 0x0000_0002;
/// SGIP_UNBIND_RESP.
pub const UNBIND_RESP: u32 = 0x8000_0002;
/// SGIP_SUBMIT: SP → SMG mobile-terminated message.
pub const SUBMIT: u32 = 0x0000_0003;
/// SGIP_SUBMIT_RESP.
pub const SUBMIT_RESP: u32 = 0x8000_0003;
/// SGIP_DELIVER: SMG → SP mobile-originated message.
pub const DELIVER: u32 = 0x0000_0004;
/// SGIP_DELIVER_RESP.
pub const DELIVER_RESP: u32 = 0x8000_0004;
/// SGIP_REPORT: SMG → SP delivery status of an earlier Submit.
pub const REPORT: u32 = 0x0000_0005;
/// SGIP_REPORT_RESP.
pub const REPORT_RESP: u32 = 0x8000_0005;
/// SGIP_ADDSP (SMG ⇄ GNS).
pub const ADDSP: u32 = 0x0000_0006;
/// SGIP_ADDSP_RESP.
pub const ADDSP_RESP: u32 = 0x8000_0006;
/// SGIP_MODIFYSP (SMG ⇄ GNS).
pub const MODIFYSP: u32 = 0x0000_0007;
/// SGIP_MODIFYSP_RESP.
pub const MODIFYSP_RESP: u32 = 0x8000_0007;
/// SGIP_DELETESP (SMG ⇄ GNS).
pub const DELETESP: u32 = 0x0000_0008;
/// SGIP_DELETESP_RESP.
pub const DELETESP_RESP: u32 = 0x8000_0008;
/// SGIP_QUERYROUTE (SMG ⇄ GNS).
pub const QUERYROUTE: u32 = 0x0000_0009;
/// SGIP_QUERYROUTE_RESP.
pub const QUERYROUTE_RESP: u32 = 0x8000_0009;
/// SGIP_ADDTELESEG (SMG ⇄ GNS).
pub const ADDTELESEG: u32 = 0x0000_000A;
/// SGIP_ADDTELESEG_RESP.
pub const ADDTELESEG_RESP: u32 = 0x8000_000A;
/// SGIP_MODIFYTELESEG (SMG ⇄ GNS).
pub const MODIFYTELESEG: u32 = 0x0000_000B;
/// SGIP_MODIFYTELESEG_RESP.
pub const MODIFYTELESEG_RESP: u32 = 0x8000_000B;
/// SGIP_DELETETELESEG (SMG ⇄ GNS).
pub const DELETETELESEG: u32 = 0x0000_000C;
/// SGIP_DELETETELESEG_RESP.
pub const DELETETELESEG_RESP: u32 = 0x8000_000C;
/// SGIP_ADDSMG (SMG ⇄ GNS).
pub const ADDSMG: u32 = 0x0000_000D;
/// SGIP_ADDSMG_RESP.
pub const ADDSMG_RESP: u32 = 0x8000_000D;
/// SGIP_MODIFYSMG (SMG ⇄ GNS).
pub const MODIFYSMG: u32 = 0x0000_000E;
/// SGIP_MODIFYSMG_RESP. The SGIP 1.3 document prints 0x0000000e, which would collide
/// with the request; every implementation uses 0x8000000E (reference disagreement 17).
pub const MODIFYSMG_RESP: u32 = 0x8000_000E;
/// SGIP_DELETESMG (SMG ⇄ GNS).
pub const DELETESMG: u32 = 0x0000_000F;
/// SGIP_DELETESMG_RESP.
pub const DELETESMG_RESP: u32 = 0x8000_000F;
/// SGIP_CHECKUSER (SMG ⇄ billing centre).
pub const CHECKUSER: u32 = 0x0000_0010;
/// SGIP_CHECKUSER_RESP.
pub const CHECKUSER_RESP: u32 = 0x8000_0010;
/// SGIP_USERRPT: SMG → SP subscriber state change.
pub const USERRPT: u32 = 0x0000_0011;
/// SGIP_USERRPT_RESP.
pub const USERRPT_RESP: u32 = 0x8000_0011;
/// SGIP_TRACE: SP → SMG trace of an earlier Submit (test connection).
pub const TRACE: u32 = 0x0000_1000;
/// SGIP_TRACE_RESP.
pub const TRACE_RESP: u32 = 0x8000_1000;

/// Every command id the reference lists, with its spec name, in table order.
pub const TABLE: &[(u32, &str)] = &[
    (BIND, "SGIP_BIND"),
    (BIND_RESP, "SGIP_BIND_RESP"),
    (UNBIND, "SGIP_UNBIND"),
    (UNBIND_RESP, "SGIP_UNBIND_RESP"),
    (SUBMIT, "SGIP_SUBMIT"),
    (SUBMIT_RESP, "SGIP_SUBMIT_RESP"),
    (DELIVER, "SGIP_DELIVER"),
    (DELIVER_RESP, "SGIP_DELIVER_RESP"),
    (REPORT, "SGIP_REPORT"),
    (REPORT_RESP, "SGIP_REPORT_RESP"),
    (ADDSP, "SGIP_ADDSP"),
    (ADDSP_RESP, "SGIP_ADDSP_RESP"),
    (MODIFYSP, "SGIP_MODIFYSP"),
    (MODIFYSP_RESP, "SGIP_MODIFYSP_RESP"),
    (DELETESP, "SGIP_DELETESP"),
    (DELETESP_RESP, "SGIP_DELETESP_RESP"),
    (QUERYROUTE, "SGIP_QUERYROUTE"),
    (QUERYROUTE_RESP, "SGIP_QUERYROUTE_RESP"),
    (ADDTELESEG, "SGIP_ADDTELESEG"),
    (ADDTELESEG_RESP, "SGIP_ADDTELESEG_RESP"),
    (MODIFYTELESEG, "SGIP_MODIFYTELESEG"),
    (MODIFYTELESEG_RESP, "SGIP_MODIFYTELESEG_RESP"),
    (DELETETELESEG, "SGIP_DELETETELESEG"),
    (DELETETELESEG_RESP, "SGIP_DELETETELESEG_RESP"),
    (ADDSMG, "SGIP_ADDSMG"),
    (ADDSMG_RESP, "SGIP_ADDSMG_RESP"),
    (MODIFYSMG, "SGIP_MODIFYSMG"),
    (MODIFYSMG_RESP, "SGIP_MODIFYSMG_RESP"),
    (DELETESMG, "SGIP_DELETESMG"),
    (DELETESMG_RESP, "SGIP_DELETESMG_RESP"),
    (CHECKUSER, "SGIP_CHECKUSER"),
    (CHECKUSER_RESP, "SGIP_CHECKUSER_RESP"),
    (USERRPT, "SGIP_USERRPT"),
    (USERRPT_RESP, "SGIP_USERRPT_RESP"),
    (TRACE, "SGIP_TRACE"),
    (TRACE_RESP, "SGIP_TRACE_RESP"),
];

/// Spec name of a command id, or `None` when the id is not in the table.
pub fn name(command_id: u32) -> Option<&'static str> {
    // Called for every decoded frame: index by the low bits instead of scanning
    // the table (request 0x01–0x11 sits at 2·(id−1), its response right after).
    let response = usize::from(is_response(command_id));
    let index = match command_id & !RESPONSE_BIT {
        id @ 0x01..=0x11 => 2 * (id as usize - 1) + response,
        TRACE => 34 + response,
        _ => return None,
    };
    TABLE.get(index).map(|&(_, n)| n)
}

/// Spec name of a command id, `"UNKNOWN"` for ids outside the table.
pub fn name_or_unknown(command_id: u32) -> &'static str {
    name(command_id).unwrap_or("UNKNOWN")
}

/// True when the id is a response (top bit set).
pub fn is_response(command_id: u32) -> bool {
    command_id & RESPONSE_BIT != 0
}

/// The response id answering a request id.
pub fn response_id(request_id: u32) -> u32 {
    request_id | RESPONSE_BIT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_has_its_response_next_to_it() {
        assert_eq!(TABLE.len(), 36);
        for pair in TABLE.chunks(2) {
            let [(req, req_name), (resp, resp_name)] = pair else {
                panic!("odd table");
            };
            assert!(!is_response(*req), "{req_name}");
            assert_eq!(response_id(*req), *resp);
            assert_eq!(format!("{req_name}_RESP"), *resp_name);
        }
    }

    #[test]
    fn names_known_and_unknown_ids() {
        assert_eq!(name(SUBMIT), Some("SGIP_SUBMIT"));
        assert_eq!(name(TRACE_RESP), Some("SGIP_TRACE_RESP"));
        assert_eq!(name(MODIFYSMG_RESP), Some("SGIP_MODIFYSMG_RESP"));
        assert_eq!(name(0x0000_0012), None);
        assert_eq!(name_or_unknown(0x1234_5678), "UNKNOWN");
        assert_eq!(name(0x4000_0001), None);
        assert_eq!(name(0), None);
        assert_eq!(name(0x8000_0000), None);
        assert_eq!(name(0x0000_1001), None);
    }

    #[test]
    fn indexed_lookup_agrees_with_the_table() {
        for &(id, n) in TABLE {
            assert_eq!(name(id), Some(n), "0x{id:08x}");
        }
    }
}
