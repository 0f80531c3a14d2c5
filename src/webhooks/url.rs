//! Webhook URLs: `http://host[:port]/path`, checked when the config is loaded.

/// A checked webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(pub hyper::Uri);

/// Parses a webhook URL, or says what is wrong with it.
pub fn parse_url(text: &str) -> Result<WebhookUrl, String> {
    let uri: hyper::Uri = text
        .parse()
        .map_err(|e| format!("{text:?} is not a URL ({e})"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(
                "https is not supported by this build; terminate TLS in front of the receiver or use http on a private network"
                    .into(),
            );
        }
        _ => return Err(format!("{text:?} must start with http://")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("{text:?} has no host"));
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
        assert!(
            parse_url("https://example.invalid/x")
                .unwrap_err()
                .contains("https")
        );
        assert!(parse_url("ftp://x/").unwrap_err().contains("http://"));
        assert!(parse_url("not a url").is_err());
    }
}
