//! Running scheduled workflows: for each election and anchor date, the
//! occurrences that came due are run once, fanned out over the seats the
//! workflow's filter selects, one transaction per page of seats. Missed
//! occurrences (the service was down) run late within the workflow's
//! catch-up window and are skipped, and reported, after it.
//!
//! Progress is kept in `schedule_runs` by workflow name, so publishing a
//! new revision does not run an occurrence again, and a fan-out that a
//! crash interrupted goes on after the last seat it committed.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::run::Latest;
use super::{Effects, Engine, EngineError};
use crate::domain::Said;
use crate::store::directory::AuditIds;
use crate::store::engine::NotificationIds;
use crate::store::schedules::ScheduleRun;
use crate::workflow::schedule::{Anchor, Due};
use crate::workflow::{ScheduledStart, SeatConditions, Trigger};

/// Seats per transaction of a fan-out.
const PAGE: i64 = 500;

/// What one pass over the schedules did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleReport {
    /// Instances started.
    pub started: usize,
    /// Occurrences skipped because they were missed.
    pub missed: usize,
}

/// One scheduled workflow for one election and anchor date.
struct Slot<'a> {
    revision: &'a Latest,
    start: &'a ScheduledStart,
    election_id: i64,
    anchor_date: NaiveDate,
    tz: Tz,
    /// The filter with the election's dates filled in.
    seats: Vec<SeatConditions<NaiveDate>>,
    /// Its bookkeeping, as read at the start of the pass.
    row: Option<ScheduleRun>,
}

impl Slot<'_> {
    /// The date of the seats an occurrence is about: each seat's own date
    /// for `seat_date`, election day for `election_day` unless the filter
    /// names dates itself; none (the whole election) for `starts_on` and
    /// `ends_on`, the window's ends.
    fn day(&self) -> Option<NaiveDate> {
        match self.start.schedule.at.anchor {
            Anchor::SeatDate => Some(self.anchor_date),
            Anchor::ElectionDay if !self.start.seats.names_a_date() => Some(self.anchor_date),
            _ => None,
        }
    }
}

impl Engine {
    /// Runs every occurrence of every scheduled workflow that has come due
    /// on the engine's clock. The ticker calls it.
    pub async fn run_schedules(&self) -> Result<ScheduleReport, EngineError> {
        let now = self.clock.now();
        let mut report = ScheduleReport::default();
        let mut tx = self.db.read().await?;
        let mut scheduled = Vec::new();
        for revision in self.latest(&mut tx).await? {
            let workflow = self.workflow_by_id(&mut tx, revision.id).await?;
            if let Trigger::Schedule(start) = &workflow.trigger {
                scheduled.push((revision, start.clone()));
            }
        }
        if scheduled.is_empty() {
            return Ok(report);
        }
        let elections = tx.elections().await?;
        let mut rows: HashMap<(String, i64, NaiveDate), ScheduleRun> = tx
            .schedule_runs()
            .await?
            .into_iter()
            .map(|r| ((r.workflow.clone(), r.election_id, r.anchor_date), r))
            .collect();
        let mut slots = Vec::new();
        for (revision, start) in &scheduled {
            // An election that is not active runs no schedules; an
            // occurrence due meanwhile runs late or is reported skipped
            // when it is activated, by its `catch_up`.
            for e in elections.iter().filter(|e| e.active) {
                let tz: Tz = e.time_zone.parse().unwrap_or(chrono_tz::Europe::Copenhagen);
                let dates = match start.schedule.at.anchor {
                    Anchor::ElectionDay => vec![e.election_day],
                    Anchor::StartsOn => vec![e.starts_on],
                    Anchor::EndsOn => vec![e.ends_on],
                    // Every seat lies in the election's window; a date
                    // without seats selects none.
                    Anchor::SeatDate => e
                        .starts_on
                        .iter_days()
                        .take_while(|d| *d <= e.ends_on)
                        .take(366)
                        .collect(),
                };
                for anchor_date in dates {
                    let row = rows.remove(&(revision.name.clone(), e.id, anchor_date));
                    slots.push(Slot {
                        revision,
                        start,
                        election_id: e.id,
                        anchor_date,
                        tz,
                        seats: start.seats.on_dates(e.election_day, e.starts_on, e.ends_on),
                        row,
                    });
                }
            }
        }
        tx.commit().await?;
        for slot in &slots {
            self.run_slot(slot, now, &mut report).await?;
        }
        Ok(report)
    }

    async fn run_slot(
        &self,
        slot: &Slot<'_>,
        now: DateTime<Utc>,
        report: &mut ScheduleReport,
    ) -> Result<(), EngineError> {
        let occurrences = match slot.start.schedule.occurrences(slot.anchor_date, slot.tz) {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(
                    workflow = slot.revision.name,
                    revision = slot.revision.revision,
                    error = %e,
                    "schedule cannot be computed"
                );
                return Ok(());
            }
        };
        // Nothing due and nothing under way: nothing is written. This runs
        // every tick for every slot.
        let (last, running) = slot
            .row
            .as_ref()
            .map_or((None, None), |r| (r.last_at, r.running_at));
        if running.is_none()
            && slot
                .start
                .schedule
                .due(&occurrences, last, now, slot.tz)
                .is_empty()
        {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        let row = tx
            .schedule_run(&slot.revision.name, slot.election_id, slot.anchor_date, now)
            .await?;
        tx.commit().await?;
        let mut last = row.last_at;
        if let Some(at) = row.running_at {
            self.fan_out(slot, row.id, at, row.cursor, now, report)
                .await?;
            last = Some(at);
        }
        let due = slot.start.schedule.due(&occurrences, last, now, slot.tz);
        // Only the latest occurrence due runs; any earlier one is over.
        let run = due.iter().rev().find_map(|d| match d {
            Due::Run(at) => Some(*at),
            Due::Missed(_) => None,
        });
        for d in &due {
            let (Due::Run(at) | Due::Missed(at)) = *d;
            if Some(at) == run {
                continue;
            }
            let mut tx = self.db.begin().await?;
            // A missed occurrence that would have reached nobody (a date
            // without such seats) is not worth the secretariat's time.
            if tx.skip_occurrence(row.id, at, now).await?
                && !tx
                    .filtered_seats(slot.election_id, &slot.seats, slot.day(), None, 0, 1)
                    .await?
                    .is_empty()
            {
                let local = at.with_timezone(&slot.tz).format("%Y-%m-%d %H:%M");
                let why = match d {
                    Due::Missed(_) => format!(
                        "the service was not running or the election was not active then, and it is more than {} late",
                        slot.start.schedule.catch_up
                    ),
                    Due::Run(_) => "a later occurrence is due now and runs instead".to_string(),
                };
                let local_da = at.with_timezone(&slot.tz).format("%d.%m.%Y %H.%M");
                let why_da = match d {
                    Due::Missed(_) => format!(
                        "tjenesten kørte ikke, eller valget var ikke aktivt, og det er mere end {} for sent",
                        slot.start.schedule.catch_up
                    ),
                    Due::Run(_) => "en senere kørsel er forfalden nu og kører i stedet".to_string(),
                };
                tx.notify_secretariat(
                    "schedule-missed",
                    NotificationIds::default(),
                    &Said::new(
                        format!(
                            "Den planlagte arbejdsgang »{}« skulle have kørt {local_da} og blev sprunget over: {why_da}.",
                            slot.revision.name
                        ),
                        format!(
                            "Scheduled workflow `{}` for election {} was due at {local} and was skipped: {why}.",
                            slot.revision.name, slot.election_id
                        ),
                    ),
                    now,
                )
                .await?;
                report.missed += 1;
            }
            tx.commit().await?;
        }
        if let Some(at) = run {
            let mut tx = self.db.begin().await?;
            let begun = tx.begin_occurrence(row.id, at, now).await?;
            tx.commit().await?;
            if begun {
                self.fan_out(slot, row.id, at, 0, now, report).await?;
            }
        }
        Ok(())
    }

    /// Starts the workflow for every selected seat after `cursor`, one
    /// page per transaction, the page's progress committed with it.
    async fn fan_out(
        &self,
        slot: &Slot<'_>,
        run_id: i64,
        at: DateTime<Utc>,
        mut cursor: i64,
        now: DateTime<Utc>,
        report: &mut ScheduleReport,
    ) -> Result<(), EngineError> {
        let date = slot.day();
        loop {
            let mut tx = self.db.begin().await?;
            let mut fx = Effects::bulk();
            if !tx.claim_page(run_id, at, cursor, now).await? {
                // Another process runs this occurrence.
                return Ok(());
            }
            let seats = tx
                .filtered_seats(slot.election_id, &slot.seats, date, None, cursor, PAGE)
                .await?;
            for seat in &seats {
                let person = match seat.person_id {
                    Some(id) => tx.person(id).await?,
                    None => None,
                };
                let details = tx.seat_details(seat.id).await?;
                // One instance per person and day: the first of their
                // selected seats that day stands for the others.
                if slot.start.one_per_person
                    && let (Some(p), Some(d)) = (&person, &details)
                {
                    let first = tx
                        .filtered_seats(
                            slot.election_id,
                            &slot.seats,
                            Some(d.date),
                            Some(p.id),
                            0,
                            1,
                        )
                        .await?;
                    if first.first().is_some_and(|f| f.id != seat.id) {
                        continue;
                    }
                }
                self.start_revision(
                    &mut tx,
                    &mut fx,
                    slot.revision,
                    Some(seat.id),
                    person.as_ref(),
                    details,
                    now,
                )
                .await?;
                report.started += 1;
            }
            let next = match seats.last() {
                Some(last) if seats.len() as i64 == PAGE => Some(last.id),
                _ => None,
            };
            tx.advance_occurrence(run_id, next, now).await?;
            if next.is_none() {
                tx.audit(
                    now,
                    "system",
                    "schedule.ran",
                    AuditIds::default(),
                    Some(&format!(
                        r#"{{"workflow":"{}","revision":{},"election":{},"at":"{}"}}"#,
                        slot.revision.name,
                        slot.revision.revision,
                        slot.election_id,
                        at.to_rfc3339()
                    )),
                )
                .await?;
            }
            self.commit(tx, &fx).await?;
            match next {
                Some(c) => cursor = c,
                None => return Ok(()),
            }
        }
    }
}
