//! The ticker: turns what has come due on the engine's clock (timers,
//! delivery retries) into jobs, runs the scheduled workflows that came due, re-queues received messages whose job gave
//! up, releases delivery attempts whose process died, and once a day purges personal data past its retention. The service ticks every second; tests and rehearsals
//! tick after moving the clock.

use chrono::Duration;

use super::{FireTimer, HandleInbound, INBOUND_QUEUE, TIMER_QUEUE};
use crate::engine::{Engine, EngineError};

/// How many rows one tick takes of each kind; the next tick takes more.
const BATCH: i64 = 500;

/// A row queued by a tick but not handled within this long is queued again.
fn requeue_after() -> Duration {
    Duration::minutes(5)
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    pub timers: usize,
    pub deliveries: usize,
    pub inbound: usize,
    pub released: u64,
    pub schedules: crate::engine::ScheduleReport,
}

pub async fn tick(engine: &Engine) -> Result<TickReport, EngineError> {
    // Templates edited in the admin on another host.
    if let Err(e) = engine.catalog.refresh(&engine.db).await {
        tracing::warn!(error = %e, "the edited message templates could not be loaded");
    }
    let released = engine.release_dead_claims().await?;
    // Instances held for an election activated on another host, or whose
    // release a crash interrupted.
    // One that cannot run must not stop the tick's other work.
    if let Err(e) = engine.release_held().await {
        tracing::error!(error = %e, "held instances could not be released");
    }
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let timers = tx
        .take_due_timers(now, now - requeue_after(), BATCH)
        .await?;
    let jobs: Vec<_> = timers
        .iter()
        .map(|id| (FireTimer { timer_id: *id }, None))
        .collect();
    super::push(&mut tx, TIMER_QUEUE, &jobs).await?;
    let due = tx
        .take_due_messages(now, now - requeue_after(), BATCH)
        .await?;
    super::push_deliveries(&mut tx, &due, false, super::Urgency::Bulk).await?;
    let inbound = tx
        .take_unprocessed_inbound(now, now - requeue_after(), BATCH)
        .await?;
    let jobs: Vec<_> = inbound
        .iter()
        .map(|id| (HandleInbound { inbound_id: *id }, None))
        .collect();
    super::push(&mut tx, INBOUND_QUEUE, &jobs).await?;
    tx.commit().await?;
    let schedules = engine.run_schedules().await?;
    // Personal data past its retention, once a day; a failure is retried
    // the next day and stops nothing else.
    if let Err(e) = crate::retention::purge_if_due(&engine.db, now).await {
        tracing::error!(error = %e, "the retention purge failed");
    }
    Ok(TickReport {
        schedules,
        timers: timers.len(),
        deliveries: due.len(),
        inbound: inbound.len(),
        released,
    })
}
