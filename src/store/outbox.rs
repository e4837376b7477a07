//! The outbox: one row per message, written in the same transaction as the
//! state change that caused it, and delivered by a separate job.
//!
//! A row goes `pending` → `sending` (claimed by one delivery job) → `sent`;
//! a failed attempt goes to `failed` with a time for the next attempt, and
//! after the last attempt to `dead`, where the API lists it.

use chrono::{DateTime, Utc};

use super::{OutboxMessage, Tx, placeholders};
use crate::{exec, q};

pub struct NewMessage<'a> {
    pub idempotency_key: &'a str,
    pub person_id: Option<i64>,
    pub seat_id: Option<i64>,
    pub instance_id: Option<i64>,
    pub question_id: Option<i64>,
    pub channel: &'a str,
    pub recipient: &'a str,
    pub template: &'a str,
    pub language: &'a str,
    pub body: &'a str,
    pub subject: Option<&'a str>,
    pub html: Option<&'a str>,
    pub calendar: Option<&'a str>,
    /// For an SMS: how to send it another way if it is not delivered (JSON).
    pub fallback: Option<&'a str>,
    /// The message this one repeats on another channel.
    pub fallback_of: Option<i64>,
    /// Telegram only: the inline buttons under the message (JSON rows).
    pub buttons: Option<&'a str>,
}

impl Tx {
    /// How many messages of the given templates went to `recipient` since
    /// `since`.
    pub async fn sent_to_since(
        &mut self,
        recipient: &str,
        templates: &[&str],
        since: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        let mut n = 0;
        for template in templates {
            let count: i64 = q!(
                self,
                fetch_one,
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM outbox
                     WHERE recipient = $1 AND created_at >= $2 AND template = $3"
                )
                .bind(recipient)
                .bind(since)
                .bind(*template)
            )?;
            n += count;
        }
        Ok(n)
    }

    /// Adds a message, marked as queued now: the caller queues its delivery
    /// job after the commit.
    pub async fn insert_message(
        &mut self,
        m: &NewMessage<'_>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO outbox (idempotency_key, person_id, seat_id, instance_id, question_id, channel,
                     recipient, template, language, body, subject, html, calendar, fallback, fallback_of,
                     buttons, status, attempts, next_attempt_at, queued_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, $13, $14, $15, $16, $17, 'pending', 0, $11, $11, $11) RETURNING id"
            )
            .bind(m.idempotency_key)
            .bind(m.person_id)
            .bind(m.seat_id)
            .bind(m.instance_id)
            .bind(m.question_id)
            .bind(m.channel)
            .bind(m.recipient)
            .bind(m.template)
            .bind(m.language)
            .bind(m.body)
            .bind(now)
            .bind(m.subject)
            .bind(m.html)
            .bind(m.calendar)
            .bind(m.fallback)
            .bind(m.fallback_of)
            .bind(m.buttons)
        )
    }

    /// The message a delivery report is about: by our idempotency key
    /// (GatewayAPI's `userref`) or by the provider's message id.
    pub async fn message_reported(
        &mut self,
        key: Option<&str>,
        provider: &str,
        provider_message_id: &str,
    ) -> sqlx::Result<Option<OutboxMessage>> {
        if let Some(key) = key {
            let found: Option<OutboxMessage> = q!(
                self,
                fetch_optional,
                sqlx::query_as("SELECT * FROM outbox WHERE idempotency_key = $1").bind(key)
            )?;
            if found.is_some() {
                return Ok(found);
            }
        }
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM outbox WHERE provider = $1 AND provider_message_id = $2")
                .bind(provider)
                .bind(provider_message_id)
        )
    }

    /// Records a final delivery report; false when one was recorded before
    /// (gateways repeat their reports).
    pub async fn record_delivery(
        &mut self,
        id: i64,
        delivery: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE outbox SET delivery = $1, delivery_detail = $2, reported_at = $3
                 WHERE id = $4 AND delivery IS NULL"
            )
            .bind(delivery)
            .bind(detail)
            .bind(now)
            .bind(id)
        )?;
        Ok(n == 1)
    }

    /// How to send a message another way, if it can be.
    pub async fn message_fallback(&mut self, id: i64) -> sqlx::Result<Option<String>> {
        let found: Option<Option<String>> = q!(
            self,
            fetch_optional,
            sqlx::query_scalar("SELECT fallback FROM outbox WHERE id = $1").bind(id)
        )?;
        Ok(found.flatten())
    }

    pub async fn message(&mut self, id: i64) -> sqlx::Result<Option<OutboxMessage>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM outbox WHERE id = $1").bind(id)
        )
    }

    /// Claims messages for one delivery attempt each by process `by`, in
    /// id order. Left out are those sent, dead, claimed by another
    /// attempt, or not due.
    pub async fn claim_messages(
        &mut self,
        ids: &[i64],
        now: DateTime<Utc>,
        by: &str,
    ) -> sqlx::Result<Vec<OutboxMessage>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_at = $1, claimed_by = $2
             WHERE id IN {} AND status IN ('pending', 'failed') AND next_attempt_at <= $1
             RETURNING *",
            placeholders(3, ids.len(), 1)
        );
        let mut claimed: Vec<OutboxMessage> = q!(
            self,
            fetch_all,
            ids.iter().fold(
                sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(now)
                    .bind(by),
                |q, id| q.bind(*id)
            )
        )?;
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    /// Records many successful attempts with one statement per 500.
    pub async fn mark_sent_many(
        &mut self,
        sent: &[(i64, String)],
        provider: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        for chunk in sent.chunks(500) {
            // `(VALUES …)` names its columns column1, column2 on both
            // backends.
            let sql = format!(
                "UPDATE outbox SET status = 'sent', provider = $1, provider_message_id = v.column2,
                        sent_at = $2, last_error = NULL
                 FROM (VALUES {}) AS v WHERE outbox.id = v.column1",
                placeholders(3, 2, chunk.len())
            );
            exec!(
                self,
                chunk.iter().fold(
                    sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                        .bind(provider)
                        .bind(now),
                    |q, (id, pid)| q.bind(*id).bind(pid)
                )
            )?;
        }
        Ok(())
    }

    /// Records a failed attempt: `failed` with the time of the next attempt,
    /// or `dead` when `retry_at` is `None`; `maybe_sent` when the attempt
    /// may have reached the phone, which stays on the row. An attempt
    /// whose claim was released meanwhile (its process was taken for dead)
    /// is not recorded: the message is another attempt's now.
    pub async fn mark_failed(
        &mut self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        maybe_sent: bool,
    ) -> sqlx::Result<()> {
        if maybe_sent {
            exec!(
                self,
                sqlx::query(
                    "UPDATE outbox SET maybe_sent = TRUE WHERE id = $1 AND status = 'sending'"
                )
                .bind(id)
            )?;
        }
        match retry_at {
            Some(at) => exec!(
                self,
                // The job that made this attempt is over: the next is queued
                // by the ticker when `next_attempt_at` comes, not when a
                // requeue of a lost job would be.
                sqlx::query("UPDATE outbox SET status = 'failed', last_error = $1, next_attempt_at = $2, queued_at = NULL WHERE id = $3 AND status = 'sending'")
                    .bind(error)
                    .bind(at)
                    .bind(id)
            )?,
            None => exec!(
                self,
                sqlx::query("UPDATE outbox SET status = 'dead', last_error = $1 WHERE id = $2 AND status = 'sending'")
                    .bind(error)
                    .bind(id)
            )?,
        };
        Ok(())
    }

    /// Up to `limit` messages that are due for an attempt and whose job was
    /// not queued since `requeue_before`; marks them queued now.
    pub async fn take_due_messages(
        &mut self,
        now: DateTime<Utc>,
        requeue_before: DateTime<Utc>,
        limit: i64,
    ) -> sqlx::Result<Vec<i64>> {
        let ids: Vec<i64> = q!(
            self,
            fetch_all,
            sqlx::query_scalar(
                "SELECT id FROM outbox
                 WHERE status IN ('pending', 'failed') AND next_attempt_at <= $1
                   AND (queued_at IS NULL OR queued_at <= $2)
                 ORDER BY next_attempt_at, id LIMIT $3"
            )
            .bind(now)
            .bind(requeue_before)
            .bind(limit)
        )?;
        for id in &ids {
            exec!(
                self,
                sqlx::query("UPDATE outbox SET queued_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(*id)
            )?;
        }
        Ok(ids)
    }

    /// The outbox, newest first, optionally of one status.
    /// Messages newest first, with `status` if given, older than
    /// `before` (an id) if given: one page of at most `limit`.
    pub async fn messages(
        &mut self,
        status: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> sqlx::Result<Vec<OutboxMessage>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT * FROM outbox WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR id < $2)
                 ORDER BY id DESC LIMIT $3"
            )
            .bind(status)
            .bind(before)
            .bind(limit)
        )
    }

    /// How many messages may have reached their recipient twice (an
    /// attempt of unknown outcome was followed by another).
    pub async fn count_maybe_doubled(&mut self) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE maybe_sent AND status = 'sent'")
        )
    }

    /// The idempotency keys of the messages marked as possibly sent twice.
    pub async fn maybe_sent_keys(&mut self) -> sqlx::Result<Vec<String>> {
        q!(
            self,
            fetch_all,
            sqlx::query_scalar("SELECT idempotency_key FROM outbox WHERE maybe_sent ORDER BY id")
        )
    }

    /// How many messages there are in each status, without reading them.
    pub async fn message_counts(&mut self) -> sqlx::Result<Vec<(String, i64)>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")
        )
    }

    /// Messages to one recipient address, oldest first.
    pub async fn messages_to(&mut self, recipient: &str) -> sqlx::Result<Vec<OutboxMessage>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM outbox WHERE recipient = $1 ORDER BY id").bind(recipient)
        )
    }

    /// Gives a dead message a new round of attempts.
    /// A message whose text was erased or purged cannot be sent again.
    pub async fn revive_message(&mut self, id: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, queued_at = $1
                 WHERE id = $2 AND status = 'dead' AND body <> ''"
            )
            .bind(now)
            .bind(id)
        )?;
        Ok(n == 1)
    }

    pub async fn count_messages(&mut self, status: &str) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = $1").bind(status)
        )
    }
}
