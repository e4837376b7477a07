//! Giving a person a seat, which starts the `seat.assigned` workflows.

use super::{Effects, Engine, EngineError};
use crate::domain::Cpr;
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
    #[error("person {person} already has a seat on {date}")]
    PersonBusy {
        person: i64,
        date: chrono::NaiveDate,
    },
    #[error(
        "person {person} is {age} on {date}; this election requires {min_age} on the day of the task"
    )]
    TooYoung {
        person: i64,
        age: i32,
        min_age: i32,
        date: chrono::NaiveDate,
    },
    #[error("person {0} has a CPR number that does not parse")]
    BadCpr(i64),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<sqlx::Error> for AssignError {
    fn from(e: sqlx::Error) -> Self {
        AssignError::Engine(EngineError::Db(e))
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
        let seat = tx
            .seat(seat_id)
            .await?
            .ok_or(AssignError::NoSuchSeat(seat_id))?;
        let person = tx
            .person(person_id)
            .await?
            .ok_or(AssignError::NoSuchPerson(person_id))?;
        if seat.status != "vacant" {
            return Err(AssignError::SeatTaken(seat_id));
        }
        let election = tx
            .election(seat.election_id)
            .await?
            .ok_or_else(|| EngineError::Invariant(format!("seat {seat_id} has no election")))?;
        let min_age = tx
            .election_type(election.election_type_id)
            .await?
            .map(|t| t.min_age)
            .unwrap_or(18);
        let cpr = Cpr::parse(&person.cpr).map_err(|_| AssignError::BadCpr(person_id))?;
        let age = cpr.age_on(seat.date);
        if age < min_age {
            return Err(AssignError::TooYoung {
                person: person_id,
                age,
                min_age,
                date: seat.date,
            });
        }
        match tx.assign_seat(seat_id, person_id, now).await {
            Ok(true) => {}
            Ok(false) => return Err(AssignError::SeatTaken(seat_id)),
            Err(e) if is_unique_violation(&e) => {
                return Err(AssignError::PersonBusy {
                    person: person_id,
                    date: seat.date,
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
        let mut fx = Effects::default();
        self.start_triggered(
            &mut tx,
            &mut fx,
            Trigger::SeatAssigned,
            seat_id,
            Some(person_id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(fx)
    }
}
