//! A message written by staff (the console's 写短信 page, or a draft): typed or pasted
//! numbers plus whole groups, as **one** job through the [`Submitter`].
//!
//! [`recipients`] reads the numbers out of what was pasted (one per line, or separated
//! by commas, semicolons, tabs — in either width — or runs of spaces between numbers),
//! and [`request`] adds the groups' members after them; a number given twice (typed
//! and in a group, or in two groups) is one recipient, as the intake decides. The same
//! request goes to [`Submitter::preview`] for the live counter and the confirmation page
//! and to [`Submitter::send`] when confirmed, so what staff confirm is what is queued.

use crate::dispatch::{Preview, SendError, SendOutcome, SendRequest, Submitter};
use crate::store::{Millis, Priority, StoreError, StoreHandle};

/// What staff wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compose {
    /// Numbers as typed or pasted (see [`recipients`]).
    pub numbers: String,
    /// Group names; their members are added after the typed numbers.
    pub groups: Vec<String>,
    /// The text, without signature.
    pub text: String,
    /// A signature instead of the link's.
    pub signature: Option<String>,
    /// Not before this time (unix ms); `None` sends now.
    pub send_at: Option<Millis>,
    /// A second send with the same key returns the first job (the confirm page's
    /// one-time key, so a double submit sends once).
    pub idempotency_key: Option<String>,
    /// Who sends it (`web:<account>`).
    pub sender: Option<String>,
}

/// Why a message cannot be planned at all; nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// Some named groups do not exist.
    #[error("unknown group{}: {}", if .0.len() == 1 { "" } else { "s" }, .0.join(", "))]
    UnknownGroups(Vec<String>),
    /// The submitter refused the request as a whole (no recipients, empty text, too
    /// many recipients, shutting down, …).
    #[error(transparent)]
    Send(#[from] SendError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The numbers in `pasted`, in order, as written (each is normalised and checked by the
/// router when planned). Separators: line breaks, `,` `;` `、` `，` `；`, tabs, and spaces
/// between two things that each look like a whole number — so `138 0013 8000` stays one
/// number while `13800138000 13900139000` is two.
pub fn recipients(pasted: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in pasted.split(['\n', '\r', ',', ';', '\t', '，', '；', '、']) {
        let chunk = chunk.trim();
        if chunk.is_empty() {
            continue;
        }
        let words: Vec<&str> = chunk.split_whitespace().collect();
        // Several words that are each a whole mobile number (11 digits, or with the
        // country code) were a space-separated list; otherwise one spelled with spaces.
        let whole = |w: &str| {
            let digits = w
                .trim_start_matches('+')
                .bytes()
                .filter(u8::is_ascii_digit)
                .count();
            digits >= 11
                && w.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'+' || b == b'-')
        };
        if words.len() > 1 && words.iter().all(|w| whole(w)) {
            out.extend(words.iter().map(|w| (*w).to_owned()));
        } else {
            out.push(chunk.to_owned());
        }
    }
    out
}

/// The send request for `c`: typed numbers first, then the groups' members.
pub async fn request(store: &StoreHandle, c: &Compose) -> Result<SendRequest, ComposeError> {
    let mut numbers = recipients(&c.numbers);
    let groups: Vec<String> = c
        .groups
        .iter()
        .map(|g| g.trim().to_owned())
        .filter(|g| !g.is_empty())
        .collect();
    if !groups.is_empty() {
        let (members, unknown) = store.group_numbers(groups).await?;
        if !unknown.is_empty() {
            return Err(ComposeError::UnknownGroups(unknown));
        }
        numbers.extend(members);
    }
    let mut req = SendRequest::new(numbers, c.text.clone());
    req.signature = c.signature.clone().filter(|s| !s.trim().is_empty());
    // A message to whole groups is a bulk send: it must not hold up one-to-one
    // notifications queued behind it.
    req.priority = if c.groups.iter().any(|g| !g.trim().is_empty()) {
        Priority::Bulk
    } else {
        Priority::Notification
    };
    req.send_at = c.send_at;
    req.idempotency_key = c.idempotency_key.clone();
    req.sender = c.sender.clone();
    Ok(req)
}

/// What sending `c` would do (the live counter, the confirmation page).
pub async fn preview(submitter: &Submitter, c: &Compose) -> Result<Preview, ComposeError> {
    let req = request(submitter.store(), c).await?;
    Ok(submitter.preview(&req)?)
}

/// Sends `c` as one job.
pub async fn send(submitter: &Submitter, c: &Compose) -> Result<SendOutcome, ComposeError> {
    let req = request(submitter.store(), c).await?;
    Ok(submitter.send(req).await?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn pasted_lists_in_the_usual_shapes() {
        assert_eq!(
            recipients("13800138000\n+86 139-0013-9000\r\n\n 138 0013 8001 "),
            ["13800138000", "+86 139-0013-9000", "138 0013 8001"]
        );
        assert_eq!(
            recipients("13800138000, 13900139000；13700137000、13600136000，1"),
            [
                "13800138000",
                "13900139000",
                "13700137000",
                "13600136000",
                "1"
            ]
        );
        assert_eq!(
            recipients("13800138000 13900139000\t+8613700137000"),
            ["13800138000", "13900139000", "+8613700137000"]
        );
        // A bad word stays whole so its reason names what was typed.
        assert_eq!(recipients("1380013800 x"), ["1380013800 x"]);
        assert!(recipients(" \n ,, ").is_empty());
    }

    #[tokio::test]
    async fn numbers_and_groups_go_as_one_job_each_number_once_as_previewed() {
        use crate::dispatch::RecipientOutcome;
        use crate::store::{DraftView, NewContact, NewDraft, testutil::TempDb};
        let db = TempDb::new("compose-send");
        let store = db.handle();
        let sub = crate::dispatch::test_submitter(store.clone());
        let contact = |phone: &str| NewContact {
            phone: phone.into(),
            name: String::new(),
            groups: vec!["销售".into()],
            tags: vec![],
        };
        store
            .contacts_import(vec![contact("13800138000"), contact("13900139000")], 1)
            .await
            .unwrap();
        let c = Compose {
            numbers: "+86 138 0013 8000\n1380013800".into(),
            groups: vec!["销售".into()],
            text: "周五例会改到 15:00".into(),
            sender: Some("web:li".into()),
            idempotency_key: Some("confirm-1".into()),
            ..Compose::default()
        };
        let p = preview(&sub, &c).await.unwrap();
        assert_eq!((p.accepted, p.rejected, p.duplicates), (2, 1, 1));
        let out = send(&sub, &c).await.unwrap();
        assert_eq!(
            out.recipients, p.recipients,
            "what was confirmed is what went"
        );
        assert!(matches!(
            &out.recipients[1],
            RecipientOutcome::Rejected { input, .. } if input == "1380013800"
        ));
        // A double submit with the confirm page's key is the same job.
        let again = send(&sub, &c).await.unwrap();
        let (first, second) = (out.job.unwrap(), again.job.unwrap());
        assert_eq!(first.job_id, second.job_id);
        assert!(!second.created);
        let page = store
            .jobs_list(
                crate::store::JobFilter {
                    sender: Some("web:li".into()),
                    ..Default::default()
                },
                crate::store::Window {
                    before: None,
                    limit: 10,
                },
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].priority, Priority::Bulk);
        // Unknown groups refuse the whole message, naming them.
        let bad = Compose {
            groups: vec!["不存在".into()],
            ..c.clone()
        };
        assert!(matches!(
            preview(&sub, &bad).await,
            Err(ComposeError::UnknownGroups(g)) if g == ["不存在"]
        ));
        // A draft with numbers is sent with them (the API's draft send too).
        let draft = NewDraft {
            title: "t".into(),
            text: "您好".into(),
            numbers: vec!["13700137000".into()],
            ..NewDraft::default()
        };
        let id = store.draft_save(None, draft, 2).await.unwrap();
        let _: Option<DraftView> = store.draft_get(id).await.unwrap();
        let sent = crate::contacts::send_draft(&sub, id, None).await.unwrap();
        assert_eq!((sent.recipients, sent.accepted), (1, 1));
        store.close().await.unwrap();
    }
}
