//! The apalis workers, one per queue, supervised by a monitor that restarts
//! a worker that dies (a database outage longer than the pool's acquire
//! timeout ends a worker; the monitor brings it back).

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;

use super::poll::Every;
use super::{DELIVER_QUEUE, Deliver, FireTimer, HandleInbound, INBOUND_QUEUE, TIMER_QUEUE};
use crate::engine::Engine;
use crate::store::Pool;

/// Heartbeats a worker may miss before its jobs go to another worker.
const MISSED_HEARTBEATS: usize = 3;

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Jobs each queue's worker runs at once.
    pub concurrency: usize,
    /// How often an idle worker looks for new jobs (also jobs queued by
    /// other processes sharing the database).
    pub poll_interval: Duration,
    /// How often a worker proves it is alive; a job whose worker missed
    /// three beats is handed to another worker.
    pub heartbeat: Duration,
}

impl WorkerSettings {
    /// Connections the database pool needs so that workers never wait for
    /// one another: every running job holds one, and each queue's worker
    /// needs its own for fetching, locking, acknowledging and its
    /// heartbeat. Too few and a worker's acknowledgement waits behind jobs
    /// that wait behind it; the queue stops.
    pub fn pool_size(&self) -> u32 {
        let queues = 3;
        (queues * self.concurrency + queues * 3 + 8) as u32
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            concurrency: 4,
            poll_interval: Duration::from_millis(100),
            heartbeat: Duration::from_secs(30),
        }
    }
}

/// Running workers; [`Workers::stop`] shuts them down gracefully.
pub struct Workers {
    context: MonitorContext,
    handle: tokio::task::JoinHandle<()>,
}

async fn deliver(job: Deliver, engine: Data<Arc<Engine>>) -> Result<(), BoxDynError> {
    engine.deliver(&job.outbox_ids).await?;
    Ok(())
}

async fn inbound(job: HandleInbound, engine: Data<Arc<Engine>>) -> Result<(), BoxDynError> {
    let (outcome, _) = engine.process_inbound(job.inbound_id).await?;
    tracing::info!(
        inbound_id = job.inbound_id,
        outcome = outcome.as_str(),
        "inbound handled"
    );
    Ok(())
}

async fn timer(job: FireTimer, engine: Data<Arc<Engine>>) -> Result<(), BoxDynError> {
    engine.fire_timer(job.timer_id).await?;
    Ok(())
}

/// A worker name unique to this process and start: a restarted worker
/// must not reuse the name of the one it replaces within a heartbeat.
fn worker_name(queue: &str, restarts: usize) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    let nonce: u32 = rand::random();
    format!(
        "{queue}@{host}:{}:{restarts}:{nonce:08x}",
        std::process::id()
    )
}

macro_rules! register {
    ($monitor:expr, $db:expr, $engine:expr, $settings:expr, $job:ty, $queue:expr, $handler:expr) => {{
        let engine = $engine.clone();
        let settings = $settings.clone();
        match &$db.pool {
            Pool::Sqlite(pool, _) => {
                let pool = pool.clone();
                $monitor.register(move |restarts| {
                    let config = apalis_sqlite::Config::default()
                        .queue($queue)
                        .batch_size(settings.concurrency * 4)
                        .heartbeat_interval(settings.heartbeat)
                        .missed_heartbeats(MISSED_HEARTBEATS)
                        .lock_tasks(false);
                    let backend = apalis_sqlite::SqliteStorage::<$job>::new(&pool)
                        .with_config(config)
                        .poll_with_strategy(Every::new(settings.poll_interval));
                    WorkerBuilder::new(worker_name($queue, restarts))
                        .backend(backend)
                        .data(engine.clone())
                        .concurrency(settings.concurrency)
                        .build($handler)
                })
            }
            Pool::Postgres(pool) => {
                let pool = pool.clone();
                $monitor.register(move |restarts| {
                    let config = apalis_postgres::Config::default()
                        .queue($queue)
                        .batch_size(settings.concurrency * 4)
                        .heartbeat_interval(settings.heartbeat)
                        .missed_heartbeats(MISSED_HEARTBEATS)
                        .lock_tasks(false);
                    let backend = apalis_postgres::PostgresStorage::<$job>::new(&pool)
                        .with_config(config)
                        .poll_with_strategy(Every::new(settings.poll_interval));
                    WorkerBuilder::new(worker_name($queue, restarts))
                        .backend(backend)
                        .data(engine.clone())
                        .concurrency(settings.concurrency)
                        .build($handler)
                })
            }
        }
    }};
}

impl Workers {
    pub fn start(engine: Arc<Engine>, settings: WorkerSettings) -> Workers {
        let db = engine.db.clone();
        let monitor = Monitor::new().should_restart(|ctx, err| {
            tracing::warn!(worker = ctx.name(), error = %err, "worker stopped; restarting it");
            true
        });
        let monitor = register!(
            monitor,
            &db,
            engine,
            settings,
            Deliver,
            DELIVER_QUEUE,
            deliver
        );
        let monitor = register!(
            monitor,
            &db,
            engine,
            settings,
            HandleInbound,
            INBOUND_QUEUE,
            inbound
        );
        let monitor = register!(
            monitor,
            &db,
            engine,
            settings,
            FireTimer,
            TIMER_QUEUE,
            timer
        );
        let context = monitor.context();
        let handle = tokio::spawn(async move {
            if let Err(e) = monitor.run().await {
                tracing::error!(error = %e, "job workers ended with an error");
            }
        });
        Workers { context, handle }
    }

    /// Stops taking jobs, lets running ones finish, and waits.
    pub async fn stop(self) {
        let _ = self.context.shutdown();
        let _ = self.handle.await;
    }
}
