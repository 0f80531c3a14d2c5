//! The rules of console accounts that the console and the CLI (`hongyan user`) share:
//! what a login name may be, how a phone number is kept, and the first start's admin.
//! The rows are the store's (`store/accounts.rs`); hashing is `password.rs`.

use crate::store::{Millis, NewAccount, StoreError, StoreHandle};

use super::password::{self, PasswordError};
use super::roles::Role;

/// Longest login name.
pub const MAX_NAME_CHARS: usize = 32;

/// The name of the account the first start creates.
pub const FIRST_ADMIN: &str = "admin";

/// Why an account cannot be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The login name is not acceptable.
    #[error("user name {name:?}: {reason}")]
    Name {
        /// The name given.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// The phone number is not a mobile number.
    #[error("phone {phone:?}: {reason}")]
    Phone {
        /// The number given.
        phone: String,
        /// Why.
        reason: String,
    },
    /// The password is not acceptable (or could not be hashed).
    #[error("password: {0}")]
    Password(#[from] PasswordError),
    /// The store refused or failed (a taken name is [`StoreError::AccountExists`]).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a login name: 1–32 characters, letters (any script), digits, `.`, `_`, `-`,
/// `@`; no spaces or control characters (names appear in logs and the audit log).
pub fn check_name(name: &str) -> Result<(), AccountError> {
    let bad = |reason| {
        Err(AccountError::Name {
            name: name.to_owned(),
            reason,
        })
    };
    let n = name.chars().count();
    if n == 0 {
        return bad("is empty");
    }
    if n > MAX_NAME_CHARS {
        return bad("is longer than 32 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return bad("may hold only letters, digits, '.', '_', '-' and '@'");
    }
    Ok(())
}

/// A phone number as stored: the 11-digit mobile number (`+86 138-0013-8000` →
/// `13800138000`); empty means none.
pub fn normalize_phone(phone: &str) -> Result<Option<String>, AccountError> {
    let p = phone.trim();
    if p.is_empty() {
        return Ok(None);
    }
    crate::route::normalize(p)
        .map(|m| Some(m.as_str().to_owned()))
        .map_err(|e| AccountError::Phone {
            phone: p.to_owned(),
            reason: e.to_string(),
        })
}

/// A checked account, its password hashed (CPU-heavy: run it off the async threads).
pub fn new_account(
    name: &str,
    role: Role,
    phone: Option<&str>,
    password: &str,
) -> Result<NewAccount, AccountError> {
    check_name(name)?;
    let phone = match phone {
        Some(p) => normalize_phone(p)?,
        None => None,
    };
    Ok(NewAccount {
        username: name.to_owned(),
        role: role.as_str().to_owned(),
        phone,
        password_hash: password::hash(password)?,
    })
}

/// On a store with no account: creates `admin` with a generated password and returns
/// that password, for the caller to show once. `None` when accounts exist.
pub async fn ensure_first_admin(
    store: &StoreHandle,
    now: Millis,
) -> Result<Option<String>, AccountError> {
    if store.account_count().await? > 0 {
        return Ok(None);
    }
    let (pw, account) = tokio::task::spawn_blocking(|| {
        let pw = password::generate()?;
        let a = new_account(FIRST_ADMIN, Role::Admin, None, &pw)?;
        Ok::<_, AccountError>((pw, a))
    })
    .await
    .map_err(|_| AccountError::Store(StoreError::Internal("password hashing task failed")))??;
    Ok(store.account_create_first(account, now).await?.map(|_| pw))
}

/// Whether at least one enabled admin remains if account `id` becomes `role` and
/// `disabled`: nobody may lock every admin out of the console by accident.
pub fn leaves_an_admin(
    accounts: &[crate::store::Account],
    id: i64,
    role: Role,
    disabled: bool,
) -> bool {
    accounts.iter().any(|a| {
        if a.id == id {
            role == Role::Admin && !disabled
        } else {
            Role::parse(&a.role) == Some(Role::Admin) && !a.disabled
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_phones_normalised() {
        check_name("li.wei").unwrap();
        check_name("王芳").unwrap();
        assert!(matches!(check_name(""), Err(AccountError::Name { .. })));
        assert!(matches!(check_name("a b"), Err(AccountError::Name { .. })));
        assert!(matches!(
            check_name(&"x".repeat(33)),
            Err(AccountError::Name { .. })
        ));
        assert_eq!(
            normalize_phone("+86 138-0013-8000").unwrap().as_deref(),
            Some("13800138000")
        );
        assert_eq!(normalize_phone("  ").unwrap(), None);
        let e = normalize_phone("12345").unwrap_err();
        assert!(e.to_string().starts_with("phone \"12345\""), "{e}");
    }

    #[test]
    fn the_last_enabled_admin_cannot_be_demoted_or_disabled() {
        let acct = |id, role: &str, disabled| crate::store::Account {
            id,
            username: format!("u{id}"),
            role: role.into(),
            phone: None,
            password_hash: String::new(),
            disabled,
            created_at: 0,
            password_at: 0,
        };
        let all = [
            acct(1, "admin", false),
            acct(2, "admin", true),
            acct(3, "staff", false),
        ];
        assert!(!leaves_an_admin(&all, 1, Role::Staff, false));
        assert!(!leaves_an_admin(&all, 1, Role::Admin, true));
        assert!(leaves_an_admin(&all, 1, Role::Admin, false));
        assert!(leaves_an_admin(&all, 3, Role::Approver, true));
        assert!(leaves_an_admin(&all, 3, Role::Admin, false));
        assert!(
            leaves_an_admin(&all, 2, Role::Admin, false),
            "re-enabling one counts"
        );
    }

    #[tokio::test]
    async fn the_first_admin_is_made_once_with_a_password_that_logs_in() {
        let db = crate::store::testutil::TempDb::new("web-first-admin");
        let store = db.handle();
        let pw = ensure_first_admin(&store, 1).await.unwrap().unwrap();
        assert!(ensure_first_admin(&store, 2).await.unwrap().is_none());
        let a = store
            .account_by_username(FIRST_ADMIN.into())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.role, "admin");
        assert!(password::verify(&pw, &a.password_hash));
        store.close().await.unwrap();
    }
}
