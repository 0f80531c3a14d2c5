//! Carrier codes in words, for status responses: the submit result and the status
//! report of each segment, read with the protocol of the link that sent it.

use crate::config::LinkProtocol;

/// What a submit response code means on `protocol`; hongyan's own `-1` is "not sent".
pub fn submit_result(protocol: LinkProtocol, code: i64) -> &'static str {
    if code < 0 {
        return "not sent by hongyan (see last_error)";
    }
    let Ok(code) = u32::try_from(code) else {
        return "unknown code";
    };
    match protocol {
        LinkProtocol::Cmpp2 | LinkProtocol::Cmpp3 => cmpp::status::submit_result_meaning(code),
        LinkProtocol::Smgp => smgp::status::status_meaning(code),
        LinkProtocol::Sgip => {
            u8::try_from(code).map_or("unknown code", sgip::status::result_meaning)
        }
    }
}

/// What a status report's stat (and, for SMGP and SGIP, error code) means.
pub fn report(protocol: LinkProtocol, stat: &str, err: Option<&str>) -> String {
    match protocol {
        LinkProtocol::Cmpp2 | LinkProtocol::Cmpp3 => {
            cmpp::status::stat_meaning(stat.as_bytes()).to_owned()
        }
        LinkProtocol::Smgp => {
            let s = smgp::status::stat_meaning(stat.as_bytes());
            match err.and_then(|e| e.trim().parse::<u16>().ok()) {
                Some(0) | None => s.to_owned(),
                Some(e) => format!("{s}; {}", smgp::status::err_meaning(e)),
            }
        }
        LinkProtocol::Sgip => {
            let s = stat
                .parse::<u8>()
                .map_or("unknown state", sgip::status::state_meaning);
            match err.and_then(|e| e.trim().parse::<u32>().ok()) {
                Some(0) | None => s.to_owned(),
                Some(e) => format!("{s}; {}", sgip::status::error_code_meaning(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_per_protocol() {
        assert_eq!(submit_result(LinkProtocol::Cmpp3, 0), "success");
        assert!(submit_result(LinkProtocol::Cmpp2, 8).contains("flow"));
        assert!(submit_result(LinkProtocol::Sgip, -1).contains("not sent"));
        assert!(report(LinkProtocol::Cmpp3, "DELIVRD", None).contains("deliver"));
        assert_ne!(
            report(LinkProtocol::Sgip, "2", Some("1")),
            report(LinkProtocol::Sgip, "0", Some("0"))
        );
    }
}
