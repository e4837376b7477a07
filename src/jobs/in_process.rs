//! Running queued jobs in this process, without apalis's workers, for a
//! rehearsal: one process owns a throwaway SQLite database and nothing
//! else takes jobs from it. Each job goes to the engine call a worker
//! makes for it, so the engine does what it does in service; only the
//! queue's claim and acknowledgement are skipped. Jobs run one after the
//! other, oldest first, which also makes a rehearsal repeatable.

use anyhow::Context;

use super::{
    DELIVER_BATCH, DELIVER_QUEUE, Deliver, FireTimer, HandleInbound, INBOUND_QUEUE, TIMER_QUEUE,
    URGENT_QUEUE,
};
use crate::engine::Engine;
use crate::store::{Conn, Pool};

/// Jobs read from the queue at a time.
const PAGE: i64 = 1_000;

/// Runs every queued job, and the jobs they queue, until none is left.
/// Deliveries queued by one page of jobs go out together, in batches of
/// [`DELIVER_BATCH`]. Returns how many jobs ran; stops at the first job
/// that fails.
pub async fn run_queued(engine: &Engine) -> anyhow::Result<usize> {
    let Pool::Sqlite(pool, _) = &engine.db.pool else {
        anyhow::bail!("queued jobs run in this process on SQLite only");
    };
    let mut ran = 0;
    loop {
        let jobs: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
            "SELECT ROWID, job_type, job FROM Jobs WHERE status = 'Pending'
             ORDER BY ROWID LIMIT $1",
        )
        .bind(PAGE)
        .fetch_all(pool)
        .await?;
        if jobs.is_empty() {
            return Ok(ran);
        }
        let mut outbox = Vec::new();
        for (rowid, queue, bytes) in &jobs {
            let what = || format!("job {rowid} in queue {queue}");
            match queue.as_str() {
                INBOUND_QUEUE => {
                    let job: HandleInbound = serde_json::from_slice(bytes).with_context(what)?;
                    engine
                        .process_inbound(job.inbound_id)
                        .await
                        .with_context(what)?;
                }
                TIMER_QUEUE => {
                    let job: FireTimer = serde_json::from_slice(bytes).with_context(what)?;
                    engine.fire_timer(job.timer_id).await.with_context(what)?;
                }
                DELIVER_QUEUE | URGENT_QUEUE => {
                    let job: Deliver = serde_json::from_slice(bytes).with_context(what)?;
                    outbox.extend(job.outbox_ids);
                }
                other => anyhow::bail!("job {rowid} is in queue {other}, which nothing handles"),
            }
        }
        for batch in outbox.chunks(DELIVER_BATCH) {
            engine
                .deliver(batch, super::Urgency::Urgent)
                .await
                .context("delivering")?;
        }
        let rowids: Vec<i64> = jobs.iter().map(|j| j.0).collect();
        let mut tx = engine.db.begin().await?;
        if let Conn::Sqlite(c, _) = &mut tx.conn {
            sqlx::query(
                "UPDATE Jobs SET status = 'Done', done_at = strftime('%s', 'now')
                 WHERE ROWID IN (SELECT value FROM json_each($1))",
            )
            .bind(serde_json::to_string(&rowids)?)
            .execute(&mut **c)
            .await?;
        }
        tx.commit().await?;
        ran += jobs.len();
    }
}
