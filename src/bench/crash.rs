//! `valgvagt bench --crash`: what a kill -9 costs. Invitations are queued
//! for delivery into a local fake GatewayAPI that answers after a
//! gateway's usual latency; a `valgvagt serve` child process delivers
//! them and is killed (SIGKILL) several times on the way, each time
//! started again at once. Reports messages lost, sent twice, and marked as
//! possibly sent twice, beside the most a kill may double (the gateway
//! calls one process has in flight), and how long the outbox took to
//! drain after the last start.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::app::{self, Config};
use crate::clock::Clock;
use crate::engine::Assignment;
use crate::sms::fake_gatewayapi::FakeGatewayApi;

pub struct CrashArgs {
    pub messages: usize,
    pub kills: usize,
    pub gateway_latency: Duration,
}

pub struct CrashReport {
    pub backend: &'static str,
    pub messages: usize,
    pub kills: usize,
    /// Gateway calls one process makes at once: the most one kill can
    /// leave unrecorded.
    pub in_flight: usize,
    pub lost: usize,
    pub doubled: usize,
    /// Messages sent twice that the outbox does not mark.
    pub doubled_unmarked: usize,
    /// Messages the outbox marks as possibly sent twice.
    pub marked: usize,
    /// From the last start until the gateway had every message.
    pub drain: Duration,
    /// From the first start until the gateway had every message.
    pub total: Duration,
}

/// Prepares `args.messages` invitations in the empty database at `url`,
/// then delivers them from `serve` processes killed `args.kills` times.
pub async fn crash(base: &Config, url: &str, args: &CrashArgs) -> anyhow::Result<CrashReport> {
    let fake = FakeGatewayApi::start("bench-token").await?;
    fake.set_latency(args.gateway_latency);
    let mut config = base.clone();
    config.database_url = url.to_string();
    config.clock = Clock::System;
    config.tick_every = None;
    let db = app::open_database(url, &config.workers, config.data_key.as_deref()).await?;
    let backend = super::empty_database(&db).await?;
    let engine = app::engine(&config, db.clone()).await?;
    let n = args.messages;
    let generated = crate::generate::election(&engine, n, n, 1).await?;
    let seats = {
        let mut tx = db.read().await?;
        tx.seats_of_election(generated.election_id, 0, n as i64)
            .await?
    };
    let pairs: Vec<Assignment> = seats
        .iter()
        .zip(generated.people)
        .map(|(s, p)| Assignment {
            seat_id: s.id,
            person_id: p,
        })
        .collect();
    // Queued with their delivery jobs; nothing delivers yet.
    for batch in pairs.chunks(500) {
        engine.assign_many(batch, "bench").await?;
    }
    drop(engine);
    db.close().await;

    let logs = std::env::temp_dir().join(format!("valgvagt-crash-{}", crate::engine::new_key()));
    std::fs::create_dir_all(&logs)?;
    let first = Instant::now();
    for kill in 0..=args.kills {
        let last = Instant::now();
        let mut child = serve(&config, &fake, &logs.join(format!("serve-{kill}.log")))?;
        if kill == args.kills {
            let drained = wait_for_distinct(&fake, n, Duration::from_secs(600)).await;
            let drain = last.elapsed();
            let total = first.elapsed();
            stop(&mut child);
            anyhow::ensure!(
                drained,
                "the outbox did not drain within 600 s (logs in {})",
                logs.display()
            );
            let report = count(&config, &fake, backend, args, drain, total).await?;
            let _ = std::fs::remove_dir_all(&logs);
            return Ok(report);
        }
        let at = (kill + 1) * n / (args.kills + 1);
        let reached = fake.wait_for(at, Duration::from_secs(600)).await;
        let _ = child.kill();
        let _ = child.wait();
        anyhow::ensure!(
            reached,
            "only {} of {at} messages reached the gateway (logs in {})",
            fake.count(),
            logs.display()
        );
    }
    unreachable!("the last start returns")
}

/// What reached the gateway against what the outbox says.
async fn count(
    config: &Config,
    fake: &FakeGatewayApi,
    backend: &'static str,
    args: &CrashArgs,
    drain: Duration,
    total: Duration,
) -> anyhow::Result<CrashReport> {
    let mut times: HashMap<String, usize> = HashMap::new();
    for r in fake.received() {
        *times.entry(r.userref.unwrap_or_default()).or_default() += 1;
    }
    let db = app::open_database(
        &config.database_url,
        &config.workers,
        config.data_key.as_deref(),
    )
    .await?;
    let marked: HashSet<String> = {
        let mut tx = db.read().await?;
        tx.maybe_sent_keys().await?.into_iter().collect()
    };
    db.close().await;
    let doubled: Vec<&String> = times
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, _)| k)
        .collect();
    Ok(CrashReport {
        backend,
        messages: args.messages,
        kills: args.kills,
        in_flight: config.workers.concurrency * crate::engine::DeliveryPolicy::default().parallel,
        lost: args.messages.saturating_sub(times.len()),
        doubled: times.values().map(|n| n - 1).sum(),
        doubled_unmarked: doubled.iter().filter(|k| !marked.contains(**k)).count(),
        marked: marked.len(),
        drain,
        total,
    })
}

/// Starts `valgvagt serve` on the database, delivering into the fake.
fn serve(config: &Config, fake: &FakeGatewayApi, log: &Path) -> anyhow::Result<Child> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("--database-url")
        .arg(&config.database_url)
        .arg("--templates")
        .arg(&config.templates_dir)
        .arg("--workflows")
        .arg(&config.workflows_dir)
        .args(["serve", "--bind", "127.0.0.1:0", "--sms", "gatewayapi"])
        .arg("--gatewayapi-base-url")
        .arg(fake.base_url())
        .arg("--gatewayapi-token")
        .arg(&fake.token)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log)?);
    if let Some(key) = &config.data_key {
        command.env("VALGVAGT_DATA_KEY", key);
    }
    Ok(command.spawn()?)
}

/// Asks the child to stop (SIGTERM) and waits; kills it after 30 s.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits until the gateway has `n` distinct messages, or `within` passes.
async fn wait_for_distinct(fake: &FakeGatewayApi, n: usize, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        let distinct: HashSet<String> = fake
            .received()
            .into_iter()
            .filter_map(|r| r.userref)
            .collect();
        if distinct.len() >= n {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        let _ = fake
            .wait_for(fake.count() + 1, Duration::from_millis(200))
            .await;
    }
}
