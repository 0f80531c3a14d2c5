//! The on-the-wire journal: which claimed segments may have reached a carrier.
//!
//! The dispatcher claims a few windows of segments ahead of the links, so at any moment
//! most `in_flight` segments are still waiting inside the process (for the rate limiter,
//! a window slot or the socket). After a crash only those whose SUBMIT may have been
//! written must be treated as possibly delivered; the rest are simply queued again.
//!
//! Knowing that durably must not cost an SQLite commit per segment. It does not need to:
//! a process killed with `kill -9` loses its memory but not what it already handed to the
//! kernel, and a `pwrite` into a file is in the kernel's page cache the moment it returns.
//! So right before a link writes SUBMIT bytes to its socket ([`WriteHook`]), the segment
//! ids go into slots of a small file here — one `pwrite` per burst of neighbouring slots,
//! no `fsync`. A power cut or kernel crash, unlike a kill, can lose unsynced pages — of
//! the journal, and of the store — in any mix, so the journal cannot be trusted after
//! one: its header records the kernel's boot id, and a journal from another boot (or
//! where no boot id can be read) tells nothing, which makes recovery take every
//! in-flight segment as possibly written, as it did before there was a journal.
//!
//! A slot is taken when its segment is first written and freed only once the store has
//! committed what became of the segment (submitted, failed, unconfirmed, requeued), so a
//! segment still `in_flight` in the store always still has its slot. Freed slots are
//! reused, never cleared: an id left in a freed slot names a segment whose fate is
//! committed; were it claimed again in the same run, recovery would take it as possibly
//! written — a stale entry only ever makes recovery more cautious. Each start begins a
//! fresh journal once recovery has committed. The file has as many slots as were ever
//! taken at once: a few windows' worth.
//!
//! Layout: a 64-byte header — [`MAGIC`], then the boot id in ASCII, zero-padded — then
//! 8-byte little-endian segment ids; 0 is an empty slot. A file that is missing, too
//! short, has another header or another boot's id cannot tell anything, and recovery
//! takes every in-flight segment as possibly written.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::link::WriteHook;
use crate::store::SegmentId;

/// The journal's file name in the data directory.
pub const FILE_NAME: &str = "on-the-wire.journal";

/// The first 16 bytes of a journal.
pub const MAGIC: &[u8; 16] = b"hongyan-wire\x00\x00\x00\x01";

/// Bytes per slot.
const SLOT: u64 = 8;

/// Bytes of the header: [`MAGIC`] and the boot id field.
const HEADER: usize = 64;

/// Where the kernel tells the id of the current boot (a random UUID per boot).
const BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";

/// The current boot's id, if the system tells it.
fn boot_id() -> Option<String> {
    let id = std::fs::read_to_string(BOOT_ID).ok()?;
    let id = id.trim();
    (!id.is_empty() && id.len() <= HEADER - MAGIC.len()).then(|| id.to_owned())
}

/// The header of a journal written during boot `boot`.
fn header(boot: &str) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[..MAGIC.len()].copy_from_slice(MAGIC);
    let id = boot.as_bytes();
    let n = id.len().min(HEADER - MAGIC.len());
    h[MAGIC.len()..MAGIC.len() + n].copy_from_slice(&id[..n]);
    h
}

/// Slots a fresh journal starts with; it doubles when they are all taken.
const INITIAL_SLOTS: u64 = 1024;

/// Reads the segment ids a journal holds: those that may have been written by the process
/// that wrote it. `None` when the file cannot tell (missing, unreadable, not a journal):
/// every in-flight segment must then be taken as possibly written.
pub fn read_written(path: &Path) -> Option<HashSet<SegmentId>> {
    let mut bytes = Vec::new();
    match File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read the on-the-wire journal; every segment in flight is taken as sent");
            return None;
        }
    }
    let Some(boot) = boot_id() else {
        tracing::warn!(
            "the system does not tell its boot id, so a crash of the machine cannot be told from a crash of hongyan; every segment in flight is taken as sent"
        );
        return None;
    };
    let written = parse(&bytes, &boot);
    if written.is_none() {
        tracing::warn!(path = %path.display(), "the on-the-wire journal is not whole or is from before a reboot; every segment in flight is taken as sent");
    }
    written
}

/// The ids in a journal's bytes written during boot `boot`; `None` when they are not a
/// journal, or one from another boot.
pub(crate) fn parse(bytes: &[u8], boot: &str) -> Option<HashSet<SegmentId>> {
    let slots = bytes.strip_prefix(header(boot).as_slice())?;
    let mut ids = HashSet::new();
    for slot in slots.chunks(SLOT as usize) {
        // Slots are written whole; a short tail is not a journal this code wrote.
        let raw: [u8; SLOT as usize] = slot.try_into().ok()?;
        let id = i64::from_le_bytes(raw);
        if id != 0 {
            ids.insert(id);
        }
    }
    Some(ids)
}

/// The journal of a running daemon, shared by its links (they record) and their
/// dispatchers (they free a segment's slot once its fate is committed).
#[derive(Debug)]
pub struct WireJournal {
    path: PathBuf,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `None` once a write failed (the file was emptied so the next start is cautious).
    file: Option<File>,
    /// Segment → its slot.
    slots: HashMap<SegmentId, u64>,
    /// Free slots, lowest last (taken first).
    free: Vec<u64>,
    capacity: u64,
    /// Scratch: (slot, id) of one burst.
    burst: Vec<(u64, SegmentId)>,
    bytes: Vec<u8>,
}

impl WireJournal {
    /// Starts a fresh, empty journal at `path` (whatever was there was read by recovery
    /// already).
    ///
    /// # Errors
    /// The file cannot be created or written.
    pub fn create(path: &Path) -> io::Result<Self> {
        // Owner-only, like the database beside it, whatever the umask.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        // Without a boot id the header matches no boot, and recovery stays cautious.
        file.write_all(&header(&boot_id().unwrap_or_default()))?;
        file.set_len(slot_offset(INITIAL_SLOTS))?;
        Ok(Self {
            path: path.to_path_buf(),
            inner: Mutex::new(Inner {
                file: Some(file),
                slots: HashMap::new(),
                free: (0..INITIAL_SLOTS).rev().collect(),
                capacity: INITIAL_SLOTS,
                burst: Vec::new(),
                bytes: Vec::new(),
            }),
        })
    }

    /// The journal's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Frees the slots of segments whose fate the store has committed.
    pub fn release(&self, ids: &[SegmentId]) {
        let mut inner = self.lock();
        for id in ids {
            if let Some(slot) = inner.slots.remove(id) {
                inner.free.push(slot);
            }
        }
    }

    /// Segments holding a slot now: written (or about to be) and their fate not yet
    /// committed.
    pub fn holds(&self, id: SegmentId) -> bool {
        self.lock().slots.contains_key(&id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn slot_offset(slot: u64) -> u64 {
    HEADER as u64 + slot * SLOT
}

impl Inner {
    fn take_slot(&mut self) -> io::Result<u64> {
        if let Some(slot) = self.free.pop() {
            return Ok(slot);
        }
        let grown = self.capacity * 2;
        if let Some(file) = &self.file {
            file.set_len(slot_offset(grown))?;
        }
        self.free.extend((self.capacity + 1..grown).rev());
        let slot = self.capacity;
        self.capacity = grown;
        Ok(slot)
    }

    /// Records the ids that have no slot yet; one `pwrite` per run of neighbouring slots.
    fn record(&mut self, ids: impl Iterator<Item = SegmentId>) -> io::Result<()> {
        self.burst.clear();
        for id in ids {
            if id == 0 || self.slots.contains_key(&id) {
                continue;
            }
            let slot = self.take_slot()?;
            self.slots.insert(id, slot);
            self.burst.push((slot, id));
        }
        if self.burst.is_empty() {
            return Ok(());
        }
        let Some(file) = &self.file else {
            return Ok(());
        };
        self.burst.sort_unstable();
        let mut i = 0;
        while i < self.burst.len() {
            let first = self.burst[i].0;
            self.bytes.clear();
            let mut j = i;
            while j < self.burst.len() && self.burst[j].0 == first + (j - i) as u64 {
                self.bytes.extend_from_slice(&self.burst[j].1.to_le_bytes());
                j += 1;
            }
            file.write_all_at(&self.bytes, slot_offset(first))?;
            i = j;
        }
        Ok(())
    }
}

impl Inner {
    /// Takes back the record of segments that were not written after all: their slots
    /// are zeroed (not just freed, as [`WireJournal::release`] does: a stale id there
    /// would make recovery take a segment that never left as sent) and reused.
    fn clear(&mut self, ids: impl Iterator<Item = SegmentId>) -> io::Result<()> {
        for id in ids {
            let Some(slot) = self.slots.remove(&id) else {
                continue;
            };
            self.free.push(slot);
            if let Some(file) = &self.file {
                file.write_all_at(&0i64.to_le_bytes(), slot_offset(slot))?;
            }
        }
        Ok(())
    }
}

impl WriteHook for WireJournal {
    fn writing(&self, tags: &[u64]) {
        let mut inner = self.lock();
        if inner.file.is_none() {
            return;
        }
        let ids = tags.iter().filter_map(|&t| SegmentId::try_from(t).ok());
        if let Err(e) = inner.record(ids) {
            self.give_up(&mut inner, &e);
        }
    }

    fn unwritten(&self, tags: &[u64]) {
        let mut inner = self.lock();
        if inner.file.is_none() {
            return;
        }
        let ids = tags.iter().filter_map(|&t| SegmentId::try_from(t).ok());
        if let Err(e) = inner.clear(ids) {
            self.give_up(&mut inner, &e);
        }
    }
}

impl WireJournal {
    /// Cannot record any more: empties the file, so the next start cannot mistake it for
    /// a complete record and takes every in-flight segment as sent.
    fn give_up(&self, inner: &mut Inner, e: &io::Error) {
        tracing::error!(path = %self.path.display(), error = %e, "cannot write the on-the-wire journal; after a crash every segment in flight will be taken as sent");
        if let Some(file) = inner.file.take() {
            if let Err(e) = file.set_len(0) {
                tracing::error!(path = %self.path.display(), error = %e, "cannot empty the on-the-wire journal either; remove it before the next start");
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::TempDb;

    /// A temporary path, removed with its `TempDb` (which removes `<db>-journal`).
    fn path(name: &str) -> (TempDb, PathBuf) {
        let db = TempDb::new(name);
        let p = PathBuf::from(format!("{}-journal", db.path().display()));
        (db, p)
    }

    #[test]
    fn what_was_recorded_is_read_back_and_released_slots_are_reused() {
        let (_db, p) = path("journal-roundtrip");
        let j = WireJournal::create(&p).unwrap();
        assert_eq!(read_written(&p), Some(HashSet::new()), "fresh: empty");
        j.writing(&[5, 6, 7, 0]);
        // A resend of a part already recorded changes nothing.
        j.writing(&[6]);
        assert_eq!(read_written(&p), Some(HashSet::from([5, 6, 7])));
        assert!(j.holds(6));
        j.release(&[5, 6]);
        assert!(!j.holds(6));
        // Freed slots are reused (not cleared): the file does not grow.
        j.writing(&[8, 9]);
        let ids = read_written(&p).unwrap();
        assert_eq!(ids, HashSet::from([7, 8, 9]));
        assert_eq!(
            std::fs::metadata(&p).unwrap().len(),
            slot_offset(INITIAL_SLOTS)
        );
    }

    #[test]
    fn a_segment_not_written_after_all_is_taken_back() {
        let (_db, p) = path("journal-unwritten");
        let j = WireJournal::create(&p).unwrap();
        j.writing(&[5, 6, 7]);
        // 6 and 7 stayed in the process (the socket was full): a crash cannot have sent
        // them, so the file must not name them; an unknown tag changes nothing.
        j.unwritten(&[6, 7, 99]);
        assert_eq!(read_written(&p), Some(HashSet::from([5])));
        assert!(!j.holds(6));
        // Recorded again before their bytes go; the zeroed slots are reused.
        j.writing(&[6, 7]);
        assert_eq!(read_written(&p), Some(HashSet::from([5, 6, 7])));
        assert_eq!(
            std::fs::metadata(&p).unwrap().len(),
            slot_offset(INITIAL_SLOTS)
        );
    }

    #[test]
    fn the_journal_is_private_to_the_owner() {
        let (_db, p) = path("journal-mode");
        // Left by an older build with a looser mode: made private again.
        std::fs::write(&p, b"").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _j = WireJournal::create(&p).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_full_journal_grows() {
        let (_db, p) = path("journal-grow");
        let j = WireJournal::create(&p).unwrap();
        let many: Vec<u64> = (1..=INITIAL_SLOTS + 3).collect();
        j.writing(&many);
        let ids = read_written(&p).unwrap();
        assert_eq!(ids.len() as u64, INITIAL_SLOTS + 3);
        assert_eq!(
            std::fs::metadata(&p).unwrap().len(),
            slot_offset(INITIAL_SLOTS * 2)
        );
    }

    #[test]
    fn anything_but_a_whole_journal_tells_nothing() {
        let (_db, p) = path("journal-invalid");
        assert_eq!(read_written(&p), None, "missing");
        std::fs::write(&p, b"").unwrap();
        assert_eq!(read_written(&p), None, "emptied after a write failed");
        std::fs::write(&p, b"not a journal at all, just text").unwrap();
        assert_eq!(read_written(&p), None, "another file");
        let boot = "3f1c2a9e-0000-4000-8000-000000000001";
        let mut torn = header(boot).to_vec();
        torn.extend_from_slice(&[1, 0, 0]);
        assert_eq!(parse(&torn, boot), None, "a short slot");
        let mut whole = header(boot).to_vec();
        whole.extend_from_slice(&42i64.to_le_bytes());
        whole.extend_from_slice(&0i64.to_le_bytes());
        assert_eq!(parse(&whole, boot), Some(HashSet::from([42])));
        // Written before a reboot: a power cut may have lost any of its pages.
        assert_eq!(parse(&whole, "another-boot"), None, "another boot");
    }

    #[test]
    fn create_starts_afresh() {
        let (_db, p) = path("journal-fresh");
        WireJournal::create(&p).unwrap().writing(&[1, 2]);
        let j = WireJournal::create(&p).unwrap();
        assert_eq!(read_written(&p), Some(HashSet::new()));
        assert!(!j.holds(1));
    }
}
