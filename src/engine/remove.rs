//! Taking a person off a seat: the secretariat withdraws an invitation
//! not yet answered, removes someone who had accepted, or removes someone
//! who no longer meets the conditions. The matching workflows start with
//! the person taken off (the shipped ones tell them), then the seat's
//! `seat.vacated` workflows (the shipped one offers it to standby).

use super::no_show::{OffSeat, OffSeatError};
use super::{Effects, Engine};
use crate::workflow::Trigger;

/// Why a person is taken off a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Removal {
    /// The secretariat's decision: an invitation still open is withdrawn
    /// (`seat.retracted`), an accepted seat is taken away (`seat.removed`).
    Secretariat,
    /// The person no longer meets the conditions (`seat.removed_by_validation`).
    Validation,
}

impl Engine {
    /// Takes the seat's person off it, in one transaction with the notice
    /// and the refill it starts.
    pub async fn remove_from_seat(
        &self,
        seat_id: i64,
        why: Removal,
        actor: &str,
    ) -> Result<Effects, OffSeatError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut fx = Effects::default();
        let seat = tx
            .seat(seat_id)
            .await?
            .ok_or(OffSeatError::NoSuchSeat(seat_id))?;
        let (trigger, detail) = match (why, seat.status.as_str()) {
            (Removal::Validation, _) => (Trigger::SeatRemovedByValidation, "validation"),
            (Removal::Secretariat, "invited") => (Trigger::SeatRetracted, "retracted"),
            (Removal::Secretariat, _) => (Trigger::SeatRemoved, "removed"),
        };
        let off = OffSeat {
            seat_id,
            event: "removed",
            detail: Some(detail),
            actor,
            via: None,
            except: None,
        };
        if !self
            .vacate_seat(&mut tx, &mut fx, &off, trigger, now)
            .await?
        {
            return Err(OffSeatError::Vacant(seat_id));
        }
        self.commit(tx, &fx).await?;
        Ok(fx)
    }

    /// Takes the seat's person off it, then starts the `trigger` workflows
    /// with that person and the seat's `seat.vacated` ones. False when the
    /// seat was vacant.
    pub(crate) async fn vacate_seat(
        &self,
        tx: &mut crate::store::Tx,
        fx: &mut Effects,
        off: &OffSeat<'_>,
        trigger: Trigger,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, super::EngineError> {
        let Some(person_id) = self.take_off_seat(tx, off, now).await? else {
            return Ok(false);
        };
        let person = tx.person(person_id).await?;
        let latest = self.latest(tx).await?;
        for trigger in [trigger, Trigger::SeatVacated] {
            let person = (trigger != Trigger::SeatVacated)
                .then_some(person.as_ref())
                .flatten();
            self.start_triggered(
                tx,
                fx,
                trigger,
                off.seat_id,
                person,
                None,
                Some(&latest),
                now,
            )
            .await?;
        }
        Ok(true)
    }
}
