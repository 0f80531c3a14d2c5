//! [`Submitter::preview`]: what a send request *would* do, without queueing anything —
//! the console's live counter and its confirmation page.
//!
//! A preview goes through the same [`Submitter::plan`] as [`Submitter::send`] (the same
//! number normalisation, routing, fallbacks and per-link segment count), so each
//! recipient's outcome and cost in the preview is the one the job gets. The only
//! difference is that no concatenation reference is allocated: a preview must not use
//! up the carrier's reference space. Per carrier it adds what the text looks like on
//! that carrier's link (coding, characters, bytes per segment), from the same
//! [`measure`](super::plan::measure) the intake counts with.

use serde::Serialize;

use super::intake::{RecipientOutcome, References, SendError, SendRequest, Submitter};
use super::plan::measure;
use crate::route::Carrier;

/// What a request would cost, per recipient and per carrier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// One entry per recipient of the request, in request order — exactly what
    /// [`Submitter::send`] would report.
    pub recipients: Vec<RecipientOutcome>,
    /// Recipients that would be accepted.
    pub accepted: usize,
    /// Recipients that would be refused (bad number, no link, text too long, …).
    pub rejected: usize,
    /// Repeats of a number given earlier (sent once).
    pub duplicates: usize,
    /// Every carrier with a link, in a fixed order: what the text costs there and how
    /// many of the accepted recipients go through it.
    pub carriers: Vec<CarrierCost>,
    /// Segments the whole job would take (what it is billed).
    pub total_segments: u64,
}

/// The text on one carrier's link and the recipients that go through it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CarrierCost {
    /// The carrier whose link sends these recipients.
    pub carrier: Carrier,
    /// The link the messages are planned with.
    pub link: String,
    /// Accepted recipients going through this carrier's link.
    pub recipients: usize,
    /// `ascii`, `ucs2` or `gbk`; `None` when the text cannot go on this link.
    pub coding: Option<String>,
    /// Characters billed, signature included.
    pub chars: usize,
    /// Payload bytes of one segment in this coding and layout.
    pub per_segment: usize,
    /// Segments one message takes.
    pub segments: usize,
    /// Segments all of this carrier's recipients take.
    pub total_segments: u64,
    /// Why the text cannot go through this link, if it cannot.
    pub error: Option<String>,
}

impl Submitter {
    /// What [`send`](Self::send) would do with `req`, queueing nothing. An empty text
    /// or an empty recipient list is not an error here (the counter is live while the
    /// form is being filled); a request over `api.max_recipients` is.
    pub fn preview(&self, req: &SendRequest) -> Result<Preview, SendError> {
        self.check_recipient_count(req.recipients.len())?;
        let (outcomes, _) = self.plan(req, References::Skip);
        let mut accepted = 0;
        let mut rejected = 0;
        let mut duplicates = 0;
        let mut carriers: Vec<CarrierCost> = Vec::new();
        for carrier in Carrier::ALL {
            let Some(link) = self.link_for(carrier) else {
                continue;
            };
            let measured = measure(link, &req.text, req.signature.as_deref());
            carriers.push(match measured {
                Ok(m) => CarrierCost {
                    carrier,
                    link: link.name.clone(),
                    recipients: 0,
                    coding: Some(m.coding.name().into_owned()),
                    chars: m.chars,
                    per_segment: m.per_segment,
                    segments: m.segments,
                    total_segments: 0,
                    error: None,
                },
                Err(e) => CarrierCost {
                    carrier,
                    link: link.name.clone(),
                    recipients: 0,
                    coding: None,
                    chars: req.text.chars().count(),
                    per_segment: 0,
                    segments: 0,
                    total_segments: 0,
                    error: Some(e.to_string()),
                },
            });
        }
        let mut total_segments = 0u64;
        for o in &outcomes {
            match o {
                RecipientOutcome::Accepted { via, segments, .. } => {
                    accepted += 1;
                    total_segments += u64::from(*segments);
                    if let Some(c) = carriers.iter_mut().find(|c| c.carrier == *via) {
                        c.recipients += 1;
                        c.total_segments += u64::from(*segments);
                    }
                }
                RecipientOutcome::Rejected { .. } => rejected += 1,
                RecipientOutcome::Duplicate { .. } => duplicates += 1,
            }
        }
        Ok(Preview {
            recipients: outcomes,
            accepted,
            rejected,
            duplicates,
            carriers,
            total_segments,
        })
    }
}

/// A submitter over `store` with the embedded default config's links and routing, no
/// dispatchers to wake: for tests of what is accepted.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) fn test_submitter(store: crate::store::StoreHandle) -> Submitter {
    let config = crate::config::Config::embedded_default().unwrap();
    let links: Vec<Carrier> = config.links.iter().map(|l| l.carrier()).collect();
    let router = super::routing::build(&config.routing, &links)
        .unwrap()
        .router;
    Submitter::new(
        &config,
        router,
        store,
        std::collections::HashMap::new(),
        super::Changes::default(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::StoreHandle;
    use crate::store::testutil::TempDb;

    async fn submitter(db: &TempDb) -> (Submitter, StoreHandle) {
        let store = db.handle();
        (test_submitter(store.clone()), store)
    }

    /// Texts that take one, two and many segments, in ASCII, Chinese and mixed, with
    /// and without a job signature.
    fn texts() -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        for text in [
            "hello".to_owned(),
            "Your code is 123456".to_owned(),
            "a".repeat(159),
            "a".repeat(161),
            "您的账单已出".to_owned(),
            "您的账单已出，".repeat(10),
            "您的账单已出，".repeat(40),
            "Mixed 中文 and ASCII ".repeat(8),
        ] {
            out.push((text.clone(), None));
            out.push((text, Some("【物流】".to_owned())));
        }
        out
    }

    const NUMBERS: &[&str] = &[
        "13800138000",
        "+86 139-0013-9000",
        "18912345678",
        "13012345678",
        "19212345678",
        "12345",
        "13800138000",
        "0086 133 0000 1111",
    ];

    #[tokio::test]
    async fn the_preview_is_what_the_send_queues() {
        let db = TempDb::new("preview-equals-intake");
        let (sub, store) = submitter(&db).await;
        for (text, signature) in texts() {
            let mut req = SendRequest::new(NUMBERS.iter().map(|s| s.to_string()).collect(), &text);
            req.signature = signature.clone();
            let preview = sub.preview(&req).unwrap();
            let sent = sub.send(req).await.unwrap();
            // Per recipient: the same outcome, the same segments.
            assert_eq!(
                preview.recipients, sent.recipients,
                "{text:?} {signature:?}"
            );
            let job = sent.job.unwrap();
            let status = store.job_status(job.job_id).await.unwrap().unwrap();
            let stored: u64 = status
                .recipients
                .iter()
                .map(|r| r.segments.len() as u64)
                .sum();
            assert_eq!(preview.total_segments, stored, "{text:?} {signature:?}");
            assert_eq!(preview.accepted, status.recipients.len());
            // Per carrier, the per-message figure times its recipients.
            for c in &preview.carriers {
                assert_eq!(c.total_segments, c.segments as u64 * c.recipients as u64);
            }
            let counted: usize = preview.carriers.iter().map(|c| c.recipients).sum();
            assert_eq!(counted, preview.accepted);
        }
        store.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_preview_names_bad_numbers_and_queues_nothing() {
        let db = TempDb::new("preview-nothing-queued");
        let (sub, store) = submitter(&db).await;
        let req = SendRequest::new(
            vec!["13800138000".into(), "12345".into(), "138 0013 8000".into()],
            "您好",
        );
        let p = sub.preview(&req).unwrap();
        assert_eq!((p.accepted, p.rejected, p.duplicates), (1, 1, 1));
        match &p.recipients[1] {
            RecipientOutcome::Rejected { input, reason, .. } => {
                assert_eq!(input, "12345");
                assert!(!reason.is_empty());
            }
            other => panic!("{other:?}"),
        }
        let mobile = p
            .carriers
            .iter()
            .find(|c| c.carrier == Carrier::Mobile)
            .unwrap();
        assert_eq!(mobile.coding.as_deref(), Some("ucs2"));
        assert_eq!((mobile.recipients, mobile.segments), (1, 1));
        let page = store
            .jobs_list(
                crate::store::JobFilter::default(),
                crate::store::Window {
                    before: None,
                    limit: 10,
                },
            )
            .await
            .unwrap();
        assert!(page.items.is_empty(), "a preview queues nothing");
        // An empty form still gets the text's figures per carrier.
        let empty = sub.preview(&SendRequest::new(vec![], "")).unwrap();
        assert_eq!(empty.accepted, 0);
        assert!(!empty.carriers.is_empty());
        store.close().await.unwrap();
    }
}
