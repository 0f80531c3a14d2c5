//! `hongyan bench --console`: the console's page budget — every page under 100 ms at
//! p95 with a million jobs and 100,000 contacts in the store, and under 300 KB on first
//! load.
//!
//! The store is filled once through its own operations ([`fill_history`]); the real
//! [`Daemon`] then starts on it (embedded default, simulated carriers) with its API and
//! console on 127.0.0.1:0, a bench admin logs in through the login form as a person
//! does, and every GET page of the console's route table ([`PAGES`]) is requested in
//! turn, logged in: a few warm-up requests, then `requests` timed ones, one at a time.
//! The time is the whole request on loopback as the client sees it (an upper bound of
//! the server's time). The first load is the page's HTML plus every stylesheet, script
//! and image it names, headers included, as the browser fetches them (no compression).
//!
//! A bench, not a test: it runs outside CI (minutes of filling and a release build to
//! mean anything) and prints a table; its figures go to BENCHMARKS.md.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::config::Config;
use crate::daemon::{Daemon, DaemonError};
use crate::store::fill::{HistoryFilled, HistorySpec, fill_history};
use crate::store::{StoreError, now_millis};
use crate::web::{Access, PAGES};

/// The page budget: p95 server time.
const BUDGET: Duration = Duration::from_millis(100);
/// The page budget: first load.
const FIRST_LOAD_BUDGET: usize = 300 * 1024;
/// Untimed requests per page before the timed ones (caches, prepared statements).
const WARM_UP: usize = 5;

/// Options of `hongyan bench --console`.
#[derive(Debug, Clone)]
pub struct ConsoleBenchOptions {
    /// Jobs in the store.
    pub jobs: u64,
    /// Contacts in the store.
    pub contacts: u64,
    /// Replies in the inbox.
    pub replies: u64,
    /// Timed requests per page.
    pub requests: usize,
    /// Where the data goes: a fresh temporary directory (removed afterwards) unless
    /// given; a given directory that already holds a store is used as it is (a second
    /// run skips the filling).
    pub data_dir: Option<PathBuf>,
}

/// Why the bench could not run.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleBenchError {
    /// The data directory could not be made.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Filling the store, or reading it for samples, failed.
    #[error("the store: {0}")]
    Store(#[from] StoreError),
    /// The daemon did not start.
    #[error(transparent)]
    Daemon(#[from] DaemonError),
    /// The API's listener did not start.
    #[error("the console's listener: {0}")]
    Listen(std::io::Error),
    /// A request failed (not an error status: no answer at all).
    #[error("GET {path}: {reason}")]
    Http {
        /// The page.
        path: String,
        /// Why.
        reason: String,
    },
    /// The bench's account could not log in.
    #[error("logging in as the bench's admin: {0}")]
    Login(String),
}

/// One page's figures.
#[derive(Debug, Clone)]
pub struct PageFigures {
    /// The route as in the table (`/outbox/{job}`).
    pub route: &'static str,
    /// The path requested.
    pub path: String,
    /// The status of the timed requests (the last one).
    pub status: u16,
    /// Median, 95th percentile and slowest request.
    pub p50: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// Slowest.
    pub max: Duration,
    /// HTML bytes (headers and body).
    pub html: usize,
    /// Stylesheets, scripts and images it names (headers and bodies).
    pub assets: usize,
}

/// The bench's report.
#[derive(Debug, Clone)]
pub struct ConsoleBenchReport {
    /// What the store held.
    pub filled: HistoryFilled,
    /// How long the filling took (`None`: an existing store was used).
    pub fill_time: Option<Duration>,
    /// Timed requests per page.
    pub requests: usize,
    /// Per page.
    pub pages: Vec<PageFigures>,
    /// Routes not measured, with why (a parameter with no sample).
    pub skipped: Vec<(&'static str, String)>,
}

impl fmt::Display for ConsoleBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        match self.fill_time {
            Some(t) => writeln!(
                f,
                "store: {} jobs ({} recipients), {} contacts, {} replies — filled in {:.1} s",
                self.filled.jobs,
                self.filled.recipients,
                self.filled.contacts,
                self.filled.replies,
                t.as_secs_f64()
            )?,
            None => writeln!(f, "store: the existing one in the data directory")?,
        }
        writeln!(
            f,
            "{} timed requests per page after {WARM_UP} warm-up, logged in as admin\n",
            self.requests
        )?;
        writeln!(
            f,
            "| page | status | p50 ms | p95 ms | max ms | first load KB (HTML + assets) |"
        )?;
        writeln!(f, "|---|---:|---:|---:|---:|---:|")?;
        for p in &self.pages {
            let slow = if p.p95 > BUDGET {
                " **over 100 ms**"
            } else {
                ""
            };
            let heavy = if p.html + p.assets > FIRST_LOAD_BUDGET {
                " **over 300 KB**"
            } else {
                ""
            };
            writeln!(
                f,
                "| `{}` | {} | {:.1} | {:.1}{slow} | {:.1} | {:.1} ({:.1} + {:.1}){heavy} |",
                p.path,
                p.status,
                ms(p.p50),
                ms(p.p95),
                ms(p.max),
                (p.html + p.assets) as f64 / 1024.0,
                p.html as f64 / 1024.0,
                p.assets as f64 / 1024.0,
            )?;
        }
        for (route, why) in &self.skipped {
            writeln!(f, "\nnot measured: {route}: {why}")?;
        }
        Ok(())
    }
}

/// A response: status, the bytes of its headers and body, the body.
struct Fetched {
    status: u16,
    bytes: usize,
    body: Bytes,
    cookies: Vec<String>,
    location: Option<String>,
}

/// An HTTP/1.1 client of the console with one session cookie.
struct Browser {
    base: String,
    http: Client<HttpConnector, Full<Bytes>>,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn new(addr: SocketAddr) -> Self {
        Self {
            base: format!("http://{addr}"),
            http: Client::builder(TokioExecutor::new()).build_http(),
            cookies: BTreeMap::new(),
        }
    }

    async fn request(
        &mut self,
        method: &str,
        path: &str,
        form: Option<String>,
    ) -> Result<Fetched, ConsoleBenchError> {
        let fail = |reason: String| ConsoleBenchError::Http {
            path: path.to_owned(),
            reason,
        };
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header(header::COOKIE, jar.join("; "));
        }
        let body = match form {
            Some(f) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Bytes::from(f)
            }
            None => Bytes::new(),
        };
        let req = req.body(Full::new(body)).map_err(|e| fail(e.to_string()))?;
        let resp = tokio::time::timeout(Duration::from_secs(30), self.http.request(req))
            .await
            .map_err(|_| fail("no answer within 30 s".into()))?
            .map_err(|e| fail(e.to_string()))?;
        let status = resp.status().as_u16();
        let header_bytes: usize = resp
            .headers()
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum::<usize>()
            + 17;
        let cookies = resp
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect::<Vec<_>>();
        let location = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| fail(e.to_string()))?
            .to_bytes();
        for c in &cookies {
            let pair = c.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies
                    .insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
        Ok(Fetched {
            status,
            bytes: header_bytes + body.len(),
            body,
            cookies,
            location,
        })
    }

    async fn get(&mut self, path: &str) -> Result<Fetched, ConsoleBenchError> {
        self.request("GET", path, None).await
    }

    /// Logs in through the login form (its CSRF field, if any, included).
    async fn login(&mut self, username: &str, password: &str) -> Result<(), ConsoleBenchError> {
        let page = self.get("/login").await?;
        let html = String::from_utf8_lossy(&page.body).into_owned();
        let mut form = format!(
            "username={}&password={}",
            form_encode(username),
            form_encode(password)
        );
        if let Some(token) = input_value(&html, "csrf") {
            form.push_str(&format!("&csrf={}", form_encode(&token)));
        }
        let answer = self.request("POST", "/login", Some(form)).await?;
        let redirected = (300..400).contains(&answer.status)
            && !answer
                .location
                .as_deref()
                .unwrap_or_default()
                .contains("/login");
        if !redirected || answer.cookies.is_empty() {
            return Err(ConsoleBenchError::Login(format!(
                "the login form answered {} {}",
                answer.status,
                answer.location.unwrap_or_default()
            )));
        }
        Ok(())
    }
}

/// `value` of the `<input name="{name}" …>` in `html`.
fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    attr(&html[start..end], "value")
}

/// The value of the attribute `name` in a tag's text.
fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let len = tag[at..].find('"')?;
    Some(tag[at..at + len].replace("&amp;", "&"))
}

/// `application/x-www-form-urlencoded` of a value.
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The same-site stylesheets, scripts and images `html` names, as a browser loads them
/// on a first visit (each once).
fn assets(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (tag, key) in [("<link", "href"), ("<script", "src"), ("<img", "src")] {
        for (at, _) in html.match_indices(tag) {
            let Some(end) = html[at..].find('>') else {
                continue;
            };
            let t = &html[at..at + end];
            if tag == "<link" && !t.contains("stylesheet") && !t.contains("icon") {
                continue;
            }
            if let Some(url) = attr(t, key) {
                if url.starts_with('/') && !url.starts_with("//") && !out.contains(&url) {
                    out.push(url);
                }
            }
        }
    }
    out
}

/// The `q` quantile of sorted durations (nearest rank).
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs the bench.
pub async fn run_console_bench(
    o: ConsoleBenchOptions,
) -> Result<ConsoleBenchReport, ConsoleBenchError> {
    let temporary = o.data_dir.is_none();
    let dir = o.data_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("hongyan-console-bench-{}", std::process::id()))
    });
    // Private, as the daemon wants its data directory (it warns otherwise).
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(&dir)
        .map_err(|source| ConsoleBenchError::DataDir {
            path: dir.clone(),
            source,
        })?;
    let result = run_in(&o, dir.clone()).await;
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn run_in(
    o: &ConsoleBenchOptions,
    dir: PathBuf,
) -> Result<ConsoleBenchReport, ConsoleBenchError> {
    let mut config = Config::embedded_default().map_err(|e| {
        ConsoleBenchError::Daemon(DaemonError::Config {
            key: "embedded".into(),
            reason: e.to_string(),
        })
    })?;
    config.storage.data_dir = dir;
    config.log.level = "warn".into();
    let db = config.storage.data_dir.join(&config.storage.database);
    let (filled, fill_time) = if db.exists() {
        (HistoryFilled::default(), None)
    } else {
        let spec = HistorySpec {
            jobs: o.jobs,
            contacts: o.contacts,
            replies: o.replies,
            days: 60,
            now: now_millis(),
        };
        let started = Instant::now();
        let filled = tokio::task::spawn_blocking(move || {
            fill_history(&db, &spec, |step| {
                tracing::warn!(step, "console bench: filled")
            })
        })
        .await
        .map_err(|e| ConsoleBenchError::Login(format!("the fill stopped: {e}")))??;
        (filled, Some(started.elapsed()))
    };
    let password = "console-bench-password-1";
    let daemon = Daemon::start(config).await?;
    bench_account(&daemon, password).await?;
    let api = crate::api::start(&daemon, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(ConsoleBenchError::Listen)?;
    let mut b = Browser::new(api.local_addr());
    b.login(BENCH_ACCOUNT, password).await?;
    let samples = samples(&daemon).await;

    let mut pages = Vec::new();
    let mut skipped = Vec::new();
    for page in PAGES.iter().filter(|p| p.method == "GET") {
        // The public routes other than the login form are a redirect and the files
        // the pages' first load counts.
        if page.access == Access::Public && page.path != "/login" {
            continue;
        }
        // A CSV export streams the whole filtered history (a million jobs here): a
        // download, not a page, so it has no page budget.
        if page.path.ends_with(".csv") {
            skipped.push((
                page.path,
                "a CSV download of the whole list, not a page".into(),
            ));
            continue;
        }
        let Some(path) = sample_path(page.path, &samples) else {
            skipped.push((page.path, "no sample for its parameter".to_owned()));
            continue;
        };
        for _ in 0..WARM_UP {
            b.get(&path).await?;
        }
        let mut times = Vec::with_capacity(o.requests);
        let mut last = None;
        for _ in 0..o.requests.max(1) {
            let t = Instant::now();
            let r = b.get(&path).await?;
            times.push(t.elapsed());
            last = Some(r);
        }
        let Some(last) = last else { continue };
        times.sort();
        let html = String::from_utf8_lossy(&last.body).into_owned();
        let mut asset_bytes = 0;
        for url in assets(&html) {
            asset_bytes += b.get(&url).await?.bytes;
        }
        tracing::warn!(
            page = %path,
            p95_ms = quantile(&times, 0.95).as_secs_f64() * 1000.0,
            "console bench: timed"
        );
        pages.push(PageFigures {
            route: page.path,
            path,
            status: last.status,
            p50: quantile(&times, 0.50),
            p95: quantile(&times, 0.95),
            max: times.last().copied().unwrap_or_default(),
            html: last.bytes,
            assets: asset_bytes,
        });
    }
    api.shutdown().await;
    let _ = daemon.shutdown(Duration::from_secs(10)).await;
    Ok(ConsoleBenchReport {
        filled,
        fill_time,
        requests: o.requests.max(1),
        pages,
        skipped,
    })
}

/// The bench's own admin account.
const BENCH_ACCOUNT: &str = "bench-admin";

/// Ids to put into the routes' parameters: the newest group send, an approval, a
/// contact, a draft.
#[derive(Debug, Default)]
struct Samples {
    job: Option<i64>,
    approval: Option<i64>,
    contact: Option<i64>,
    draft: Option<i64>,
}

/// Creates the bench's admin account with `password` (or gives the one a previous run
/// left that password).
async fn bench_account(
    daemon: &crate::daemon::DaemonHandle,
    password: &str,
) -> Result<(), ConsoleBenchError> {
    let store = daemon.store();
    let pw = password.to_owned();
    let account = tokio::task::spawn_blocking(move || {
        crate::web::accounts::new_account(BENCH_ACCOUNT, crate::web::Role::Admin, None, &pw)
    })
    .await
    .map_err(|e| ConsoleBenchError::Login(e.to_string()))?
    .map_err(|e| ConsoleBenchError::Login(e.to_string()))?;
    let now = now_millis();
    match store.account_by_username(BENCH_ACCOUNT.into()).await? {
        Some(old) => {
            store
                .account_set_password(old.id, account.password_hash, now)
                .await?
        }
        None => {
            store.account_create(account, now).await?;
        }
    }
    Ok(())
}

/// Finds (or makes, through the daemon's own operations) an id of each kind for the
/// routes' parameters: the newest group send (the heaviest job page), a contact, a
/// two-stage approval of contacts, a draft.
async fn samples(daemon: &crate::daemon::DaemonHandle) -> Samples {
    use crate::store::lists::{JobFilter, Window};
    let store = daemon.store();
    let newest = store
        .jobs_list(
            JobFilter::default(),
            Window {
                before: None,
                limit: 2_000,
            },
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let job = newest
        .iter()
        .find(|j| j.recipients > 1)
        .or(newest.first())
        .map(|j| j.job_id);
    let contacts = store
        .contacts_list(None, None, 2, 0)
        .await
        .map(|p| p.contacts)
        .unwrap_or_default();
    let contact = contacts.first().map(|c| c.id);
    let approver = |i: usize| {
        contacts.get(i).map_or_else(
            || serde_json::json!({"name": "张经理", "phone": "13800138000"}),
            |c| serde_json::json!({"name": c.name, "phone": c.phone}),
        )
    };
    let request = serde_json::json!({
        "title": "采购申请：会议室投影仪",
        "applicant": {"name": "李四", "phone": "13900139000"},
        "details": "预算 4,800 元",
        "stages": [
            {"rule": "all", "approvers": [approver(0)]},
            {"rule": "any", "approvers": [approver(1)]},
        ],
    });
    let approval = match serde_json::from_value(request) {
        Ok(req) => daemon
            .workflow()
            .create_approval(req)
            .await
            .ok()
            .map(|c| c.approval_id),
        Err(_) => None,
    };
    let draft = crate::store::NewDraft {
        title: "季度总结会通知".into(),
        text: "本周五下午三点在三楼会议室召开季度总结会。".into(),
        signature: None,
        groups: vec!["部门1".into()],
        send_at: None,
        numbers: vec!["13800138000".into()],
        owner: None,
    };
    let draft = store.draft_save(None, draft, now_millis()).await.ok();
    Samples {
        job,
        approval,
        contact,
        draft,
    }
}

/// The path of `route` with its parameter filled from `samples`; `None` when there is
/// no sample for it.
fn sample_path(route: &str, s: &Samples) -> Option<String> {
    let Some(open) = route.find('{') else {
        return Some(route.to_owned());
    };
    let close = open + route[open..].find('}')?;
    let id = if route.starts_with("/outbox") || route.starts_with("/scheduled") {
        s.job
    } else if route.starts_with("/approvals") {
        s.approval
    } else if route.starts_with("/contacts") {
        s.contact
    } else if route.starts_with("/drafts") {
        s.draft
    } else {
        None
    }?;
    let rest = sample_path(&route[close + 1..], s)?;
    Some(format!("{}{id}{rest}", &route[..open]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_assets_of_a_page_are_its_stylesheets_scripts_and_images_once_each() {
        let html = r#"<link rel="stylesheet" href="/static/console.css?v=1"><link rel="canonical" href="/x">
            <script src="/static/compose.js?v=2" defer></script><img src="/static/logo.svg" alt="">
            <script src="/static/compose.js?v=2"></script><img src="data:image/png;base64,AA" alt="">"#;
        assert_eq!(
            assets(html),
            [
                "/static/console.css?v=1",
                "/static/compose.js?v=2",
                "/static/logo.svg"
            ]
        );
    }

    #[test]
    fn a_hidden_fields_value_is_found_by_its_name() {
        let html =
            r#"<form><input type="hidden" name="csrf" value="a&amp;b"><input name="x"></form>"#;
        assert_eq!(input_value(html, "csrf").as_deref(), Some("a&b"));
        assert_eq!(input_value(html, "x"), None);
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let d: Vec<Duration> = (1..=200).map(Duration::from_millis).collect();
        assert_eq!(quantile(&d, 0.5), Duration::from_millis(100));
        assert_eq!(quantile(&d, 0.95), Duration::from_millis(190));
        assert_eq!(quantile(&d[..1], 0.95), Duration::from_millis(1));
        assert_eq!(quantile(&[], 0.95), Duration::ZERO);
    }

    #[test]
    fn a_routes_parameter_takes_the_sample_of_its_kind() {
        let s = Samples {
            job: Some(7),
            approval: Some(3),
            ..Samples::default()
        };
        assert_eq!(sample_path("/outbox", &s).unwrap(), "/outbox");
        assert_eq!(sample_path("/outbox/{job}", &s).unwrap(), "/outbox/7");
        assert_eq!(sample_path("/approvals/{id}", &s).unwrap(), "/approvals/3");
        assert_eq!(sample_path("/drafts/{id}/edit", &s), None);
    }

    #[test]
    fn form_values_are_encoded() {
        assert_eq!(form_encode("a b&c=中"), "a+b%26c%3D%E4%B8%AD");
    }
}
