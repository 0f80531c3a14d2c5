//! Who may do what in the console: an account's [`Role`], a route's [`Access`], and the
//! one rule between them ([`Access::allows`]).

/// An account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Role {
    /// Their own approvals (see and decide); read-only otherwise.
    Approver,
    /// Send, contacts, inbox, drafts, approvals they create.
    Staff,
    /// Accounts, settings, everything.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Approver, Role::Staff, Role::Admin];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approver => "approver",
            Self::Staff => "staff",
            Self::Admin => "admin",
        }
    }

    /// The stored name back; `None` for a name this build does not know (such an
    /// account gets no access rather than a guessed one).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Its name for people.
    pub fn label(self, lang: super::Lang) -> &'static str {
        match self {
            Self::Approver => lang.t("审批人", "Approver"),
            Self::Staff => lang.t("工作人员", "Staff"),
            Self::Admin => lang.t("管理员", "Administrator"),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who may use a console route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// Anybody, logged in or not (login, language switch, static files).
    Public,
    /// Any logged-in account (approvers included).
    Any,
    /// Staff and admins.
    Staff,
    /// Admins only.
    Admin,
}

impl Access {
    /// Whether `role` (`None`: not logged in) may use a route with this access.
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Self::Public, _) => true,
            (_, None) => false,
            (Self::Any, Some(_)) => true,
            (Self::Staff, Some(r)) => r >= Role::Staff,
            (Self::Admin, Some(r)) => r == Role::Admin,
        }
    }

    /// The highest role this access refuses (what a test logs in as to see the refusal);
    /// `None` if every account may.
    pub fn refuses(self) -> Option<Role> {
        match self {
            Self::Public | Self::Any => None,
            Self::Staff => Some(Role::Approver),
            Self::Admin => Some(Role::Staff),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn each_access_admits_exactly_the_roles_at_or_above_it() {
        use Role::*;
        let admitted = |a: Access| {
            Role::ALL
                .into_iter()
                .filter(|&r| a.allows(Some(r)))
                .collect::<Vec<_>>()
        };
        assert_eq!(admitted(Access::Any), [Approver, Staff, Admin]);
        assert_eq!(admitted(Access::Staff), [Staff, Admin]);
        assert_eq!(admitted(Access::Admin), [Admin]);
        assert!(Access::Public.allows(None));
        assert!(!Access::Any.allows(None));
        for a in [Access::Staff, Access::Admin] {
            let r = a.refuses().unwrap();
            assert!(!a.allows(Some(r)));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
