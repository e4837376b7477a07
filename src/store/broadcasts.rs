//! Group messages: the row for each, and its progress counted from the
//! outbox rows that point at it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Tx, placeholders};
use crate::{exec, q};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Broadcast {
    pub id: i64,
    pub election_id: i64,
    pub filter: String,
    pub text: String,
    pub channel: String,
    pub recipients: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// How far a group message has come.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct Progress {
    pub total: i64,
    pub waiting: i64,
    pub sent: i64,
    pub failed: i64,
    pub dead: i64,
    pub delivered: i64,
    pub undelivered: i64,
}

/// A message as the outbox page lists it.
#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct Listed {
    pub id: i64,
    pub person_id: Option<i64>,
    pub person: Option<String>,
    pub seat_id: Option<i64>,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub status: String,
    pub attempts: i32,
    pub delivery: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub broadcast_id: Option<i64>,
}

impl Tx {
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_broadcast(
        &mut self,
        election_id: i64,
        filter: &str,
        text: &str,
        channel: &str,
        recipients: i32,
        by: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO broadcasts (election_id, filter, text, channel, recipients, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
            )
            .bind(election_id)
            .bind(filter)
            .bind(text)
            .bind(channel)
            .bind(recipients)
            .bind(by)
            .bind(now)
        )
    }

    /// Marks outbox rows as a group message's.
    pub async fn tag_broadcast(&mut self, broadcast_id: i64, ids: &[i64]) -> sqlx::Result<()> {
        for chunk in ids.chunks(500) {
            let sql = format!(
                "UPDATE outbox SET broadcast_id = $1 WHERE id IN {}",
                placeholders(2, chunk.len(), 1)
            );
            exec!(
                self,
                chunk.iter().fold(
                    sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(broadcast_id),
                    |q, id| q.bind(*id)
                )
            )?;
        }
        Ok(())
    }

    pub async fn broadcast(&mut self, id: i64) -> sqlx::Result<Option<Broadcast>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM broadcasts WHERE id = $1").bind(id)
        )
    }

    pub async fn broadcasts(&mut self, limit: i64) -> sqlx::Result<Vec<Broadcast>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM broadcasts ORDER BY id DESC LIMIT $1").bind(limit)
        )
    }

    pub async fn broadcast_progress(&mut self, id: i64) -> sqlx::Result<Progress> {
        q!(
            self,
            fetch_one,
            sqlx::query_as(
                "SELECT COUNT(*) AS total,
                    COALESCE(SUM(CASE WHEN status IN ('pending', 'sending') THEN 1 ELSE 0 END), 0) AS waiting,
                    COALESCE(SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END), 0) AS sent,
                    COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS failed,
                    COALESCE(SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END), 0) AS dead,
                    COALESCE(SUM(CASE WHEN delivery = 'delivered' THEN 1 ELSE 0 END), 0) AS delivered,
                    COALESCE(SUM(CASE WHEN delivery = 'undelivered' THEN 1 ELSE 0 END), 0) AS undelivered
                 FROM outbox WHERE broadcast_id = $1"
            )
            .bind(id)
        )
    }

    /// Messages newest first, with the person's name; by status, channel
    /// and group message when given.
    pub async fn messages_listed(
        &mut self,
        status: Option<&str>,
        channel: Option<&str>,
        broadcast_id: Option<i64>,
        limit: i64,
    ) -> sqlx::Result<Vec<Listed>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT o.id, o.person_id, p.name AS person, o.seat_id, o.channel, o.recipient, o.template,
                        o.status, o.attempts, o.delivery, o.last_error, o.created_at, o.sent_at, o.broadcast_id
                 FROM outbox o LEFT JOIN people p ON p.id = o.person_id
                 WHERE ($1 IS NULL OR o.status = $1)
                   AND ($2 IS NULL OR o.channel = $2)
                   AND ($3 IS NULL OR o.broadcast_id = $3)
                 ORDER BY o.id DESC LIMIT $4"
            )
            .bind(status)
            .bind(channel)
            .bind(broadcast_id)
            .bind(limit)
        )
    }
}
