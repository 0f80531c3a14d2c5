//! Bearer tokens: `Authorization: Bearer TOKEN`, each token from `[[api.token]]` with its
//! scopes. A missing or unknown token is 401, a token without the route's scope 403.
//! Tokens are compared in constant time and never logged; the client's name is.

use std::sync::RwLock;

use axum::http::{HeaderMap, StatusCode, header};

use super::error::ApiError;
use crate::config::{ApiToken, Scope};

#[derive(Debug)]
struct Client {
    name: String,
    token: Vec<u8>,
    scopes: Vec<Scope>,
}

/// The configured clients; replaced whole when the config is reloaded (SIGHUP).
#[derive(Debug)]
pub struct Tokens(RwLock<Vec<Client>>);

fn clients(tokens: &[ApiToken]) -> Vec<Client> {
    tokens
        .iter()
        .filter_map(|t| {
            Some(Client {
                name: t.name.clone(),
                token: t.token.as_ref()?.expose().as_bytes().to_vec(),
                scopes: t.scopes.clone(),
            })
        })
        .collect()
}

impl Tokens {
    /// From the (validated) config.
    pub fn new(tokens: &[ApiToken]) -> Self {
        Self(RwLock::new(clients(tokens)))
    }

    /// Takes the tokens of a reloaded (validated) config: from now on only these are
    /// accepted.
    pub fn replace(&self, tokens: &[ApiToken]) {
        let new = clients(tokens);
        // A poisoned lock only means a panic elsewhere while it was held; the list
        // itself is always whole (it is swapped, never edited in place).
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = new;
    }

    /// The client's name when the request carries a token with `need`.
    pub fn check(&self, headers: &HeaderMap, need: Scope) -> Result<String, ApiError> {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            });
        let Some(given) = given else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing Authorization: Bearer <token> header",
            ));
        };
        // Every token is compared (no early exit), so timing tells nothing about which
        // prefix matched.
        let clients = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut found = None;
        for c in clients.iter() {
            if constant_time_eq(c.token.as_slice(), given.as_bytes()) {
                found = Some(c);
            }
        }
        let Some(client) = found else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "unknown API token",
            ));
        };
        if client.scopes.contains(&Scope::All) || client.scopes.contains(&need) {
            Ok(client.name.clone())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "token {:?} lacks the {:?} scope this needs",
                    client.name,
                    need.name()
                ),
            ))
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::config::Secret;

    fn tokens() -> Tokens {
        Tokens::new(&[
            ApiToken {
                name: "shop".into(),
                token: Some(Secret("shop-token-0123456789".into())),
                token_env: None,
                scopes: vec![Scope::Send],
            },
            ApiToken {
                name: "ops".into(),
                token: Some(Secret("ops-token-0123456789".into())),
                token_env: None,
                scopes: vec![Scope::All],
            },
        ])
    }

    fn with(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn scopes_decide() {
        let t = tokens();
        assert_eq!(
            t.check(&with("Bearer shop-token-0123456789"), Scope::Send)
                .unwrap(),
            "shop"
        );
        assert_eq!(
            t.check(&with("bearer shop-token-0123456789"), Scope::Read)
                .unwrap_err()
                .code,
            "forbidden"
        );
        assert_eq!(
            t.check(&with("Bearer ops-token-0123456789"), Scope::Contacts)
                .unwrap(),
            "ops"
        );
    }

    #[test]
    fn replaced_tokens_take_effect_and_the_old_ones_are_refused() {
        let t = tokens();
        t.replace(&[ApiToken {
            name: "shop".into(),
            token: Some(Secret("shop-token-NEW-0123456789".into())),
            token_env: None,
            scopes: vec![Scope::Send],
        }]);
        let old = t.check(&with("Bearer shop-token-0123456789"), Scope::Send);
        assert_eq!(old.unwrap_err().status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            t.check(&with("Bearer shop-token-NEW-0123456789"), Scope::Send)
                .unwrap(),
            "shop"
        );
    }

    #[test]
    fn missing_or_wrong_is_401() {
        let t = tokens();
        for h in [
            HeaderMap::new(),
            with("Bearer nope"),
            with("Basic c2hvcA=="),
            with("Bearer shop-token-012345678"),
        ] {
            let e = t.check(&h, Scope::Send).unwrap_err();
            assert_eq!(
                (e.status, e.code),
                (StatusCode::UNAUTHORIZED, "unauthorized")
            );
        }
    }
}
