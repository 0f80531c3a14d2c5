//! A receiver of webhooks over real HTTP on 127.0.0.1:0, scripted to fail: it answers 500
//! to the first requests and 200 after, and hands each request it read to the test. Its
//! HTTP is hand-written so the test sees exactly what came on the wire.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::LIMIT;

/// One request as the receiver saw it.
#[derive(Debug)]
pub struct Received {
    /// Its headers, names in lower case.
    pub headers: HashMap<String, String>,
    /// Its body.
    pub body: Vec<u8>,
}

impl Received {
    /// The value of header `name` (any case), or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Whether `X-Hongyan-Signature` verifies with `secret` by the documented recipe
    /// (HMAC-SHA256 over `timestamp.body`), done here by hand.
    pub fn signature_ok(&self, secret: &str) -> bool {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key");
        mac.update(self.header("X-Hongyan-Timestamp").as_bytes());
        mac.update(b".");
        mac.update(&self.body);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.header("X-Hongyan-Signature") == format!("sha256={hex}")
    }
}

/// The receiver: its URL, and the requests it answered with the status it gave.
pub struct WebhookReceiver {
    /// `http://127.0.0.1:PORT/hooks/sms`.
    pub url: String,
    rx: mpsc::UnboundedReceiver<(u16, Received)>,
}

impl WebhookReceiver {
    /// Starts one that answers 500 to the first `failures` requests and 200 after.
    pub async fn start(failures: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!(
            "http://{}/hooks/sms",
            listener.local_addr().expect("its address")
        );
        let (tx, rx) = mpsc::unbounded_channel();
        let seen = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let (tx, seen) = (tx.clone(), Arc::clone(&seen));
                tokio::spawn(serve(sock, failures, seen, tx));
            }
        });
        Self { url, rx }
    }

    /// The next request (within [`LIMIT`]) and the status it was answered with.
    pub async fn next(&mut self) -> (u16, Received) {
        tokio::time::timeout(LIMIT, self.rx.recv())
            .await
            .expect("a webhook request in time")
            .expect("the receiver runs")
    }

    /// Whether no request came that was not yet taken.
    pub fn is_quiet(&mut self) -> bool {
        self.rx.try_recv().is_err()
    }
}

/// Reads one request off `sock`, answers it, and hands it on.
async fn serve(
    mut sock: tokio::net::TcpStream,
    failures: usize,
    seen: Arc<AtomicUsize>,
    tx: mpsc::UnboundedSender<(u16, Received)>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let headers: HashMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + len].to_vec();
    let status = if seen.fetch_add(1, Ordering::SeqCst) < failures {
        500
    } else {
        200
    };
    let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    let _ = sock.write_all(reply.as_bytes()).await;
    let _ = tx.send((status, Received { headers, body }));
}
