//! The dev provider: nothing leaves the machine. Sent messages land in the
//! `dev_sms` table, where the demo's phone page shows them and lets you
//! answer as the worker.

use async_trait::async_trait;

use super::{OutgoingSms, SendError, SmsProvider};
use crate::clock::Clock;
use crate::q;
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

    async fn send(&self, sms: &OutgoingSms<'_>) -> Result<String, SendError> {
        let temp = |e: sqlx::Error| SendError::Temporary(e.to_string());
        let mut tx = self.db.begin().await.map_err(temp)?;
        // Idempotent on the outbox row: a retried attempt finds its message.
        let seen: Option<i64> = q!(
            &mut tx,
            fetch_optional,
            sqlx::query_scalar("SELECT id FROM dev_sms WHERE outbox_id = $1").bind(sms.outbox_id)
        )
        .map_err(temp)?;
        if seen.is_none() {
            tx.dev_sms(
                "out",
                sms.to,
                sms.body,
                Some(sms.outbox_id),
                self.clock.now(),
            )
            .await
            .map_err(temp)?;
        }
        tx.commit().await.map_err(temp)?;
        Ok(format!("dev-{}", sms.outbox_id))
    }
}
