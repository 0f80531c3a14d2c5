//! Test helpers: throw-away database files and small request builders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use super::{
    ClaimRequest, DeliveryState, JobId, Millis, NewInbound, NewJob, NewRecipient, NewReport,
    Priority, ReportStatus, Store, StoreHandle, StoreOptions,
};
use crate::testutil::TempDir;

/// A database file in its own [`TempDir`]; removed (with its `-wal`, `-shm` and any
/// other sibling a test makes) when the directory goes on drop.
pub(crate) struct TempDb {
    path: PathBuf,
    _dir: TempDir,
}

impl TempDb {
    pub(crate) fn new(name: &str) -> Self {
        let dir = TempDir::new(&format!("store-{name}"));
        Self {
            path: dir.join(format!("{name}.db")),
            _dir: dir,
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn open(&self) -> Store {
        Store::open(&self.path, &StoreOptions::default()).unwrap()
    }

    /// The database behind its writer thread, with default options.
    pub(crate) fn handle(&self) -> StoreHandle {
        StoreHandle::open(&self.path, StoreOptions::default()).unwrap()
    }
}

/// Enqueues `j` at `now` and gives its id.
pub(crate) fn enqueue_with(s: &mut Store, j: &NewJob, now: Millis) -> JobId {
    s.enqueue(j, now).unwrap().job_id
}

/// An MO from `sender` to `destination` received at `at` on link `cmcc` (UCS2, not
/// yet matched to an item).
pub(crate) fn inbound(sender: &str, destination: &str, text: &str, at: Millis) -> NewInbound {
    NewInbound {
        sender: sender.into(),
        destination: destination.into(),
        text: text.into(),
        coding: 8,
        received_at: at,
        link: "cmcc".into(),
        item_id: None,
    }
}

/// A job of one priority to `(number, parts)` recipients on carrier `cmcc`.
pub(crate) fn job(priority: Priority, recipients: &[(&str, u8)]) -> NewJob {
    NewJob {
        sender: None,
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
