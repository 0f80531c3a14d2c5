//! Queue states by name in SQL text.
//!
//! The hot statements compare states with *literals*, not bound parameters: a partial
//! index (`WHERE state = 1`) serves a query only when SQLite can see at prepare time that
//! the query's condition implies the index's, and a bound state would also make the
//! statement be prepared again at every call (see
//! [`CLAIM_CANDIDATES`](super::claim::CLAIM_CANDIDATES)). These macros let the SQL say the
//! state's name and still be a literal: each expands to the stored code, for use inside
//! `concat!`:
//!
//! ```text
//! concat!("UPDATE segments SET state = ", segment_state!(in_flight),
//!         " WHERE id = ?1 AND state = ", segment_state!(queued))
//! ```
//!
//! gives exactly the text `UPDATE segments SET state = 2 WHERE id = ?1 AND state = 1`.
//! Several names give a list for `IN (…)`: `segment_state!(scheduled, queued)` is `"0, 1"`.
//! The codes are the file format and never change; a test checks every name against the
//! Rust type that reads and writes that column.

/// A segment's stored state ([`DeliveryState`](super::DeliveryState)), by its snake_case
/// name: `scheduled`, `queued`, `in_flight`, `submitted`, `delivered`, `failed`,
/// `expired`, `unconfirmed`, `cancelled`, `unreported`.
macro_rules! segment_state {
    (scheduled) => {
        0
    };
    (queued) => {
        1
    };
    (in_flight) => {
        2
    };
    (submitted) => {
        3
    };
    (delivered) => {
        4
    };
    (failed) => {
        5
    };
    (expired) => {
        6
    };
    (unconfirmed) => {
        7
    };
    (cancelled) => {
        8
    };
    (unreported) => {
        9
    };
    ($first:ident, $($rest:ident),+) => {
        concat!(
            $crate::store::sql_states::segment_state!($first)
            $(, ", ", $crate::store::sql_states::segment_state!($rest))+
        )
    };
}
pub(crate) use segment_state;

/// A recipient's stored *dispatch* state (`recipients.state`, see the schema notes):
/// `scheduled`, `queued` (claimable), `taken` (claimed; nothing of it queued),
/// `expired`, `cancelled`. They share the codes of the segment states of the same name
/// (`taken` is `in_flight`'s).
macro_rules! dispatch_state {
    (scheduled) => {
        0
    };
    (queued) => {
        1
    };
    (taken) => {
        2
    };
    (expired) => {
        6
    };
    (cancelled) => {
        8
    };
    ($first:ident, $($rest:ident),+) => {
        concat!(
            $crate::store::sql_states::dispatch_state!($first)
            $(, ", ", $crate::store::sql_states::dispatch_state!($rest))+
        )
    };
}
pub(crate) use dispatch_state;

/// A job's stored lifecycle step (`jobs.state`, [`JobPhase`](super::state::JobPhase)):
/// `scheduled`, `released`, `cancelled`.
macro_rules! job_phase {
    (scheduled) => {
        0
    };
    (released) => {
        1
    };
    (cancelled) => {
        8
    };
}
pub(crate) use job_phase;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::state::{DeliveryState, JobPhase};
    use super::super::testutil::TempDb;

    #[test]
    fn every_segment_state_name_is_the_code_of_that_state() {
        for state in DeliveryState::ALL {
            // Exhaustive: a new state does not compile until it has a name here.
            let named: i64 = match state {
                DeliveryState::Scheduled => segment_state!(scheduled),
                DeliveryState::Queued => segment_state!(queued),
                DeliveryState::InFlight => segment_state!(in_flight),
                DeliveryState::Submitted => segment_state!(submitted),
                DeliveryState::Delivered => segment_state!(delivered),
                DeliveryState::Failed => segment_state!(failed),
                DeliveryState::Expired => segment_state!(expired),
                DeliveryState::Unconfirmed => segment_state!(unconfirmed),
                DeliveryState::Cancelled => segment_state!(cancelled),
                DeliveryState::Unreported => segment_state!(unreported),
            };
            assert_eq!(named, state.code(), "{state}");
        }
    }

    #[test]
    fn every_dispatch_state_name_is_the_code_the_store_writes_for_it() {
        // What the Rust code writes into `recipients.state` for each.
        for (named, state) in [
            (dispatch_state!(scheduled), DeliveryState::Scheduled),
            (dispatch_state!(queued), DeliveryState::Queued),
            (dispatch_state!(taken), DeliveryState::InFlight),
            (dispatch_state!(expired), DeliveryState::Expired),
            (dispatch_state!(cancelled), DeliveryState::Cancelled),
        ] {
            assert_eq!(named, state.code(), "{state}");
        }
    }

    #[test]
    fn every_job_phase_name_is_the_code_of_that_phase() {
        for phase in [JobPhase::Scheduled, JobPhase::Released, JobPhase::Cancelled] {
            let named: i64 = match phase {
                JobPhase::Scheduled => job_phase!(scheduled),
                JobPhase::Released => job_phase!(released),
                JobPhase::Cancelled => job_phase!(cancelled),
            };
            assert_eq!(named, phase.code(), "{phase:?}");
            assert_eq!(JobPhase::from_code(named).unwrap(), phase);
        }
    }

    #[test]
    fn several_names_make_a_list_and_a_name_makes_a_literal_in_concat() {
        assert_eq!(segment_state!(scheduled, queued), "0, 1");
        assert_eq!(
            segment_state!(in_flight, unconfirmed, unreported),
            "2, 7, 9"
        );
        assert_eq!(dispatch_state!(scheduled, queued), "0, 1");
        assert_eq!(
            concat!("WHERE state IN (", segment_state!(in_flight), ")"),
            "WHERE state IN (2)"
        );
    }

    /// The partial indexes on queue states, as the schema wrote them before the states
    /// had names: the file format, which a named state must not change.
    #[test]
    fn the_queue_state_indexes_are_written_with_the_same_codes() {
        let db = TempDb::new("sql-states-indexes");
        let s = db.open();
        let sql = |name: &str| -> String {
            s.conn()
                .query_row(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .unwrap()
        };
        for (index, text) in [
            (
                "jobs_due",
                "CREATE INDEX jobs_due ON jobs(send_at) WHERE state = 0",
            ),
            (
                "recipients_claim",
                "CREATE INDEX recipients_claim ON recipients(carrier, priority, id) WHERE state = 1",
            ),
            (
                "recipients_expiry",
                "CREATE INDEX recipients_expiry ON recipients(expires_at)\n    WHERE state IN (0, 1) AND expires_at IS NOT NULL",
            ),
            (
                "segments_in_flight",
                "CREATE INDEX segments_in_flight ON segments(state) WHERE state = 2",
            ),
            (
                "segments_awaiting_report",
                "CREATE INDEX segments_awaiting_report ON segments(submitted_at) WHERE state = 3",
            ),
            (
                "segments_unconfirmed",
                "CREATE INDEX segments_unconfirmed ON segments(link) WHERE state = 7",
            ),
        ] {
            assert_eq!(sql(index), text);
        }
    }
}
