//! A small W3C WebDriver client: the dozen commands the browser tests use (open a page,
//! find elements by CSS, type, click, run a script, resize, screenshot, read the
//! browser's log), as JSON over HTTP to a local chromedriver through the daemon's own
//! API client (hyper). Written here instead of taking `fantoccini`: that crate would
//! add ~38 crates to the build (a second `http`, two ICU generations for `url` and the
//! `webdriver` crate's text segmentation) for what is a few JSON calls.
//!
//! Every command is bounded (the client's timeout); every wait polls the DOM for a
//! condition within [`LIMIT`](crate::support::LIMIT) and panics naming what it waited
//! for, with the page's URL and text, so a failed test says what the browser showed.

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hongyan::api::client::ApiClient;
use serde_json::{Value, json};

use crate::support::{Found, LIMIT};

/// The key W3C gives an element reference in JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser session of a chromedriver; ended (the browser closed) when dropped.
#[derive(Debug)]
pub struct Session {
    driver: ApiClient,
    id: String,
}

/// An element of the current page (a reference that goes stale when the page changes:
/// waits find their element again on every look).
#[derive(Debug, Clone)]
pub struct Element(String);

impl Session {
    /// A new session of the chromedriver at `driver_url` with these capabilities.
    pub async fn new(driver_url: &str, capabilities: Value) -> Self {
        let driver = ApiClient::new(driver_url, None);
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let v = command(&driver, "POST", "/session", Some(body))
            .await
            .unwrap_or_else(|e| panic!("chromedriver would not start a browser: {e}"));
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no sessionId in {v}"))
            .to_owned();
        Self { driver, id }
    }

    /// `method /session/{id}{path}` with `body`; its `value`, or the WebDriver error.
    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        command(
            &self.driver,
            method,
            &format!("/session/{}{path}", self.id),
            body,
        )
        .await
    }

    /// [`cmd`](Self::cmd) that must succeed.
    async fn must(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        match self.cmd(method, path, body).await {
            Ok(v) => v,
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        }
    }

    /// Opens `url` and waits for it to load.
    pub async fn goto(&self, url: &str) {
        self.must("POST", "/url", Some(json!({ "url": url }))).await;
    }

    /// The current page's URL.
    pub async fn url(&self) -> String {
        let v = self.must("GET", "/url", None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// The first element matching the CSS `selector` now, if any.
    pub async fn find_now(&self, selector: &str) -> Option<Element> {
        let found = self
            .cmd(
                "POST",
                "/element",
                Some(json!({ "using": "css selector", "value": selector })),
            )
            .await
            .ok()?;
        found[ELEMENT].as_str().map(|id| Element(id.to_owned()))
    }

    /// Every element matching `selector` now.
    pub async fn find_all(&self, selector: &str) -> Vec<Element> {
        let v = self
            .must(
                "POST",
                "/elements",
                Some(json!({ "using": "css selector", "value": selector })),
            )
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(|id| Element(id.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits for an element matching `selector`.
    pub async fn find(&self, selector: &str) -> Element {
        let what = format!("an element `{selector}`");
        self.wait(&what, async || self.find_now(selector).await)
            .await
    }

    /// The text of `el` as shown ("" if it went stale meanwhile).
    pub async fn text_of(&self, el: &Element) -> String {
        let v = self
            .cmd("GET", &format!("/element/{}/text", el.0), None)
            .await;
        v.ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The text of the first element matching `selector` (waiting for it).
    pub async fn text(&self, selector: &str) -> String {
        let el = self.find(selector).await;
        self.text_of(&el).await
    }

    /// The attribute `name` of the first element matching `selector` (waiting for it).
    pub async fn attr(&self, selector: &str, name: &str) -> Option<String> {
        let el = self.find(selector).await;
        let v = self
            .must("GET", &format!("/element/{}/attribute/{name}", el.0), None)
            .await;
        v.as_str().map(str::to_owned)
    }

    /// The texts of every element matching `selector` now.
    pub async fn texts(&self, selector: &str) -> Vec<String> {
        let mut out = Vec::new();
        for el in self.find_all(selector).await {
            out.push(self.text_of(&el).await);
        }
        out
    }

    /// The visible text of the whole page.
    pub async fn body_text(&self) -> String {
        match self.find_now("body").await {
            Some(body) => self.text_of(&body).await,
            None => String::new(),
        }
    }

    /// Waits until the element `selector` shows text containing `needle`; its text.
    pub async fn wait_text(&self, selector: &str, needle: &str) -> String {
        let what = format!("`{selector}` to show {needle:?}");
        self.wait(&what, async || {
            let el = self.find_now(selector).await?;
            let text = self.text_of(&el).await;
            text.contains(needle).then_some(text)
        })
        .await
    }

    /// Waits until the page's text contains `needle`.
    pub async fn wait_body(&self, needle: &str) {
        let what = format!("the page to show {needle:?}");
        self.wait(&what, async || self.body_text().await.contains(needle))
            .await
    }

    /// Waits until the URL satisfies `pred`; the URL.
    pub async fn wait_url(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait(what, async || {
            let url = self.url().await;
            pred(&url).then_some(url)
        })
        .await
    }

    /// Types `text` into the field `selector` after clearing it.
    pub async fn fill(&self, selector: &str, text: &str) {
        let el = self.find(selector).await;
        self.must("POST", &format!("/element/{}/clear", el.0), Some(json!({})))
            .await;
        self.type_into(&el, text).await;
    }

    /// Types `text` into `el` (for a file input: the file's absolute path).
    pub async fn type_into(&self, el: &Element, text: &str) {
        self.must(
            "POST",
            &format!("/element/{}/value", el.0),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Chooses `path` in the file input `selector`.
    pub async fn choose_file(&self, selector: &str, path: &Path) {
        let el = self.find(selector).await;
        let path = path.canonicalize().expect("the file to upload exists");
        self.type_into(&el, &path.to_string_lossy()).await;
    }

    /// Clicks the element `selector` (waiting for it to be there and clickable).
    pub async fn click(&self, selector: &str) {
        let what = format!("`{selector}` to take a click");
        self.wait(&what, async || {
            let el = self.find_now(selector).await?;
            self.cmd("POST", &format!("/element/{}/click", el.0), Some(json!({})))
                .await
                .ok()
        })
        .await;
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page; what it
    /// returned. WebDriver's scripts are the browser's own, not the page's: the CSP does
    /// not apply to them.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.must(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Sets the window to `width` × `height` CSS pixels (headless: the viewport).
    pub async fn resize(&self, width: u32, height: u32) {
        self.must(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .await;
    }

    /// Saves a PNG of the viewport to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let v = self.must("GET", "/screenshot", None).await;
        let png = decode_base64(v.as_str().unwrap_or_default())
            .unwrap_or_else(|| panic!("a screenshot that is not base64"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    /// The browser's console messages since the last call (Chromium's log: CSP
    /// violations land here as SEVERE entries).
    pub async fn console_log(&self) -> Vec<String> {
        let v = self
            .cmd("POST", "/se/log", Some(json!({ "type": "browser" })))
            .await
            .unwrap_or_else(|e| panic!("the browser's log: {e}"));
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|e| format!("{} {}", e["level"], e["message"]))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Polls `check` until it holds, within [`LIMIT`]; on time out, panics naming
    /// `what` and what the page showed.
    pub async fn wait<R: Found>(&self, what: &str, mut check: impl AsyncFnMut() -> R) -> R::Value {
        let deadline = Instant::now() + LIMIT;
        let mut pause = Duration::from_millis(10);
        loop {
            if let Some(v) = check().await.found() {
                return v;
            }
            if Instant::now() >= deadline {
                let url = self.url().await;
                let text = self.body_text().await;
                panic!(
                    "timed out after {LIMIT:?} waiting for {what}; at {url} the page shows:\n{text}"
                );
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// Ends the session (closes the browser).
    pub async fn quit(&self) {
        let _ = command(
            &self.driver,
            "DELETE",
            &format!("/session/{}", self.id),
            None,
        )
        .await;
    }
}

/// One WebDriver command: its `value` on success, the error's text otherwise.
async fn command(
    driver: &ApiClient,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let (ct, bytes) = match &body {
        Some(b) => (Some("application/json"), Bytes::from(b.to_string())),
        None => (None, Bytes::new()),
    };
    let resp = driver
        .raw(method, path, ct, bytes, &[])
        .await
        .map_err(|e| e.to_string())?;
    let v = resp.json();
    if resp.status == 200 {
        Ok(v["value"].clone())
    } else {
        Err(format!(
            "{} {}: {}",
            resp.status, v["value"]["error"], v["value"]["message"]
        ))
    }
}

/// Standard base64 (with padding) to bytes; `None` if it is not.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let body = digits
        .strip_suffix(b"==")
        .or_else(|| digits.strip_suffix(b"="));
    let body = body.unwrap_or(&digits);
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = (acc << 6) | value(c)?;
        }
        let bits = chunk.len() * 6;
        acc <<= 24 - bits;
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..1 + bits / 8]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::decode_base64;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(decode_base64("aG9uZ3lhbg==").unwrap(), b"hongyan");
        assert_eq!(decode_base64("aG9uZ3lh").unwrap(), b"hongya");
        assert_eq!(decode_base64("aG9uZ3lhbjE=").unwrap(), b"hongyan1");
        assert_eq!(
            decode_base64("iVBO\nRw0KGgo=").unwrap(),
            b"\x89PNG\r\n\x1a\n"
        );
        assert_eq!(decode_base64("a*b="), None);
    }
}
