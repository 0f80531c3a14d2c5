//! Why things go wrong on a link, as types: a connection that cannot be opened
//! ([`ConnectError`]), a login that does not succeed ([`LoginError`]), a session that ends
//! ([`SessionEnd`], [`ConnectionLoss`]) and a message part that fails ([`FailReason`]).
//!
//! The owner decides on the variant, never on the text: the `Display` of each is the words
//! a person reads (logs, `/v1/links`' `last_problem`, a segment's stored reason). Building
//! one allocates nothing; the words are made only when someone displays them.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use thiserror::Error;
use wire::{DecodeError, EncodeError, FrameError};

/// An I/O failure, kept as its kind and OS error code so it can be cloned and compared
/// (an [`io::Error`] cannot), and shown as the OS would have shown it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoFailure {
    /// What kind of failure.
    pub kind: io::ErrorKind,
    /// The OS error code, when there was one.
    pub os: Option<i32>,
}

impl From<&io::Error> for IoFailure {
    fn from(e: &io::Error) -> Self {
        Self {
            kind: e.kind(),
            os: e.raw_os_error(),
        }
    }
}

impl fmt::Display for IoFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.os {
            Some(code) => io::Error::from_raw_os_error(code).fmt(f),
            None => io::Error::from(self.kind).fmt(f),
        }
    }
}

/// Why a TCP connection to the gateway could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConnectError {
    /// The configured address is not a `host:port`, or its host name does not resolve.
    #[error("cannot resolve {addr}: {io}")]
    Address {
        /// The address as configured.
        addr: String,
        /// Why.
        io: IoFailure,
    },
    /// The host name resolved to no address at all.
    #[error("{addr} resolves to no address")]
    NoAddress {
        /// The address as configured.
        addr: String,
    },
    /// Nothing listens there: the gateway (or its port) is down.
    #[error("connection refused ({addr})")]
    Refused {
        /// The address tried.
        addr: SocketAddr,
    },
    /// No answer within the connect timeout.
    #[error("connect to {addr} timed out after {after:?}")]
    TimedOut {
        /// The address as configured.
        addr: String,
        /// The connect timeout.
        after: Duration,
    },
    /// Any other socket failure (unreachable network, reset, …).
    #[error("connect to {addr}: {io}")]
    Io {
        /// The address tried.
        addr: SocketAddr,
        /// Why.
        io: IoFailure,
    },
}

/// Why a login did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LoginError {
    /// The gateway answered with a refusal: its status code and that code's meaning in the
    /// protocol's table (CMPP CONNECT_RESP Status, SMGP Login_Resp Status, SGIP Bind_Resp
    /// Result).
    #[error("login refused: {status} {meaning}")]
    Refused {
        /// The carrier's status code.
        status: u32,
        /// What it means.
        meaning: &'static str,
    },
    /// The login request cannot be built from the configured account.
    #[error("cannot build the login: {0}")]
    Build(EncodeError),
    /// The login request cannot be encoded.
    #[error("cannot encode the login: {0}")]
    Encode(EncodeError),
    /// The login request could not be written in time.
    #[error("login write timed out")]
    WriteTimedOut,
    /// The login request could not be written.
    #[error("login write failed: {0}")]
    Write(IoFailure),
    /// The answer to the login came, but does not decode.
    #[error("malformed login answer: {0}")]
    MalformedAnswer(DecodeError),
    /// No answer within the login timeout.
    #[error("no login answer in time")]
    NoAnswer,
    /// The connection was lost before the answer came.
    #[error("{0}")]
    Lost(ConnectionLoss),
}

/// Why a connection was not logged in: [`LinkEvent::Unreachable`](super::LinkEvent)'s
/// reason. (A refused login is its own event, `LoginRefused`.)
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Unreachable {
    /// The TCP connection could not be opened.
    #[error("{0}")]
    Connect(ConnectError),
    /// Connected, but the login got no usable answer.
    #[error("login failed: {0}")]
    Login(LoginError),
}

/// Why a logged-in connection was lost (the link reconnects after a back-off).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConnectionLoss {
    /// The gateway closed the TCP connection.
    #[error("connection closed by the gateway")]
    Closed,
    /// The socket took no bytes: closed while writing.
    #[error("connection closed while writing")]
    ClosedWhileWriting,
    /// Reading failed.
    #[error("read failed: {0}")]
    Read(IoFailure),
    /// Writing failed.
    #[error("write failed: {0}")]
    Write(IoFailure),
    /// A frame's length prefix cannot be trusted: the stream is out of sync.
    #[error("malformed bytes from the gateway: {0}")]
    Malformed(FrameError),
    /// The gateway ended the session (TERMINATE / Exit / Unbind).
    #[error("the gateway closed the session")]
    EndedByGateway,
    /// The gateway stopped reading: this many bytes were waiting for the socket.
    #[error("the gateway stopped reading: {unsent} bytes unsent")]
    StoppedReading {
        /// Bytes not written.
        unsent: usize,
    },
    /// The keep-alive probes went unanswered.
    #[error("keep-alive probes went unanswered")]
    KeepAliveUnanswered,
}

/// Why a session ended: [`LinkEvent::Down`](super::LinkEvent)'s reason.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SessionEnd {
    /// Graceful close after shutdown.
    #[error("shutdown")]
    Shutdown,
    /// SGIP: closed because idle; it reconnects when there is work.
    #[error("idle")]
    Idle,
    /// The connection broke or the gateway closed it; it reconnects after a back-off.
    #[error("{0}")]
    Lost(ConnectionLoss),
}

/// Why one part of a message failed: [`LinkEvent::Failed`](super::LinkEvent)'s reason.
/// What the owner does with each is decided in [`resend`](super::resend).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FailReason {
    /// The gateway answered with a refusal code.
    #[error("{meaning}")]
    Rejected {
        /// The carrier's code.
        code: u32,
        /// Its meaning in the protocol's table.
        meaning: &'static str,
    },
    /// The part could not be encoded; it never left.
    #[error("cannot encode: {0}")]
    Encode(EncodeError),
    /// Written `attempts` times and never answered: the carrier may have it.
    #[error("no response after {attempts} attempts")]
    Unanswered {
        /// Times it was written in all.
        attempts: u32,
    },
    /// Written `attempts` times; the gateway answered, but its answer never decoded.
    #[error(
        "written {attempts} times (max_attempts); the gateway answered, but malformed: {error}"
    )]
    Unreadable {
        /// Times it was written in all.
        attempts: u32,
        /// Why the last answer did not decode.
        error: DecodeError,
    },
    /// Written `attempts` times in all, and each connection it went on closed before a
    /// response to it could be read: it is not written again. `last` is why this link's
    /// last connection was lost (none in this run: the writes were before a restart).
    #[error("{}", attempts_used(*attempts, last.as_ref()))]
    AttemptsUsed {
        /// Times it was written in all.
        attempts: u32,
        /// Why the link's last connection was lost, if one was in this run.
        last: Option<ConnectionLoss>,
    },
}

fn attempts_used(attempts: u32, last: Option<&ConnectionLoss>) -> String {
    match last {
        None => format!("written {attempts} times (max_attempts) without an answer"),
        Some(loss) => format!(
            "written {attempts} times (max_attempts) and no answer could be read: the connection closed before it (last: {loss})"
        ),
    }
}

impl FailReason {
    /// The carrier's code, when it answered with one.
    pub fn code(&self) -> Option<u32> {
        match self {
            Self::Rejected { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// How many times the part was written, when it failed after writes without a usable
    /// answer (every write was an attempt).
    pub fn writes(&self) -> Option<u32> {
        match self {
            Self::Unanswered { attempts }
            | Self::Unreadable { attempts, .. }
            | Self::AttemptsUsed { attempts, .. } => Some(*attempts),
            Self::Rejected { .. } | Self::Encode(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_names_the_address() {
        let addr: SocketAddr = "127.0.0.1:7890".parse().unwrap_or_else(|_| unreachable!());
        let e = Unreachable::Connect(ConnectError::Refused { addr });
        assert_eq!(e.to_string(), "connection refused (127.0.0.1:7890)");
    }

    #[test]
    fn a_refused_login_shows_its_code_and_meaning() {
        let e = LoginError::Refused {
            status: 3,
            meaning: "authentication failed",
        };
        assert_eq!(e.to_string(), "login refused: 3 authentication failed");
        let lost = Unreachable::Login(LoginError::Lost(ConnectionLoss::Closed));
        assert_eq!(
            lost.to_string(),
            "login failed: connection closed by the gateway"
        );
    }

    #[test]
    fn an_io_failure_reads_as_the_os_says_it() {
        let e = io::Error::from_raw_os_error(104);
        let f = IoFailure::from(&e);
        assert_eq!(f.to_string(), e.to_string());
        let kind_only = IoFailure::from(&io::Error::from(io::ErrorKind::TimedOut));
        assert_eq!(kind_only.kind, io::ErrorKind::TimedOut);
    }

    #[test]
    fn failure_reasons_keep_their_words_code_and_writes() {
        let rejected = FailReason::Rejected {
            code: 9,
            meaning: "invalid destination",
        };
        assert_eq!(rejected.to_string(), "invalid destination");
        assert_eq!((rejected.code(), rejected.writes()), (Some(9), None));
        let unanswered = FailReason::Unanswered { attempts: 3 };
        assert_eq!(unanswered.to_string(), "no response after 3 attempts");
        assert_eq!((unanswered.code(), unanswered.writes()), (None, Some(3)));
        let used = FailReason::AttemptsUsed {
            attempts: 3,
            last: Some(ConnectionLoss::KeepAliveUnanswered),
        };
        assert_eq!(
            used.to_string(),
            "written 3 times (max_attempts) and no answer could be read: the connection closed before it (last: keep-alive probes went unanswered)"
        );
        let before_restart = FailReason::AttemptsUsed {
            attempts: 2,
            last: None,
        };
        assert_eq!(
            before_restart.to_string(),
            "written 2 times (max_attempts) without an answer"
        );
    }
}
