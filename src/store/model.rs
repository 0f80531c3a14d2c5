//! The values that go into and come out of the store.
//!
//! Ids are SQLite row ids (`i64`); times are unix milliseconds, UTC ([`Millis`]).

use serde::{Deserialize, Serialize};

use super::state::{DeliveryState, JobState, Priority, ReportStatus, StateCounts};

/// Unix time in milliseconds, UTC. Conversion to China time happens at the edges.
pub type Millis = i64;
/// Row id of a job.
pub type JobId = i64;
/// Row id of a recipient (one number of a job).
pub type RecipientId = i64;
/// Row id of a segment (one part of one recipient's message).
pub type SegmentId = i64;

/// The current time as [`Millis`] (0 if the clock is before 1970).
pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A send request to accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewJob {
    /// A client-chosen key: a second request with the same key returns the first job
    /// instead of creating another one.
    pub idempotency_key: Option<String>,
    /// Priority class.
    pub priority: Priority,
    /// Message text, without the signature.
    pub text: String,
    /// Signature (for example `【鸿雁】`); the dispatcher composes it with the text.
    pub signature: String,
    /// Extension appended to the service number (replies to it come back to this job).
    pub source_ext: Option<String>,
    /// Not before this time; `None` (or a time not after now) sends right away.
    pub send_at: Option<Millis>,
    /// Give up on parts not yet sent at this time.
    pub expires_at: Option<Millis>,
    /// One entry per number, already routed and segmented by the caller.
    pub recipients: Vec<NewRecipient>,
    /// Who sent it: `web:<account>` from the console, `api:<token name>` from the API;
    /// `None` for the daemon's own sends (the outbox filters by it).
    pub sender: Option<String>,
}

/// One number of a new job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRecipient {
    /// Normalised number (the store never parses it).
    pub number: String,
    /// Carrier the number routes to (the claim key).
    pub carrier: String,
    /// Number of parts the message takes for this recipient (1–255).
    pub segments: u8,
    /// Concatenation reference for a multi-part message.
    pub reference: Option<u16>,
}

/// What [`enqueue`](super::Store::enqueue) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnqueueOutcome {
    /// The job (new, or the existing one for a repeated idempotency key).
    pub job_id: JobId,
    /// False when the idempotency key returned an existing job.
    pub created: bool,
    /// The job's state now.
    pub state: JobState,
}

/// What [`cancel`](super::Store::cancel) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum CancelOutcome {
    /// Cancelled now; this many recipients will not be sent.
    Cancelled {
        /// Recipients cancelled.
        recipients: u64,
    },
    /// It was cancelled before.
    AlreadyCancelled,
    /// Too late: sending has started or finished.
    TooLate {
        /// The job's state.
        state: JobState,
    },
}

/// Which messages to claim and who is taking them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRequest {
    /// Only recipients routed to this carrier.
    pub carrier: String,
    /// Name of the link taking them (recorded on the segments).
    pub link: String,
    /// The link's connection id (recorded on the segments).
    pub connection: i64,
    /// At most this many segments; always at least one whole message if any is queued,
    /// even when its parts alone exceed the limit (a message is never split).
    pub max_segments: usize,
}

/// One recipient's message, claimed for sending: all its queued parts together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimedMessage {
    /// The recipient.
    pub recipient_id: RecipientId,
    /// Its job.
    pub job_id: JobId,
    /// Priority class.
    pub priority: Priority,
    /// Number.
    pub number: String,
    /// Carrier.
    pub carrier: String,
    /// Text (without signature).
    pub text: String,
    /// Signature.
    pub signature: String,
    /// Source extension.
    pub source_ext: Option<String>,
    /// Concatenation reference.
    pub reference: Option<u16>,
    /// Parts the whole message has.
    pub parts: u8,
    /// The parts claimed now (all of them, unless some were sent before and only the rest
    /// was requeued), in part order.
    pub segments: Vec<ClaimedSegment>,
    /// The job's expiry, to put in the submit's validity field.
    pub expires_at: Option<Millis>,
}

/// One claimed part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimedSegment {
    /// The segment.
    pub segment_id: SegmentId,
    /// Part number, 1-based.
    pub part: u8,
    /// Claims so far, this one included.
    pub attempts: u32,
}

/// What [`mark_submitted`](super::Store::mark_submitted) did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitOutcome {
    /// The recipient of the segment.
    pub recipient_id: RecipientId,
    /// Its job.
    pub job_id: JobId,
    /// The recipient's state now.
    pub recipient_state: DeliveryState,
    /// A report for this message id that had arrived earlier and was waiting as an orphan,
    /// now applied to the segment.
    pub matched_report: Option<StoredReport>,
}

/// A delivery report as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewReport {
    /// Carrier of the link it came from (message ids are unique per carrier only).
    pub carrier: String,
    /// Carrier message id, in the protocol's canonical text form.
    pub msg_id: String,
    /// What it says, as read by the caller.
    pub status: ReportStatus,
    /// The protocol's status text (`DELIVRD`, `UNDELIV`, SGIP state as a number…).
    pub stat: String,
    /// The protocol's error code, as text.
    pub err: String,
    /// The whole report as JSON, kept with an orphan so nothing of it is lost.
    pub raw: Option<String>,
    /// The link it came on. With `recipient` and `submitted_at` it can settle an
    /// unconfirmed segment of that link when its message id names none (see
    /// `unconfirmed.rs`).
    #[serde(default)]
    pub link: Option<String>,
    /// The number it is about, normalised.
    #[serde(default)]
    pub recipient: Option<String>,
    /// When the gateway says the message was submitted: the start of that minute, unix ms.
    #[serde(default)]
    pub submitted_at: Option<Millis>,
}

/// A report's content once stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReport {
    /// What it says.
    pub status: ReportStatus,
    /// Protocol status text.
    pub stat: String,
    /// Protocol error code.
    pub err: String,
    /// When it arrived.
    pub received_at: Millis,
}

/// What [`record_report`](super::Store::record_report) did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ReportOutcome {
    /// The report was applied to this segment.
    Matched {
        /// The segment.
        segment_id: SegmentId,
        /// Its recipient.
        recipient_id: RecipientId,
        /// Its job.
        job_id: JobId,
        /// The recipient's state now.
        recipient_state: DeliveryState,
    },
    /// The segment had a report already; the first one stands and this one is ignored.
    Duplicate {
        /// The segment.
        segment_id: SegmentId,
    },
    /// No segment has this message id yet (the submit response is still to come, or the
    /// id is unknown): kept in `orphan_reports` until a submit response names it.
    Orphaned {
        /// Row id in `orphan_reports`.
        orphan_id: i64,
    },
}

/// A report waiting for its segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrphanReport {
    /// Row id.
    pub id: i64,
    /// Carrier.
    pub carrier: String,
    /// Message id.
    pub msg_id: String,
    /// The report.
    pub report: StoredReport,
    /// The raw report JSON, if given.
    pub raw: Option<String>,
}

/// What [`recover_on_start_with`](super::Store::recover_on_start_with) did to a segment
/// that was in flight when the previous process stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryAction {
    /// Marked unconfirmed and not resent (the default: no duplicate reaches anyone).
    MarkedUnconfirmed,
    /// Put back in the queue to be sent again (`resend_unconfirmed = true`).
    Requeued,
    /// Claimed but certainly never written (not in the on-the-wire journal): back in the
    /// queue, the claim's attempt given back, sent once like any queued segment.
    NeverSent,
}

/// A segment found in flight when the process stopped (no submit response recorded), and
/// what recovery did with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnconfirmedSegment {
    /// The segment.
    pub segment_id: SegmentId,
    /// Its recipient.
    pub recipient_id: RecipientId,
    /// Its job.
    pub job_id: JobId,
    /// Number.
    pub number: String,
    /// Carrier.
    pub carrier: String,
    /// Part number and count.
    pub part: u8,
    /// Parts of the message.
    pub parts: u8,
    /// Link that had it.
    pub link: Option<String>,
    /// Connection that had it.
    pub connection: Option<i64>,
    /// Claims so far.
    pub attempts: u32,
    /// When it was last claimed.
    pub claimed_at: Option<Millis>,
    /// What was done with it.
    pub action: RecoveryAction,
}

/// A recipient that expired before being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiredRecipient {
    /// The recipient.
    pub recipient_id: RecipientId,
    /// Its job.
    pub job_id: JobId,
}

/// One line of the job list: what was sent, to how many, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummary {
    /// The job.
    pub job_id: JobId,
    /// Its derived state.
    pub state: JobState,
    /// Priority class.
    pub priority: Priority,
    /// The text, without signature.
    pub text: String,
    /// The job's own signature (empty: the link's).
    pub signature: String,
    /// Not before this time (unix ms).
    pub send_at: Option<Millis>,
    /// Recipients.
    pub recipients: u64,
    /// Segments (what it costs).
    pub segments: u64,
    /// Accepted at (unix ms).
    pub created_at: Millis,
    /// Who sent it (see [`NewJob::sender`]).
    pub sender: Option<String>,
}

/// A job with every recipient and segment, as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatus {
    /// Job id.
    pub job_id: JobId,
    /// Derived state.
    pub state: JobState,
    /// Idempotency key.
    pub idempotency_key: Option<String>,
    /// Priority class.
    pub priority: Priority,
    /// Text.
    pub text: String,
    /// Signature.
    pub signature: String,
    /// Source extension.
    pub source_ext: Option<String>,
    /// Not before.
    pub send_at: Option<Millis>,
    /// Expiry.
    pub expires_at: Option<Millis>,
    /// Accepted at.
    pub created_at: Millis,
    /// Last change to the job row.
    pub updated_at: Millis,
    /// Cancelled at.
    pub cancelled_at: Option<Millis>,
    /// Recipients per state.
    pub counts: StateCounts,
    /// Every recipient, in the order given.
    pub recipients: Vec<RecipientStatus>,
}

/// A recipient as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientStatus {
    /// Recipient id.
    pub recipient_id: RecipientId,
    /// Number.
    pub number: String,
    /// Carrier.
    pub carrier: String,
    /// State (derived from the segments).
    pub state: DeliveryState,
    /// Parts.
    pub parts: u8,
    /// Concatenation reference.
    pub reference: Option<u16>,
    /// Last error seen on any part.
    pub last_error: Option<String>,
    /// Created at.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
    /// Every part.
    pub segments: Vec<SegmentStatus>,
}

/// A segment as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentStatus {
    /// Segment id.
    pub segment_id: SegmentId,
    /// Part number.
    pub part: u8,
    /// State.
    pub state: DeliveryState,
    /// Claims so far.
    pub attempts: u32,
    /// Link of the last claim.
    pub link: Option<String>,
    /// Connection of the last claim.
    pub connection: Option<i64>,
    /// Carrier message id.
    pub msg_id: Option<String>,
    /// Submit response result code (0 accepted).
    pub result: Option<i64>,
    /// Report status text.
    pub report_stat: Option<String>,
    /// Report error code.
    pub report_err: Option<String>,
    /// Last error.
    pub last_error: Option<String>,
    /// Last claimed at.
    pub claimed_at: Option<Millis>,
    /// Submit response recorded at.
    pub submitted_at: Option<Millis>,
    /// Report recorded at.
    pub reported_at: Option<Millis>,
    /// Last change.
    pub updated_at: Millis,
}

/// Segments per state, over the whole store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDepth {
    /// Segments per state.
    pub segments: StateCounts,
    /// Reports still waiting for their segment.
    pub orphan_reports: u64,
}

/// An inbound (MO) message to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInbound {
    /// Sender's number.
    pub sender: String,
    /// The number it was sent to (service number plus any extension).
    pub destination: String,
    /// Reassembled text.
    pub text: String,
    /// Data coding byte it arrived in.
    pub coding: u8,
    /// When it arrived.
    pub received_at: Millis,
    /// Link it came in on.
    pub link: String,
    /// The item (job, approval…) it answers, if the caller matched one.
    pub item_id: Option<i64>,
}

/// An inbound message as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxMessage {
    /// Row id.
    pub id: i64,
    /// The message.
    pub message: NewInbound,
    /// Marked read.
    pub read: bool,
    /// What the reply router made of it (`None`: not looked at yet): see
    /// [`InboxRoute`].
    pub route: Option<String>,
}

/// What kind of item holds an extended number (and so where a reply to it goes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// One approver's step of an approval request.
    ApprovalStep,
    /// A reminder or notification that expects a reply.
    Reminder,
}

/// An extension wanted by an item (see [`Store::allocate_extension`](super::Store::allocate_extension)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    /// Carrier whose link will send the message: extensions are unique per carrier.
    pub carrier: String,
    /// Digits of the extension (the link's `extension_length`, 1–18).
    pub length: u8,
    /// The item's kind.
    pub item_kind: ItemKind,
    /// The item's id (in the table of its kind).
    pub item_id: i64,
    /// The number the item's message goes to: only a reply from it counts.
    pub recipient: String,
}

/// Who holds a live extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionHolder {
    /// The item's kind.
    pub item_kind: ItemKind,
    /// The item's id.
    pub item_id: i64,
    /// The number the item's message went to.
    pub recipient: String,
}
