//! Messages received from people, kept once per provider message id.

use chrono::{DateTime, Utc};

use super::{InboundMessage, Tx};
use crate::{exec, q};

pub struct NewInbound<'a> {
    pub provider: &'a str,
    pub provider_message_id: &'a str,
    pub sender: &'a str,
    pub receiver: Option<&'a str>,
    pub body: &'a str,
}

impl Tx {
    /// How many received messages wait to be handled.
    pub async fn count_inbound_waiting(&mut self) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT COUNT(*) FROM inbound WHERE processed_at IS NULL")
        )
    }

    /// Stores a received message, whatever text it holds (a NUL is kept
    /// as U+FFFD, the original escaped beside it). `None` when the
    /// provider already delivered this message id: gateways retry, we
    /// answer once.
    pub async fn insert_inbound(
        &mut self,
        m: &NewInbound<'_>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<i64>> {
        use crate::domain::text::{original_if_changed, storable};
        q!(
            self,
            fetch_optional,
            sqlx::query_scalar(
                "INSERT INTO inbound (provider, provider_message_id, sender, receiver, body, received_at, queued_at, body_original)
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
                 ON CONFLICT (provider, provider_message_id) DO NOTHING RETURNING id"
            )
            .bind(storable(m.provider))
            .bind(storable(m.provider_message_id))
            .bind(storable(m.sender))
            .bind(m.receiver.map(storable))
            .bind(storable(m.body))
            .bind(now)
            .bind(original_if_changed(m.body))
        )
    }

    pub async fn inbound(&mut self, id: i64) -> sqlx::Result<Option<InboundMessage>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM inbound WHERE id = $1").bind(id)
        )
    }

    /// Marks a received message handled. Returns false if it was already.
    pub async fn mark_inbound_processed(
        &mut self,
        id: i64,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query("UPDATE inbound SET processed_at = $1, outcome = $2 WHERE id = $3 AND processed_at IS NULL")
                .bind(now)
                .bind(outcome)
                .bind(id)
        )?;
        Ok(n == 1)
    }

    /// Up to `limit` received messages still unhandled whose job was last
    /// queued before `requeue_before` (its attempts ran out, say during a
    /// database outage); marks them queued now.
    pub async fn take_unprocessed_inbound(
        &mut self,
        now: DateTime<Utc>,
        requeue_before: DateTime<Utc>,
        limit: i64,
    ) -> sqlx::Result<Vec<i64>> {
        let ids: Vec<i64> = q!(
            self,
            fetch_all,
            sqlx::query_scalar(
                "SELECT id FROM inbound WHERE processed_at IS NULL AND queued_at <= $1 ORDER BY id LIMIT $2"
            )
            .bind(requeue_before)
            .bind(limit)
        )?;
        for id in &ids {
            exec!(
                self,
                sqlx::query("UPDATE inbound SET queued_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(*id)
            )?;
        }
        Ok(ids)
    }

    pub async fn count_inbound(&mut self) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT COUNT(*) FROM inbound")
        )
    }

    /// Records a message in the dev provider's phone log.
    pub async fn dev_sms(
        &mut self,
        direction: &str,
        phone: &str,
        body: &str,
        outbox_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("INSERT INTO dev_sms (direction, phone, body, at, outbox_id) VALUES ($1, $2, $3, $4, $5)")
                .bind(direction)
                .bind(phone)
                .bind(body)
                .bind(now)
                .bind(outbox_id)
        )?;
        Ok(())
    }

    /// Which of these outbox rows the dev provider holds a message for.
    pub async fn dev_sms_holding(&mut self, outbox_ids: &[i64]) -> sqlx::Result<Vec<i64>> {
        if outbox_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT outbox_id FROM dev_sms WHERE outbox_id IN {}",
            super::placeholders(1, outbox_ids.len(), 1)
        );
        q!(
            self,
            fetch_all,
            outbox_ids.iter().fold(
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str())),
                |q, id| q.bind(*id)
            )
        )
    }

    /// The dev phone log of one number, oldest first.
    pub async fn dev_sms_log(
        &mut self,
        phone: &str,
    ) -> sqlx::Result<Vec<(String, String, DateTime<Utc>)>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT direction, body, at FROM dev_sms WHERE phone = $1 ORDER BY id")
                .bind(phone)
        )
    }
}
