//! Delivery reports: what the SMS gateway says became of a message after
//! it took it, and the same message on the workflow's next channel when an
//! SMS did not arrive.

use super::send::{About, Fallback};
use super::{Effects, Engine, EngineError};
use crate::store::directory::AuditIds;

/// What a gateway's report says, in our words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    /// It will not arrive: undeliverable, rejected, expired.
    Undelivered,
    /// Not final yet (buffered, en route): nothing is recorded.
    Pending,
}

/// One report from a gateway.
#[derive(Debug)]
pub struct DeliveryReport<'a> {
    pub provider: &'a str,
    /// Our idempotency key, when the gateway echoes it (GatewayAPI's
    /// `userref`).
    pub key: Option<&'a str>,
    pub provider_message_id: &'a str,
    pub delivery: Delivery,
    /// The gateway's status word and error code, kept on the row.
    pub detail: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOutcome {
    Recorded,
    /// Recorded, and the message went out on another channel.
    SentAnotherWay,
    /// A final report came for this message before.
    Repeated,
    Pending,
    /// No message of ours.
    Unknown,
}

impl ReportOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportOutcome::Recorded => "recorded",
            ReportOutcome::SentAnotherWay => "sent_another_way",
            ReportOutcome::Repeated => "repeated",
            ReportOutcome::Pending => "pending",
            ReportOutcome::Unknown => "unknown",
        }
    }
}

impl Engine {
    /// Records a delivery report in one transaction with the message it
    /// causes: an undelivered SMS whose workflow lists further channels is
    /// sent again on the first of them that reaches the person (with its
    /// own links), unless its question has been answered meanwhile.
    pub async fn delivery_report(
        &self,
        report: &DeliveryReport<'_>,
    ) -> Result<ReportOutcome, EngineError> {
        let word = match report.delivery {
            Delivery::Delivered => "delivered",
            Delivery::Undelivered => "undelivered",
            Delivery::Pending => return Ok(ReportOutcome::Pending),
        };
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let Some(msg) = tx
            .message_reported(report.key, report.provider, report.provider_message_id)
            .await?
        else {
            return Ok(ReportOutcome::Unknown);
        };
        if !tx.record_delivery(msg.id, word, report.detail, now).await? {
            return Ok(ReportOutcome::Repeated);
        }
        tx.audit(
            now,
            report.provider,
            &format!("message.{word}"),
            AuditIds {
                seat: msg.seat_id,
                person: msg.person_id,
                instance: msg.instance_id,
            },
            Some(&format!(r#"{{"outbox":{}}}"#, msg.id)),
        )
        .await?;
        let mut fx = Effects::default();
        if report.delivery == Delivery::Undelivered
            && let Some(json) = tx.message_fallback(msg.id).await?
        {
            self.send_another_way(&mut tx, &mut fx, msg.id, msg.person_id, &json, now)
                .await?;
        }
        self.commit(tx, &fx).await?;
        tracing::info!(
            outbox_id = msg.id,
            delivery = word,
            fallback = fx.messages.len(),
            "delivery report"
        );
        Ok(if fx.messages.is_empty() {
            ReportOutcome::Recorded
        } else {
            ReportOutcome::SentAnotherWay
        })
    }

    pub(super) async fn send_another_way(
        &self,
        tx: &mut crate::store::Tx,
        fx: &mut Effects,
        outbox_id: i64,
        person_id: Option<i64>,
        json: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), EngineError> {
        let Ok(fallback) = serde_json::from_str::<Fallback>(json) else {
            tracing::warn!(outbox_id, "fallback of a message cannot be read");
            return Ok(());
        };
        let Some(person) = (match person_id {
            Some(id) => tx.person(id).await?,
            None => None,
        }) else {
            return Ok(());
        };
        if let Some(q) = fallback.about.question
            && tx.question(q).await?.is_none_or(|q| q.closed_at.is_some())
        {
            return Ok(());
        }
        let about = About {
            fallback_of: Some(outbox_id),
            ..fallback.about
        };
        self.send_to_person(
            tx,
            fx,
            &person,
            &fallback.template,
            &fallback.channels,
            fallback.context,
            about,
            now,
        )
        .await
    }
}
