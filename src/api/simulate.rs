//! `POST /v1/simulate/reply` — demo mode only: the simulated carrier that owns the
//! extended number delivers an MO message as if the phone `from` had sent it, so a
//! newcomer can answer an approval without a carrier account (`hongyan reply`).
//!
//! A simulated reply can approve a request, so it needs the `approvals` scope (see
//! [`ROUTES`](super::ROUTES)), and it exists only for a link that is simulated: a number
//! owned by a link to a real carrier, or a daemon without simulators, answers 404.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::body::{JsonBody, reply as json_reply};
use super::error::ApiError;
use super::state::AppState;
use crate::route::normalize;
use crate::sim::MoSpec;

/// A simulated reply.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    /// The phone that "replies" (any usual form).
    pub from: String,
    /// The number it writes to: service code + extension.
    pub to: String,
    /// What it writes.
    pub text: String,
}

pub async fn reply(
    State(st): State<AppState>,
    JsonBody(body): JsonBody<ReplyBody>,
) -> Result<Response, ApiError> {
    let from = normalize(&body.from).map_err(|e| ApiError::invalid("from", e))?;
    let to = body.to.trim();
    if to.is_empty() || !to.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(
            "to",
            "must be the digits of service code + extension",
        ));
    }
    if body.text.is_empty() {
        return Err(ApiError::invalid("text", "is empty"));
    }
    let (link, sim) = simulated_link(&st.config.links, &st.sims, to)?;
    // SGIP writes user numbers with the country code.
    let phone = if link.protocol == crate::config::LinkProtocol::Sgip {
        from.with_country_code()
    } else {
        from.to_string()
    };
    sim.deliver_mo(MoSpec::new(phone, to, body.text.as_str()))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "link_down",
                format!("the simulated carrier could not deliver it: {e}"),
            )
        })?;
    Ok(json_reply(
        StatusCode::ACCEPTED,
        &json!({ "link": link.name, "from": from, "to": to }),
    ))
}

/// The link that owns `to` (the longest service code that prefixes it) and its
/// simulator; 404 `not_simulated` when that link (or every link) talks to a real
/// carrier, 422 when no link owns the number.
fn simulated_link<'a, S>(
    links: &'a [crate::config::Link],
    sims: &'a [(String, S)],
    to: &str,
) -> Result<(&'a crate::config::Link, &'a S), ApiError> {
    if sims.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_simulated",
            "no link is simulated: replies can only be simulated in demo mode",
        ));
    }
    let link = links
        .iter()
        .filter(|l| to.starts_with(l.service_code.as_str()))
        .max_by_key(|l| l.service_code.len())
        .ok_or_else(|| ApiError::invalid("to", "starts with no link's service code"))?;
    let Some((_, sim)) = sims.iter().find(|(name, _)| *name == link.name) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_simulated",
            format!(
                "link {} talks to a real carrier; replies can only be simulated in demo mode",
                link.name
            ),
        ));
    };
    Ok((link, sim))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn links() -> Vec<crate::config::Link> {
        crate::config::Config::embedded_default().unwrap().links
    }

    #[test]
    fn only_a_simulated_link_takes_a_simulated_reply() {
        let links = links();
        let first = links.first().unwrap();
        let to = format!("{}1234", first.service_code);
        // Every link simulated: the owner is found.
        let sims: Vec<(String, ())> = links.iter().map(|l| (l.name.clone(), ())).collect();
        let (link, ()) = simulated_link(&links, &sims, &to).unwrap();
        assert!(to.starts_with(link.service_code.as_str()));
        // The owner talks to a real carrier: 404, not a reply injected elsewhere.
        let others: Vec<(String, ())> = sims
            .iter()
            .filter(|(n, _)| *n != link.name)
            .cloned()
            .collect();
        let e = simulated_link(&links, &others, &to).unwrap_err();
        assert_eq!((e.status, e.code), (StatusCode::NOT_FOUND, "not_simulated"));
        // No simulator at all: the route does not exist in effect.
        let e = simulated_link::<()>(&links, &[], &to).unwrap_err();
        assert_eq!((e.status, e.code), (StatusCode::NOT_FOUND, "not_simulated"));
        // A number no link owns is the caller's mistake, named.
        let e = simulated_link(&links, &sims, "999").unwrap_err();
        assert_eq!(e.code, "invalid");
    }
}
