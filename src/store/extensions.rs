//! Extended numbers: which item holds which extension under a carrier's service code.
//!
//! A message that expects a reply (an approval step, a reminder) goes out from service
//! code + an extension of its own, so the reply finds its way back to the item. The rules:
//!
//! * an extension is **unique among the live items of a carrier** (one row per carrier ×
//!   extension, never deleted: see the version 2 notes of [`MIGRATIONS`](super::schema::MIGRATIONS));
//! * a released extension is handed out again only after a **quarantine**, so a late reply
//!   to it does not reach a new item; and then the **least recently released** first,
//!   after every never-used one, so reuse comes as late as the space allows;
//! * when nothing is free, allocation is refused with
//!   [`StoreError::ExtensionsExhausted`], naming the carrier and length;
//! * asking again for the same item and recipient returns the extension it already holds,
//!   so a resent message (or a retried command) keeps its number.
//!
//! Cost per allocation: a few index seeks, whatever the size of the space or the number of
//! live items — the never-used extensions are exactly those above the highest one handed
//! out (they are taken in order), and the oldest reusable one heads the
//! `extensions_reusable` index. Only the exhaustion error counts rows.

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::db::Store;
use super::error::{Result, StoreError};
use super::handle::StoreHandle;
use super::model::{ExtensionHolder, ExtensionRequest, ItemKind, Millis};

/// Longest extension: 10^18 still fits an `i64`/`u64`.
const MAX_LENGTH: u8 = 18;

pub(crate) const HELD_BY_ITEM: &str = "SELECT extension FROM extensions
     WHERE item_kind = ?1 AND item_id = ?2 AND released_at IS NULL
       AND carrier = ?3 AND digits = ?4 AND recipient = ?5";
pub(crate) const HIGHEST: &str = "SELECT extension FROM extensions
     WHERE carrier = ?1 AND digits = ?2 ORDER BY extension DESC LIMIT 1";
pub(crate) const OLDEST_REUSABLE: &str = "SELECT id, extension FROM extensions
     WHERE carrier = ?1 AND digits = ?2 AND released_at IS NOT NULL AND released_at <= ?3
     ORDER BY released_at, id LIMIT 1";
pub(crate) const LOOKUP: &str = "SELECT item_kind, item_id, recipient FROM extensions
     WHERE carrier = ?1 AND digits = ?2 AND extension = ?3
       AND (released_at IS NULL OR released_at > ?4)";
pub(crate) const RELEASE: &str = "UPDATE extensions SET released_at = ?4
     WHERE carrier = ?1 AND digits = ?2 AND extension = ?3 AND released_at IS NULL
     RETURNING item_kind, item_id, recipient";
pub(crate) const RELEASE_ITEM: &str = "UPDATE extensions SET released_at = ?3
     WHERE item_kind = ?1 AND item_id = ?2 AND released_at IS NULL";

impl Store {
    /// Gives the item an extension of `request.length` digits under `request.carrier`:
    /// the one it already holds for that recipient, else a never-used one, else the one
    /// released longest ago provided that was at least `quarantine` before `now`.
    ///
    /// Refused with [`StoreError::ExtensionsExhausted`] when every extension is live or in
    /// quarantine, and [`StoreError::ExtensionLength`] for a length outside 1–18.
    pub fn allocate_extension(
        &mut self,
        request: &ExtensionRequest,
        now: Millis,
        quarantine: Duration,
    ) -> Result<String> {
        self.write(|c, _| allocate(c, request, now, quarantine))
    }

    /// Ends the live holding of `extension`; replies to it from now on are unmatched, and
    /// after the quarantine it may go to another item. Returns who held it, or `None` if
    /// nobody did (released already, or never allocated): releasing twice is harmless.
    ///
    /// Prefer [`release_item_extensions`](Self::release_item_extensions) when closing an
    /// item: it cannot release an extension that has since passed to another item.
    pub fn release_extension(
        &mut self,
        carrier: &str,
        extension: &str,
        now: Millis,
    ) -> Result<Option<ExtensionHolder>> {
        self.write(|c, _| release(c, carrier, extension, now))
    }

    /// Releases every extension the item holds (on any carrier, for any recipient);
    /// returns how many.
    pub fn release_item_extensions(
        &mut self,
        item_kind: ItemKind,
        item_id: i64,
        now: Millis,
    ) -> Result<u64> {
        self.write(|c, _| release_item(c, item_kind, item_id, now))
    }

    /// Who holds `extension` of `carrier` at `now`: live ones only. An extension released
    /// after `now` still counts, so a reply is matched by the time it *arrived* even if it
    /// is handled after the item closed.
    pub fn lookup_extension(
        &self,
        carrier: &str,
        extension: &str,
        now: Millis,
    ) -> Result<Option<ExtensionHolder>> {
        lookup(self.conn(), carrier, extension, now)
    }
}

impl StoreHandle {
    /// [`Store::allocate_extension`].
    pub async fn allocate_extension(
        &self,
        request: ExtensionRequest,
        now: Millis,
        quarantine: std::time::Duration,
    ) -> Result<String> {
        self.call(move |s| s.allocate_extension(&request, now, quarantine))
            .await
    }

    /// [`Store::release_extension`].
    pub async fn release_extension(
        &self,
        carrier: String,
        extension: String,
        now: Millis,
    ) -> Result<Option<ExtensionHolder>> {
        self.call(move |s| s.release_extension(&carrier, &extension, now))
            .await
    }

    /// [`Store::release_item_extensions`].
    pub async fn release_item_extensions(
        &self,
        item_kind: ItemKind,
        item_id: i64,
        now: Millis,
    ) -> Result<u64> {
        self.call(move |s| s.release_item_extensions(item_kind, item_id, now))
            .await
    }

    /// [`Store::lookup_extension`], on the read connection (it sees every allocation and
    /// release that has been acknowledged).
    pub async fn lookup_extension(
        &self,
        carrier: String,
        extension: String,
        now: Millis,
    ) -> Result<Option<ExtensionHolder>> {
        self.read(move |c| super::extensions::lookup(c, &carrier, &extension, now))
            .await
    }
}

pub(crate) fn kind_code(kind: ItemKind) -> i64 {
    match kind {
        ItemKind::ApprovalStep => 1,
        ItemKind::Reminder => 2,
        ItemKind::Poll => 3,
    }
}

fn kind_from_code(code: i64) -> Result<ItemKind> {
    match code {
        1 => Ok(ItemKind::ApprovalStep),
        2 => Ok(ItemKind::Reminder),
        3 => Ok(ItemKind::Poll),
        value => Err(StoreError::Corrupt {
            column: "extensions.item_kind",
            value,
        }),
    }
}

/// Number of extensions of `length` digits.
fn space(length: u8) -> Result<u64> {
    if !(1..=MAX_LENGTH).contains(&length) {
        return Err(StoreError::ExtensionLength(length));
    }
    Ok(10u64.pow(u32::from(length)))
}

/// The `digits` column for a looked-up extension, or `None` if no row can match it.
fn digits_of(extension: &str) -> Option<i64> {
    let n = extension.len();
    let valid =
        (1..=usize::from(MAX_LENGTH)).contains(&n) && extension.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| i64::try_from(n).ok()).flatten()
}

pub(crate) fn allocate(
    c: &Connection,
    req: &ExtensionRequest,
    now: Millis,
    quarantine: Duration,
) -> Result<String> {
    let size = space(req.length)?;
    let digits = i64::from(req.length);
    let kind = kind_code(req.item_kind);
    let held: Option<String> = c
        .prepare_cached(HELD_BY_ITEM)?
        .query_row(
            params![kind, req.item_id, req.carrier, digits, req.recipient],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(extension) = held {
        return Ok(extension);
    }

    let highest: Option<String> = c
        .prepare_cached(HIGHEST)?
        .query_row(params![req.carrier, digits], |r| r.get(0))
        .optional()?;
    let next_unused = match highest {
        None => 0,
        Some(ext) => ext
            .parse::<u64>()
            .map_err(|_| StoreError::Internal("extensions.extension holds a non-number"))?
            .saturating_add(1),
    };
    if next_unused < size {
        let extension = format!("{next_unused:0width$}", width = usize::from(req.length));
        c.prepare_cached(
            "INSERT INTO extensions
                 (carrier, extension, digits, item_kind, item_id, recipient, allocated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            req.carrier,
            extension,
            digits,
            kind,
            req.item_id,
            req.recipient,
            now
        ])?;
        return Ok(extension);
    }

    let quarantine_ms = i64::try_from(quarantine.as_millis()).unwrap_or(i64::MAX);
    let cutoff = now.saturating_sub(quarantine_ms);
    let reusable: Option<(i64, String)> = c
        .prepare_cached(OLDEST_REUSABLE)?
        .query_row(params![req.carrier, digits, cutoff], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((id, extension)) = reusable else {
        return Err(exhausted(c, req, digits, quarantine_ms)?);
    };
    c.prepare_cached(
        "UPDATE extensions
         SET item_kind = ?2, item_id = ?3, recipient = ?4, allocated_at = ?5, released_at = NULL
         WHERE id = ?1",
    )?
    .execute(params![id, kind, req.item_id, req.recipient, now])?;
    Ok(extension)
}

/// The refusal for a full space, with what holds it (counted only on this path).
fn exhausted(
    c: &Connection,
    req: &ExtensionRequest,
    digits: i64,
    quarantine_ms: i64,
) -> Result<StoreError> {
    let (live, quarantined, first_release): (i64, i64, Option<i64>) = c
        .prepare_cached(
            "SELECT coalesce(sum(released_at IS NULL), 0),
                    coalesce(sum(released_at IS NOT NULL), 0),
                    min(released_at)
             FROM extensions WHERE carrier = ?1 AND digits = ?2",
        )?
        .query_row(params![req.carrier, digits], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    Ok(StoreError::ExtensionsExhausted {
        carrier: req.carrier.clone(),
        length: req.length,
        live: u64::try_from(live).unwrap_or(0),
        quarantined: u64::try_from(quarantined).unwrap_or(0),
        next_free_at: first_release.map(|at| at.saturating_add(quarantine_ms)),
    })
}

fn holder(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, i64, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

fn to_holder((kind, item_id, recipient): (i64, i64, String)) -> Result<ExtensionHolder> {
    Ok(ExtensionHolder {
        item_kind: kind_from_code(kind)?,
        item_id,
        recipient,
    })
}

fn release(
    c: &Connection,
    carrier: &str,
    extension: &str,
    now: Millis,
) -> Result<Option<ExtensionHolder>> {
    let Some(digits) = digits_of(extension) else {
        return Ok(None);
    };
    let released = c
        .prepare_cached(RELEASE)?
        .query_row(params![carrier, digits, extension, now], holder)
        .optional()?;
    released.map(to_holder).transpose()
}

pub(crate) fn release_item(
    c: &Connection,
    item_kind: ItemKind,
    item_id: i64,
    now: Millis,
) -> Result<u64> {
    let n = c
        .prepare_cached(RELEASE_ITEM)?
        .execute(params![kind_code(item_kind), item_id, now])?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) fn lookup(
    c: &Connection,
    carrier: &str,
    extension: &str,
    now: Millis,
) -> Result<Option<ExtensionHolder>> {
    let Some(digits) = digits_of(extension) else {
        return Ok(None);
    };
    let found = c
        .prepare_cached(LOOKUP)?
        .query_row(params![carrier, digits, extension, now], holder)
        .optional()?;
    found.map(to_holder).transpose()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::TempDb;
    use std::collections::HashSet;

    const Q: Duration = Duration::from_millis(1_000);

    fn req(carrier: &str, length: u8, item_id: i64) -> ExtensionRequest {
        ExtensionRequest {
            carrier: carrier.into(),
            length,
            item_kind: ItemKind::ApprovalStep,
            item_id,
            recipient: format!("1380000{item_id:04}"),
        }
    }

    fn held(item_id: i64) -> ExtensionHolder {
        ExtensionHolder {
            item_kind: ItemKind::ApprovalStep,
            item_id,
            recipient: format!("1380000{item_id:04}"),
        }
    }

    /// Fills the whole 1-digit space of `carrier` with items 0..10 at time 0.
    fn fill_one_digit(s: &mut Store, carrier: &str) -> Vec<String> {
        (0..10)
            .map(|i| s.allocate_extension(&req(carrier, 1, i), 0, Q).unwrap())
            .collect()
    }

    #[test]
    fn extensions_are_unique_among_live_items_and_fixed_length() {
        let db = TempDb::new("ext-unique");
        let mut s = db.open();
        let mut seen = HashSet::new();
        for i in 0..200 {
            let ext = s.allocate_extension(&req("cmcc", 4, i), 1, Q).unwrap();
            assert_eq!(ext.len(), 4, "{ext}");
            assert!(ext.bytes().all(|b| b.is_ascii_digit()), "{ext}");
            assert!(seen.insert(ext.clone()), "{ext} handed out twice");
            assert_eq!(s.lookup_extension("cmcc", &ext, 2).unwrap(), Some(held(i)));
        }
        assert!(
            seen.contains("0000") && seen.contains("0199"),
            "taken in order"
        );
    }

    #[test]
    fn asking_again_for_the_same_item_and_recipient_returns_its_extension() {
        let db = TempDb::new("ext-again");
        let mut s = db.open();
        let a = s.allocate_extension(&req("cmcc", 4, 1), 1, Q).unwrap();
        assert_eq!(s.allocate_extension(&req("cmcc", 4, 1), 2, Q).unwrap(), a);
        // Another recipient of the same item, or another kind, is another holder.
        let mut other = req("cmcc", 4, 1);
        other.recipient = "13900000000".into();
        let b = s.allocate_extension(&other, 3, Q).unwrap();
        assert_ne!(a, b);
        let mut reminder = req("cmcc", 4, 1);
        reminder.item_kind = ItemKind::Reminder;
        let c = s.allocate_extension(&reminder, 4, Q).unwrap();
        assert!(c != a && c != b);
        assert_eq!(
            s.lookup_extension("cmcc", &c, 5)
                .unwrap()
                .unwrap()
                .item_kind,
            ItemKind::Reminder
        );
    }

    #[test]
    fn a_released_extension_is_not_reused_before_its_quarantine_ends() {
        let db = TempDb::new("ext-quarantine");
        let mut s = db.open();
        let exts = fill_one_digit(&mut s, "cmcc");
        assert_eq!(
            s.release_extension("cmcc", &exts[3], 100).unwrap(),
            Some(held(3))
        );
        // 999 ms after the release: still in quarantine, and nothing else is free.
        let err = s
            .allocate_extension(&req("cmcc", 1, 20), 1_099, Q)
            .unwrap_err();
        assert!(
            matches!(
                &err,
                StoreError::ExtensionsExhausted {
                    live: 9,
                    quarantined: 1,
                    next_free_at: Some(1_100),
                    ..
                }
            ),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("9 held by open items, 1 in quarantine"),
            "{text}"
        );
        assert!(text.contains("leaves quarantine at 1100"), "{text}");
        // At exactly the quarantine's end it may go to the new item.
        let again = s.allocate_extension(&req("cmcc", 1, 20), 1_100, Q).unwrap();
        assert_eq!(again, exts[3]);
        assert_eq!(
            s.lookup_extension("cmcc", &again, 1_101).unwrap(),
            Some(held(20))
        );
    }

    #[test]
    fn never_used_extensions_come_first_then_the_least_recently_released() {
        let db = TempDb::new("ext-order");
        let mut s = db.open();
        let first = s.allocate_extension(&req("cmcc", 1, 0), 0, Q).unwrap();
        s.release_extension("cmcc", &first, 1).unwrap();
        // Long past its quarantine, the released "0" still waits behind "1".."9".
        let mut next = Vec::new();
        for i in 1..10 {
            next.push(s.allocate_extension(&req("cmcc", 1, i), 10_000, Q).unwrap());
        }
        assert_eq!(next, ["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
        s.release_extension("cmcc", "7", 20).unwrap();
        s.release_extension("cmcc", "4", 30).unwrap();
        let picks: Vec<String> = (20..23)
            .map(|i| s.allocate_extension(&req("cmcc", 1, i), 10_000, Q).unwrap())
            .collect();
        assert_eq!(picks, ["0", "7", "4"], "oldest release first");
    }

    #[test]
    fn exhausting_the_space_names_the_carrier_and_length() {
        let db = TempDb::new("ext-exhausted");
        let mut s = db.open();
        let exts = fill_one_digit(&mut s, "ctcc");
        let mut sorted = exts.clone();
        sorted.sort();
        assert_eq!(sorted, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
        let err = s.allocate_extension(&req("ctcc", 1, 10), 5, Q).unwrap_err();
        assert!(err.is_refusal());
        match &err {
            StoreError::ExtensionsExhausted {
                carrier,
                length,
                live,
                quarantined,
                next_free_at,
            } => {
                assert_eq!(carrier, "ctcc");
                assert_eq!(*length, 1);
                assert_eq!((*live, *quarantined, *next_free_at), (10, 0, None));
            }
            other => panic!("unexpected {other:?}"),
        }
        let text = err.to_string();
        assert!(
            text.contains("carrier ctcc") && text.contains("1-digit"),
            "{text}"
        );
        assert!(text.contains("10 held by open items"), "{text}");
        // Nothing was written: the live ones are untouched.
        for (i, ext) in exts.iter().enumerate() {
            let i = i64::try_from(i).unwrap();
            assert_eq!(s.lookup_extension("ctcc", ext, 6).unwrap(), Some(held(i)));
        }
    }

    #[test]
    fn lookup_finds_live_holders_only() {
        let db = TempDb::new("ext-lookup");
        let mut s = db.open();
        let ext = s.allocate_extension(&req("cmcc", 4, 7), 10, Q).unwrap();
        assert_eq!(s.lookup_extension("cmcc", &ext, 11).unwrap(), Some(held(7)));
        assert_eq!(
            s.release_extension("cmcc", &ext, 20).unwrap(),
            Some(held(7))
        );
        assert_eq!(s.lookup_extension("cmcc", &ext, 21).unwrap(), None);
        // A reply that arrived before the release still finds the item.
        assert_eq!(s.lookup_extension("cmcc", &ext, 19).unwrap(), Some(held(7)));
        // Releasing again changes nothing.
        assert_eq!(s.release_extension("cmcc", &ext, 30).unwrap(), None);
        assert_eq!(s.lookup_extension("cmcc", &ext, 25).unwrap(), None);
        // Never allocated, other lengths, and non-numbers are nobody's.
        for other in [
            "0001",
            "000",
            "00000",
            "",
            "00a0",
            "１２３４",
            "0000000000000000000",
        ] {
            assert_eq!(
                s.lookup_extension("cmcc", other, 11).unwrap(),
                None,
                "{other}"
            );
            assert_eq!(
                s.release_extension("cmcc", other, 11).unwrap(),
                None,
                "{other}"
            );
        }
    }

    #[test]
    fn releasing_an_item_frees_what_it_holds_and_nothing_else() {
        let db = TempDb::new("ext-release-item");
        let mut s = db.open();
        let a = s.allocate_extension(&req("cmcc", 4, 1), 1, Q).unwrap();
        let mut other_carrier = req("cucc", 4, 1);
        other_carrier.recipient = "13100000000".into();
        let b = s.allocate_extension(&other_carrier, 1, Q).unwrap();
        let c = s.allocate_extension(&req("cmcc", 4, 2), 1, Q).unwrap();
        let mut reminder_1 = req("cmcc", 4, 1);
        reminder_1.item_kind = ItemKind::Reminder;
        let d = s.allocate_extension(&reminder_1, 1, Q).unwrap();

        assert_eq!(
            s.release_item_extensions(ItemKind::ApprovalStep, 1, 5)
                .unwrap(),
            2
        );
        assert_eq!(s.lookup_extension("cmcc", &a, 6).unwrap(), None);
        assert_eq!(s.lookup_extension("cucc", &b, 6).unwrap(), None);
        assert_eq!(s.lookup_extension("cmcc", &c, 6).unwrap(), Some(held(2)));
        assert!(s.lookup_extension("cmcc", &d, 6).unwrap().is_some());
        assert_eq!(
            s.release_item_extensions(ItemKind::ApprovalStep, 1, 7)
                .unwrap(),
            0
        );
    }

    #[test]
    fn carriers_and_lengths_are_independent_spaces() {
        let db = TempDb::new("ext-carriers");
        let mut s = db.open();
        fill_one_digit(&mut s, "cmcc");
        // cmcc's 1-digit space is full; cucc's and cmcc's 2-digit ones are not.
        assert!(matches!(
            s.allocate_extension(&req("cmcc", 1, 50), 1, Q),
            Err(StoreError::ExtensionsExhausted { .. })
        ));
        assert_eq!(
            s.allocate_extension(&req("cucc", 1, 50), 1, Q).unwrap(),
            "0"
        );
        assert_eq!(
            s.allocate_extension(&req("cmcc", 2, 51), 1, Q).unwrap(),
            "00"
        );
        assert_eq!(s.lookup_extension("cucc", "0", 2).unwrap(), Some(held(50)));
        assert_eq!(s.lookup_extension("cmcc", "0", 2).unwrap(), Some(held(0)));
        assert_eq!(s.lookup_extension("cmcc", "00", 2).unwrap(), Some(held(51)));
        assert_eq!(s.lookup_extension("ctcc", "0", 2).unwrap(), None);
        // Releasing on one carrier leaves the other's holder alone.
        s.release_extension("cucc", "0", 3).unwrap();
        assert_eq!(s.lookup_extension("cmcc", "0", 4).unwrap(), Some(held(0)));
    }

    #[test]
    fn lengths_outside_the_representable_range_are_refused() {
        let db = TempDb::new("ext-length");
        let mut s = db.open();
        for length in [0, 19, 255] {
            let err = s
                .allocate_extension(&req("cmcc", length, 1), 1, Q)
                .unwrap_err();
            assert!(matches!(err, StoreError::ExtensionLength(l) if l == length));
            assert!(err.is_refusal());
        }
        let ext = s.allocate_extension(&req("cmcc", 18, 1), 1, Q).unwrap();
        assert_eq!(ext, "000000000000000000");
        assert_eq!(s.lookup_extension("cmcc", &ext, 2).unwrap(), Some(held(1)));
    }

    #[test]
    fn a_four_digit_space_fills_completely_and_reuses_in_release_order() {
        let db = TempDb::new("ext-10k");
        let mut s = db.open();
        s.begin().unwrap();
        let mut seen = HashSet::new();
        for i in 0..10_000 {
            assert!(seen.insert(s.allocate_extension(&req("cmcc", 4, i), 1, Q).unwrap()));
        }
        assert!(matches!(
            s.allocate_extension(&req("cmcc", 4, 10_000), 2, Q),
            Err(StoreError::ExtensionsExhausted { live: 10_000, .. })
        ));
        // Release every 7th, newest number first; reuse follows release time.
        let released: Vec<String> = (0..10_000)
            .rev()
            .step_by(7)
            .map(|n| format!("{n:04}"))
            .collect();
        for (t, ext) in released.iter().enumerate() {
            let t = i64::try_from(t).unwrap();
            assert!(s.release_extension("cmcc", ext, 10 + t).unwrap().is_some());
        }
        let now = 1_000_000;
        for (k, ext) in released.iter().enumerate() {
            let k = i64::try_from(k).unwrap();
            assert_eq!(
                &s.allocate_extension(&req("cmcc", 4, 20_000 + k), now, Q)
                    .unwrap(),
                ext
            );
        }
        assert!(
            s.allocate_extension(&req("cmcc", 4, 30_000), now, Q)
                .is_err()
        );
        s.commit().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_allocations_through_the_handle_share_batches_and_stay_unique() {
        let db = TempDb::new("ext-handle");
        let h = db.handle();
        let mut tasks = tokio::task::JoinSet::new();
        // 12 callers for a 10-extension space: batched together, exactly 10 succeed and
        // the 2 refusals do not fail their batch neighbours.
        for i in 0..12 {
            let h = h.clone();
            tasks.spawn(async move { (i, h.allocate_extension(req("cmcc", 1, i), 1, Q).await) });
        }
        let mut got = Vec::new();
        let mut refused = 0;
        while let Some(joined) = tasks.join_next().await {
            match joined.unwrap() {
                (i, Ok(ext)) => got.push((i, ext)),
                (
                    _,
                    Err(StoreError::ExtensionsExhausted {
                        carrier, length: 1, ..
                    }),
                ) => {
                    assert_eq!(carrier, "cmcc");
                    refused += 1;
                }
                (_, Err(e)) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!((got.len(), refused), (10, 2));
        let distinct: HashSet<&String> = got.iter().map(|(_, e)| e).collect();
        assert_eq!(distinct.len(), 10);
        for (i, ext) in &got {
            let found = h
                .lookup_extension("cmcc".into(), ext.clone(), 2)
                .await
                .unwrap();
            assert_eq!(found, Some(held(*i)));
        }
        let (i, ext) = got[0].clone();
        assert_eq!(
            h.release_extension("cmcc".into(), ext.clone(), 3)
                .await
                .unwrap(),
            Some(held(i))
        );
        assert_eq!(
            h.lookup_extension("cmcc".into(), ext.clone(), 4)
                .await
                .unwrap(),
            None
        );
        let (j, _) = got[1].clone();
        assert_eq!(
            h.release_item_extensions(ItemKind::ApprovalStep, j, 5)
                .await
                .unwrap(),
            1
        );
        // After the quarantine the first released comes back.
        assert_eq!(
            h.allocate_extension(req("cmcc", 1, 99), 3 + 1_000, Q)
                .await
                .unwrap(),
            ext
        );
        h.close().await.unwrap();
    }

    #[test]
    fn the_statements_use_their_indexes() {
        let db = TempDb::new("ext-plans");
        let s = db.open();
        for (sql, index) in [
            (HELD_BY_ITEM, "extensions_item"),
            (HIGHEST, "extensions_slot"),
            (OLDEST_REUSABLE, "extensions_reusable"),
            (LOOKUP, "extensions_slot"),
            (RELEASE, "extensions_slot"),
            (RELEASE_ITEM, "extensions_item"),
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
            assert!(!plan.contains("SCAN"), "{sql}\n  plan: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{sql}\n  plan: {plan}");
        }
    }
}
