//! Opening the database named by a URL, and migrating it.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use tokio::sync::Mutex;

use super::sealing::DataKey;
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

impl Backend {
    /// `sqlite` or `postgres`, as health checks and benchmarks print it.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The database: a connection pool on either backend, and the key that
/// seals CPR numbers in it.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: Pool,
    key: Arc<DataKey>,
}

/// A connection pool on either backend. SQLite has one writer at a time;
/// our write transactions queue for it on an async lock in the process
/// instead of in SQLite's busy handler, which sleeps and backs off and
/// collapses throughput under contention.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool, Arc<Mutex<()>>),
    Postgres(PgPool),
}

impl Db {
    /// Opens `sqlite://path` (created if missing) or `postgres://…` with a
    /// pool of at most `max_connections`. CPR numbers are sealed with
    /// `data_key` (64 hexadecimal digits); without one, a SQLite file's
    /// key is kept in a file beside it (`<file>.key`) and an in-memory
    /// database gets a fresh key, while PostgreSQL refuses to start.
    ///
    /// SQLite runs in WAL mode with `synchronous = FULL`: a committed answer
    /// or outbox row survives a power cut. Writers wait up to 30 s for the
    /// single write lock.
    pub async fn connect(
        url: &str,
        max_connections: u32,
        data_key: Option<&str>,
    ) -> anyhow::Result<Db> {
        let given = data_key
            .map(|hex| DataKey::parse(hex).map_err(|e| anyhow::anyhow!("VALGVAGT_DATA_KEY: {e}")))
            .transpose()?;
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30));
            let key = match given {
                Some(key) => key,
                None => {
                    let file = options.get_filename();
                    let name = file.to_string_lossy();
                    if name.is_empty() || name == ":memory:" || url.contains("mode=memory") {
                        DataKey::random()
                    } else {
                        tracing::warn!(
                            "CPR numbers are sealed with a key kept in a file beside the database (.key); set VALGVAGT_DATA_KEY to keep it elsewhere"
                        );
                        DataKey::beside(file)?
                    }
                }
            };
            Db::connect_sqlite(options, max_connections, key).await
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let key = given.ok_or_else(|| {
                anyhow::anyhow!(
                    "VALGVAGT_DATA_KEY must be set with PostgreSQL: CPR numbers are sealed with a key kept outside the database (`valgvagt data-key` makes one; keep it safe, a lost key loses every CPR number)"
                )
            })?;
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
            Ok(Db {
                pool: Pool::Postgres(pool),
                key: Arc::new(key),
            })
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
        let key = DataKey::beside(path)?;
        Db::connect_sqlite(options, 1, key).await
    }

    async fn connect_sqlite(
        options: SqliteConnectOptions,
        max_connections: u32,
        key: DataKey,
    ) -> anyhow::Result<Db> {
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        Ok(Db {
            pool: Pool::Sqlite(pool, Arc::new(Mutex::new(()))),
            key: Arc::new(key),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(..) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies our migrations, bookkept in [`MIGRATIONS_TABLE`].
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.pool {
            Pool::Sqlite(pool, _) => {
                let mut m = clone_migrator(&SQLITE_MIGRATIONS);
                m.dangerous_set_table_name(MIGRATIONS_TABLE);
                m.run(pool).await?;
            }
            Pool::Postgres(pool) => {
                let mut m = clone_migrator(&POSTGRES_MIGRATIONS);
                m.dangerous_set_table_name(MIGRATIONS_TABLE);
                m.run(pool).await?;
            }
        }
        self.seal_at_rest().await
    }

    /// Refuses a data key other than the one the CPR numbers were sealed
    /// with, and seals the numbers an older version stored in clear; the
    /// table is then rewritten so that the clear numbers do not linger in
    /// free pages of the file. The mark that a rewrite is owed is kept in
    /// the sealing's transaction and cleared only after the rewrite, so a
    /// crash between the two rewrites at the next start.
    async fn seal_at_rest(&self) -> anyhow::Result<()> {
        let mut tx = self.begin().await?;
        anyhow::ensure!(
            tx.data_key_matches().await?,
            "the data key (VALGVAGT_DATA_KEY, or the .key file beside a SQLite database) is not the key this database's CPR numbers were sealed with"
        );
        match tx.seal_clear_cprs().await? {
            Ok(0) => {}
            Ok(sealed) => {
                tracing::info!(people = sealed, "CPR numbers stored in clear were sealed")
            }
            Err(bad) => anyhow::bail!(
                "the CPR numbers of people {bad:?} are not CPR numbers (DDMMYY-SSSS with a real date): correct them in the database before this version starts, so that they can be sealed"
            ),
        }
        tx.commit().await?;
        let mut tx = self.read().await?;
        let owed = tx.secret_exists("rewrite_pending").await?;
        drop(tx);
        if owed {
            match &self.pool {
                Pool::Sqlite(pool, _) => {
                    sqlx::query("VACUUM").execute(pool).await?;
                    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .execute(pool)
                        .await?;
                }
                Pool::Postgres(pool) => {
                    sqlx::query("VACUUM FULL people").execute(pool).await?;
                }
            }
            let mut tx = self.begin().await?;
            tx.take_rewrite_pending().await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Begins a transaction that will write. On SQLite it takes the write
    /// lock at once (`BEGIN IMMEDIATE`), so two writers queue up instead of
    /// failing when both try to upgrade a read lock.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let conn = match &self.pool {
            Pool::Sqlite(pool, writer) => {
                let turn = writer.clone().lock_owned().await;
                Conn::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?, Some(turn))
            }
            Pool::Postgres(pool) => Conn::Postgres(pool.begin().await?),
        };
        Ok(Tx::new(conn, self.key.clone()))
    }

    /// Begins a transaction that only reads.
    pub async fn read(&self) -> Result<Tx, sqlx::Error> {
        let conn = match &self.pool {
            Pool::Sqlite(pool, _) => Conn::Sqlite(pool.begin().await?, None),
            Pool::Postgres(pool) => Conn::Postgres(pool.begin().await?),
        };
        Ok(Tx::new(conn, self.key.clone()))
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool, _) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

fn clone_migrator(m: &Migrator) -> Migrator {
    Migrator::with_migrations(m.iter().cloned().collect())
}
