//! Replies to bulk sends: polls and collections, their extensions, and the replies
//! attributed to them (or not).
//!
//! A send may ask for replies ([`ReplySpec`]): `collect` keeps every reply with its
//! recipient; `poll` also reads each as one of its options (or a comment). The store keeps:
//!
//! | table | one row per | notes |
//! |-------|-------------|-------|
//! | `polls` | send that asked for replies | `id` (the poll), `job_id` (the job that asked), `mode` (`collect` \| `poll`), `options` (JSON `[{"key","text"}]` in the order given), `accept` (`first` \| `last`), `closes_at`, `closed_at` (NULL while open), `groups` (JSON: the contact groups the send named), `created_at` |
//! | `jobs.poll_id` | job | the poll whose replies this job asks for: the asking job and its resends; NULL for other jobs |
//! | `poll_extensions` | poll × carrier | the extension the poll's messages go out from on that carrier's links (service code + extension); held in `extensions` as item kind 3 with recipient `''` until the poll closes |
//! | `poll_replies` | attributed reply | `poll_id`, `inbox_id` (unique: a reply is stored once), `number` (normalised), `contact_name` (NULL if unknown), `option_key` (NULL: no option recognised, or `collect`), `text`, `comment` (1: a poll reply that is no option), `superseded` (1: an answer that does not count under `accept`), `received_at`, `link` |
//! | `poll_unmatched` | reply to a poll's extension not attributed | `poll_id`, `inbox_id` (unique), `number`, `text`, `reason` (`not_a_recipient`, `poll_closed`), `received_at`, `link` |
//!
//! Counting a poll: the answers are the `poll_replies` rows with `option_key IS NOT NULL
//! AND superseded = 0` — at most one per number (under `accept = first` the later ones
//! are recorded superseded; under `last` the earlier ones become superseded). Comments
//! (`comment = 1`) are never superseded. Its recipients are the numbers of the jobs with
//! `jobs.poll_id = polls.id`.
//!
//! The asking job, its poll and its extensions are written in one transaction
//! ([`Store::enqueue_with_replies`]): the job is never claimable without the extension it
//! must go out from. A refusal (no free extension) leaves nothing behind.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::db::{Cache, Store};
use super::error::{Result, StoreError};
use super::extensions::{allocate, kind_code, release_item};
use super::handle::{Deferred, StoreHandle};
use super::inbox::{InboxRoute, inbox_set_route};
use super::jobs::{BY_IDEMPOTENCY_KEY, enqueue, enqueue_job, validate};
use super::model::{EnqueueOutcome, ExtensionRequest, ItemKind, JobId, Millis, NewJob};
use super::policy::{JobPolicy, record_policy};
use super::webhooks::{WebhookEvent, queue};

/// What a send asks of its replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyMode {
    /// Keep every reply with its recipient.
    Collect,
    /// Read each reply as one of the options, or a comment.
    Poll,
}

impl ReplyMode {
    /// The stored (and API) name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Collect => "collect",
            Self::Poll => "poll",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "collect" => Ok(Self::Collect),
            "poll" => Ok(Self::Poll),
            _ => Err(StoreError::Internal("polls.mode holds an unknown mode")),
        }
    }
}

/// Which of a recipient's answers counts when they answer more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Accept {
    /// The first answer counts; later ones are kept, superseded.
    #[default]
    First,
    /// The latest answer counts; earlier ones become superseded.
    Last,
}

impl Accept {
    /// The stored (and API) name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::First => "first",
            Self::Last => "last",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "first" => Ok(Self::First),
            "last" => Ok(Self::Last),
            _ => Err(StoreError::Internal("polls.accept holds an unknown value")),
        }
    }
}

/// One answer a poll offers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollOption {
    /// What the recipient replies (`1`, `A`, …).
    pub key: String,
    /// What it means (`满意`); replying the text counts too.
    pub text: String,
}

/// The replies a send asks for (validated by the caller: see `replies::poll`).
///
/// As a request body: `{"mode": "poll", "options": {"1": "满意", "2": "一般"}, "accept":
/// "first", "closes_at": …}`; `options` may also be a list of `{"key", "text"}`, and
/// `accept` defaults to `first`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplySpec {
    /// Collect or poll.
    pub mode: ReplyMode,
    /// The options, in the order given (empty for `collect`).
    #[serde(default, deserialize_with = "options_in_either_form")]
    pub options: Vec<PollOption>,
    /// Which answer counts.
    #[serde(default)]
    pub accept: Accept,
    /// When replies stop counting (unix ms); `None`: open until closed by hand.
    #[serde(default)]
    pub closes_at: Option<Millis>,
}

/// Options as a map `{"1": "满意"}` (in the order written; a key given twice is an
/// error) or as a list of `{"key", "text"}`.
fn options_in_either_form<'de, D>(d: D) -> std::result::Result<Vec<PollOption>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Either;
    impl<'de> serde::de::Visitor<'de> for Either {
        type Value = Vec<PollOption>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(r#"a map of key to text like {"1": "满意"}, or a list of {"key", "text"}"#)
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut out: Vec<PollOption> = Vec::new();
            while let Some((key, text)) = map.next_entry::<String, String>()? {
                if out.iter().any(|o| o.key == key) {
                    return Err(serde::de::Error::custom(format!(
                        "option key {key:?} is given twice"
                    )));
                }
                out.push(PollOption { key, text });
            }
            Ok(out)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(o) = seq.next_element::<PollOption>()? {
                out.push(o);
            }
            Ok(out)
        }
    }
    d.deserialize_any(Either)
}

/// A new poll asked by a send: the spec, the groups the send named, and the extension
/// length of each carrier the job goes through (the length of the link that carries it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPoll {
    /// What is asked.
    pub spec: ReplySpec,
    /// The contact groups the send named (for a tally per group); empty for a send to
    /// numbers.
    pub groups: Vec<String>,
}

/// Which poll a job asks replies for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollTarget {
    /// A new poll, asked by this job.
    New(NewPoll),
    /// An open poll asked by an earlier job (a resend to those who have not answered):
    /// same extensions, same options; replies are the poll's.
    Existing(i64),
}

/// A poll as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PollView {
    /// The poll's id (the extension holder's item id).
    pub id: i64,
    /// The job that asked.
    pub job_id: JobId,
    /// What is asked.
    pub spec: ReplySpec,
    /// The groups the asking send named.
    pub groups: Vec<String>,
    /// When it was closed, if it is.
    pub closed_at: Option<Millis>,
    /// When it was created.
    pub created_at: Millis,
    /// The extension on each carrier (`cmcc`, `cucc`, `ctcc`), by carrier name.
    pub extensions: Vec<(String, String)>,
}

impl PollView {
    /// Open at `at`: not closed by hand, and its `closes_at` not reached.
    pub fn open_at(&self, at: Millis) -> bool {
        self.closed_at.is_none_or(|c| at < c) && self.spec.closes_at.is_none_or(|c| at < c)
    }
}

/// A reply attributed to one of a poll's recipients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPollReply {
    /// The poll.
    pub poll_id: i64,
    /// The inbox message (a reply is attributed once).
    pub inbox_id: i64,
    /// The recipient, normalised.
    pub number: String,
    /// The recognised option, if any.
    pub option_key: Option<String>,
    /// The text as received.
    pub text: String,
    /// A poll reply that is not one of its options.
    pub comment: bool,
    /// When it arrived.
    pub received_at: Millis,
    /// The link it came in on.
    pub link: String,
}

/// What [`Store::record_poll_reply`] stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollReplyRecorded {
    /// The `poll_replies` row.
    pub reply_id: i64,
    /// The contact's name, when the number is in the address book.
    pub contact_name: Option<String>,
    /// The answer does not count (`accept = first` and an earlier answer counts).
    pub superseded: bool,
}

/// Why a reply to a poll's extension was not attributed (the stable codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PollUnmatched {
    /// The sender is not among the poll's recipients.
    NotARecipient,
    /// The reply arrived after the poll closed.
    PollClosed,
}

impl PollUnmatched {
    /// The stable code (in `poll_unmatched.reason` and `inbox.route`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::NotARecipient => "not_a_recipient",
            Self::PollClosed => "poll_closed",
        }
    }
}

/// A reply to a poll's extension that was not attributed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPollUnmatched {
    /// The poll whose extension it reached.
    pub poll_id: i64,
    /// The inbox message.
    pub inbox_id: i64,
    /// The sender, normalised when it is a mobile number.
    pub number: String,
    /// The text.
    pub text: String,
    /// Why.
    pub reason: PollUnmatched,
    /// When it arrived.
    pub received_at: Millis,
    /// The link it came in on.
    pub link: String,
}

/// One stored reply (for tests and simple reads; paged reads are `poll_results`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PollReplyRow {
    /// Row id.
    pub id: i64,
    /// The inbox message.
    pub inbox_id: i64,
    /// The recipient.
    pub number: String,
    /// The contact's name, if known when the reply came.
    pub contact_name: Option<String>,
    /// The option recognised.
    pub option_key: Option<String>,
    /// The text.
    pub text: String,
    /// Not an option.
    pub comment: bool,
    /// Does not count.
    pub superseded: bool,
    /// When it arrived.
    pub received_at: Millis,
}

impl Store {
    /// Accepts a job that asks for replies: the job, a new poll (or the existing one it
    /// resends for) and the poll's extension on every carrier in `lengths` (carrier name,
    /// extension length of the link that carries it), in one transaction.
    ///
    /// A repeated idempotency key returns the first job as [`Store::enqueue`] does and
    /// changes nothing. Refused with [`StoreError::ExtensionsExhausted`] when a carrier has
    /// no free extension, with [`StoreError::PollClosed`] when resending for a closed
    /// poll; nothing is written then.
    pub fn enqueue_with_replies(
        &mut self,
        job: &NewJob,
        target: &PollTarget,
        lengths: &[(String, u8)],
        now: Millis,
        quarantine: Duration,
    ) -> Result<(EnqueueOutcome, i64)> {
        let notice = JobPolicy {
            category: "notice".to_owned(),
            ..JobPolicy::default()
        };
        self.enqueue_poll_job(job, target, lengths, now, quarantine, &notice)
    }

    /// [`Store::enqueue_with_replies`] with what the messaging policy decided about the
    /// job (category, text as sent, hold, skips), recorded in the same transaction.
    pub fn enqueue_poll_job(
        &mut self,
        job: &NewJob,
        target: &PollTarget,
        lengths: &[(String, u8)],
        now: Millis,
        quarantine: Duration,
        policy: &JobPolicy,
    ) -> Result<(EnqueueOutcome, i64)> {
        self.write(|c, cache| {
            enqueue_with_replies(c, cache, job, target, lengths, now, quarantine, policy)
        })
    }

    /// Attributes a reply to a poll's recipient (see [`NewPollReply`]), settles which of
    /// their answers counts, routes the inbox message to the poll and queues a
    /// `reply_received` webhook event, in one transaction. `None` when that inbox message
    /// was attributed already (nothing changes: a reply is stored once).
    pub fn record_poll_reply(&mut self, reply: &NewPollReply) -> Result<Option<PollReplyRecorded>> {
        self.write(|c, cache| record_reply(c, cache, reply))
    }

    /// Keeps a reply to a poll's extension that was not attributed, with its reason, and
    /// routes the inbox message as unmatched with that reason. False when it was kept
    /// already.
    pub fn record_poll_unmatched(&mut self, reply: &NewPollUnmatched) -> Result<bool> {
        self.write(|c, _| record_unmatched(c, reply))
    }

    /// Closes a poll at `at` (by hand, or its `closes_at`): replies arriving from then on
    /// are `poll_closed`, and its extensions go to quarantine. False when it was closed
    /// already; [`StoreError::NotFound`] for no such poll.
    pub fn close_poll(&mut self, poll_id: i64, at: Millis) -> Result<bool> {
        self.write(|c, _| close(c, poll_id, at))
    }

    /// Closes every open poll whose `closes_at` is at or before `now`, each at its own
    /// `closes_at`; returns their ids.
    pub fn close_due_polls(&mut self, now: Millis) -> Result<Vec<i64>> {
        self.write(|c, _| close_due(c, now))
    }
}

impl StoreHandle {
    /// [`Store::enqueue_poll_job`]; also returns the poll id.
    pub async fn enqueue_with_replies(
        &self,
        job: NewJob,
        target: PollTarget,
        lengths: Vec<(String, u8)>,
        now: Millis,
        quarantine: Duration,
        policy: JobPolicy,
    ) -> Result<(EnqueueOutcome, i64)> {
        self.call(move |s| s.enqueue_poll_job(&job, &target, &lengths, now, quarantine, &policy))
            .await
    }

    /// [`Store::record_poll_reply`].
    pub async fn record_poll_reply(
        &self,
        reply: NewPollReply,
    ) -> Result<Option<PollReplyRecorded>> {
        self.call(move |s| s.record_poll_reply(&reply)).await
    }

    /// [`Store::record_poll_reply`], queued now and answered through the [`Deferred`]:
    /// the reply router queues a whole pass of attributions this way, so they share the
    /// writer's transactions instead of waiting for one commit each (queued from one task,
    /// they run in the order queued, which `accept` relies on).
    pub async fn record_poll_reply_deferred(
        &self,
        reply: NewPollReply,
    ) -> Result<Deferred<Option<PollReplyRecorded>>> {
        self.call_deferred(move |s| s.record_poll_reply(&reply))
            .await
    }

    /// [`Store::record_poll_unmatched`].
    pub async fn record_poll_unmatched(&self, reply: NewPollUnmatched) -> Result<bool> {
        self.call(move |s| s.record_poll_unmatched(&reply)).await
    }

    /// [`Store::close_poll`].
    pub async fn close_poll(&self, poll_id: i64, at: Millis) -> Result<bool> {
        self.call(move |s| s.close_poll(poll_id, at)).await
    }

    /// [`Store::close_due_polls`].
    pub async fn close_due_polls(&self, now: Millis) -> Result<Vec<i64>> {
        self.call(move |s| s.close_due_polls(now)).await
    }

    /// The poll, on the read connection.
    pub async fn poll(&self, poll_id: i64) -> Result<Option<PollView>> {
        self.read(move |c| poll(c, poll_id)).await
    }

    /// The poll a job asks replies for (the asking job or a resend), on the read
    /// connection.
    pub async fn poll_of_job(&self, job_id: JobId) -> Result<Option<PollView>> {
        self.read(move |c| poll_of_job(c, job_id)).await
    }

    /// The poll job `job_id` asks replies for: `None` when there is no such job,
    /// `Some(None)` when it asked for none.
    pub async fn job_poll_id(&self, job_id: JobId) -> Result<Option<Option<i64>>> {
        self.read(move |c| job_poll_id(c, job_id)).await
    }

    /// Whether `number` (normalised) is a recipient of one of the poll's jobs.
    pub async fn poll_has_recipient(&self, poll_id: i64, number: String) -> Result<bool> {
        self.read(move |c| has_recipient(c, poll_id, &number)).await
    }

    /// The poll whose extension `extension` of `carrier` was when it closed at or before
    /// `at` — and still is nobody else's since: a reply to it arriving at `at` is
    /// `poll_closed`.
    pub async fn closed_poll_of_extension(
        &self,
        carrier: String,
        extension: String,
        at: Millis,
    ) -> Result<Option<i64>> {
        self.read(move |c| closed_poll_of_extension(c, &carrier, &extension, at))
            .await
    }

    /// Every reply attributed to the poll, in arrival order.
    pub async fn poll_replies(&self, poll_id: i64) -> Result<Vec<PollReplyRow>> {
        self.read(move |c| replies(c, poll_id)).await
    }

    /// The poll's unmatched replies: (inbox id, number, reason), in arrival order.
    pub async fn poll_unmatched(&self, poll_id: i64) -> Result<Vec<(i64, String, String)>> {
        self.read(move |c| unmatched(c, poll_id)).await
    }
}

const POLL_COLUMNS: &str =
    "id, job_id, mode, options, accept, closes_at, closed_at, groups, created_at";

/// The sender of a reply among the poll's recipients (uses `recipients_number`, then
/// the job's row): a number gets few jobs, so this is a handful of seeks.
pub(crate) const HAS_RECIPIENT: &str = "SELECT EXISTS (SELECT 1 FROM recipients r
     JOIN jobs j ON j.id = r.job_id WHERE r.number = ?2 AND j.poll_id = ?1)";

/// Whether the number already has an answer that counts in the poll (`accept = first`:
/// a later answer is kept superseded). Uses `poll_replies_counted`, one seek: the
/// per-option index also matches this WHERE clause and walks every counted answer of
/// the poll, a cost per reply that grows with the poll (see migration note).
pub(crate) const HAS_COUNTED_ANSWER: &str = "SELECT EXISTS (SELECT 1 FROM poll_replies
     WHERE poll_id = ?1 AND number = ?2 AND option_key IS NOT NULL AND superseded = 0)";

/// The number's counted answer stops counting (`accept = last`: the new one will).
/// Uses `poll_replies_counted`, as [`HAS_COUNTED_ANSWER`].
pub(crate) const SUPERSEDE_COUNTED: &str = "UPDATE poll_replies SET superseded = 1
     WHERE poll_id = ?1 AND number = ?2 AND option_key IS NOT NULL AND superseded = 0";

#[allow(clippy::too_many_arguments)]
fn enqueue_with_replies(
    c: &Connection,
    cache: &mut Cache,
    job: &NewJob,
    target: &PollTarget,
    lengths: &[(String, u8)],
    now: Millis,
    quarantine: Duration,
    policy: &JobPolicy,
) -> Result<(EnqueueOutcome, i64)> {
    if let Some(key) = &job.idempotency_key {
        let existing: Option<JobId> = c
            .prepare_cached(BY_IDEMPOTENCY_KEY)?
            .query_row([key], |r| r.get(0))
            .optional()?;
        if existing.is_some() {
            // The first job (or a conflict): nothing is written.
            let out = enqueue(c, cache, job, now)?;
            let poll_id: Option<i64> = c
                .prepare_cached("SELECT poll_id FROM jobs WHERE id = ?1")?
                .query_row([out.job_id], |r| r.get(0))?;
            let Some(poll_id) = poll_id else {
                return Err(StoreError::IdempotencyConflict {
                    key: key.clone(),
                    job_id: out.job_id,
                });
            };
            return Ok((out, poll_id));
        }
    }
    validate(job, now)?;
    if let PollTarget::Existing(poll_id) = target {
        let closed: Option<(Option<Millis>, Option<Millis>)> = c
            .prepare_cached("SELECT closed_at, closes_at FROM polls WHERE id = ?1")?
            .query_row([poll_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match closed {
            None => {
                return Err(StoreError::NotFound {
                    what: "poll",
                    id: *poll_id,
                });
            }
            Some((closed_at, closes_at)) => {
                if closed_at.is_some() || closes_at.is_some_and(|t| t <= now) {
                    return Err(StoreError::PollClosed { poll_id: *poll_id });
                }
            }
        }
    }
    // The poll row and the allocations may be refused part-way (a carrier with no free
    // extension): a savepoint takes them back so the refusal writes nothing. They touch
    // no cached fact, so the cache stays true.
    c.execute_batch("SAVEPOINT poll_send")?;
    let held = hold_extensions(c, target, lengths, now, quarantine);
    let poll_id = match held {
        Ok(id) => {
            c.execute_batch("RELEASE poll_send")?;
            id
        }
        Err(e) => {
            c.execute_batch("ROLLBACK TO poll_send; RELEASE poll_send")?;
            return Err(e);
        }
    };
    let out = enqueue_job(c, cache, job, now, policy.hold_reason.is_some())?;
    if out.created {
        record_policy(c, cache, job, out.job_id, policy, now)?;
    }
    c.prepare_cached("UPDATE jobs SET poll_id = ?2 WHERE id = ?1")?
        .execute(params![out.job_id, poll_id])?;
    if matches!(target, PollTarget::New(_)) {
        c.prepare_cached("UPDATE polls SET job_id = ?2 WHERE id = ?1")?
            .execute(params![poll_id, out.job_id])?;
    }
    Ok((out, poll_id))
}

/// The poll row (for a new poll) and its extension on each carrier; the poll id.
fn hold_extensions(
    c: &Connection,
    target: &PollTarget,
    lengths: &[(String, u8)],
    now: Millis,
    quarantine: Duration,
) -> Result<i64> {
    let poll_id = match target {
        PollTarget::Existing(id) => *id,
        PollTarget::New(p) => {
            let options = serde_json::to_string(&p.spec.options)
                .map_err(|_| StoreError::Internal("poll options do not serialise"))?;
            let groups = serde_json::to_string(&p.groups)
                .map_err(|_| StoreError::Internal("poll groups do not serialise"))?;
            c.prepare_cached(
                "INSERT INTO polls (mode, options, accept, closes_at, groups, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                p.spec.mode.name(),
                options,
                p.spec.accept.name(),
                p.spec.closes_at,
                groups,
                now
            ])?;
            c.last_insert_rowid()
        }
    };
    for (carrier, length) in lengths {
        let extension = allocate(
            c,
            &ExtensionRequest {
                carrier: carrier.clone(),
                length: *length,
                item_kind: ItemKind::Poll,
                item_id: poll_id,
                recipient: String::new(),
            },
            now,
            quarantine,
        )?;
        c.prepare_cached(
            "INSERT INTO poll_extensions (poll_id, carrier, extension) VALUES (?1, ?2, ?3)
             ON CONFLICT (poll_id, carrier) DO NOTHING",
        )?
        .execute(params![poll_id, carrier, extension])?;
    }
    Ok(poll_id)
}

fn record_reply(
    c: &Connection,
    cache: &mut Cache,
    reply: &NewPollReply,
) -> Result<Option<PollReplyRecorded>> {
    let seen: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM poll_replies WHERE inbox_id = ?1)")?
        .query_row([reply.inbox_id], |r| r.get(0))?;
    if seen {
        return Ok(None);
    }
    let accept: Option<String> = c
        .prepare_cached("SELECT accept FROM polls WHERE id = ?1")?
        .query_row([reply.poll_id], |r| r.get(0))
        .optional()?;
    let Some(accept) = accept else {
        return Err(StoreError::NotFound {
            what: "poll",
            id: reply.poll_id,
        });
    };
    let accept = Accept::parse(&accept)?;
    let contact_name: Option<String> = c
        .prepare_cached("SELECT name FROM contacts WHERE phone = ?1 AND name <> ''")?
        .query_row([&reply.number], |r| r.get(0))
        .optional()?;
    let mut superseded = false;
    if reply.option_key.is_some() {
        match accept {
            Accept::First => {
                superseded = c
                    .prepare_cached(HAS_COUNTED_ANSWER)?
                    .query_row(params![reply.poll_id, reply.number], |r| r.get(0))?;
            }
            Accept::Last => {
                c.prepare_cached(SUPERSEDE_COUNTED)?
                    .execute(params![reply.poll_id, reply.number])?;
            }
        }
    }
    c.prepare_cached(
        "INSERT INTO poll_replies (poll_id, inbox_id, number, contact_name, option_key, text,
             comment, superseded, received_at, link)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        reply.poll_id,
        reply.inbox_id,
        reply.number,
        contact_name,
        reply.option_key,
        reply.text,
        reply.comment,
        superseded,
        reply.received_at,
        reply.link
    ])?;
    let reply_id = c.last_insert_rowid();
    inbox_set_route(c, reply.inbox_id, &InboxRoute::Poll(reply.poll_id))?;
    if cache.webhooks.wants(WebhookEvent::ReplyReceived) {
        let job_id: Option<JobId> = c
            .prepare_cached("SELECT job_id FROM polls WHERE id = ?1")?
            .query_row([reply.poll_id], |r| r.get(0))?;
        let data = serde_json::json!({
            "job_id": job_id,
            "poll_id": reply.poll_id,
            "inbox_id": reply.inbox_id,
            "number": reply.number,
            "contact_name": contact_name,
            "option": reply.option_key,
            "text": reply.text,
            "comment": reply.comment,
            "superseded": superseded,
            "received_at": reply.received_at,
            "link": reply.link,
        });
        queue(
            c,
            &cache.webhooks,
            WebhookEvent::ReplyReceived,
            data,
            reply.received_at,
        )?;
    }
    Ok(Some(PollReplyRecorded {
        reply_id,
        contact_name,
        superseded,
    }))
}

fn record_unmatched(c: &Connection, r: &NewPollUnmatched) -> Result<bool> {
    let n = c
        .prepare_cached(
            "INSERT INTO poll_unmatched (poll_id, inbox_id, number, text, reason, received_at,
                 link)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (inbox_id) DO NOTHING",
        )?
        .execute(params![
            r.poll_id,
            r.inbox_id,
            r.number,
            r.text,
            r.reason.code(),
            r.received_at,
            r.link
        ])?;
    inbox_set_route(c, r.inbox_id, &InboxRoute::Unmatched(r.reason.code()))?;
    Ok(n == 1)
}

fn close(c: &Connection, poll_id: i64, at: Millis) -> Result<bool> {
    let exists: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM polls WHERE id = ?1)")?
        .query_row([poll_id], |r| r.get(0))?;
    if !exists {
        return Err(StoreError::NotFound {
            what: "poll",
            id: poll_id,
        });
    }
    let n = c
        .prepare_cached(
            "UPDATE polls SET closed_at = ?2,
                 closes_at = CASE WHEN closes_at IS NULL OR closes_at > ?2 THEN ?2
                                  ELSE closes_at END
             WHERE id = ?1 AND closed_at IS NULL",
        )?
        .execute(params![poll_id, at])?;
    if n == 0 {
        return Ok(false);
    }
    release_item(c, ItemKind::Poll, poll_id, at)?;
    Ok(true)
}

/// Open polls past their `closes_at` (uses `polls_closing`).
pub(crate) const DUE: &str =
    "SELECT id, closes_at FROM polls WHERE closed_at IS NULL AND closes_at IS NOT NULL
     AND closes_at <= ?1 ORDER BY closes_at";

/// When the next open poll closes by itself (uses `polls_closing`).
pub(crate) fn next_close(c: &Connection) -> Result<Option<Millis>> {
    Ok(c.prepare_cached(
        "SELECT min(closes_at) FROM polls WHERE closed_at IS NULL AND closes_at IS NOT NULL",
    )?
    .query_row([], |r| r.get(0))?)
}

fn close_due(c: &Connection, now: Millis) -> Result<Vec<i64>> {
    let due: Vec<(i64, Millis)> = c
        .prepare_cached(DUE)?
        .query_map([now], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut closed = Vec::with_capacity(due.len());
    for (id, at) in due {
        if close(c, id, at)? {
            closed.push(id);
        }
    }
    Ok(closed)
}

fn poll_from_row(c: &Connection, r: &rusqlite::Row<'_>) -> Result<PollView> {
    let id: i64 = r.get(0)?;
    let job_id: Option<JobId> = r.get(1)?;
    let mode: String = r.get(2)?;
    let options: String = r.get(3)?;
    let accept: String = r.get(4)?;
    let groups: String = r.get(7)?;
    let extensions = c
        .prepare_cached(
            "SELECT carrier, extension FROM poll_extensions WHERE poll_id = ?1 ORDER BY carrier",
        )?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(PollView {
        id,
        job_id: job_id.ok_or(StoreError::Internal("a poll without its job"))?,
        spec: ReplySpec {
            mode: ReplyMode::parse(&mode)?,
            options: serde_json::from_str(&options)
                .map_err(|_| StoreError::Internal("polls.options is not the JSON written"))?,
            accept: Accept::parse(&accept)?,
            closes_at: r.get(5)?,
        },
        groups: serde_json::from_str(&groups)
            .map_err(|_| StoreError::Internal("polls.groups is not the JSON written"))?,
        closed_at: r.get(6)?,
        created_at: r.get(8)?,
        extensions,
    })
}

pub(crate) fn poll(c: &Connection, poll_id: i64) -> Result<Option<PollView>> {
    let sql = format!("SELECT {POLL_COLUMNS} FROM polls WHERE id = ?1");
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows = stmt.query([poll_id])?;
    match rows.next()? {
        Some(r) => Ok(Some(poll_from_row(c, r)?)),
        None => Ok(None),
    }
}

pub(crate) fn poll_of_job(c: &Connection, job_id: JobId) -> Result<Option<PollView>> {
    match poll_id_of_job(c, job_id)? {
        Some(id) => poll(c, id),
        None => Ok(None),
    }
}

/// The poll job `job_id` asks replies for, if any.
pub(crate) fn poll_id_of_job(c: &Connection, job_id: JobId) -> Result<Option<i64>> {
    Ok(job_poll_id(c, job_id)?.flatten())
}

/// `None`: no such job; `Some(None)`: a job that asked for no replies.
pub(crate) fn job_poll_id(c: &Connection, job_id: JobId) -> Result<Option<Option<i64>>> {
    Ok(c.prepare_cached("SELECT poll_id FROM jobs WHERE id = ?1")?
        .query_row([job_id], |r| r.get(0))
        .optional()?)
}

/// A subquery: the inbox ids of every reply that reached poll `?{param}`'s extension.
pub(crate) fn inbox_ids_of_poll(param: usize) -> String {
    format!(
        "SELECT inbox_id FROM poll_replies WHERE poll_id = ?{param}
         UNION ALL SELECT inbox_id FROM poll_unmatched WHERE poll_id = ?{param}"
    )
}

pub(crate) fn has_recipient(c: &Connection, poll_id: i64, number: &str) -> Result<bool> {
    Ok(c.prepare_cached(HAS_RECIPIENT)?
        .query_row(params![poll_id, number], |r| r.get(0))?)
}

/// The last holder of the extension is the poll, released when it closed at or before
/// `at` (uses `extensions_slot`).
pub(crate) const CLOSED_HOLDER: &str = "SELECT p.id FROM extensions e
     JOIN polls p ON p.id = e.item_id
     WHERE e.carrier = ?1 AND e.digits = ?2 AND e.extension = ?3 AND e.item_kind = ?4
       AND e.released_at IS NOT NULL AND e.released_at <= ?5 AND p.closed_at IS NOT NULL";

pub(crate) fn closed_poll_of_extension(
    c: &Connection,
    carrier: &str,
    extension: &str,
    at: Millis,
) -> Result<Option<i64>> {
    let Ok(digits) = i64::try_from(extension.len()) else {
        return Ok(None);
    };
    Ok(c.prepare_cached(CLOSED_HOLDER)?
        .query_row(
            params![carrier, digits, extension, kind_code(ItemKind::Poll), at],
            |r| r.get(0),
        )
        .optional()?)
}

fn replies(c: &Connection, poll_id: i64) -> Result<Vec<PollReplyRow>> {
    Ok(c.prepare_cached(
        "SELECT id, inbox_id, number, contact_name, option_key, text, comment, superseded,
                received_at
         FROM poll_replies WHERE poll_id = ?1 ORDER BY id",
    )?
    .query_map([poll_id], |r| {
        Ok(PollReplyRow {
            id: r.get(0)?,
            inbox_id: r.get(1)?,
            number: r.get(2)?,
            contact_name: r.get(3)?,
            option_key: r.get(4)?,
            text: r.get(5)?,
            comment: r.get(6)?,
            superseded: r.get(7)?,
            received_at: r.get(8)?,
        })
    })?
    .collect::<rusqlite::Result<_>>()?)
}

fn unmatched(c: &Connection, poll_id: i64) -> Result<Vec<(i64, String, String)>> {
    Ok(c.prepare_cached(
        "SELECT inbox_id, number, reason FROM poll_unmatched WHERE poll_id = ?1 ORDER BY id",
    )?
    .query_map([poll_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
    .collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, claim_req, inbound, job};
    use crate::store::{NewContact, NewRecipient, Priority, Subscriptions};

    const Q: Duration = Duration::from_millis(1_000);

    fn spec(accept: Accept, closes_at: Option<Millis>) -> ReplySpec {
        ReplySpec {
            mode: ReplyMode::Poll,
            options: vec![
                PollOption {
                    key: "1".into(),
                    text: "满意".into(),
                },
                PollOption {
                    key: "2".into(),
                    text: "一般".into(),
                },
            ],
            accept,
            closes_at,
        }
    }

    fn new_poll(accept: Accept, closes_at: Option<Millis>) -> PollTarget {
        PollTarget::New(NewPoll {
            spec: spec(accept, closes_at),
            groups: vec!["客户".into()],
        })
    }

    /// A job to one number on each of the three carriers.
    fn three_carriers() -> NewJob {
        let mut j = job(Priority::Bulk, &[]);
        for (number, carrier) in [
            ("13800000001", "cmcc"),
            ("13000000001", "cucc"),
            ("13300000001", "ctcc"),
        ] {
            j.recipients.push(NewRecipient {
                number: number.into(),
                carrier: carrier.into(),
                segments: 1,
                reference: None,
            });
        }
        j
    }

    fn lengths() -> Vec<(String, u8)> {
        ["cmcc", "cucc", "ctcc"]
            .iter()
            .map(|c| ((*c).to_string(), 4))
            .collect()
    }

    fn reply(poll_id: i64, inbox_id: i64, number: &str, option: Option<&str>) -> NewPollReply {
        NewPollReply {
            poll_id,
            inbox_id,
            number: number.into(),
            option_key: option.map(Into::into),
            text: option.unwrap_or("谢谢").into(),
            comment: option.is_none(),
            received_at: 10 + inbox_id,
            link: "cmcc".into(),
        }
    }

    #[test]
    fn a_poll_job_goes_out_from_its_extension_on_each_carrier() {
        let db = TempDb::new("polls-send");
        let mut s = db.open();
        // Someone else holds cmcc's first extension: the poll gets its own.
        s.allocate_extension(
            &ExtensionRequest {
                carrier: "cmcc".into(),
                length: 4,
                item_kind: ItemKind::Reminder,
                item_id: 1,
                recipient: "13900000000".into(),
            },
            1,
            Q,
        )
        .unwrap();
        let (out, poll_id) = s
            .enqueue_with_replies(
                &three_carriers(),
                &new_poll(Accept::First, None),
                &lengths(),
                5,
                Q,
            )
            .unwrap();
        assert!(out.created);
        let view = poll(s.conn(), poll_id).unwrap().unwrap();
        assert_eq!(view.job_id, out.job_id);
        assert_eq!(view.groups, ["客户"]);
        assert_eq!(view.spec, spec(Accept::First, None));
        assert_eq!(
            view.extensions,
            [
                ("cmcc".to_string(), "0001".to_string()),
                ("ctcc".to_string(), "0000".to_string()),
                ("cucc".to_string(), "0000".to_string())
            ]
        );
        assert_eq!(poll_of_job(s.conn(), out.job_id).unwrap(), Some(view));
        for (carrier, ext) in [("cmcc", "0001"), ("cucc", "0000"), ("ctcc", "0000")] {
            let claimed = s.claim(&claim_req(carrier, 10), 6).unwrap();
            assert_eq!(claimed.len(), 1, "{carrier}");
            assert_eq!(claimed[0].source_ext.as_deref(), Some(ext), "{carrier}");
            let holder = s.lookup_extension(carrier, ext, 7).unwrap().unwrap();
            assert_eq!(
                (holder.item_kind, holder.item_id, holder.recipient.as_str()),
                (ItemKind::Poll, poll_id, "")
            );
        }
        // An ordinary job still goes out from its own source extension.
        let mut plain = job(Priority::Bulk, &[("13800000009", 1)]);
        plain.source_ext = Some("77".into());
        s.enqueue(&plain, 8).unwrap();
        let claimed = s.claim(&claim_req("cmcc", 10), 9).unwrap();
        assert_eq!(claimed[0].source_ext.as_deref(), Some("77"));
    }

    #[test]
    fn a_repeated_key_returns_the_first_job_and_poll_and_allocates_nothing_more() {
        let db = TempDb::new("polls-idem");
        let mut s = db.open();
        let mut j = three_carriers();
        j.idempotency_key = Some("k".into());
        let target = new_poll(Accept::First, None);
        let first = s
            .enqueue_with_replies(&j, &target, &lengths(), 5, Q)
            .unwrap();
        let again = s
            .enqueue_with_replies(&j, &target, &lengths(), 6, Q)
            .unwrap();
        assert_eq!(again.0.job_id, first.0.job_id);
        assert!(!again.0.created);
        assert_eq!(again.1, first.1);
        let polls: i64 = s
            .conn()
            .query_row("SELECT count(*) FROM polls", [], |r| r.get(0))
            .unwrap();
        let held: i64 = s
            .conn()
            .query_row("SELECT count(*) FROM extensions", [], |r| r.get(0))
            .unwrap();
        assert_eq!((polls, held), (1, 3));
        // The same key on a job that asked for no replies is a conflict.
        let mut plain = job(Priority::Bulk, &[("13800000009", 1)]);
        plain.idempotency_key = Some("plain".into());
        s.enqueue(&plain, 7).unwrap();
        assert!(matches!(
            s.enqueue_with_replies(&plain, &target, &lengths(), 8, Q),
            Err(StoreError::IdempotencyConflict { .. })
        ));
    }

    #[test]
    fn no_free_extension_refuses_the_send_and_writes_nothing() {
        let db = TempDb::new("polls-exhausted");
        let mut s = db.open();
        // ctcc's 1-digit space is full.
        for i in 0..10 {
            s.allocate_extension(
                &ExtensionRequest {
                    carrier: "ctcc".into(),
                    length: 1,
                    item_kind: ItemKind::Reminder,
                    item_id: i,
                    recipient: "13300000000".into(),
                },
                1,
                Q,
            )
            .unwrap();
        }
        let lengths = vec![("cmcc".to_string(), 1), ("ctcc".to_string(), 1)];
        s.begin().unwrap();
        let err = s
            .enqueue_with_replies(
                &three_carriers(),
                &new_poll(Accept::First, None),
                &lengths,
                5,
                Q,
            )
            .unwrap_err();
        assert!(err.is_refusal(), "{err:?}");
        assert!(
            matches!(&err, StoreError::ExtensionsExhausted { carrier, .. } if carrier == "ctcc")
        );
        // Inside the writer's batch: the refusal left the transaction as it was.
        s.commit().unwrap();
        let count = |sql: &str| -> i64 { s.conn().query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM polls"), 0);
        assert_eq!(count("SELECT count(*) FROM jobs"), 0);
        assert_eq!(count("SELECT count(*) FROM poll_extensions"), 0);
        assert_eq!(
            count("SELECT count(*) FROM extensions WHERE carrier = 'cmcc'"),
            0
        );
    }

    #[test]
    fn accept_first_keeps_the_first_answer_and_last_the_latest() {
        for (accept, counted) in [(Accept::First, "1"), (Accept::Last, "2")] {
            let db = TempDb::new("polls-accept");
            let mut s = db.open();
            let (_, poll_id) = s
                .enqueue_with_replies(&three_carriers(), &new_poll(accept, None), &lengths(), 5, Q)
                .unwrap();
            let a = "13800000001";
            let first = s
                .record_poll_reply(&reply(poll_id, 1, a, Some("1")))
                .unwrap();
            let comment = s.record_poll_reply(&reply(poll_id, 2, a, None)).unwrap();
            let second = s
                .record_poll_reply(&reply(poll_id, 3, a, Some("2")))
                .unwrap();
            assert!(!first.unwrap().superseded);
            assert!(!comment.unwrap().superseded);
            assert_eq!(second.unwrap().superseded, accept == Accept::First);
            // The same inbox message again: stored once.
            assert_eq!(
                s.record_poll_reply(&reply(poll_id, 3, a, Some("2")))
                    .unwrap(),
                None
            );
            let rows = replies(s.conn(), poll_id).unwrap();
            assert_eq!(rows.len(), 3);
            let counting: Vec<&str> = rows
                .iter()
                .filter(|r| !r.superseded && r.option_key.is_some())
                .filter_map(|r| r.option_key.as_deref())
                .collect();
            assert_eq!(counting, [counted], "{accept:?}");
            assert!(rows[1].comment && rows[1].option_key.is_none());
        }
    }

    #[test]
    fn a_reply_carries_the_contact_name_routes_the_inbox_and_tells_the_webhook() {
        let db = TempDb::new("polls-reply");
        let mut s = db.open();
        s.set_webhooks(Subscriptions::only("hook", &[WebhookEvent::ReplyReceived]));
        s.contact_upsert(
            &NewContact {
                phone: "13800000001".into(),
                name: "王芳".into(),
                groups: vec![],
                tags: vec![],
            },
            1,
        )
        .unwrap();
        let (out, poll_id) = s
            .enqueue_with_replies(
                &three_carriers(),
                &new_poll(Accept::First, None),
                &lengths(),
                5,
                Q,
            )
            .unwrap();
        let inbox_id = s
            .inbox_insert(&inbound("13800000001", "106900000", "1", 9))
            .unwrap();
        let got = s
            .record_poll_reply(&reply(poll_id, inbox_id, "13800000001", Some("1")))
            .unwrap()
            .unwrap();
        assert_eq!(got.contact_name.as_deref(), Some("王芳"));
        let other = s
            .inbox_insert(&inbound("13000000001", "106900000", "1", 9))
            .unwrap();
        let nameless = s
            .record_poll_reply(&reply(poll_id, other, "13000000001", Some("1")))
            .unwrap()
            .unwrap();
        assert_eq!(nameless.contact_name, None);
        let (route, item): (String, i64) = s
            .conn()
            .query_row(
                "SELECT route, item_id FROM inbox WHERE id = ?1",
                [inbox_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((route.as_str(), item), ("poll", poll_id));
        let body: String = s
            .conn()
            .query_row(
                "SELECT body FROM webhook_outbox WHERE event = 'reply_received' ORDER BY id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["event"], "reply_received");
        assert_eq!(body["data"]["job_id"], out.job_id);
        assert_eq!(body["data"]["number"], "13800000001");
        assert_eq!(body["data"]["contact_name"], "王芳");
        assert_eq!(body["data"]["option"], "1");
    }

    #[test]
    fn closing_releases_the_extensions_and_names_the_poll_for_late_replies() {
        let db = TempDb::new("polls-close");
        let mut s = db.open();
        let (out, poll_id) = s
            .enqueue_with_replies(
                &three_carriers(),
                &new_poll(Accept::First, Some(1_000)),
                &lengths(),
                5,
                Q,
            )
            .unwrap();
        assert_eq!(next_close(s.conn()).unwrap(), Some(1_000));
        assert_eq!(s.close_due_polls(999).unwrap(), Vec::<i64>::new());
        assert_eq!(s.close_due_polls(1_500).unwrap(), [poll_id]);
        assert_eq!(s.close_due_polls(1_600).unwrap(), Vec::<i64>::new());
        assert_eq!(next_close(s.conn()).unwrap(), None);
        let view = poll(s.conn(), poll_id).unwrap().unwrap();
        // Closed as of its closes_at, not of the pass that noticed.
        assert_eq!(view.closed_at, Some(1_000));
        assert!(view.open_at(999) && !view.open_at(1_000));
        // Live until closes_at, so a reply that arrived before still finds the poll.
        assert!(s.lookup_extension("cmcc", "0000", 999).unwrap().is_some());
        assert!(s.lookup_extension("cmcc", "0000", 1_000).unwrap().is_none());
        assert_eq!(
            closed_poll_of_extension(s.conn(), "cmcc", "0000", 1_200).unwrap(),
            Some(poll_id)
        );
        assert_eq!(
            closed_poll_of_extension(s.conn(), "cmcc", "0000", 999).unwrap(),
            None
        );
        assert_eq!(
            closed_poll_of_extension(s.conn(), "cmcc", "0001", 1_200).unwrap(),
            None
        );
        // After the quarantine another item takes the extension: it is nobody's poll.
        s.allocate_extension(
            &ExtensionRequest {
                carrier: "cmcc".into(),
                length: 4,
                item_kind: ItemKind::Reminder,
                item_id: 1,
                recipient: "13900000000".into(),
            },
            1_000 + 1_000,
            Q,
        )
        .unwrap();
        let _ = out;
        // (The reminder took a never-used one; 0000 is still the closed poll's.)
        assert_eq!(
            closed_poll_of_extension(s.conn(), "cmcc", "0000", 2_500).unwrap(),
            Some(poll_id)
        );
        // Closing by hand again changes nothing; an unknown poll is named.
        assert!(!s.close_poll(poll_id, 3_000).unwrap());
        assert!(matches!(
            s.close_poll(99, 3_000),
            Err(StoreError::NotFound { what: "poll", .. })
        ));
    }

    #[test]
    fn a_resend_shares_the_polls_extension_until_it_closes() {
        let db = TempDb::new("polls-resend");
        let mut s = db.open();
        let (_, poll_id) = s
            .enqueue_with_replies(
                &three_carriers(),
                &new_poll(Accept::First, None),
                &lengths(),
                5,
                Q,
            )
            .unwrap();
        s.claim(&claim_req("cmcc", 10), 6).unwrap();
        let mut again = job(Priority::Bulk, &[("13800000001", 1)]);
        again.text = "还没回复的请回复".into();
        let (out, same) = s
            .enqueue_with_replies(
                &again,
                &PollTarget::Existing(poll_id),
                &lengths()[..1],
                7,
                Q,
            )
            .unwrap();
        assert_eq!(same, poll_id);
        assert_eq!(
            poll_of_job(s.conn(), out.job_id).unwrap().unwrap().id,
            poll_id
        );
        let claimed = s.claim(&claim_req("cmcc", 10), 8).unwrap();
        assert_eq!(claimed[0].source_ext.as_deref(), Some("0000"));
        assert!(has_recipient(s.conn(), poll_id, "13800000001").unwrap());
        assert!(has_recipient(s.conn(), poll_id, "13300000001").unwrap());
        assert!(!has_recipient(s.conn(), poll_id, "13900000000").unwrap());
        s.close_poll(poll_id, 9).unwrap();
        assert!(matches!(
            s.enqueue_with_replies(&again, &PollTarget::Existing(poll_id), &lengths(), 10, Q),
            Err(StoreError::PollClosed { .. })
        ));
    }

    #[test]
    fn an_unmatched_reply_is_kept_once_with_its_reason() {
        let db = TempDb::new("polls-unmatched");
        let mut s = db.open();
        let (_, poll_id) = s
            .enqueue_with_replies(
                &three_carriers(),
                &new_poll(Accept::First, None),
                &lengths(),
                5,
                Q,
            )
            .unwrap();
        let inbox_id = s
            .inbox_insert(&inbound("13900000000", "106900000", "1", 9))
            .unwrap();
        let u = NewPollUnmatched {
            poll_id,
            inbox_id,
            number: "13900000000".into(),
            text: "1".into(),
            reason: PollUnmatched::NotARecipient,
            received_at: 9,
            link: "cmcc".into(),
        };
        assert!(s.record_poll_unmatched(&u).unwrap());
        assert!(!s.record_poll_unmatched(&u).unwrap());
        assert_eq!(
            unmatched(s.conn(), poll_id).unwrap(),
            [(
                inbox_id,
                "13900000000".to_string(),
                "not_a_recipient".to_string()
            )]
        );
        let route: String = s
            .conn()
            .query_row("SELECT route FROM inbox WHERE id = ?1", [inbox_id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(route, "unmatched:not_a_recipient");
    }

    #[test]
    fn the_inbox_job_filter_finds_the_replies_to_a_polls_extension() {
        use crate::store::lists::{InboxFilter, JobReplies, Window, inbox_page};
        let db = TempDb::new("polls-inbox-job");
        let mut s = db.open();
        let (out, poll_id) = s
            .enqueue_with_replies(
                &three_carriers(),
                &new_poll(Accept::First, None),
                &lengths(),
                5,
                Q,
            )
            .unwrap();
        let answer = s
            .inbox_insert(&inbound("13800000001", "1069000000000", "1", 9))
            .unwrap();
        s.record_poll_reply(&reply(poll_id, answer, "13800000001", Some("1")))
            .unwrap();
        let stranger = s
            .inbox_insert(&inbound("13900000000", "1069000000000", "1", 10))
            .unwrap();
        s.record_poll_unmatched(&NewPollUnmatched {
            poll_id,
            inbox_id: stranger,
            number: "13900000000".into(),
            text: "1".into(),
            reason: PollUnmatched::NotARecipient,
            received_at: 10,
            link: "cmcc".into(),
        })
        .unwrap();
        // The same recipient writing to the bare service code is not a reply to the poll.
        s.inbox_insert(&inbound("13800000001", "106900000", "你好", 11))
            .unwrap();
        let filter = InboxFilter {
            job: Some(JobReplies {
                job_id: out.job_id,
                service_codes: vec!["106900000".into()],
            }),
            ..InboxFilter::default()
        };
        let page = inbox_page(
            s.conn(),
            &filter,
            Window {
                before: None,
                limit: 10,
            },
        )
        .unwrap();
        let ids: Vec<i64> = page.items.iter().map(|m| m.id).collect();
        assert_eq!(ids, [stranger, answer]);
    }

    #[test]
    fn the_statements_use_their_indexes() {
        let db = TempDb::new("polls-plans");
        let s = db.open();
        for (sql, index) in [
            (HAS_RECIPIENT, "recipients_number"),
            (CLOSED_HOLDER, "extensions_slot"),
            (DUE, "polls_closing"),
            (HAS_COUNTED_ANSWER, "poll_replies_counted"),
            (SUPERSEDE_COUNTED, "poll_replies_counted"),
        ] {
            let mut stmt = s
                .conn()
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let params = vec![0i64; stmt.parameter_count()];
            let plan = stmt
                .query_map(rusqlite::params_from_iter(params), |r| {
                    r.get::<_, String>(3)
                })
                .unwrap()
                .map(|r| r.unwrap())
                .collect::<Vec<_>>()
                .join(" | ");
            assert!(
                plan.contains(index),
                "{sql}\n  plan: {plan}\n  expected {index}"
            );
            let scans = plan
                .split(" | ")
                .any(|step| step.starts_with("SCAN") && step != "SCAN CONSTANT ROW");
            assert!(!scans, "{sql}\n  plan: {plan}");
        }
    }
}
