//! Opening the database named by a URL, and migrating it.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use tokio::sync::Mutex;

use super::{Conn, Tx};

/// Our migrations' bookkeeping table. apalis keeps its own in sqlx's default
/// `_sqlx_migrations`; sharing that table would make each migrator see the
/// other's versions as missing.
pub const MIGRATIONS_TABLE: &str = "valgvagt_migrations";

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool on either backend. SQLite has one writer at a time;
/// our write transactions queue for it on an async lock in the process
/// instead of in SQLite's busy handler, which sleeps and backs off and
/// collapses throughput under contention.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, Arc<Mutex<()>>),
    Postgres(PgPool),
}

impl Db {
    /// Opens `sqlite://path` (created if missing) or `postgres://…` with a
    /// pool of at most `max_connections`.
    ///
    /// SQLite runs in WAL mode with `synchronous = FULL`: a committed answer
    /// or outbox row survives a power cut. Writers wait up to 30 s for the
    /// single write lock.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30));
            Db::connect_sqlite(options, max_connections).await
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // Plan each statement for its parameters: a generic plan made
            // while a table was nearly empty (a new election) would go on
            // scanning it after it has grown to thousands of rows.
            let options = PgConnectOptions::from_str(url)?
                .options([("plan_cache_mode", "force_custom_plan")]);
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            anyhow::bail!(
                "the database URL must start with sqlite:// or postgres:// (got a URL with another scheme)"
            )
        }
    }

    /// Opens a SQLite file for one process alone, whose contents may be
    /// lost in a crash: a rehearsal's own database, thrown away afterwards.
    /// One connection holds the file exclusively, commits are not flushed
    /// to disk, the rollback journal is kept in memory and the page cache
    /// holds the whole database, so a commit costs microseconds instead of
    /// an fsync and nothing is read twice.
    pub async fn connect_scratch(path: &std::path::Path) -> anyhow::Result<Db> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Memory)
            .locking_mode(sqlx::sqlite::SqliteLockingMode::Exclusive)
            .synchronous(SqliteSynchronous::Off)
            .foreign_keys(true)
            .pragma("cache_size", "-262144");
        Db::connect_sqlite(options, 1).await
    }

    async fn connect_sqlite(
        options: SqliteConnectOptions,
        max_connections: u32,
    ) -> anyhow::Result<Db> {
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        Ok(Db::Sqlite(pool, Arc::new(Mutex::new(()))))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies our migrations, bookkept in [`MIGRATIONS_TABLE`].
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(pool, _) => {
                let mut m = clone_migrator(&SQLITE_MIGRATIONS);
                m.dangerous_set_table_name(MIGRATIONS_TABLE);
                m.run(pool).await?;
            }
            Db::Postgres(pool) => {
                let mut m = clone_migrator(&POSTGRES_MIGRATIONS);
                m.dangerous_set_table_name(MIGRATIONS_TABLE);
                m.run(pool).await?;
            }
        }
        Ok(())
    }

    /// Begins a transaction that will write. On SQLite it takes the write
    /// lock at once (`BEGIN IMMEDIATE`), so two writers queue up instead of
    /// failing when both try to upgrade a read lock.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool, writer) => {
                let turn = writer.clone().lock_owned().await;
                Tx::new(Conn::Sqlite(
                    pool.begin_with("BEGIN IMMEDIATE").await?,
                    Some(turn),
                ))
            }
            Db::Postgres(pool) => Tx::new(Conn::Postgres(pool.begin().await?)),
        })
    }

    /// Begins a transaction that only reads.
    pub async fn read(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool, _) => Tx::new(Conn::Sqlite(pool.begin().await?, None)),
            Db::Postgres(pool) => Tx::new(Conn::Postgres(pool.begin().await?)),
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool, _) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

fn clone_migrator(m: &Migrator) -> Migrator {
    Migrator::with_migrations(m.iter().cloned().collect())
}
