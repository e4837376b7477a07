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

/// Why a person could not be taken off a seat (a no-show, a removal).
#[derive(Debug, thiserror::Error)]
pub enum OffSeatError {
    #[error("seat {0} does not exist")]
    NoSuchSeat(i64),
    #[error("seat {0} is vacant; nobody holds it")]
    Vacant(i64),
    /// A no-show is reported on the seat's day only, and only for a
    /// person who said yes.
    #[error(
        "seat {seat_id} is on {date}: a no-show is reported on the seat's day, for a confirmed seat"
    )]
    NotItsDay { seat_id: i64, date: NaiveDate },
    #[error("seat {0} is not confirmed: a no-show is reported for a person who said yes")]
    NotConfirmed(i64),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<sqlx::Error> for OffSeatError {
    fn from(e: sqlx::Error) -> Self {
        OffSeatError::Engine(EngineError::Db(e))
    }
}

/// Who is taken off which seat, why, and by whom.
pub(crate) struct OffSeat<'a> {
    pub seat_id: i64,
    /// The history event: `no_show`, `removed`.
    pub event: &'a str,
    pub detail: Option<&'a str>,
    pub actor: &'a str,
    pub via: Option<Via<'a>>,
    pub except: Option<i64>,
}

/// Whether a no-show may be reported by a person (the API, the admin) for
/// a seat of `status` on `date`: on its day, and confirmed. (The station's
/// responsible reporting by SMS names a seat of that day by its code; a
/// workflow's `set_seat: no_show` decides for itself.)
pub fn may_report_no_show(
    date: NaiveDate,
    status: &str,
    seat_id: i64,
    now: DateTime<Utc>,
) -> Result<(), OffSeatError> {
    match status {
        "vacant" => Err(OffSeatError::Vacant(seat_id)),
        _ if date != crate::clock::local_today(now) => {
            Err(OffSeatError::NotItsDay { seat_id, date })
        }
        "confirmed" => Ok(()),
        _ => Err(OffSeatError::NotConfirmed(seat_id)),
    }
}

impl Engine {
    /// Reports the person of a seat as not come (the API's way), in one
    /// transaction with the replacement it starts.
    pub async fn report_no_show(&self, seat_id: i64, actor: &str) -> Result<Effects, OffSeatError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut fx = Effects::default();
        let Some(seat) = tx.seat(seat_id).await? else {
            return Err(OffSeatError::NoSuchSeat(seat_id));
        };
        may_report_no_show(seat.date, &seat.status, seat_id, now)?;
        if !self
            .no_show_in(&mut tx, &mut fx, seat_id, actor, None, None, now)
            .await?
        {
            return Err(OffSeatError::Vacant(seat_id));
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
        let off = OffSeat {
            seat_id,
            event: "no_show",
            detail: None,
            actor,
            via,
            except,
        };
        if self.take_off_seat(tx, &off, now).await?.is_none() {
            return Ok(false);
        }
        Box::pin(self.start_triggered(tx, fx, Trigger::SeatNoShow, seat_id, None, None, None, now))
            .await?;
        Ok(true)
    }

    /// Takes the person off a seat: ends anything still asking them about
    /// it (except the instance `off.except`), frees the seat, and keeps the
    /// event in its history and the audit log. Returns the person, or
    /// `None` when the seat was vacant.
    pub(crate) async fn take_off_seat(
        &self,
        tx: &mut Tx,
        off: &OffSeat<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, EngineError> {
        let Some(person_id) = tx.seat(off.seat_id).await?.and_then(|s| s.person_id) else {
            return Ok(None);
        };
        for instance in tx.instances_of_seat(off.seat_id).await? {
            if instance.status == "waiting"
                && instance.person_id == Some(person_id)
                && Some(instance.id) != off.except
            {
                tx.close_open_questions_of(instance.id, off.event, now)
                    .await?;
                tx.cancel_timers(instance.id, now).await?;
                tx.end_swap_requests_of(instance.id, now).await?;
                tx.finish_instance_in(instance.id, &instance.state, now)
                    .await?;
            }
        }
        tx.release_seat(off.seat_id, now).await?;
        tx.record_history(
            &HistoryEvent {
                seat_id: off.seat_id,
                person_id: Some(person_id),
                event: off.event,
                channel: off.via.map(|v| v.channel),
                inbound_id: off.via.and_then(|v| v.inbound_id),
                detail: off.detail,
            },
            now,
        )
        .await?;
        tx.audit(
            now,
            off.actor,
            &format!("seat.{}", off.event),
            AuditIds {
                seat: Some(off.seat_id),
                person: Some(person_id),
                instance: off.except,
            },
            None,
        )
        .await?;
        Ok(Some(person_id))
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
