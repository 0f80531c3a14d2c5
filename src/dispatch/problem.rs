//! A link's last problem as a type: what `/v1/links` shows as `last_problem` in words,
//! kept also as its variant so a page can say it in the viewer's language ("登录被拒：3
//! 认证错误", "连接被拒绝") without reading the English words.

use std::fmt;

use crate::link::{SessionEnd, Unreachable};

/// Why the last connection of a link closed, could not be opened, or was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkProblem {
    /// A logged-in connection closed.
    Closed {
        /// Connection index.
        conn: usize,
        /// Why.
        reason: SessionEnd,
    },
    /// A connection could not be opened, or its login got no usable answer.
    Unreachable {
        /// Connection index.
        conn: usize,
        /// Why.
        reason: Unreachable,
    },
    /// The gateway refused the login.
    LoginRefused {
        /// Connection index.
        conn: usize,
        /// The carrier's status code.
        status: u32,
        /// Its meaning in the protocol's table.
        meaning: &'static str,
    },
}

/// The words of `/v1/links`' `last_problem`.
impl fmt::Display for LinkProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed { conn, reason } => write!(f, "connection {conn} closed: {reason}"),
            Self::Unreachable { conn, reason } => write!(f, "connection {conn}: {reason}"),
            Self::LoginRefused {
                status, meaning, ..
            } => write!(f, "login refused: {status} {meaning}"),
        }
    }
}
