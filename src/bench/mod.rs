//! `valgvagt bench`: invites N seats through the real engine (assignment,
//! workflow, outbox, apalis delivery jobs, GatewayAPI over HTTP) into a
//! local fake gateway, and prints messages per second beside the raw
//! batched-write rate of the same database measured in the same run.
//! `valgvagt bench --crash` measures what a kill -9 costs instead
//! ([`crash`]).

pub mod crash;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::app::{self, Config, SmsConfig};
use crate::clock::Clock;
use crate::engine::{Assignment, Engine};
use crate::exec;
use crate::sms::fake_gatewayapi::FakeGatewayApi;
use crate::sms::gatewayapi::GatewayApiConfig;
use crate::store::Db;

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Seats to invite in batches.
    #[arg(long, default_value_t = 50_000)]
    pub seats: usize,
    /// Assignments per batch (one transaction each), as the bulk
    /// assignment API makes them.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Seats to invite one transaction at a time, before the batches.
    #[arg(long, default_value_t = 2_000)]
    pub single: usize,
    /// Assigning clients running at once.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Delivery jobs each worker runs at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Measure crash recovery instead: `--crash-messages` invitations
    /// delivered by a `valgvagt serve` process killed (SIGKILL) `--kills`
    /// times; prints messages lost, sent twice and marked, and the time to
    /// drain after the last start.
    #[arg(long)]
    pub crash: bool,
    #[arg(long, default_value_t = 10_000)]
    pub crash_messages: usize,
    #[arg(long, default_value_t = 3)]
    pub kills: usize,
    /// How long the fake gateway takes to answer each call in the crash
    /// bench.
    #[arg(long, default_value_t = 50)]
    pub gateway_latency_ms: u64,
}

/// Invitations per second of one way of inviting: from the first
/// assignment until the gateway has every invitation.
pub struct Rate {
    pub seats: usize,
    /// Assignments per second, until the last assignment committed.
    pub assigned_per_s: f64,
    /// Invitations that reached the gateway per second.
    pub msgs_per_s: f64,
}

pub struct BenchReport {
    pub backend: &'static str,
    pub raw_rows_per_s: f64,
    pub single: Rate,
    pub batched: Rate,
}

/// Runs on a fresh temporary SQLite file, or on the PostgreSQL database
/// named by `--database-url` (which must hold no election).
pub async fn run(config: &Config, args: BenchArgs) -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    let url = if config.database_url.starts_with("postgres") {
        config.database_url.clone()
    } else {
        format!("sqlite://{}", dir.join("bench.db").display())
    };
    if args.crash {
        let crash_args = crash::CrashArgs {
            messages: args.crash_messages,
            kills: args.kills,
            gateway_latency: Duration::from_millis(args.gateway_latency_ms),
        };
        let r = crash::crash(config, &url, &crash_args).await;
        let _ = std::fs::remove_dir_all(&dir);
        let r = r?;
        println!(
            "bench {} crash: {} messages, {} kills (SIGKILL), up to {} gateway calls in flight per process",
            r.backend, r.messages, r.kills, r.in_flight
        );
        println!(
            "bench {} crash: lost {} | sent twice {} (at most {}) | marked as possibly twice {} | twice but unmarked {}",
            r.backend,
            r.lost,
            r.doubled,
            r.in_flight * r.kills,
            r.marked,
            r.doubled_unmarked
        );
        println!(
            "bench {} crash: drained {:.1} s after the last start | {:.1} s in all",
            r.backend,
            r.drain.as_secs_f64(),
            r.total.as_secs_f64()
        );
        return Ok(());
    }
    let r = bench(config, &url, &args).await?;
    println!(
        "bench {}: raw batched writes {:.0} rows/s",
        r.backend, r.raw_rows_per_s
    );
    for (how, rate) in [
        ("one per transaction", &r.single),
        (&*format!("{} per transaction", args.batch), &r.batched),
    ] {
        println!(
            "bench {}: {} seats invited {how}: assigned {:.0}/s | invitations delivered {:.0} msgs/s",
            r.backend, rate.seats, rate.assigned_per_s, rate.msgs_per_s
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The backend's name, once the database is known to hold no election.
async fn empty_database(db: &Db) -> anyhow::Result<&'static str> {
    let mut tx = db.read().await?;
    anyhow::ensure!(
        tx.elections().await?.is_empty(),
        "the bench needs an empty database"
    );
    Ok(db.backend().name())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("valgvagt-bench-{}", crate::engine::new_key()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub async fn bench(base: &Config, url: &str, args: &BenchArgs) -> anyhow::Result<BenchReport> {
    let fake = FakeGatewayApi::start("bench-token").await?;
    let mut workers = base.workers.clone();
    workers.concurrency = args.concurrency;
    let mut pool = workers.clone();
    // The assigning clients need connections too.
    pool.concurrency += args.clients.div_ceil(3);
    let db = app::open_database(url, &pool, base.data_key.as_deref()).await?;
    let backend = empty_database(&db).await?;
    let raw_rows_per_s = raw_write_rate(&db, args.seats).await?;

    let mut config = base.clone();
    config.database_url = url.to_string();
    config.clock = Clock::System;
    config.sms = SmsConfig::GatewayApi(GatewayApiConfig {
        base_url: fake.base_url(),
        token: fake.token.clone(),
        sender: "Valg".into(),
        timeout: crate::sms::gatewayapi::DEFAULT_TIMEOUT,
    });
    config.workers = workers;
    config.workers.poll_interval = Duration::from_millis(20);
    config.tick_every = None;
    let engine = app::engine(&config, db.clone()).await?;
    let total = args.single + args.seats;
    let generated = crate::generate::election(&engine, total, total, 1).await?;
    let (election_id, people) = (generated.election_id, generated.people);
    // Give PostgreSQL's planner the table sizes that autovacuum would have
    // given it by the time a secretariat invites anyone.
    if let crate::store::Pool::Postgres(pool) = &db.pool {
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    let seats = {
        let mut tx = db.read().await?;
        tx.seats_of_election(election_id, 0, total as i64).await?
    };
    let pairs: Vec<Assignment> = seats
        .iter()
        .zip(people)
        .map(|(s, p)| Assignment {
            seat_id: s.id,
            person_id: p,
        })
        .collect();
    let (single, batched) = pairs.split_at(args.single.min(pairs.len()));

    // Each phase runs with the apalis workers delivering while the
    // assignments go on, and ends when the gateway has every invitation.
    // An assignment is one transaction: the seat, the workflow instance,
    // the question, its timers, the rendered invitation in the outbox and
    // its delivery job.
    let running = crate::jobs::Workers::start(engine.clone(), config.workers.clone());
    let single = invite(&engine, &fake, single, 1, args.clients, 0).await?;
    let batched = invite(
        &engine,
        &fake,
        batched,
        args.batch.max(1),
        args.clients,
        single.seats,
    )
    .await?;
    running.stop().await;
    Ok(BenchReport {
        backend,
        raw_rows_per_s,
        single,
        batched,
    })
}

/// Invites `pairs` in transactions of `batch` from `clients` tasks, and
/// waits until the gateway holds `before + pairs.len()` invitations.
async fn invite(
    engine: &Arc<Engine>,
    fake: &FakeGatewayApi,
    pairs: &[Assignment],
    batch: usize,
    clients: usize,
    before: usize,
) -> anyhow::Result<Rate> {
    let started = Instant::now();
    let batches: Vec<Vec<Assignment>> = pairs.chunks(batch).map(|c| c.to_vec()).collect();
    let per_client = batches.len().div_ceil(clients.max(1)).max(1);
    let mut tasks = Vec::new();
    for mine in batches.chunks(per_client).map(|c| c.to_vec()) {
        let engine = engine.clone();
        tasks.push(tokio::spawn(async move {
            for b in mine {
                engine.assign_many(&b, "bench").await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let assigned = started.elapsed();
    let want = before + pairs.len();
    let arrived = fake.wait_for(want, Duration::from_secs(900)).await;
    let delivered = started.elapsed();
    anyhow::ensure!(
        arrived,
        "only {} of {want} invitations reached the gateway",
        fake.count(),
    );
    Ok(Rate {
        seats: pairs.len(),
        assigned_per_s: pairs.len() as f64 / assigned.as_secs_f64(),
        msgs_per_s: pairs.len() as f64 / delivered.as_secs_f64(),
    })
}

/// The database's own write rate: rows of about an outbox row's size,
/// inserted in transactions of 1,000.
async fn raw_write_rate(db: &Db, rows: usize) -> anyhow::Result<f64> {
    let mut tx = db.begin().await?;
    exec!(
        &mut tx,
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS bench_raw (id BIGINT PRIMARY KEY, body TEXT NOT NULL)"
        )
    )?;
    exec!(&mut tx, sqlx::query("DELETE FROM bench_raw"))?;
    tx.commit().await?;
    let body = "x".repeat(160);
    let started = Instant::now();
    let mut id: i64 = 0;
    while (id as usize) < rows {
        let mut tx = db.begin().await?;
        for _ in 0..1000.min(rows - id as usize) {
            id += 1;
            exec!(
                &mut tx,
                sqlx::query("INSERT INTO bench_raw (id, body) VALUES ($1, $2)")
                    .bind(id)
                    .bind(&body)
            )?;
        }
        tx.commit().await?;
    }
    let rate = rows as f64 / started.elapsed().as_secs_f64();
    let mut tx = db.begin().await?;
    exec!(&mut tx, sqlx::query("DROP TABLE bench_raw"))?;
    tx.commit().await?;
    Ok(rate)
}
