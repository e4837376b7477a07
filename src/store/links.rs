//! Single-purpose links and the service's secrets.

use chrono::{DateTime, Utc};

use super::{Tx, placeholders};
use crate::domain::LinkFacts;
use crate::{exec, q};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Link {
    pub id: i64,
    /// The question it answers; none for a cancel link.
    pub question_id: Option<i64>,
    /// The seat a cancel link gives up.
    pub seat_id: Option<i64>,
    pub person_id: i64,
    pub purpose: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Link {
    pub fn facts(&self) -> LinkFacts<'_> {
        LinkFacts {
            id: self.id,
            purpose: &self.purpose,
            // A Telegram link is about its person alone.
            subject: self.question_id.or(self.seat_id).unwrap_or(self.person_id),
            expires_at: self.expires_at,
        }
    }
}

impl Tx {
    pub async fn insert_link(
        &mut self,
        question_id: i64,
        person_id: i64,
        purpose: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO links (question_id, person_id, purpose, expires_at, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id"
            )
            .bind(question_id)
            .bind(person_id)
            .bind(purpose)
            .bind(expires_at)
            .bind(now)
        )
    }

    /// A link that gives up a seat the person holds.
    pub async fn insert_cancel_link(
        &mut self,
        seat_id: i64,
        person_id: i64,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO links (seat_id, person_id, purpose, expires_at, created_at)
                 VALUES ($1, $2, 'cancel', $3, $4) RETURNING id"
            )
            .bind(seat_id)
            .bind(person_id)
            .bind(expires_at)
            .bind(now)
        )
    }

    /// A link that binds a Telegram chat to the person (the deep link's
    /// `start` token).
    pub async fn insert_telegram_link(
        &mut self,
        person_id: i64,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO links (person_id, purpose, expires_at, created_at)
                 VALUES ($1, 'telegram', $2, $3) RETURNING id"
            )
            .bind(person_id)
            .bind(expires_at)
            .bind(now)
        )
    }

    pub async fn link(&mut self, id: i64) -> sqlx::Result<Option<Link>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM links WHERE id = $1").bind(id)
        )
    }

    pub async fn links(&mut self, ids: &[i64]) -> sqlx::Result<Vec<Link>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT * FROM links WHERE id IN {}",
            placeholders(1, ids.len(), 1)
        );
        q!(
            self,
            fetch_all,
            ids.iter().fold(
                sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
                |q, id| q.bind(*id)
            )
        )
    }

    /// Uses up every Telegram link of the person not used yet: once a
    /// chat is linked, an older invitation's deep link cannot take it over.
    pub async fn use_telegram_links_of(
        &mut self,
        person_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<u64> {
        exec!(
            self,
            sqlx::query(
                "UPDATE links SET used_at = $1
                 WHERE person_id = $2 AND purpose = 'telegram' AND used_at IS NULL"
            )
            .bind(now)
            .bind(person_id)
        )
    }

    /// Uses a link up: true for the one caller that found it unused and
    /// unexpired.
    pub async fn use_link(&mut self, id: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE links SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1"
            )
            .bind(now)
            .bind(id)
        )?;
        Ok(n == 1)
    }

    /// The secret `name`, made with `make` and stored the first time it is
    /// asked for. Two processes starting at once agree on one value.
    /// Whether a secret of this name is kept.
    pub async fn secret_exists(&mut self, name: &str) -> sqlx::Result<bool> {
        let n: i64 = q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT COUNT(*) FROM secrets WHERE name = $1").bind(name)
        )?;
        Ok(n > 0)
    }

    pub async fn secret(
        &mut self,
        name: &str,
        make: impl FnOnce() -> String,
    ) -> sqlx::Result<String> {
        exec!(
            self,
            sqlx::query(
                "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
            )
            .bind(name)
            .bind(make())
        )?;
        q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1").bind(name)
        )
    }
}
