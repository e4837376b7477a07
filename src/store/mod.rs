//! Storage: one contract, two backends (SQLite and PostgreSQL), chosen by the
//! database URL.
//!
//! Every query is written once. [`Tx`] holds a transaction on either backend
//! and the [`q!`](crate::q) and [`exec!`](crate::exec) macros expand a query
//! into one arm per backend, so each is type-checked against both drivers.
//! Queries use `$1`-style placeholders, which both drivers accept.

mod appends;
pub mod board;
pub mod broadcasts;
mod connect;
pub mod directory;
pub mod drafts;
pub mod engine;
pub mod erasure;
pub mod inbound;
pub mod links;
pub mod outbox;
pub mod participants;
pub mod people;
pub mod people_list;
pub mod processes;
pub mod records;
pub mod rehearsal;
pub mod retention;
pub mod schedules;
pub mod sealing;
pub mod seats;
pub mod setup;
pub mod standby;
pub mod swaps;
pub mod templates;
pub mod users;
pub mod workflows;

pub use appends::Appends;
pub use connect::{Backend, Db, Pool};
pub use records::*;

use sqlx::{Postgres, Sqlite, Transaction};
use tokio::sync::OwnedMutexGuard;

/// A transaction on either backend. Dropping it without [`Tx::commit`] rolls
/// it back. A SQLite write transaction holds the process's turn to write
/// until it ends.
///
/// Audit events and seat history are only ever appended within a
/// transaction, never read back by it: they are kept in [`Appends`] and
/// written with a few multi-row statements just before the commit, in the
/// same transaction.
pub struct Tx {
    pub conn: Conn,
    pub(crate) appends: Appends,
    /// Seals and opens CPR numbers.
    pub(crate) key: std::sync::Arc<sealing::DataKey>,
}

pub enum Conn {
    Sqlite(Transaction<'static, Sqlite>, Option<OwnedMutexGuard<()>>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn new(conn: Conn, key: std::sync::Arc<sealing::DataKey>) -> Tx {
        Tx {
            conn,
            appends: Appends::default(),
            key,
        }
    }

    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        self.flush().await?;
        match self.conn {
            Conn::Sqlite(t, _turn) => t.commit().await,
            Conn::Postgres(t) => t.commit().await,
        }
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(..) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Runs a `sqlx::query_as` / `query_scalar` builder on a [`Tx`] with the
/// given fetch method: `q!(tx, fetch_one, sqlx::query_scalar("…").bind(x))`.
#[macro_export]
macro_rules! q {
    ($tx:expr, $method:ident, $query:expr) => {
        match &mut ($tx).conn {
            $crate::store::Conn::Sqlite(c, _) => $query.$method(&mut **c).await,
            $crate::store::Conn::Postgres(c) => $query.$method(&mut **c).await,
        }
    };
}

/// Executes a statement on a [`Tx`] and returns the number of rows affected.
#[macro_export]
macro_rules! exec {
    ($tx:expr, $query:expr) => {
        match &mut ($tx).conn {
            $crate::store::Conn::Sqlite(c, _) => {
                $query.execute(&mut **c).await.map(|r| r.rows_affected())
            }
            $crate::store::Conn::Postgres(c) => {
                $query.execute(&mut **c).await.map(|r| r.rows_affected())
            }
        }
    };
}

/// `($first, …), (…)`: `rows` groups of `columns` numbered placeholders,
/// for a statement that takes a list of values. Only placeholders are
/// formatted into SQL; every value is bound.
pub(crate) fn placeholders(first: usize, columns: usize, rows: usize) -> String {
    let mut sql = String::new();
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", first + r * columns + c));
        }
        sql.push(')');
    }
    sql
}

/// True when the error is a unique or exclusion constraint violation, or
/// the trigger that refuses a person two seats at one time (on SQLite a
/// trigger's refusal is not a unique violation by its code).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db)
        if db.is_unique_violation() || db.message().contains("seats_overlap"))
}

/// True when the error is a check or foreign-key violation.
pub fn is_constraint_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_check_violation() || db.is_foreign_key_violation())
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_are_numbered_row_by_row_from_the_first() {
        assert_eq!(placeholders(1, 2, 2), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(3, 1, 3), "($3), ($4), ($5)");
    }
}
