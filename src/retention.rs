//! Retention of personal data: how long message texts, the audit log and
//! people are kept, what a purge would take, and the purge itself, run by
//! the ticker once a day.
//!
//! Nothing written while an election has not ended is purged: the
//! cut-offs for texts of no election and for the audit log stop at the
//! moment the earliest such election was made, and people who take part
//! in one (a seat, standby, a seat's history) or run a station are kept.

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use serde::Serialize;

use crate::store::retention::{Counts, Cutoffs, ElectionShare, Policy};
use crate::store::{Db, Tx};

/// How often the purge runs by itself.
pub fn interval() -> Duration {
    Duration::hours(24)
}

/// Who the audit names for the purge it ran by itself.
pub const ACTOR: &str = "retention";

/// People anonymised in one transaction, so that the purge does not hold
/// SQLite's writer for long.
const PEOPLE_PER_TX: i64 = 200;

/// What a purge would take now.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub policy: Policy,
    /// When the purge runs by itself next; `None` before the first tick.
    pub next_run: Option<DateTime<Utc>>,
    pub totals: Counts,
    pub by_election: Vec<ElectionShare>,
}

/// A policy's bounds, as the admin form and the CLI refuse beyond them.
pub const MONTHS: std::ops::RangeInclusive<i32> = 1..=120;
pub const DAYS: std::ops::RangeInclusive<i32> = 1..=3650;

fn months_before(now: DateTime<Utc>, months: i32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(months.max(0) as u32))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The cut-offs of `policy` at `now`.
pub async fn cutoffs(tx: &mut Tx, policy: &Policy, now: DateTime<Utc>) -> sqlx::Result<Cutoffs> {
    let today = crate::clock::local_today(now);
    let running_since = tx.running_elections_since(today).await?;
    let not_after_running = |t: DateTime<Utc>| match running_since {
        Some(r) if r < t => r,
        _ => t,
    };
    let months_ago = |m: i32| {
        today
            .checked_sub_months(Months::new(m.max(0) as u32))
            .unwrap_or(NaiveDate::MIN)
    };
    Ok(Cutoffs {
        messages_of_elections_ended_before: months_ago(policy.message_months),
        messages_before: not_after_running(months_before(now, policy.message_months)),
        audit_before: not_after_running(months_before(now, policy.audit_months)),
        people_of_elections_ended_before: today - Duration::days(i64::from(policy.people_days)),
        people_added_before: now - Duration::days(i64::from(policy.people_days)),
    })
}

/// What the purge would take at `now`, in totals and per election.
pub async fn preview(db: &Db, now: DateTime<Utc>) -> sqlx::Result<Preview> {
    let mut tx = db.read().await?;
    let policy = tx.retention_policy().await?;
    let c = cutoffs(&mut tx, &policy, now).await?;
    Ok(Preview {
        next_run: tx.retention_next_run().await?,
        policy,
        totals: tx.retention_counts(&c).await?,
        by_election: tx.retention_by_election(&c).await?,
    })
}

/// Purges what the policy says has been kept long enough, audited as
/// `actor` with the counts of each transaction that took anything: the
/// texts and audit entries in one, then people [`PEOPLE_PER_TX`] at a
/// time, each batch chosen again in its own transaction so that a person
/// given a seat meanwhile is kept. A crash loses no audit of what went.
pub async fn purge(db: &Db, now: DateTime<Utc>, actor: &str) -> sqlx::Result<Counts> {
    let mut tx = db.begin().await?;
    let policy = tx.retention_policy().await?;
    let c = cutoffs(&mut tx, &policy, now).await?;
    let mut total = tx.purge_texts_and_audit(&c).await?;
    audited(&mut tx, now, actor, &total).await?;
    tx.commit().await?;
    loop {
        let mut tx = db.begin().await?;
        let c = cutoffs(&mut tx, &policy, now).await?;
        let people = tx.people_to_forget(&c, PEOPLE_PER_TX).await?;
        if people.is_empty() {
            break;
        }
        let mut batch = Counts::default();
        for id in &people {
            if tx.erase_person(*id, now).await? {
                batch.people += 1;
            }
        }
        audited(&mut tx, now, actor, &batch).await?;
        tx.commit().await?;
        total.people += batch.people;
    }
    if !total.is_empty() {
        tracing::info!(
            sent = total.sent_messages,
            received = total.received_messages,
            audit = total.audit_entries,
            people = total.people,
            "personal data past its retention was purged"
        );
    }
    Ok(total)
}

/// The audit entry of what one transaction purged, if anything.
async fn audited(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &str,
    counts: &Counts,
) -> sqlx::Result<()> {
    if counts.is_empty() {
        return Ok(());
    }
    let detail = serde_json::to_string(counts).unwrap_or_default();
    tx.audit(
        now,
        actor,
        "retention.purged",
        Default::default(),
        Some(&detail),
    )
    .await
}

/// How long after the service first ticks (installed, or upgraded to a
/// version with retention) the purge first runs by itself: time for the
/// secretariat to see the preview and set the policy.
pub fn first_run_after() -> Duration {
    Duration::days(7)
}

/// The purge of the day, when it came due: one host takes it. The first
/// tick only sets when the first purge runs. Reads first, so that a tick
/// with nothing due takes no write lock.
pub async fn purge_if_due(db: &Db, now: DateTime<Utc>) -> sqlx::Result<Option<Counts>> {
    let next = db.read().await?.retention_next_run().await?;
    match next {
        None => {
            let mut tx = db.begin().await?;
            tx.arm_retention(now + first_run_after()).await?;
            tx.commit().await?;
            tracing::info!(
                "the first retention purge runs in a week; see the admin's Sletning page"
            );
            Ok(None)
        }
        Some(due) if due <= now => {
            let mut tx = db.begin().await?;
            let mine = tx.claim_retention_run(now, now + interval()).await?;
            tx.commit().await?;
            if !mine {
                return Ok(None);
            }
            purge(db, now, ACTOR).await.map(Some)
        }
        Some(_) => Ok(None),
    }
}

/// A preview as lines for a terminal.
pub fn describe(p: &Preview) -> String {
    let mut out = format!(
        "policy: message texts {} months after the election, audit log {} months, people {} days after their last election\n",
        p.policy.message_months, p.policy.audit_months, p.policy.people_days
    );
    out.push_str(&format!(
        "would go: {} sent messages, {} received messages, {} audit entries, {} people\n",
        p.totals.sent_messages, p.totals.received_messages, p.totals.audit_entries, p.totals.people
    ));
    for s in &p.by_election {
        let name = match (&s.title, s.election_id) {
            (Some(t), Some(id)) => format!("election {id} ({t})"),
            _ => "no election".to_string(),
        };
        out.push_str(&format!(
            "  {name}: {} sent messages, {} people\n",
            s.sent_messages, s.people
        ));
    }
    out
}
