//! Jobs through a daemon in this process: send one, wait (bounded) until it settles, and
//! what "delivered" means at the end of the path.

use hongyan::daemon::DaemonHandle;
use hongyan::dispatch::{RecipientOutcome, SendRequest};
use hongyan::route::Carrier;
use hongyan::store::{DeliveryState, JobStatus};

use super::LIMIT;

/// Sends `req`, which must be accepted; its job's id.
pub async fn send_job(daemon: &DaemonHandle, req: SendRequest) -> i64 {
    let out = daemon
        .submitter()
        .send(req)
        .await
        .unwrap_or_else(|e| panic!("the request was refused: {e}"));
    out.job
        .unwrap_or_else(|| panic!("no job: {:?}", out.recipients))
        .job_id
}

/// The job once its first recipient's submit is answered (within [`LIMIT`]).
pub async fn submitted(daemon: &DaemonHandle, job: i64) -> JobStatus {
    daemon
        .wait_for_job(job, LIMIT, |st| {
            st.recipients[0].state == DeliveryState::Submitted
        })
        .await
        .unwrap_or_else(|e| panic!("job {job} was not submitted: {e:?}"))
}

/// The job once nothing in it waits any more (within [`LIMIT`]).
pub async fn settled(daemon: &DaemonHandle, job: i64) -> JobStatus {
    daemon
        .wait_until_settled(job, LIMIT)
        .await
        .unwrap_or_else(|e| panic!("job {job} did not settle: {e:?}"))
}

/// Every recipient and segment of `st` delivered, with its carrier id and report.
pub fn assert_delivered(st: &JobStatus) {
    for r in &st.recipients {
        assert_eq!(r.state, DeliveryState::Delivered, "{r:?}");
        for s in &r.segments {
            assert_eq!(s.state, DeliveryState::Delivered, "{s:?}");
            assert!(s.msg_id.is_some(), "{s:?}");
            assert!(s.report_stat.is_some(), "{s:?}");
            assert!(s.reported_at.is_some(), "{s:?}");
        }
    }
}

/// The accepted recipients of a send: (number, carrier it goes through, segments).
pub fn accepted(outcomes: &[RecipientOutcome]) -> Vec<(String, Carrier, u8)> {
    outcomes
        .iter()
        .filter_map(|o| match o {
            RecipientOutcome::Accepted {
                number,
                via,
                segments,
                ..
            } => Some((number.clone(), *via, *segments)),
            _ => None,
        })
        .collect()
}
