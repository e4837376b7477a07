//! No-shows and check-ins on the day.
//!
//! A no-show frees the seat, keeps who did not come in its history, ends
//! anything still asking that person about the seat, and starts the
//! `seat.no_show` workflows (the shipped one fills the seat from standby,
//! fast). It is reported by the station's responsible by SMS
//! (`UDEBLEVET S3`), through the API, or by a workflow's
//! `set_seat: no_show` (e.g. "not checked in by 07:30").

use chrono::{DateTime, NaiveDate, Utc};

use super::answer::Via;
use super::{Effects, Engine, EngineError};
use crate::store::Tx;
use crate::store::directory::AuditIds;
use crate::store::seats::HistoryEvent;
use crate::workflow::Trigger;

#[derive(Debug, thiserror::Error)]
pub enum NoShowError {
    #[error("seat {0} does not exist")]
    NoSuchSeat(i64),
    #[error("seat {0} is vacant; nobody can fail to come to it")]
    Vacant(i64),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<sqlx::Error> for NoShowError {
    fn from(e: sqlx::Error) -> Self {
        NoShowError::Engine(EngineError::Db(e))
    }
}

impl Engine {
    /// Reports the person of a seat as not come (the API's way), in one
    /// transaction with the replacement it starts.
    pub async fn report_no_show(&self, seat_id: i64, actor: &str) -> Result<Effects, NoShowError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut fx = Effects::default();
        if tx.seat(seat_id).await?.is_none() {
            return Err(NoShowError::NoSuchSeat(seat_id));
        }
        if !self
            .no_show_in(&mut tx, &mut fx, seat_id, actor, None, None, now)
            .await?
        {
            return Err(NoShowError::Vacant(seat_id));
        }
        self.commit(tx, &fx).await?;
        Ok(fx)
    }

    /// The no-show itself, inside the caller's transaction. False when the
    /// seat is vacant. `except` is an instance that must not be ended (the
    /// one whose step reports it).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn no_show_in(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        seat_id: i64,
        actor: &str,
        via: Option<Via<'_>>,
        except: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<bool, EngineError> {
        let Some(person_id) = tx.seat(seat_id).await?.and_then(|s| s.person_id) else {
            return Ok(false);
        };
        for instance in tx.instances_of_seat(seat_id).await? {
            if instance.status == "waiting"
                && instance.person_id == Some(person_id)
                && Some(instance.id) != except
            {
                tx.close_open_questions_of(instance.id, "no_show", now)
                    .await?;
                tx.cancel_timers(instance.id, now).await?;
                tx.finish_instance_in(instance.id, &instance.state, now)
                    .await?;
            }
        }
        tx.release_seat(seat_id, now).await?;
        tx.record_history(
            &HistoryEvent {
                seat_id,
                person_id: Some(person_id),
                event: "no_show",
                channel: via.map(|v| v.channel),
                inbound_id: via.and_then(|v| v.inbound_id),
                detail: None,
            },
            now,
        )
        .await?;
        tx.audit(
            now,
            actor,
            "seat.no_show",
            AuditIds {
                seat: Some(seat_id),
                person: Some(person_id),
                instance: except,
            },
            None,
        )
        .await?;
        Box::pin(self.start_triggered(tx, fx, Trigger::SeatNoShow, seat_id, None, None, None, now))
            .await?;
        Ok(true)
    }

    /// Checks in the seats these people hold on `date` and returns them all;
    /// a seat checked in before keeps its first check-in.
    pub(crate) async fn check_in_on(
        &self,
        tx: &mut Tx,
        person_ids: &[i64],
        date: NaiveDate,
        via: Via<'_>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, EngineError> {
        let mut done = Vec::new();
        for seat in tx.seats_of_person_on(person_ids, date).await? {
            if seat.checked_in_at.is_some() {
                done.push(seat.id);
                continue;
            }
            tx.check_in(seat.id, now).await?;
            tx.record_history(
                &HistoryEvent {
                    seat_id: seat.id,
                    person_id: seat.person_id,
                    event: "checked_in",
                    channel: Some(via.channel),
                    inbound_id: via.inbound_id,
                    detail: None,
                },
                now,
            )
            .await?;
            done.push(seat.id);
        }
        Ok(done)
    }
}
