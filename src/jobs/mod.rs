//! Jobs run by apalis: delivering a message, handling a received message,
//! firing a timer.
//!
//! Jobs are queued with apalis's own `push_tasks` on *our* transaction, so
//! a job exists exactly when the row it works on was committed. Every queue
//! has an explicit, stable name (the table keeps the name; renaming a Rust
//! type must not orphan queued jobs). Each job reads its row's state before
//! acting, so a job that runs twice does its work once.

pub mod in_process;
mod poll;
pub mod ticker;
mod workers;

pub use workers::{WorkerSettings, Workers};

use serde::{Deserialize, Serialize};

use crate::store::{Conn, Tx};

/// Deliveries of fan-outs (a schedule, a group message, a batch of
/// invitations) and the ticker's retries.
pub const DELIVER_QUEUE: &str = "valgvagt.deliver";
/// Deliveries of what one event caused (an offer, a confirmation, an
/// answer): a queue and a worker of their own, so that an offer on
/// election morning never waits behind a reminder to every seat.
pub const URGENT_QUEUE: &str = "valgvagt.deliver.urgent";
pub const INBOUND_QUEUE: &str = "valgvagt.inbound";
pub const TIMER_QUEUE: &str = "valgvagt.timer";

/// Attempts apalis makes at a job before giving up on it. Delivery has its
/// own retry schedule in the outbox; this covers database hiccups.
const JOB_ATTEMPTS: usize = 5;

/// Delivers outbox messages: those one transaction wrote, or a page of
/// due retries. One job for many messages keeps the job tables small and
/// lets their claim and their record share one commit each.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "DeliverWire")]
pub struct Deliver {
    pub outbox_ids: Vec<i64>,
}

/// Most messages one delivery job carries.
pub const DELIVER_BATCH: usize = 250;

/// Also reads the single-message form queued by earlier releases.
#[derive(Deserialize)]
#[serde(untagged)]
enum DeliverWire {
    Many { outbox_ids: Vec<i64> },
    One { outbox_id: i64 },
}

impl From<DeliverWire> for Deliver {
    fn from(w: DeliverWire) -> Self {
        match w {
            DeliverWire::Many { outbox_ids } => Deliver { outbox_ids },
            DeliverWire::One { outbox_id } => Deliver {
                outbox_ids: vec![outbox_id],
            },
        }
    }
}

/// Which delivery queue a message goes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// A fan-out to many people, and the ticker's retries
    /// ([`DELIVER_QUEUE`]).
    Bulk,
    /// What one event caused: an offer, a confirmation, an answer
    /// ([`URGENT_QUEUE`]).
    Urgent,
}

/// Queues the delivery of `ids` in the caller's transaction, in jobs of at
/// most [`DELIVER_BATCH`]. `fresh` says the rows were inserted by this
/// transaction, so their first id makes a key no other job has.
pub async fn push_deliveries(
    tx: &mut Tx,
    ids: &[i64],
    fresh: bool,
    urgency: Urgency,
) -> Result<(), QueueError> {
    let jobs: Vec<_> = ids
        .chunks(DELIVER_BATCH)
        .map(|chunk| {
            let key = fresh.then(|| format!("outbox:{}", chunk[0]));
            (
                Deliver {
                    outbox_ids: chunk.to_vec(),
                },
                key,
            )
        })
        .collect();
    let queue = match urgency {
        Urgency::Bulk => DELIVER_QUEUE,
        Urgency::Urgent => URGENT_QUEUE,
    };
    push(tx, queue, &jobs).await
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HandleInbound {
    pub inbound_id: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FireTimer {
    pub timer_id: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("job queue (sqlite): {0}")]
    Sqlite(#[from] apalis_sqlite::Error),
    #[error("job queue (postgres): {0}")]
    Postgres(#[from] apalis_postgres::Error),
}

/// Queues jobs in the caller's transaction, each with an optional
/// idempotency key. A key must be new: SQLite drops a repeated key, but
/// PostgreSQL refuses it and fails the transaction, so only keys derived
/// from a fresh row's id are given.
pub async fn push<T: Serialize>(
    tx: &mut Tx,
    queue: &str,
    jobs: &[(T, Option<String>)],
) -> Result<(), QueueError> {
    if jobs.is_empty() {
        return Ok(());
    }
    let tasks: Vec<_> = jobs
        .iter()
        .map(|(job, key)| {
            let bytes = serde_json::to_vec(job).unwrap_or_default();
            let task = apalis::prelude::TaskBuilder::new(bytes).max_attempts(JOB_ATTEMPTS);
            match key {
                Some(key) => task.idempotency_key(key).build(),
                None => task.build(),
            }
        })
        .collect();
    match &mut tx.conn {
        Conn::Sqlite(c, _) => apalis_sqlite::queries::push_tasks(&mut **c, queue, &tasks).await?,
        Conn::Postgres(c) => apalis_postgres::queries::push_tasks(&mut **c, queue, tasks).await?,
    }
    Ok(())
}

/// Creates apalis's tables beside ours. On SQLite only its migrations are
/// run, not its `setup`, which would also switch a connection to
/// `synchronous = OFF`.
pub async fn setup(db: &crate::store::Db) -> anyhow::Result<()> {
    match &db.pool {
        crate::store::Pool::Sqlite(pool, _) => {
            apalis_sqlite::SqliteStorage::migrations().run(pool).await?;
        }
        crate::store::Pool::Postgres(pool) => {
            sqlx::query("CREATE EXTENSION IF NOT EXISTS hstore")
                .execute(pool)
                .await?;
            apalis_postgres::PostgresStorage::setup(pool).await?;
        }
    }
    Ok(())
}

/// Jobs not yet finished, in every queue: waiting, queued or running.
pub async fn unfinished(db: &crate::store::Db) -> sqlx::Result<i64> {
    match &db.pool {
        crate::store::Pool::Sqlite(pool, _) => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM Jobs WHERE status IN ('Pending', 'Queued', 'Running')",
            )
            .fetch_one(pool)
            .await
        }
        crate::store::Pool::Postgres(pool) => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM apalis.jobs WHERE status IN ('Pending', 'Queued', 'Running')",
            )
            .fetch_one(pool)
            .await
        }
    }
}
