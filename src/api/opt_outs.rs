//! `/v1/opt-outs`: the opt-out (退订) list — list and search, add with the consent
//! record, remove with a reason, and a number's history. Changes go through the
//! workflow (`Workflow::opt_out_add` / `opt_out_remove`), which names the token as the
//! author and counts them for `/metrics`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::body::{JsonBody, QueryOf, reply};
use super::error::ApiError;
use super::listing;
use super::state::AppState;
use crate::config::Scope;
use crate::store::OptOutSource;

/// `GET /v1/opt-outs` parameters (the route table lists them).
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// At most this many (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Only entries older than this one.
    #[serde(default)]
    pub before: Option<i64>,
    /// Only numbers starting with these digits.
    #[serde(default)]
    pub search: Option<String>,
}

/// The digits a number starts with, as the list keeps numbers (without `+86`); spaces
/// and dashes are ignored.
fn number_prefix(input: &str) -> Result<Option<String>, ApiError> {
    let digits: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '+'))
        .collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(
            "search",
            format!("{input:?}: the first digits of a number, e.g. 138 or 1380013"),
        ));
    }
    // Mobile numbers start with 1: a leading 86 is the country code.
    let digits = digits.strip_prefix("86").unwrap_or(&digits).to_owned();
    Ok(Some(digits).filter(|d| !d.is_empty()))
}

pub async fn list(
    State(st): State<AppState>,
    QueryOf(q): QueryOf<ListQuery>,
) -> Result<Response, ApiError> {
    let window = listing::window(q.limit, q.before, 50, 500)?;
    let prefix = match q.search.as_deref() {
        Some(s) => number_prefix(s)?,
        None => None,
    };
    let page = st.store.list_opt_outs(prefix, window).await?;
    let total = st.store.opt_out_count().await?;
    Ok(reply(
        StatusCode::OK,
        &json!({ "opt_outs": page.items, "next_before": page.next_before, "total": total }),
    ))
}

/// How a change says where it came from: the API, or the command line through it.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// A client of the API (default).
    #[default]
    Api,
    /// `hongyan opt-out`.
    Cli,
}

impl From<Via> for OptOutSource {
    fn from(v: Via) -> Self {
        match v {
            Via::Api => OptOutSource::Api,
            Via::Cli => OptOutSource::Cli,
        }
    }
}

/// `POST /v1/opt-outs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    /// The number (any usual spelling).
    pub number: String,
    /// The consent record: how and when the person refused.
    pub note: String,
    /// `api` (default) or `cli`.
    #[serde(default)]
    pub via: Via,
}

pub async fn add(
    State(st): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<AddBody>,
) -> Result<Response, ApiError> {
    let actor = st.auth(&headers, Scope::All)?;
    let added = st
        .workflow
        .opt_out_add(&body.number, &body.note, body.via.into(), &actor)
        .await?;
    let number = listing::number("number", &body.number)?;
    tracing::info!(client = %actor, added, "API opt-out add");
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(reply(status, &json!({ "number": number, "added": added })))
}

/// `DELETE /v1/opt-outs/{number}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveBody {
    /// Why the number may get marketing again (e.g. its new consent).
    pub reason: String,
    /// `api` (default) or `cli`.
    #[serde(default)]
    pub via: Via,
}

pub async fn remove(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<RemoveBody>,
) -> Result<Response, ApiError> {
    let actor = st.auth(&headers, Scope::All)?;
    let normal = listing::number("number", &number)?;
    let removed = st
        .workflow
        .opt_out_remove(&number, &body.reason, body.via.into(), &actor)
        .await?;
    tracing::info!(client = %actor, removed, "API opt-out remove");
    if !removed {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{normal} is not on the opt-out list"),
        )
        .with_details(json!({ "number": normal })));
    }
    Ok(reply(
        StatusCode::OK,
        &json!({ "number": normal, "removed": true }),
    ))
}

pub async fn history(
    State(st): State<AppState>,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let normal = listing::number("number", &number)?;
    let entry = st.store.opt_out_get(normal.clone()).await?;
    let history = st.store.opt_out_history(normal.clone()).await?;
    Ok(reply(
        StatusCode::OK,
        &json!({
            "number": normal,
            "opted_out": entry.is_some(),
            "entry": entry,
            "history": history,
        }),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_the_first_digits_of_a_number_without_the_country_code() {
        assert_eq!(number_prefix("138").unwrap().as_deref(), Some("138"));
        assert_eq!(
            number_prefix("+86 138-0013").unwrap().as_deref(),
            Some("1380013")
        );
        assert_eq!(number_prefix("").unwrap(), None);
        assert_eq!(number_prefix("+86").unwrap(), None);
        let e = number_prefix("13a").unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e.message.contains("search"), "{}", e.message);
    }
}
