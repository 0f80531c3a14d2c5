//! Inbound (MO) messages: stored once reassembled, listed, marked read.

use rusqlite::{Connection, OptionalExtension, params};

use super::db::{Store, narrow};
use super::error::{Result, StoreError};
use super::handle::StoreHandle;
use super::model::{InboxMessage, NewInbound};

/// What [`Store::inbox_receive`] did with an MO message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoReceived {
    /// Stored as a new message, with this id.
    Stored(i64),
    /// The gateway sent it again (same DELIVER ids, sender, destination and text): it was stored
    /// before, with this id, and is not stored twice.
    Resent(i64),
}

impl Store {
    /// Stores an inbound message; returns its id.
    pub fn inbox_insert(&mut self, message: &NewInbound) -> Result<i64> {
        self.write(|c, cache| store_inbound(c, cache, message, None))
    }

    /// Stores an MO message that came in DELIVERs with these gateway ids
    /// (`deliver_key`: the ids of its parts, sorted and comma-joined) — unless the same
    /// link stored the same message (sender, destination and text; ids alone are not
    /// unique) under the same ids before: a gateway resends a
    /// DELIVER that was never answered under its first id, which happens when hongyan
    /// stopped between storing a message and answering it.
    pub fn inbox_receive(&mut self, message: &NewInbound, deliver_key: &str) -> Result<MoReceived> {
        self.write(|c, cache| {
            let before: Option<i64> = c
                .prepare_cached(
                    "SELECT id FROM inbox
                     WHERE link = ?1 AND deliver_key = ?2 AND sender = ?3 AND text = ?4
                       AND destination = ?5
                     LIMIT 1",
                )?
                .query_row(
                    params![
                        message.link,
                        deliver_key,
                        message.sender,
                        message.text,
                        message.destination
                    ],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = before {
                return Ok(MoReceived::Resent(id));
            }
            store_inbound(c, cache, message, Some(deliver_key)).map(MoReceived::Stored)
        })
    }

    /// Newest first, at most `limit`; only unread ones with `unread_only`.
    pub fn inbox_list(&self, unread_only: bool, limit: usize) -> Result<Vec<InboxMessage>> {
        inbox_list(self.conn(), unread_only, limit)
    }

    /// Marks a message read (again is fine).
    pub fn inbox_mark_read(&mut self, id: i64) -> Result<()> {
        self.write(|c, _| inbox_mark_read(c, id))
    }

    /// Records what the reply router made of a message that matched nothing, or whose
    /// item was told by other means (a reply to a reminder is recorded by
    /// [`Store::reminder_replied`], to an approval step by [`Store::approval_decide`]).
    pub fn inbox_route(&mut self, id: i64, route: &InboxRoute) -> Result<()> {
        self.write(|c, _| inbox_set_route(c, id, route))
    }
}

impl StoreHandle {
    /// [`Store::inbox_insert`].
    pub async fn inbox_insert(&self, message: NewInbound) -> Result<i64> {
        self.call(move |s| s.inbox_insert(&message)).await
    }

    /// [`Store::inbox_receive`].
    pub async fn inbox_receive(
        &self,
        message: NewInbound,
        deliver_key: String,
    ) -> Result<MoReceived> {
        self.call(move |s| s.inbox_receive(&message, &deliver_key))
            .await
    }

    /// [`Store::inbox_mark_read`].
    pub async fn inbox_mark_read(&self, id: i64) -> Result<()> {
        self.call(move |s| s.inbox_mark_read(id)).await
    }

    /// [`Store::inbox_route`].
    pub async fn inbox_route(&self, id: i64, route: InboxRoute) -> Result<()> {
        self.call(move |s| s.inbox_route(id, &route)).await
    }

    /// Inbound messages the reply router has not looked at, oldest first, on the read
    /// connection.
    pub async fn inbox_unrouted(&self, limit: usize) -> Result<Vec<InboxMessage>> {
        self.read(move |c| super::inbox::inbox_unrouted(c, limit))
            .await
    }

    /// How many inbound messages wait for the reply router, on the read connection.
    pub async fn inbox_backlog(&self) -> Result<u64> {
        self.read(super::inbox::inbox_backlog).await
    }

    /// [`Store::inbox_list`], on the read connection.
    pub async fn inbox_list(&self, unread_only: bool, limit: usize) -> Result<Vec<InboxMessage>> {
        self.read(move |c| super::inbox::inbox_list(c, unread_only, limit))
            .await
    }
}

/// What the reply router made of an inbound message, kept in `inbox.route`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxRoute {
    /// It answered this approval step and the answer was applied (or came too late).
    ApprovalStep(i64),
    /// It answered this reminder.
    Reminder(i64),
    /// It was addressed to an item but could not be read as a decision; the sender was
    /// asked again.
    Unclear(i64),
    /// It was attributed to this poll's recipient (see `polls.rs`).
    Poll(i64),
    /// It reached no item, for this reason (stable code: `bare_service_code`,
    /// `unknown_extension`, `not_the_recipient`, `other_number`).
    Unmatched(&'static str),
    /// It was an opt-out keyword (`TD`, `退订`…) and reached no open item: the sender is
    /// on the opt-out list.
    OptOut,
    /// It was a re-subscribe keyword and reached no open item: the sender is off the
    /// list.
    Resubscribe,
}

impl InboxRoute {
    /// The text stored in `inbox.route`.
    pub fn label(&self) -> String {
        match self {
            Self::ApprovalStep(_) => "approval_step".into(),
            Self::Reminder(_) => "reminder".into(),
            Self::Unclear(_) => "unclear".into(),
            Self::Poll(_) => "poll".into(),
            Self::Unmatched(why) => format!("unmatched:{why}"),
            Self::OptOut => "opt_out".into(),
            Self::Resubscribe => "resubscribe".into(),
        }
    }

    /// The item it reached.
    pub fn item_id(&self) -> Option<i64> {
        match self {
            Self::ApprovalStep(id) | Self::Reminder(id) | Self::Unclear(id) | Self::Poll(id) => {
                Some(*id)
            }
            Self::Unmatched(_) | Self::OptOut | Self::Resubscribe => None,
        }
    }
}

/// Inserts the message and queues its `inbound` webhook event.
fn store_inbound(
    c: &Connection,
    cache: &mut super::db::Cache,
    message: &NewInbound,
    deliver_key: Option<&str>,
) -> Result<i64> {
    let id = inbox_insert(c, message, deliver_key)?;
    if cache.webhooks.wants(super::webhooks::WebhookEvent::Inbound) {
        let data = serde_json::json!({
            "inbox_id": id,
            "sender": message.sender,
            "destination": message.destination,
            "text": message.text,
            "received_at": message.received_at,
            "link": message.link,
        });
        super::webhooks::queue(
            c,
            &cache.webhooks,
            super::webhooks::WebhookEvent::Inbound,
            data,
            message.received_at,
        )?;
    }
    Ok(id)
}

fn inbox_insert(c: &Connection, m: &NewInbound, deliver_key: Option<&str>) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO inbox (sender, destination, text, coding, received_at, link, item_id,
                            deliver_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        m.sender,
        m.destination,
        m.text,
        m.coding,
        m.received_at,
        m.link,
        m.item_id,
        deliver_key
    ])?;
    Ok(c.last_insert_rowid())
}

pub(crate) fn inbox_list(
    c: &Connection,
    unread_only: bool,
    limit: usize,
) -> Result<Vec<InboxMessage>> {
    let sql = if unread_only {
        "SELECT id, sender, destination, text, coding, received_at, link, item_id, read, route
         FROM inbox WHERE read = 0 ORDER BY id DESC LIMIT ?1"
    } else {
        "SELECT id, sender, destination, text, coding, received_at, link, item_id, read, route
         FROM inbox ORDER BY id DESC LIMIT ?1"
    };
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query([i64::try_from(limit).unwrap_or(i64::MAX)])?;
    collect_messages(rows)
}

/// Messages the reply router has not looked at yet, oldest first, at most `limit`.
pub(crate) fn inbox_unrouted(c: &Connection, limit: usize) -> Result<Vec<InboxMessage>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, sender, destination, text, coding, received_at, link, item_id, read, route
         FROM inbox WHERE route IS NULL ORDER BY id LIMIT ?1",
    )?;
    let rows = stmt.query([i64::try_from(limit).unwrap_or(i64::MAX)])?;
    collect_messages(rows)
}

/// Messages the reply router has not looked at yet (its backlog): a walk of the
/// `inbox_unrouted` index, as long as the backlog.
pub(crate) fn inbox_backlog(c: &Connection) -> Result<u64> {
    let n: i64 = c
        .prepare_cached("SELECT count(*) FROM inbox WHERE route IS NULL")?
        .query_row([], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Records what the reply router made of a message (see [`InboxRoute`]).
pub(crate) fn inbox_set_route(c: &Connection, id: i64, route: &InboxRoute) -> Result<()> {
    c.prepare_cached("UPDATE inbox SET route = ?2, item_id = ?3 WHERE id = ?1")?
        .execute(params![id, route.label(), route.item_id()])?;
    Ok(())
}

pub(crate) fn collect_messages(mut rows: rusqlite::Rows<'_>) -> Result<Vec<InboxMessage>> {
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(InboxMessage {
            id: r.get(0)?,
            message: NewInbound {
                sender: r.get(1)?,
                destination: r.get(2)?,
                text: r.get(3)?,
                coding: narrow(r.get(4)?, "inbox.coding")?,
                received_at: r.get(5)?,
                link: r.get(6)?,
                item_id: r.get(7)?,
            },
            read: r.get::<_, i64>(8)? != 0,
            route: r.get(9)?,
        });
    }
    Ok(out)
}

fn inbox_mark_read(c: &Connection, id: i64) -> Result<()> {
    let n = c
        .prepare_cached("UPDATE inbox SET read = 1 WHERE id = ?1")?
        .execute([id])?;
    if n == 0 {
        return Err(StoreError::NotFound {
            what: "inbox message",
            id,
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, inbound};

    fn mo(sender: &str, text: &str, at: i64) -> NewInbound {
        inbound(sender, "10690001234", text, at)
    }

    #[test]
    fn an_mo_sent_again_under_the_same_deliver_ids_is_stored_once() {
        let db = TempDb::new("inbox-resend");
        let mut s = db.open();
        let first = s
            .inbox_receive(&mo("13800000001", "同意", 1), "7,8")
            .unwrap();
        let MoReceived::Stored(id) = first else {
            panic!("first copy not stored: {first:?}");
        };
        // The gateway's resend after a restart: same ids, same sender and text.
        assert_eq!(
            s.inbox_receive(&mo("13800000001", "同意", 5), "7,8")
                .unwrap(),
            MoReceived::Resent(id)
        );
        assert_eq!(s.inbox_list(false, 10).unwrap().len(), 1);
        // Anything that differs is a message of its own: another text or sender under
        // the same ids (a gateway reusing ids), the same ids on another link, other ids.
        let mut other_link = mo("13800000001", "同意", 6);
        other_link.link = "cmpp-2".into();
        let mut other_destination = mo("13800000001", "同意", 6);
        other_destination.destination = "10690009999".into();
        for (m, key) in [
            (mo("13800000001", "不同意", 6), "7,8"),
            (other_destination, "7,8"),
            (mo("13800000002", "同意", 6), "7,8"),
            (other_link, "7,8"),
            (mo("13800000001", "同意", 6), "9"),
        ] {
            assert!(matches!(
                s.inbox_receive(&m, key).unwrap(),
                MoReceived::Stored(_)
            ));
        }
        assert_eq!(s.inbox_list(false, 10).unwrap().len(), 6);
        // Without ids nothing can be recognised: every copy is stored.
        s.inbox_insert(&mo("13800000003", "TD", 7)).unwrap();
        s.inbox_insert(&mo("13800000003", "TD", 7)).unwrap();
        assert_eq!(s.inbox_list(false, 10).unwrap().len(), 8);
    }

    #[test]
    fn inbound_messages_are_stored_listed_and_marked_read() {
        let db = TempDb::new("inbox");
        let mut s = db.open();
        let a = s.inbox_insert(&mo("13800000001", "同意", 10)).unwrap();
        let mut second = mo("13800000002", "不同意", 11);
        second.item_id = Some(42);
        let b = s.inbox_insert(&second).unwrap();
        assert!(b > a);

        let all = s.inbox_list(false, 10).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].id, b, "newest first");
        assert_eq!(all[0].message, second);
        assert!(!all[0].read);
        assert_eq!(all[1].message.text, "同意");
        assert_eq!(s.inbox_list(false, 1).unwrap().len(), 1);

        s.inbox_mark_read(a).unwrap();
        s.inbox_mark_read(a).unwrap();
        let unread = s.inbox_list(true, 10).unwrap();
        assert_eq!(unread.len(), 1);
        assert_eq!(unread[0].id, b);
        assert!(s.inbox_list(false, 10).unwrap()[1].read);
        assert!(matches!(
            s.inbox_mark_read(999),
            Err(StoreError::NotFound {
                what: "inbox message",
                id: 999
            })
        ));
    }
}
