//! Webhook URLs: `http://host[:port]/path`, checked when the config is loaded.

/// A checked webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(pub hyper::Uri);

/// Why a webhook URL cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WebhookUrlError {
    /// Not a URL at all.
    #[error("{text:?} is not a URL ({reason})")]
    NotAUrl {
        /// The text as given.
        text: String,
        /// What the URI parser said.
        reason: hyper::http::uri::InvalidUri,
    },
    /// `https://`: this build has no TLS.
    #[error(
        "https is not supported by this build; terminate TLS in front of the receiver or use http on a private network"
    )]
    Https,
    /// Another scheme, or none.
    #[error("{0:?} must start with http://")]
    NotHttp(String),
    /// No host to connect to.
    #[error("{0:?} has no host")]
    NoHost(String),
}

/// Parses a webhook URL, or says what is wrong with it.
pub fn parse_url(text: &str) -> Result<WebhookUrl, WebhookUrlError> {
    let uri: hyper::Uri = text.parse().map_err(|reason| WebhookUrlError::NotAUrl {
        text: text.to_owned(),
        reason,
    })?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => return Err(WebhookUrlError::Https),
        _ => return Err(WebhookUrlError::NotHttp(text.to_owned())),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(WebhookUrlError::NoHost(text.to_owned()));
    }
    Ok(WebhookUrl(uri))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn http_urls_pass_and_others_say_why() {
        assert!(parse_url("http://127.0.0.1:9000/hooks/sms").is_ok());
        assert!(matches!(
            parse_url("https://example.invalid/x"),
            Err(WebhookUrlError::Https)
        ));
        assert!(matches!(
            parse_url("ftp://x/"),
            Err(WebhookUrlError::NotHttp(_))
        ));
        assert!(
            parse_url("ftp://x/")
                .unwrap_err()
                .to_string()
                .contains("http://")
        );
        assert!(matches!(
            parse_url("not a url"),
            Err(WebhookUrlError::NotAUrl { .. })
        ));
        assert!(matches!(
            parse_url("http:///path"),
            Err(WebhookUrlError::NotAUrl { .. } | WebhookUrlError::NoHost(_))
        ));
    }
}
