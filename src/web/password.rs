//! Console passwords: argon2id hashes, their checks, the length rule, and generated
//! passwords (the first start's admin, `hongyan user add` without `--password-stdin`).
//!
//! Parameters: argon2id v19 with the `argon2` crate's defaults, which are OWASP's
//! recommendation — 19 MiB of memory, 2 passes, 1 lane, a 16-byte random salt, a 32-byte
//! hash — stored as the PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`), so a later
//! change of parameters still checks the old hashes. One hash costs tens of milliseconds
//! of one core: callers run it on the blocking pool. The comparison is the crate's
//! (constant time).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Shortest password accepted.
pub const MIN_CHARS: usize = 10;
/// Longest password accepted (bytes): longer would only make hashing a way to burn CPU.
pub const MAX_BYTES: usize = 256;
/// Characters of a generated password: no look-alikes (0/O, 1/l/I), nothing a shell or a
/// CSV would quote.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
/// Length of a generated password: 18 of 57 symbols, about 105 bits.
const GENERATED_CHARS: usize = 18;

/// Why a password cannot be set or hashed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    /// Too short.
    #[error("the password has {0} characters; use at least {MIN_CHARS}")]
    TooShort(usize),
    /// Too long.
    #[error("the password is longer than {MAX_BYTES} bytes")]
    TooLong,
    /// The system's random source failed.
    #[error("no randomness from the operating system: {0}")]
    Random(String),
    /// The hasher refused (it does not for these parameters).
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// Checks the length rule.
pub fn check(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordError::TooShort(chars));
    }
    if password.len() > MAX_BYTES {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// The PHC string of `password` (after [`check`]).
pub fn hash(password: &str) -> Result<String, PasswordError> {
    check(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `phc`. A malformed string matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_BYTES {
        return false;
    }
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// Spends the time of one check against nothing, so an unknown account name answers as
/// slowly as a wrong password and the timing does not tell which names exist.
pub fn verify_nothing(password: &str) {
    // A real hash (computed once) of a password nobody knows, so the check does the full
    // work rather than failing fast on a malformed string.
    static DUMMY: std::sync::LazyLock<Option<String>> =
        std::sync::LazyLock::new(|| generate().ok().and_then(|p| hash(&p).ok()));
    if let Some(dummy) = DUMMY.as_deref() {
        let _ = verify(password, dummy);
    }
}

/// `n` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], PasswordError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| PasswordError::Random(e.to_string()))?;
    Ok(b)
}

/// A new random password, shown once to the person who will use it.
pub fn generate() -> Result<String, PasswordError> {
    let bytes = random_bytes::<64>()?;
    // Rejection sampling: only bytes below the largest multiple of the alphabet's size
    // are used, so every character is equally likely.
    let n = ALPHABET.len();
    let limit = 256 - 256 % n;
    let out: String = bytes
        .iter()
        .map(|&b| usize::from(b))
        .filter(|&b| b < limit)
        .take(GENERATED_CHARS)
        .filter_map(|b| ALPHABET.get(b % n).map(|&c| char::from(c)))
        .collect();
    if out.len() < GENERATED_CHARS {
        // 64 bytes hold 18 usable ones with overwhelming odds; try again if not.
        return generate();
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_checks_its_password_only_and_is_argon2id() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterx", &h));
        assert!(!verify("correct horse battery", "not a hash"));
        assert_ne!(h, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert_eq!(check("short"), Err(PasswordError::TooShort(5)));
        assert_eq!(check("密码密码密码密码密码"), Ok(()));
        assert_eq!(
            check(&"x".repeat(MAX_BYTES + 1)),
            Err(PasswordError::TooLong)
        );
        assert!(matches!(hash("123456789"), Err(PasswordError::TooShort(9))));
    }

    #[test]
    fn generated_passwords_are_long_distinct_and_plain() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_eq!(a.len(), GENERATED_CHARS);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
        check(&a).unwrap();
    }

    #[test]
    fn the_dummy_check_matches_nothing() {
        verify_nothing("anything at all");
    }
}
