//! The dev provider: nothing leaves the machine. Sent messages land in the
//! `dev_sms` table, where the demo's phone page shows them and lets you
//! answer as the worker.

use std::collections::HashSet;

use async_trait::async_trait;

use super::{OutgoingSms, SendError, SmsProvider};
use crate::clock::Clock;
use crate::store::Db;

pub struct DevSms {
    db: Db,
    clock: Clock,
}

impl DevSms {
    pub fn new(db: Db, clock: Clock) -> DevSms {
        DevSms { db, clock }
    }
}

#[async_trait]
impl SmsProvider for DevSms {
    fn name(&self) -> &'static str {
        "dev"
    }

    /// Nothing leaves the machine: a batch is one transaction.
    fn batch_size(&self) -> usize {
        500
    }

    async fn send(&self, sms: &OutgoingSms<'_>) -> Result<String, SendError> {
        let mut results = self.send_all(std::slice::from_ref(sms), 1).await;
        results
            .pop()
            .unwrap_or_else(|| Err(SendError::Temporary("nothing sent".into())))
    }

    /// Stores the whole batch in one transaction.
    async fn send_all(
        &self,
        batch: &[OutgoingSms<'_>],
        _parallel: usize,
    ) -> Vec<Result<String, SendError>> {
        match self.store(batch).await {
            Ok(()) => batch
                .iter()
                .map(|sms| Ok(format!("dev-{}", sms.outbox_id)))
                .collect(),
            Err(e) => batch
                .iter()
                .map(|_| Err(SendError::Temporary(e.to_string())))
                .collect(),
        }
    }
}

impl DevSms {
    /// Idempotent on the outbox row: a retried attempt finds its message
    /// and stores no second one.
    async fn store(&self, batch: &[OutgoingSms<'_>]) -> sqlx::Result<()> {
        let mut tx = self.db.begin().await?;
        let ids: Vec<i64> = batch.iter().map(|sms| sms.outbox_id).collect();
        let held: HashSet<i64> = tx.dev_sms_holding(&ids).await?.into_iter().collect();
        let now = self.clock.now();
        for sms in batch.iter().filter(|sms| !held.contains(&sms.outbox_id)) {
            tx.dev_sms("out", sms.to, sms.body, Some(sms.outbox_id), now)
                .await?;
        }
        tx.commit().await
    }
}
