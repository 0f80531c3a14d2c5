//! The owner's hook on the moment a SUBMIT's bytes are about to reach the socket.
//!
//! A process killed with `kill -9` loses what it held in memory, but not what it already
//! handed to the kernel. Whoever needs to know after such a crash which parts *may* have
//! reached the carrier (and which were only queued inside the process) records the parts
//! here, before the bytes are written: a part that was not recorded certainly did not
//! leave. The link knows nothing about how the owner records them (no SQL, no files
//! here); it only says which parts, by the [`tag`](super::OutboundPart::tag) the owner
//! gave each.

use std::fmt::Debug;

/// Told, right before the link hands SUBMIT bytes to the socket, which parts they carry.
///
/// Called on the connection's task, once per burst of submits, so it must be quick and
/// must not block on anything but a short local write. A resend of a part already
/// reported (a response timeout, or a new connection after the old one closed) reports
/// it again; implementations treat that as a no-op.
pub trait WriteHook: Send + Sync + Debug {
    /// The parts with these tags are about to be written. Tag 0 means "no tag".
    fn writing(&self, tags: &[u64]);

    /// The parts with these tags, just reported by [`writing`](Self::writing), were not
    /// handed to the socket whole after all (the kernel's buffer was full; all their
    /// bytes, or the last of them, wait in the process) and were never written before: a
    /// crash now cannot have sent them (a truncated frame is dropped by the gateway).
    /// They are reported by `writing` again before the rest of their bytes go.
    fn unwritten(&self, tags: &[u64]);
}
