//! The harness itself: chromedriver starts, the browser reaches the daemon on 127.0.0.1.

use super::chrome::Chrome;
use crate::support::{Daemon, TempDir};

#[tokio::test]
async fn the_browser_reaches_the_daemon() {
    let dir = TempDir::new("browser-smoke");
    let mut d = Daemon::start(&dir);
    let chrome = Chrome::start().await;
    let b = &chrome.session;
    b.goto(&format!("{}/healthz", d.api_url())).await;
    b.wait_body("alive").await;
    chrome.quit().await;
    d.stop();
}
