//! Test helpers: throw-away database files and small request builders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{
    ClaimRequest, DeliveryState, JobId, NewJob, NewRecipient, NewReport, Priority, ReportStatus,
    Store, StoreOptions,
};

/// A database file under the temp dir with a unique name; removed (with its `-wal` and
/// `-shm`) on drop.
pub(crate) struct TempDb {
    path: PathBuf,
}

impl TempDb {
    pub(crate) fn new(name: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "hongyan-store-{}-{n}-{nanos}-{name}.db",
            std::process::id()
        ));
        let db = Self { path };
        db.remove();
        db
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn open(&self) -> Store {
        Store::open(&self.path, &StoreOptions::default()).unwrap()
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.remove();
    }
}

/// A job of one priority to `(number, parts)` recipients on carrier `cmcc`.
pub(crate) fn job(priority: Priority, recipients: &[(&str, u8)]) -> NewJob {
    NewJob {
        idempotency_key: None,
        priority,
        text: "hello".into(),
        signature: "【鸿雁】".into(),
        source_ext: None,
        send_at: None,
        expires_at: None,
        recipients: recipients
            .iter()
            .map(|(number, segments)| NewRecipient {
                number: (*number).into(),
                carrier: "cmcc".into(),
                segments: *segments,
                reference: None,
            })
            .collect(),
    }
}

/// A one-part notification to one number.
pub(crate) fn one(number: &str) -> NewJob {
    job(Priority::Notification, &[(number, 1)])
}

/// A claim for `carrier` by link `link-a`, connection 7.
pub(crate) fn claim_req(carrier: &str, max_segments: usize) -> ClaimRequest {
    ClaimRequest {
        carrier: carrier.into(),
        link: "link-a".into(),
        connection: 7,
        max_segments,
    }
}

/// A report on carrier `cmcc`; `stat` is the status's name, `err` is `000`.
pub(crate) fn report(msg_id: &str, status: ReportStatus) -> NewReport {
    NewReport {
        carrier: "cmcc".into(),
        msg_id: msg_id.into(),
        status,
        stat: format!("{status:?}"),
        err: "000".into(),
        raw: None,
        link: None,
        recipient: None,
        submitted_at: None,
    }
}

/// Every segment state of a job, in id order.
pub(crate) fn segment_states(s: &Store, job_id: JobId) -> Vec<DeliveryState> {
    s.job_status(job_id)
        .unwrap()
        .unwrap()
        .recipients
        .iter()
        .flat_map(|r| r.segments.iter().map(|x| x.state))
        .collect()
}
