//! Storage: one contract, two backends (SQLite and PostgreSQL), chosen by the
//! database URL.
//!
//! Every query is written once. [`Tx`] holds a transaction on either backend
//! and the [`q!`](crate::q) and [`exec!`](crate::exec) macros expand a query
//! into one arm per backend, so each is type-checked against both drivers.
//! Queries use `$1`-style placeholders, which both drivers accept.

mod connect;
pub mod directory;
pub mod engine;
pub mod inbound;
pub mod outbox;
pub mod people;
pub mod records;
pub mod seats;
pub mod workflows;

pub use connect::{Backend, Db};
pub use records::*;

use sqlx::{Postgres, Sqlite, Transaction};
use tokio::sync::OwnedMutexGuard;

/// A transaction on either backend. Dropping it without [`Tx::commit`] rolls
/// it back. A SQLite write transaction holds the process's turn to write
/// until it ends.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, Option<OwnedMutexGuard<()>>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t, _turn) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Runs a `sqlx::query_as` / `query_scalar` builder on a [`Tx`] with the
/// given fetch method: `q!(tx, fetch_one, sqlx::query_scalar("…").bind(x))`.
#[macro_export]
macro_rules! q {
    ($tx:expr, $method:ident, $query:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(c, _) => $query.$method(&mut **c).await,
            $crate::store::Tx::Postgres(c) => $query.$method(&mut **c).await,
        }
    };
}

/// Executes a statement on a [`Tx`] and returns the number of rows affected.
#[macro_export]
macro_rules! exec {
    ($tx:expr, $query:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(c, _) => {
                $query.execute(&mut **c).await.map(|r| r.rows_affected())
            }
            $crate::store::Tx::Postgres(c) => {
                $query.execute(&mut **c).await.map(|r| r.rows_affected())
            }
        }
    };
}

/// True when the error is a unique or exclusion constraint violation.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// True when the error is a check or foreign-key violation.
pub fn is_constraint_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_check_violation() || db.is_foreign_key_violation())
}
