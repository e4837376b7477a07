//! The service processes sharing the database, and the delivery claims
//! each holds. A process registers when it starts, beats on every tick,
//! and is forgotten when it stops; one found dead has its claims released.

use chrono::{DateTime, Utc};

use super::Tx;
use crate::{exec, q};

/// A registered process, as another sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProcessRow {
    pub id: String,
    pub host: String,
    pub pid: i64,
    pub beat_at: DateTime<Utc>,
}

impl Tx {
    /// Registers process `id` or records that it is alive at `now`.
    pub async fn beat(
        &mut self,
        id: &str,
        host: &str,
        pid: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query(
                "INSERT INTO processes (id, host, pid, started_at, beat_at) VALUES ($1, $2, $3, $4, $4)
                 ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at"
            )
            .bind(id)
            .bind(host)
            .bind(pid)
            .bind(now)
        )?;
        Ok(())
    }

    /// Answers if the database does.
    pub async fn ping(&mut self) -> sqlx::Result<()> {
        let _: i64 = q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
        )?;
        Ok(())
    }

    /// Every process but `id`.
    pub async fn other_processes(&mut self, id: &str) -> sqlx::Result<Vec<ProcessRow>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT id, host, pid, beat_at FROM processes WHERE id <> $1 ORDER BY id"
            )
            .bind(id)
        )
    }

    /// Forgets process `id`.
    pub async fn forget_process(&mut self, id: &str) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("DELETE FROM processes WHERE id = $1").bind(id)
        )?;
        Ok(())
    }

    /// Forgets the processes `dead` and releases the delivery attempts of
    /// every process no longer registered, and (whoever holds them) those
    /// claimed before `claimed_before`. Each goes back to `pending`, to be sent
    /// again at once, and is marked as possibly sent: its gateway call may
    /// have been made. Returns how many.
    pub async fn release_dead_claims(
        &mut self,
        dead: &[String],
        claimed_before: DateTime<Utc>,
    ) -> sqlx::Result<u64> {
        for id in dead {
            exec!(
                self,
                sqlx::query("DELETE FROM processes WHERE id = $1").bind(id)
            )?;
        }
        if !dead.is_empty() {
            self.requeue_unfinished().await?;
        }
        exec!(
            self,
            sqlx::query(
                "UPDATE outbox SET status = 'pending', queued_at = NULL, claimed_by = NULL, maybe_sent = TRUE
                 WHERE status = 'sending'
                   AND (claimed_at <= $1 OR claimed_by NOT IN (SELECT id FROM processes))"
            )
            .bind(claimed_before)
        )
    }

    /// Marks every unfinished message, timer and received message as not
    /// queued, so that the next tick queues each again: the jobs a dead
    /// process had taken are gone with it. A job queued twice does its
    /// work once (each claims its row in its transaction).
    async fn requeue_unfinished(&mut self) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query(
                "UPDATE outbox SET queued_at = NULL
                 WHERE status IN ('pending', 'failed') AND queued_at IS NOT NULL"
            )
        )?;
        exec!(
            self,
            sqlx::query(
                "UPDATE timers SET queued_at = NULL
                 WHERE fired_at IS NULL AND cancelled_at IS NULL AND queued_at IS NOT NULL"
            )
        )?;
        exec!(
            self,
            sqlx::query("UPDATE inbound SET queued_at = $1 WHERE processed_at IS NULL")
                .bind(DateTime::<Utc>::UNIX_EPOCH)
        )?;
        Ok(())
    }
}
