//! `POST /v1/simulate/reply` — demo mode only: the simulated carrier that owns the
//! extended number delivers an MO message as if the phone `from` had sent it, so a
//! newcomer can answer an approval without a carrier account (`hongyan reply`).

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
    // The link whose service code is the longest prefix of `to` owns the number.
    let link = st
        .config
        .links
        .iter()
        .filter(|l| to.starts_with(l.service_code.as_str()))
        .max_by_key(|l| l.service_code.len())
        .ok_or_else(|| ApiError::invalid("to", "starts with no link's service code"))?;
    let Some((_, sim)) = st.sims.iter().find(|(name, _)| *name == link.name) else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_simulated",
            format!(
                "link {} talks to a real carrier; replies can only be simulated in demo mode",
                link.name
            ),
        ));
    };
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
