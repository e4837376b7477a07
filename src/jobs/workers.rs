//! The apalis workers, one per queue, under a monitor that restarts a
//! worker that dies, and a supervisor above it. A database outage ends
//! every worker again as soon as it is restarted; the monitor then gives up
//! on a worker that died [`RESTARTS_PER_WINDOW`] times within
//! [`RESTART_WINDOW`], and once none runs the supervisor waits for the
//! database to answer (asking again after 0.5 s, doubling to 5 s) and
//! starts them all anew. apalis's monitor alone restarts at once, without
//! end: thousands of times a second while the database is away.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apalis::prelude::*;

use super::poll::Every;
use super::{
    DELIVER_QUEUE, Deliver, FireTimer, HandleInbound, INBOUND_QUEUE, TIMER_QUEUE, URGENT_QUEUE,
    Urgency,
};
use crate::engine::Engine;
use crate::store::Pool;

/// Heartbeats a worker may miss before its jobs go to another worker.
const MISSED_HEARTBEATS: usize = 3;

/// A worker that died this often within [`RESTART_WINDOW`] is not
/// restarted by the monitor: the supervisor starts it again once the
/// database answers.
pub const RESTARTS_PER_WINDOW: usize = 5;
pub const RESTART_WINDOW: Duration = Duration::from_secs(10);

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
        let queues = 4;
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
    stop: tokio::sync::watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

/// When each queue's worker died lately, to stop restarting one that dies
/// at once every time.
#[derive(Default)]
struct Deaths(Mutex<HashMap<String, VecDeque<Instant>>>);

impl Deaths {
    /// Records a death of the worker `name`; whether to restart it.
    fn restart(&self, name: &str) -> bool {
        let queue = name.split('@').next().unwrap_or(name).to_string();
        let now = Instant::now();
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let recent = all.entry(queue).or_default();
        recent.retain(|at| now.duration_since(*at) < RESTART_WINDOW);
        recent.push_back(now);
        recent.len() < RESTARTS_PER_WINDOW
    }
}

async fn deliver(job: Deliver, engine: Data<Arc<Engine>>) -> Result<(), BoxDynError> {
    engine.deliver(&job.outbox_ids, Urgency::Bulk).await?;
    Ok(())
}

async fn deliver_urgent(job: Deliver, engine: Data<Arc<Engine>>) -> Result<(), BoxDynError> {
    engine.deliver(&job.outbox_ids, Urgency::Urgent).await?;
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
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let handle = tokio::spawn(supervise(engine, settings, stopped));
        Workers { stop, handle }
    }

    /// Stops taking jobs, lets running ones finish, and waits.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }
}

/// Runs the workers until told to stop; when they have all died, waits
/// for the database and starts them again.
async fn supervise(
    engine: Arc<Engine>,
    settings: WorkerSettings,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let monitor = monitor(&engine, &settings);
        let context = monitor.context();
        let mut run = std::pin::pin!(monitor.run());
        let ended = tokio::select! {
            result = &mut run => Some(result),
            _ = stopped.wait_for(|s| *s) => None,
        };
        match ended {
            None => {
                let _ = context.shutdown();
                if let Err(e) = run.await {
                    tracing::error!(error = %e, "job workers ended with an error");
                }
                return;
            }
            Some(_) if *stopped.borrow() => return,
            Some(Err(e)) => tracing::warn!(error = %e, "job workers ended"),
            Some(Ok(())) => tracing::warn!("job workers ended"),
        }
        let mut pause = Duration::from_millis(500);
        loop {
            if engine.db_answers().await {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stopped.wait_for(|s| *s) => return,
            }
            pause = (pause * 2).min(Duration::from_secs(5));
        }
        tracing::info!("the database answers: starting the job workers again");
    }
}

fn monitor(engine: &Arc<Engine>, settings: &WorkerSettings) -> Monitor {
    let db = engine.db.clone();
    let deaths = Arc::new(Deaths::default());
    let monitor = Monitor::new().should_restart(move |ctx, err| {
        let again = deaths.restart(ctx.name());
        if again {
            tracing::warn!(worker = ctx.name(), error = %err, "worker stopped; restarting it");
        } else {
            tracing::warn!(worker = ctx.name(), error = %err, "worker keeps stopping; waiting for the database");
        }
        again
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
        Deliver,
        URGENT_QUEUE,
        deliver_urgent
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
    register!(
        monitor,
        &db,
        engine,
        settings,
        FireTimer,
        TIMER_QUEUE,
        timer
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_dying_again_and_again_is_left_to_the_supervisor() {
        let deaths = Deaths::default();
        for _ in 1..RESTARTS_PER_WINDOW {
            assert!(deaths.restart("valgvagt.deliver@h:1:0:a"));
        }
        assert!(!deaths.restart("valgvagt.deliver@h:1:5:b"));
        assert!(
            deaths.restart("valgvagt.timer@h:1:0:c"),
            "counted per queue"
        );
    }
}
