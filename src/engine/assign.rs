//! Giving a person a seat, which starts the `seat.assigned` workflows.

use chrono::{DateTime, Utc};

use super::eligibility::{Meeting, Refusal, RuleBook};
use super::run::Latest;
use super::{Effects, Engine, EngineError};
use crate::domain::Ineligible;
use crate::store::Tx;
use crate::store::directory::AuditIds;
use crate::store::is_unique_violation;
use crate::store::seats::HistoryEvent;
use crate::workflow::Trigger;

#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("seat {0} does not exist")]
    NoSuchSeat(i64),
    #[error("person {0} does not exist")]
    NoSuchPerson(i64),
    #[error("seat {0} is not vacant")]
    SeatTaken(i64),
    #[error("person {person} already has a seat at that time on {date}")]
    PersonBusy {
        person: i64,
        date: chrono::NaiveDate,
        /// Found by the database's unique index rather than the check
        /// before the write: the transaction cannot go on.
        raced: bool,
    },
    /// A rule of the election type (age, residence, …).
    #[error("person {person} {why}")]
    NotEligible { person: i64, why: Ineligible },
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl AssignError {
    fn ends_transaction(&self) -> bool {
        matches!(self, AssignError::PersonBusy { raced: true, .. })
    }
}

impl From<sqlx::Error> for AssignError {
    fn from(e: sqlx::Error) -> Self {
        AssignError::Engine(EngineError::Db(e))
    }
}

/// What one operation has read once and reuses for every assignment.
#[derive(Default)]
struct Known {
    /// The rules of each election's type.
    book: RuleBook,
    latest: Option<Vec<Latest>>,
}

/// One seat and the person to give it to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Assignment {
    pub seat_id: i64,
    pub person_id: i64,
}

/// Why a batch of assignments was refused: every assignment that breaks a
/// rule, by its place in the batch. Nothing of the batch was stored.
#[derive(Debug, thiserror::Error)]
pub enum BulkAssignError {
    #[error("{} of the assignments cannot be made; none was made", .0.len())]
    Refused(Vec<(usize, AssignError)>),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<sqlx::Error> for BulkAssignError {
    fn from(e: sqlx::Error) -> Self {
        BulkAssignError::Engine(EngineError::Db(e))
    }
}

impl Engine {
    /// Assigns a person to a vacant seat and starts the workflows that start
    /// on `seat.assigned` (the shipped `invite`), all in one transaction.
    pub async fn assign(
        &self,
        seat_id: i64,
        person_id: i64,
        actor: &str,
    ) -> Result<Effects, AssignError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut fx = Effects::default();
        let mut known = Known::default();
        self.assign_in(&mut tx, &mut fx, &mut known, seat_id, person_id, actor, now)
            .await?;
        self.commit(tx, &fx).await?;
        Ok(fx)
    }

    /// Makes every assignment of a batch in one transaction, or none: a
    /// batch with any assignment that breaks a rule is refused whole, with
    /// every such assignment listed. One commit for the batch is what lets
    /// a secretariat invite thousands of people in seconds.
    pub async fn assign_many(
        &self,
        batch: &[Assignment],
        actor: &str,
    ) -> Result<Effects, BulkAssignError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut fx = Effects::bulk();
        let mut refused = Vec::new();
        let mut known = Known::default();
        for (i, a) in batch.iter().enumerate() {
            match self
                .assign_in(
                    &mut tx,
                    &mut fx,
                    &mut known,
                    a.seat_id,
                    a.person_id,
                    actor,
                    now,
                )
                .await
            {
                Ok(()) => {}
                Err(AssignError::Engine(e)) => return Err(e.into()),
                // The database refused a write: the transaction cannot go on.
                Err(e) if e.ends_transaction() => {
                    refused.push((i, e));
                    break;
                }
                Err(e) => refused.push((i, e)),
            }
        }
        if !refused.is_empty() {
            return Err(BulkAssignError::Refused(refused));
        }
        self.commit(tx, &fx).await?;
        Ok(fx)
    }

    /// Checks every rule before or in its first write, so that a refused
    /// assignment leaves the transaction as it found it.
    #[allow(clippy::too_many_arguments)]
    async fn assign_in(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        known: &mut Known,
        seat_id: i64,
        person_id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AssignError> {
        let mut seat = tx
            .seat_details(seat_id)
            .await?
            .ok_or(AssignError::NoSuchSeat(seat_id))?;
        let person = tx
            .person(person_id)
            .await?
            .ok_or(AssignError::NoSuchPerson(person_id))?;
        if seat.status != "vacant" {
            return Err(AssignError::SeatTaken(seat_id));
        }
        // The secretariat (or a party secretary, for their own team's
        // seats) may give a seat to anyone who meets the election's rules.
        match self
            .refusal(tx, &mut known.book, &person, &seat, Meeting::ANY_TEAM)
            .await?
        {
            Some(Refusal::Ineligible(why)) => {
                return Err(AssignError::NotEligible {
                    person: person_id,
                    why,
                });
            }
            Some(Refusal::Busy(_)) => {
                return Err(AssignError::PersonBusy {
                    person: person_id,
                    date: seat.date,
                    raced: false,
                });
            }
            Some(Refusal::NotOnTeam) | None => {}
        }
        match tx.assign_seat(seat_id, person_id, now).await {
            Ok(true) => {
                seat.status = "invited".into();
                seat.person_id = Some(person_id);
            }
            Ok(false) => return Err(AssignError::SeatTaken(seat_id)),
            // Another transaction gave the person a seat at that time since
            // the check above; the database's trigger is the last word.
            Err(e) if is_unique_violation(&e) => {
                return Err(AssignError::PersonBusy {
                    person: person_id,
                    date: seat.date,
                    raced: true,
                });
            }
            Err(e) => return Err(e.into()),
        }
        tx.record_history(
            &HistoryEvent {
                seat_id,
                person_id: Some(person_id),
                event: "assigned",
                channel: None,
                inbound_id: None,
                detail: None,
            },
            now,
        )
        .await?;
        tx.audit(
            now,
            actor,
            "seat.assigned",
            AuditIds {
                seat: Some(seat_id),
                person: Some(person_id),
                instance: None,
            },
            None,
        )
        .await?;
        if known.latest.is_none() {
            known.latest = Some(self.latest(tx).await?);
        }
        self.start_triggered(
            tx,
            fx,
            Trigger::SeatAssigned,
            seat_id,
            Some(&person),
            Some(seat),
            known.latest.as_deref(),
            now,
        )
        .await?;
        Ok(())
    }
}
