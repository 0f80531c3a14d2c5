//! The console's inbox (收件箱): replies unread first, then the read ones, each newest
//! first, with the sender's contact name and what the reply router made of it; filtered
//! by number, text, arrival time and what it answers; paged by a keyset cursor that says
//! which half (unread / read) it is in.
//!
//! The number and time filters go through indexes (`inbox_sender`, `inbox_received`, the
//! `inbox_unread` partial index); text and "what it answers" cannot be indexed, so such
//! a page looks at no more than [`INBOX_SCAN`] messages and, when it stopped early, says
//! where to go on — a page may then hold fewer rows than asked for, and the list ends
//! only when the cursor is `None` (as the job list's state filter does, see `lists.rs`).

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use serde::Serialize;

use super::error::Result;
use super::handle::StoreHandle;
use super::lists::{TimeRange, id_range};
use super::model::InboxMessage;

/// Most messages one page with a text or answer filter looks at.
pub const INBOX_SCAN: usize = 5_000;

/// Where a page of the console inbox starts: in the unread half or the read one, below
/// an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxCursor {
    /// Unread messages with a smaller id (then every read one).
    Unread(i64),
    /// Read messages with a smaller id.
    Read(i64),
}

impl InboxCursor {
    /// The cursor as it travels in a URL: `u123` or `r456`.
    pub fn token(self) -> String {
        match self {
            Self::Unread(id) => format!("u{id}"),
            Self::Read(id) => format!("r{id}"),
        }
    }

    /// A cursor from its [`token`](Self::token); `None` for anything else.
    pub fn parse(token: &str) -> Option<Self> {
        let (half, id) = token.split_at_checked(1)?;
        let id: i64 = id.parse().ok()?;
        match half {
            "u" => Some(Self::Unread(id)),
            "r" => Some(Self::Read(id)),
            _ => None,
        }
    }
}

/// Which messages by their read flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadFilter {
    /// Unread first, then read.
    #[default]
    All,
    /// Only unread.
    Unread,
    /// Only read.
    Read,
}

/// What a reply answered, as a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    /// An approval step (decided, or too late).
    Approval,
    /// A reminder.
    Reminder,
    /// Addressed to an item but not readable as an answer (the sender was asked again).
    Unclear,
    /// It reached no item.
    Unmatched,
    /// The reply router has not looked at it yet.
    Pending,
}

impl AnswerKind {
    /// Every kind, in the order a filter lists them.
    pub const ALL: [Self; 5] = [
        Self::Approval,
        Self::Reminder,
        Self::Unclear,
        Self::Unmatched,
        Self::Pending,
    ];

    /// The name in a URL.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Approval => "approval",
            Self::Reminder => "reminder",
            Self::Unclear => "unclear",
            Self::Unmatched => "unmatched",
            Self::Pending => "pending",
        }
    }

    /// The kind of a URL name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The SQL condition on `inbox.route` (literal: nothing bound).
    const fn condition(self) -> &'static str {
        match self {
            Self::Approval => "route = 'approval_step'",
            Self::Reminder => "route = 'reminder'",
            Self::Unclear => "route = 'unclear'",
            // Every `unmatched:<reason>` label, as a range.
            Self::Unmatched => "route >= 'unmatched:' AND route < 'unmatched;'",
            Self::Pending => "route IS NULL",
        }
    }
}

/// Which messages the console inbox shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboxQuery {
    /// The sender in each spelling a gateway may use (see
    /// [`spellings`](super::lists::spellings)); empty: anyone.
    pub senders: Vec<String>,
    /// Text the message contains (case-insensitive for Latin letters).
    pub text: Option<String>,
    /// When it arrived.
    pub time: TimeRange,
    /// By read flag.
    pub read: ReadFilter,
    /// What it answered.
    pub answered: Option<AnswerKind>,
}

/// What the reply router made of a message, read back from `inbox.route`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Answered {
    /// It answered this step of this approval request.
    Approval {
        /// The step.
        step_id: i64,
        /// Its request, when the step still exists.
        approval_id: Option<i64>,
    },
    /// It answered this reminder.
    Reminder {
        /// The reminder.
        reminder_id: i64,
    },
    /// It was addressed to this item but could not be read as an answer.
    Unclear {
        /// The item.
        item_id: i64,
    },
    /// It reached no item, for this reason (a stable code).
    Unmatched {
        /// `bare_service_code`, `unknown_extension`, `not_the_recipient`, …
        reason: String,
    },
    /// The reply router has not looked at it yet.
    Pending,
    /// Stored before replies were routed.
    BeforeRouting,
    /// Some other route (a newer kind of item), as stored.
    Other {
        /// The stored label.
        label: String,
        /// The item it names.
        item_id: Option<i64>,
    },
}

impl Answered {
    /// Reads a stored route label and item (see
    /// [`InboxRoute::label`](super::InboxRoute::label)).
    pub fn of(route: Option<&str>, item_id: Option<i64>) -> Self {
        match (route, item_id) {
            (None, _) => Self::Pending,
            (Some("approval_step"), Some(step_id)) => Self::Approval {
                step_id,
                approval_id: None,
            },
            (Some("reminder"), Some(reminder_id)) => Self::Reminder { reminder_id },
            (Some("unclear"), Some(item_id)) => Self::Unclear { item_id },
            (Some("before_routing"), _) => Self::BeforeRouting,
            (Some(label), item_id) => match label.strip_prefix("unmatched:") {
                Some(reason) => Self::Unmatched {
                    reason: reason.to_owned(),
                },
                None => Self::Other {
                    label: label.to_owned(),
                    item_id,
                },
            },
        }
    }
}

/// One row of the console inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxRow {
    /// The message.
    pub message: InboxMessage,
    /// The name of the contact with the sender's number, when there is one.
    pub contact: Option<String>,
    /// What it answered.
    pub answered: Answered,
}

/// One page of the console inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxRows {
    /// At most the page's limit.
    pub items: Vec<InboxRow>,
    /// Where the next page starts; `None`: nothing more matches.
    #[serde(skip)]
    pub next: Option<InboxCursor>,
}

/// The console inbox from `cursor` (`None`: the top), at most `limit` rows.
pub(crate) fn inbox_rows(
    c: &Connection,
    q: &InboxQuery,
    cursor: Option<InboxCursor>,
    limit: usize,
) -> Result<InboxRows> {
    let mut phase = match (cursor, q.read) {
        (Some(cur), _) => cur,
        (None, ReadFilter::Read) => InboxCursor::Read(i64::MAX),
        (None, _) => InboxCursor::Unread(i64::MAX),
    };
    let mut items: Vec<InboxMessage> = Vec::new();
    let next = loop {
        let (unread, before) = match phase {
            InboxCursor::Unread(b) => (true, b),
            InboxCursor::Read(b) => (false, b),
        };
        let (found, go_on) = half_page(c, q, unread, before, limit - items.len())?;
        items.extend(found);
        let cursor_at = |id| {
            if unread {
                InboxCursor::Unread(id)
            } else {
                InboxCursor::Read(id)
            }
        };
        if let Some(id) = go_on {
            break Some(cursor_at(id));
        }
        // This half is done: the read half follows the unread one, unless filtered out.
        if unread && q.read == ReadFilter::All {
            phase = InboxCursor::Read(i64::MAX);
            if items.len() == limit {
                break Some(phase);
            }
        } else {
            break None;
        }
    };
    let items = with_names(c, items)?;
    Ok(InboxRows { items, next })
}

/// Up to `limit` messages of one half below `before`; and where to go on in this half
/// (`None`: the half has nothing more).
fn half_page(
    c: &Connection,
    q: &InboxQuery,
    unread: bool,
    before: i64,
    limit: usize,
) -> Result<(Vec<InboxMessage>, Option<i64>)> {
    let Some((lo, hi)) = id_range(c, "inbox", "received_at", q.time, Some(before))? else {
        return Ok((Vec::new(), None));
    };
    // The indexed part: id range, time, read flag, sender.
    let mut indexed = format!(
        "id < ?1 AND id >= ?2 AND received_at >= ?3 AND received_at < ?4 AND read = {}",
        if unread { 0 } else { 1 }
    );
    let mut args: Vec<Value> = vec![
        Value::Integer(hi),
        Value::Integer(lo),
        Value::Integer(q.time.since.unwrap_or(i64::MIN)),
        Value::Integer(q.time.until.unwrap_or(i64::MAX)),
        Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)),
    ];
    if !q.senders.is_empty() {
        args.push(Value::Text(
            serde_json::Value::from(q.senders.clone()).to_string(),
        ));
        indexed.push_str(&format!(
            " AND sender IN (SELECT value FROM json_each(?{}))",
            args.len()
        ));
    }
    let mut rest = String::new();
    if let Some(text) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        args.push(Value::Text(super::contacts::like_anywhere(text)));
        rest.push_str(&format!(" AND text LIKE ?{} ESCAPE '\\'", args.len()));
    }
    if let Some(kind) = q.answered {
        rest.push_str(" AND ");
        rest.push_str(kind.condition());
    }
    let cols = "id, sender, destination, text, coding, received_at, link, item_id, read, route";
    if rest.is_empty() {
        let sql = format!("SELECT {cols} FROM inbox WHERE {indexed} ORDER BY id DESC LIMIT ?5");
        let mut stmt = c.prepare_cached(&sql)?;
        let items = super::inbox::collect_messages(stmt.query(params_from_iter(args))?)?;
        let go_on = (items.len() == limit).then(|| items.last().map(|m| m.id));
        return Ok((items, go_on.flatten()));
    }
    // Filters no index serves: look at no more than INBOX_SCAN candidates.
    let scan_arg = args.len() + 1;
    args.push(Value::Integer(
        i64::try_from(INBOX_SCAN.max(limit)).unwrap_or(i64::MAX),
    ));
    let candidates =
        format!("SELECT id FROM inbox WHERE {indexed} ORDER BY id DESC LIMIT ?{scan_arg}");
    let sql = format!(
        "SELECT {cols} FROM inbox WHERE id IN ({candidates}) {rest} ORDER BY id DESC LIMIT ?5"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let items = super::inbox::collect_messages(stmt.query(params_from_iter(args.iter()))?)?;
    if items.len() == limit {
        let go_on = items.last().map(|m| m.id);
        return Ok((items, go_on));
    }
    // The page is not full: either nothing more matches, or the scan ran out first.
    let (scanned, lowest): (i64, Option<i64>) = c
        .prepare_cached(&format!("SELECT count(*), min(id) FROM ({candidates})"))?
        .query_row(params_from_iter(args.iter()), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let ran_out = usize::try_from(scanned).unwrap_or(0) >= INBOX_SCAN.max(limit);
    Ok((items, lowest.filter(|_| ran_out)))
}

/// The rows with their senders' contact names and their answers (approval steps with
/// their request).
fn with_names(c: &Connection, items: Vec<InboxMessage>) -> Result<Vec<InboxRow>> {
    let numbers: Vec<String> = items
        .iter()
        .filter_map(|m| normalised(&m.message.sender))
        .collect();
    let names = super::contact_pages::contact_names(c, &numbers)?;
    let mut step_of = c.prepare_cached("SELECT approval_id FROM approval_steps WHERE id = ?1")?;
    items
        .into_iter()
        .map(|m| {
            let contact = normalised(&m.message.sender)
                .and_then(|n| names.get(&n).cloned())
                .filter(|n| !n.is_empty());
            let mut answered = Answered::of(m.route.as_deref(), m.message.item_id);
            if let Answered::Approval { step_id, .. } = answered {
                use rusqlite::OptionalExtension;
                let approval_id = step_of.query_row([step_id], |r| r.get(0)).optional()?;
                answered = Answered::Approval {
                    step_id,
                    approval_id,
                };
            }
            Ok(InboxRow {
                message: m,
                contact,
                answered,
            })
        })
        .collect()
}

/// The 11-digit number a sender field names, as contacts store it.
fn normalised(sender: &str) -> Option<String> {
    crate::route::normalize(sender).ok().map(|n| n.to_string())
}

impl StoreHandle {
    /// The console inbox (see [`inbox_view`](self)), on the read connection.
    pub async fn inbox_rows(
        &self,
        query: InboxQuery,
        cursor: Option<InboxCursor>,
        limit: usize,
    ) -> Result<InboxRows> {
        self.read(move |c| inbox_rows(c, &query, cursor, limit.max(1)))
            .await
    }

    /// One inbound message with its contact name and answer, on the read connection.
    pub async fn inbox_row(&self, id: i64) -> Result<Option<InboxRow>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, sender, destination, text, coding, received_at, link, item_id,
                     read, route FROM inbox WHERE id = ?1",
            )?;
            let found = super::inbox::collect_messages(stmt.query([id])?)?;
            Ok(with_names(c, found)?.into_iter().next())
        })
        .await
    }

    /// Every message `query` matches, unread first, at most `max` (an export), on the
    /// read connection.
    pub async fn inbox_export(&self, query: InboxQuery, max: usize) -> Result<Vec<InboxRow>> {
        self.read(move |c| {
            let mut out = Vec::new();
            let mut cursor = None;
            loop {
                let page = inbox_rows(c, &query, cursor, 1_000.min(max - out.len()).max(1))?;
                out.extend(page.items);
                match page.next {
                    Some(next) if out.len() < max => cursor = Some(next),
                    _ => return Ok(out),
                }
            }
        })
        .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, inbound};
    use crate::store::{InboxRoute, NewContact};

    fn ids(rows: &InboxRows) -> Vec<i64> {
        rows.items.iter().map(|r| r.message.id).collect()
    }

    #[test]
    fn unread_come_first_then_read_each_newest_first_across_pages() {
        let db = TempDb::new("inbox-view-order");
        let mut s = db.open();
        let mut id = Vec::new();
        for (i, sender) in ["13800000001", "13800000002", "13800000003", "13800000004"]
            .iter()
            .enumerate()
        {
            id.push(
                s.inbox_insert(&inbound(sender, "10690", "hi", 10 + i as i64))
                    .unwrap(),
            );
        }
        s.inbox_mark_read(id[1]).unwrap();
        s.inbox_mark_read(id[3]).unwrap();
        let q = InboxQuery::default();
        let all = inbox_rows(s.conn(), &q, None, 10).unwrap();
        assert_eq!(ids(&all), [id[2], id[0], id[3], id[1]]);
        assert_eq!(all.next, None);
        // Two at a time: the first page ends the unread half, the second is the read one.
        let first = inbox_rows(s.conn(), &q, None, 2).unwrap();
        assert_eq!(ids(&first), [id[2], id[0]]);
        let second = inbox_rows(s.conn(), &q, first.next, 2).unwrap();
        assert_eq!(ids(&second), [id[3], id[1]]);
        let third = inbox_rows(s.conn(), &q, second.next, 2).unwrap();
        assert!(third.items.is_empty() && third.next.is_none(), "{third:?}");
        // Three at a time: a page spans the two halves.
        let first = inbox_rows(s.conn(), &q, None, 3).unwrap();
        assert_eq!(ids(&first), [id[2], id[0], id[3]]);
        assert_eq!(
            ids(&inbox_rows(s.conn(), &q, first.next, 3).unwrap()),
            [id[1]]
        );
        let unread_only = InboxQuery {
            read: ReadFilter::Unread,
            ..InboxQuery::default()
        };
        assert_eq!(
            ids(&inbox_rows(s.conn(), &unread_only, None, 10).unwrap()),
            [id[2], id[0]]
        );
        let read_only = InboxQuery {
            read: ReadFilter::Read,
            ..InboxQuery::default()
        };
        assert_eq!(
            ids(&inbox_rows(s.conn(), &read_only, None, 10).unwrap()),
            [id[3], id[1]]
        );
        for cur in [InboxCursor::Unread(5), InboxCursor::Read(77)] {
            assert_eq!(InboxCursor::parse(&cur.token()), Some(cur));
        }
        assert_eq!(InboxCursor::parse("x1"), None);
        assert_eq!(InboxCursor::parse(""), None);
    }

    #[test]
    fn rows_carry_the_contact_name_and_what_they_answered() {
        let db = TempDb::new("inbox-view-names");
        let mut s = db.open();
        s.contacts_import(
            &[NewContact {
                phone: "13800000001".into(),
                name: "张三".into(),
                groups: vec![],
                tags: vec![],
            }],
            1,
        )
        .unwrap();
        // The gateway spells the sender with the country code: still 张三.
        let a = s
            .inbox_insert(&inbound("+8613800000001", "10690", "同意", 10))
            .unwrap();
        let b = s
            .inbox_insert(&inbound("13900000002", "10690", "TD", 11))
            .unwrap();
        let c = s
            .inbox_insert(&inbound("13900000003", "106907", "?", 12))
            .unwrap();
        s.inbox_route(b, &InboxRoute::Unmatched("bare_service_code"))
            .unwrap();
        s.inbox_route(c, &InboxRoute::Reminder(7)).unwrap();
        let rows = inbox_rows(s.conn(), &InboxQuery::default(), None, 10).unwrap();
        let by_id = |id| rows.items.iter().find(|r| r.message.id == id).unwrap();
        assert_eq!(by_id(a).contact.as_deref(), Some("张三"));
        assert_eq!(by_id(a).answered, Answered::Pending);
        assert_eq!(by_id(b).contact, None);
        assert_eq!(
            by_id(b).answered,
            Answered::Unmatched {
                reason: "bare_service_code".into()
            }
        );
        assert_eq!(by_id(c).answered, Answered::Reminder { reminder_id: 7 });
        assert_eq!(
            Answered::of(Some("poll_answer"), Some(4)),
            Answered::Other {
                label: "poll_answer".into(),
                item_id: Some(4)
            }
        );
        assert_eq!(
            Answered::of(Some("before_routing"), None),
            Answered::BeforeRouting
        );
    }

    #[test]
    fn filters_by_number_text_time_and_answer() {
        let db = TempDb::new("inbox-view-filters");
        let mut s = db.open();
        let a = s
            .inbox_insert(&inbound("8613800000001", "10690", "同意 OK", 100))
            .unwrap();
        let b = s
            .inbox_insert(&inbound("13800000002", "10690", "不同意", 200))
            .unwrap();
        let c = s
            .inbox_insert(&inbound("13800000001", "10690", "100%", 300))
            .unwrap();
        s.inbox_route(b, &InboxRoute::Unmatched("other_number"))
            .unwrap();
        let f = |q: InboxQuery| ids(&inbox_rows(s.conn(), &q, None, 10).unwrap());
        assert_eq!(
            f(InboxQuery {
                senders: super::super::lists::spellings("13800000001").to_vec(),
                ..InboxQuery::default()
            }),
            [c, a]
        );
        let text = |t: &str| InboxQuery {
            text: Some(t.into()),
            ..InboxQuery::default()
        };
        assert_eq!(f(text("同意")), [b, a]);
        assert_eq!(f(text("ok")), [a], "Latin letters ignore case");
        assert_eq!(f(text("0%")), [c], "a % is the character, not a wildcard");
        assert_eq!(
            f(InboxQuery {
                time: TimeRange {
                    since: Some(150),
                    until: Some(300)
                },
                ..InboxQuery::default()
            }),
            [b]
        );
        let answered = |k| InboxQuery {
            answered: Some(k),
            ..InboxQuery::default()
        };
        assert_eq!(f(answered(AnswerKind::Unmatched)), [b]);
        assert_eq!(f(answered(AnswerKind::Pending)), [c, a]);
        assert!(f(answered(AnswerKind::Approval)).is_empty());
        for k in AnswerKind::ALL {
            assert_eq!(AnswerKind::parse(k.name()), Some(k));
        }
    }

    #[test]
    fn a_text_filter_stops_after_its_scan_and_says_where_to_go_on() {
        let db = TempDb::new("inbox-view-scan");
        let mut s = db.open();
        let needle = s
            .inbox_insert(&inbound("13800000001", "10690", "needle", 1))
            .unwrap();
        for i in 0..INBOX_SCAN {
            s.inbox_insert(&inbound("13800000002", "10690", "hay", 2 + i as i64))
                .unwrap();
        }
        let q = InboxQuery {
            text: Some("needle".into()),
            read: ReadFilter::Unread,
            ..InboxQuery::default()
        };
        let first = inbox_rows(s.conn(), &q, None, 10).unwrap();
        assert!(first.items.is_empty());
        let go_on = first.next.expect("the scan stopped early");
        let second = inbox_rows(s.conn(), &q, Some(go_on), 10).unwrap();
        assert_eq!((ids(&second), second.next), (vec![needle], None));
    }
}
