//! What a configured link means for the text layer and for the link driver.
//!
//! [`split_options`] is the one place that turns a `[[link]]` (coding rules, UDH width,
//! segment cap, signature) into [`SplitOptions`]. The submitter counts a message's
//! segments with it when the job is accepted, and the dispatcher splits the text with it
//! when the message goes out — so the number of parts the store holds is exactly the
//! number of SUBMITs sent. [`link_config`] turns the same `[[link]]` into the driver's
//! [`LinkConfig`].

use std::num::{NonZeroU32, NonZeroUsize};
use std::time::Duration;

use wire::encode::{CodingPolicy, CodingUse};
use wire::segment::{ConcatOptions, SplitOptions};
use wire::signature::{Signature, SignaturePosition};

use crate::config::{self, LinkProtocol, SignaturePlace};
use crate::link::{
    BackoffConfig, KeepAliveConfig, LinkConfig, ProtocolConfig, SgipConfig, SgipListenerConfig,
    WindowConfig,
};

/// The text options of `link`. `signature` is the job's own signature; `None` (or an
/// empty one) means the link's configured signature, if it has one.
pub fn split_options(link: &config::Link, signature: Option<&str>) -> SplitOptions {
    let text = signature
        .filter(|s| !s.is_empty())
        .or(link.signature.as_deref())
        .filter(|s| !s.is_empty());
    let position = match link.signature_position {
        SignaturePlace::Prefix => SignaturePosition::Prefix,
        SignaturePlace::Suffix => SignaturePosition::Suffix,
    };
    SplitOptions {
        policy: CodingPolicy {
            ascii: coding_use(link.coding.ascii),
            ascii_max_len: link.coding.ascii_max_len,
            gbk: coding_use(link.coding.gbk),
            gbk_fallback_ucs2: link.coding.gbk_fallback_ucs2,
        },
        concat: ConcatOptions {
            wide_reference: link.udh == 16,
            max_segments: link.max_segments,
        },
        signature: text.map(|t| Signature {
            text: t.to_owned(),
            position,
            added_by_carrier: link.carrier_adds_signature,
        }),
    }
}

fn coding_use(u: config::CodingUse) -> CodingUse {
    match u {
        config::CodingUse::Never => CodingUse::Never,
        config::CodingUse::Single => CodingUse::SingleOnly,
        config::CodingUse::Always => CodingUse::Always,
    }
}

/// What `text` costs on `link` with the job's `signature` — coding, characters and
/// segments — or why it cannot go. The submitter counts a recipient's segments with it
/// and the console's preview shows the same figures, so what staff see before sending
/// is what is queued.
pub fn measure(
    link: &config::Link,
    text: &str,
    signature: Option<&str>,
) -> Result<wire::segment::SegmentCount, LinkTextError> {
    let opts = split_options(link, signature);
    let counted = wire::segment::count(text, &opts).map_err(|source| LinkTextError::Text {
        link: link.name.clone(),
        source,
    })?;
    if counted.segments > usize::from(link.max_segments) {
        return Err(LinkTextError::TooLong {
            link: link.name.clone(),
            segments: counted.segments,
            max: link.max_segments,
        });
    }
    Ok(counted)
}

/// Why a text cannot go through a link: the reason a recipient is refused at intake
/// (`code: "text"`) and a claimed message fails when it goes out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkTextError {
    /// The text layer cannot encode or split it with the link's settings.
    #[error("the text cannot go through link {link}: {source}")]
    Text {
        /// The link's name.
        link: String,
        /// Why.
        source: wire::text_error::TextError,
    },
    /// It takes more segments than the link's `max_segments`.
    #[error("the text takes {segments} segments; link {link} allows at most {max}")]
    TooLong {
        /// The link's name.
        link: String,
        /// Segments it takes.
        segments: usize,
        /// The link's `max_segments`.
        max: u8,
    },
    /// It takes more segments than a concatenated message can have.
    #[error("the text takes {0} segments; at most 255 are possible")]
    Over255(usize),
    /// A claimed message now splits differently than when it was accepted.
    #[error(
        "the text now takes {now} segments but was accepted as {accepted} (the link's text settings changed)"
    )]
    Changed {
        /// Segments it takes now.
        now: usize,
        /// Segments it was accepted as.
        accepted: u8,
    },
    /// A claimed part number that the split does not have.
    #[error("part {part} of {parts} does not exist")]
    NoPart {
        /// The part number.
        part: u8,
        /// Parts of the message.
        parts: u8,
    },
}

/// The SGIP reverse listener's credentials for a simulated link whose config names none.
pub const SIM_GATEWAY_LOGIN: &str = "hongyan-sim";
/// See [`SIM_GATEWAY_LOGIN`].
pub const SIM_GATEWAY_PASSWORD: &str = "hongyan-sim";

/// The driver settings of `link`, connecting to `address` (the configured gateway, or a
/// simulator's bound address).
pub fn link_config(link: &config::Link, address: String) -> LinkConfig {
    let protocol = match link.protocol {
        LinkProtocol::Cmpp2 => ProtocolConfig::Cmpp(cmpp::Version::V20),
        LinkProtocol::Cmpp3 => ProtocolConfig::Cmpp(cmpp::Version::V30),
        LinkProtocol::Smgp => ProtocolConfig::Smgp(smgp::Version::V30),
        LinkProtocol::Sgip => ProtocolConfig::Sgip(SgipConfig {
            node_id: link.node_id.unwrap_or_default(),
            corp_id: link.sp_id.clone().unwrap_or_default(),
            listener: sgip_listener(link),
        }),
    };
    let secret = link
        .secret
        .as_ref()
        .map(|s| s.expose().to_owned())
        .unwrap_or_default();
    let mut c = LinkConfig::new(
        link.name.clone(),
        protocol,
        address,
        link.account.clone(),
        secret,
    );
    c.service_id = link.service_id.clone();
    c.window = WindowConfig {
        capacity: NonZeroUsize::new(usize::from(link.window)).unwrap_or(NonZeroUsize::MIN),
        response_timeout: link.response_timeout,
        max_attempts: NonZeroU32::new(u32::from(link.max_attempts)).unwrap_or(NonZeroU32::MIN),
    };
    c.rate_per_second = NonZeroU32::new(link.rate);
    c.connections = NonZeroUsize::new(usize::from(link.connections)).unwrap_or(NonZeroUsize::MIN);
    c.keepalive = KeepAliveConfig {
        interval: link.keepalive_interval,
        response_timeout: link.keepalive_interval,
        max_missed: NonZeroU32::new(u32::from(link.keepalive_missed)).unwrap_or(NonZeroU32::MIN),
    };
    c.backoff = BackoffConfig {
        initial: link.reconnect_initial,
        max: link.reconnect_max,
        ..BackoffConfig::default()
    };
    c.close_grace = link.close_grace;
    c.idle_unbind = link.idle_unbind;
    // A report whose submit response is not in yet goes straight on to the store, which
    // keeps it durably as an orphan and applies it when the response is recorded (also
    // after a restart). Holding it in the link's memory would only delay it — and lose
    // it if the process died meanwhile, the gateway having had its answer (the crash
    // test lost over a thousand reports that way with a one-second hold).
    c.reports.hold_for = REPORT_HOLD;
    c
}

/// How long the link holds a report for a msg id it has not seen yet (see
/// [`link_config`]).
pub const REPORT_HOLD: Duration = Duration::ZERO;

/// The SGIP listener: the configured one, or for a simulated link one on 127.0.0.1 that
/// only the in-process simulator binds to.
fn sgip_listener(link: &config::Link) -> Option<SgipListenerConfig> {
    let password = link
        .gateway_password
        .as_ref()
        .map(|s| s.expose().to_owned());
    if link.simulated {
        return Some(SgipListenerConfig {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            gateway_name: link
                .gateway_login
                .clone()
                .unwrap_or_else(|| SIM_GATEWAY_LOGIN.to_owned()),
            gateway_password: password.unwrap_or_else(|| SIM_GATEWAY_PASSWORD.to_owned()),
            allow: Some(vec![std::net::IpAddr::from([127, 0, 0, 1])]),
        });
    }
    let listen = link.listen?;
    Some(SgipListenerConfig {
        listen,
        gateway_name: link.gateway_login.clone().unwrap_or_default(),
        gateway_password: password.unwrap_or_default(),
        allow: (!link.allow_from.is_empty()).then(|| link.allow_from.clone()),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn links() -> Vec<config::Link> {
        Config::embedded_default().unwrap().links
    }

    #[test]
    fn options_follow_the_link_and_the_job_signature_wins() {
        let mut link = links().remove(0);
        link.udh = 16;
        link.max_segments = 3;
        link.signature_position = SignaturePlace::Suffix;
        link.carrier_adds_signature = true;
        let o = split_options(&link, None);
        assert!(o.concat.wide_reference);
        assert_eq!(o.concat.max_segments, 3);
        let sig = o.signature.unwrap();
        assert_eq!(sig.text, "【鸿雁】");
        assert_eq!(sig.position, SignaturePosition::Suffix);
        assert!(sig.added_by_carrier);
        let own = split_options(&link, Some("【物流】")).signature.unwrap();
        assert_eq!(own.text, "【物流】");
        // An empty job signature means "the link's".
        assert_eq!(
            split_options(&link, Some("")).signature.unwrap().text,
            "【鸿雁】"
        );
        link.signature = None;
        assert!(split_options(&link, None).signature.is_none());
    }

    #[test]
    fn the_count_at_enqueue_equals_the_split_at_dispatch() {
        let link = links().remove(0);
        let opts = split_options(&link, None);
        let text = "您的账单已出，".repeat(30);
        let counted = wire::segment::count(&text, &opts).unwrap().segments;
        let split = wire::segment::split(&text, &split_options(&link, None), 7).unwrap();
        assert_eq!(counted, split.segments.len());
        assert!(counted >= 3);
    }

    #[test]
    fn link_config_carries_the_settings_and_no_secret_in_debug() {
        let all = links();
        let c = link_config(&all[0], "127.0.0.1:7890".into());
        assert_eq!(c.name, "mobile-demo");
        assert_eq!(c.address, "127.0.0.1:7890");
        assert_eq!(c.protocol, ProtocolConfig::Cmpp(cmpp::Version::V30));
        assert_eq!(c.rate_per_second.unwrap().get(), 1000);
        assert_eq!(c.window.capacity.get(), 16);
        assert_eq!(c.service_id, "HONGYAN");
        assert!(!format!("{c:?}").contains("demo-secret"));
        let sgip = link_config(&all[2], "127.0.0.1:1".into());
        match sgip.protocol {
            ProtocolConfig::Sgip(s) => {
                assert_eq!(s.node_id, 3_012_345_678);
                assert_eq!(s.corp_id, "12345");
                let l = s.listener.unwrap();
                assert_eq!(l.listen.ip(), std::net::IpAddr::from([127, 0, 0, 1]));
                assert_eq!(l.gateway_name, SIM_GATEWAY_LOGIN);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            link_config(&all[1], String::new()).protocol,
            ProtocolConfig::Smgp(smgp::Version::V30)
        );
    }
}
