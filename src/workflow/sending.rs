//! How the engine queues its SMS: one recipient at a time through the ordinary queue
//! ([`Workflow::send_one`]), from an extension allocated for the item when a reply is
//! expected ([`Workflow::extension_for`]).

use super::Workflow;
use super::error::Unsendable;
use crate::dispatch::{RecipientOutcome, SendOutcome, SendRequest};
use crate::route::Carrier;
use crate::store::{ExtensionRequest, ItemKind};

impl Workflow {
    /// Queues a one-recipient SMS; the job id, or why it was refused.
    pub(super) async fn send_one(&self, req: SendRequest) -> Result<i64, Unsendable> {
        job_of(self.inner.submitter.send(req).await?)
    }

    /// An extension for `item` to `number`, on the link that will carry it (`None` when
    /// that link has no extensions).
    pub(super) async fn extension_for(
        &self,
        kind: ItemKind,
        item_id: i64,
        number: &str,
    ) -> Result<Option<String>, Unsendable> {
        let route = self.inner.submitter.router().route(number)?;
        let Some(link) = self
            .inner
            .config
            .links
            .iter()
            .find(|l| l.carrier() == route.via)
        else {
            return Err(Unsendable::NoLink { carrier: route.via });
        };
        if link.extension_length == 0 {
            tracing::warn!(link = %link.name, "link has extension_length = 0: replies cannot be matched");
            return Ok(None);
        }
        if route.fallback {
            tracing::warn!(number = %route.msisdn.masked(), "sent over a fallback link: the reply may lose the extended number");
        }
        let request = ExtensionRequest {
            carrier: carrier_key(route.via),
            length: link.extension_length,
            item_kind: kind,
            item_id,
            recipient: number.to_string(),
        };
        Ok(Some(
            self.inner
                .store
                .allocate_extension(request, self.now(), self.inner.config.workflow.quarantine)
                .await?,
        ))
    }
}

/// The job a one-recipient send made, or why it made none.
fn job_of(out: SendOutcome) -> Result<i64, Unsendable> {
    match out {
        SendOutcome { job: Some(job), .. } => Ok(job.job_id),
        SendOutcome { recipients, .. } => Err(match recipients.into_iter().next() {
            Some(RecipientOutcome::Rejected { code, reason, .. }) => {
                Unsendable::Recipient { code, reason }
            }
            _ => Unsendable::Refused,
        }),
    }
}

/// The carrier key extensions are unique under.
pub(super) fn carrier_key(c: Carrier) -> String {
    c.name().to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::testutil::{MOBILE_A, Rig};
    use super::*;

    #[tokio::test]
    async fn a_queued_sms_gives_its_job_and_a_refused_one_the_recipients_reason() {
        let rig = Rig::new("wf-send");
        let wf = rig.workflow();
        let job = wf
            .send_one(SendRequest::new(vec![MOBILE_A.into()], "开会"))
            .await
            .unwrap();
        assert!(job > 0);
        // A Telecom number: the rig's queue has no Telecom link.
        let e = wf
            .send_one(SendRequest::new(vec!["13300133000".into()], "开会"))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Unsendable::Recipient { code, .. } if code == "no_link"),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn an_item_gets_an_extension_of_its_links_length_and_a_number_without_route_none() {
        let rig = Rig::new("wf-ext");
        let wf = rig.workflow();
        let ext = wf
            .extension_for(ItemKind::Reminder, 1, MOBILE_A)
            .await
            .unwrap()
            .expect("the Mobile link of the default config has extensions");
        let mobile = rig
            .config
            .links
            .iter()
            .find(|l| l.carrier() == Carrier::Mobile)
            .unwrap();
        assert_eq!(ext.len(), usize::from(mobile.extension_length));
        let holder = rig
            .store
            .lookup_extension(carrier_key(Carrier::Mobile), ext, wf.now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((holder.item_kind, holder.item_id), (ItemKind::Reminder, 1));
        let e = wf
            .extension_for(ItemKind::Reminder, 2, "13300133000")
            .await
            .unwrap_err();
        assert!(matches!(e, Unsendable::Number(_)), "{e:?}");
    }
}
