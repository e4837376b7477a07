//! Giving up a seat one holds: the cancel link in a confirmation, or
//! `AFMELD` (`AFBUD`, `SYG`) by SMS or in the chat, all through
//! [`Engine::give_up_seat`]. Within the election's lock period
//! (`lock_days` before the seat's date) a confirmed seat can no longer be
//! given up this way, nor by a no to a question about it: the person is
//! told whom to call, the secretariat is told, and only the secretariat
//! can take them off.

use chrono::{DateTime, Utc};

use super::answer::{AnswerOutcome, Via};
use super::inbound::{InboundOutcome, ReplyTo, local_today};
use super::no_show::OffSeat;
use super::{Effects, Engine, EngineError};
use crate::domain::Said;
use crate::domain::{Language, Reply};
use crate::messages::{MessageContext, QuestionSummary};
use crate::store::directory::AuditIds;
use crate::store::engine::NotificationIds;
use crate::store::{Person, SeatDetails, Tx};
use crate::workflow::{Answer, Trigger};

/// What became of an attempt to give up a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GiveUp {
    /// The person is off the seat; `seat.cancelled` and `seat.vacated`
    /// have started.
    Done,
    /// Within the lock period: nothing changed; the secretariat is told.
    Locked,
    /// The task has begun: nothing changed.
    Begun,
    /// The person does not hold the seat confirmed (any more).
    NotHeld,
}

impl Engine {
    /// Takes the person off a seat they hold confirmed, in the caller's
    /// transaction, unless the task has begun or the lock period holds.
    /// The seat is claimed first, as every path that takes a person off
    /// does.
    pub(crate) async fn give_up_seat(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        seat_id: i64,
        person_id: i64,
        via: Via<'_>,
        now: DateTime<Utc>,
    ) -> Result<GiveUp, EngineError> {
        if !tx.lock_held_seat(seat_id, person_id).await? {
            return Ok(GiveUp::NotHeld);
        }
        let Some(seat) = tx
            .seat_details(seat_id)
            .await?
            .filter(|s| s.status == "confirmed" && s.person_id == Some(person_id))
        else {
            return Ok(GiveUp::NotHeld);
        };
        if seat.starts_at() <= now {
            return Ok(GiveUp::Begun);
        }
        if seat.locked_at(now) {
            self.tell_locked(tx, &seat, person_id, via, now).await?;
            return Ok(GiveUp::Locked);
        }
        let actor = format!("person:{person_id}");
        let off = OffSeat {
            seat_id,
            event: "cancelled",
            detail: via.extra,
            actor: &actor,
            via: Some(via),
            except: None,
        };
        self.vacate_seat(tx, fx, &off, Trigger::SeatCancelled, now)
            .await?;
        Ok(GiveUp::Done)
    }

    /// A person tried to give up a confirmed seat within the lock period:
    /// the secretariat is told, and the attempt audited.
    pub(crate) async fn tell_locked(
        &self,
        tx: &mut Tx,
        seat: &SeatDetails,
        person_id: i64,
        via: Via<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        tx.audit(
            now,
            &format!("person:{person_id}"),
            "seat.give_up_locked",
            AuditIds {
                seat: Some(seat.seat_id),
                person: Some(person_id),
                instance: None,
            },
            Some(&format!(r#"{{"channel":"{}"}}"#, via.channel)),
        )
        .await?;
        tx.notify_secretariat(
            "locked",
            NotificationIds {
                seat: Some(seat.seat_id),
                person: Some(person_id),
                instance: None,
                inbound: via.inbound_id,
            },
            &Said::new(
                format!(
                    "Personen vil melde fra inden for fristen ({} dage før) og har fået besked om at ringe. \
                     Tag personen af pladsen, hvis de ikke kan komme.",
                    seat.lock_days
                ),
                format!(
                    "The person wants to give up their seat within the lock period ({} days); \
                     they were told to call. Take them off the seat if they cannot come.",
                    seat.lock_days
                ),
            ),
            now,
        )
        .await?;
        Ok(())
    }

    /// `AFMELD` (`AFBUD`, `SYG`) from the people on a number or chat: the
    /// seat its code names (the code of a question about it, or the seat's
    /// own code on the station list), or their only seat from today. An
    /// invitation still open is declined; a confirmed seat is given up as
    /// by the cancel link. With several seats and no code, they are asked
    /// which.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn give_up_by_message(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        to: &ReplyTo<'_>,
        reply: &Reply,
        people: &[Person],
        via: Via<'_>,
        now: DateTime<Utc>,
    ) -> Result<InboundOutcome, EngineError> {
        let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
        let mut held = Vec::new();
        for seat in tx.upcoming_seats_of(&ids, local_today(now)).await? {
            let (Some(person), Some(details)) = (seat.person_id, tx.seat_details(seat.id).await?)
            else {
                continue;
            };
            let code = tx
                .latest_question_code(person, seat.id)
                .await?
                .or(seat.code.clone())
                .unwrap_or_default();
            held.push((details, person, code));
        }
        let named = reply.code.as_ref().map(|c| c.as_str());
        let chosen = match named {
            // A code two seats answer to names neither.
            Some(code) => {
                let mut matching = held
                    .iter()
                    .filter(|(s, _, c)| c == code || s.code.as_deref() == Some(code));
                match (matching.next(), matching.next()) {
                    (Some(one), None) => Some(one),
                    _ => None,
                }
            }
            None if held.len() == 1 => held.first(),
            None => None,
        };
        let Some((seat, person_id, _)) = chosen else {
            if held.is_empty() {
                return self.nothing_to_give_up(tx, fx, to, now).await;
            }
            let language = to
                .person
                .and_then(|p| Language::parse(&p.language))
                .unwrap_or_default();
            let mut context = MessageContext::new(&self.contact);
            context.unknown_code = named.unwrap_or_default().to_string();
            context.questions = held
                .iter()
                .map(|(s, _, code)| QuestionSummary {
                    code: code.clone(),
                    station: s.station.clone(),
                    task_type: s.task_type.clone(),
                    date: crate::messages::format_short_date(s.date, language),
                })
                .collect();
            self.reply(tx, fx, to, "give_up_which", context, now)
                .await?;
            return Ok(InboundOutcome::WhichSeat);
        };
        let (seat_id, person_id) = (seat.seat_id, *person_id);
        if seat.status == "invited" {
            // An invitation not yet answered: a no to it.
            let open = tx.open_questions(person_id).await?;
            let Some(question) = open
                .into_iter()
                .find(|q| q.seat_id == Some(seat_id) && q.kind == "ask")
            else {
                return self.nothing_to_give_up(tx, fx, to, now).await;
            };
            return Ok(
                match self
                    .answer_question(tx, fx, &question, Answer::No, via, now)
                    .await?
                {
                    AnswerOutcome::Taken => InboundOutcome::GaveUp,
                    _ => self.nothing_to_give_up(tx, fx, to, now).await?,
                },
            );
        }
        match self
            .give_up_seat(tx, fx, seat_id, person_id, via, now)
            .await?
        {
            GiveUp::Done => Ok(InboundOutcome::GaveUp),
            GiveUp::Locked => {
                self.reply_about_seat(tx, fx, to, "give_up_locked", Some(seat_id), now)
                    .await?;
                Ok(InboundOutcome::Locked)
            }
            GiveUp::Begun => {
                self.reply_about_seat(tx, fx, to, "give_up_begun", Some(seat_id), now)
                    .await?;
                Ok(InboundOutcome::NoSeatToGiveUp)
            }
            GiveUp::NotHeld => self.nothing_to_give_up(tx, fx, to, now).await,
        }
    }

    async fn nothing_to_give_up(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        to: &ReplyTo<'_>,
        now: DateTime<Utc>,
    ) -> Result<InboundOutcome, EngineError> {
        let context = MessageContext::new(&self.contact);
        self.reply(tx, fx, to, "give_up_none", context, now).await?;
        Ok(InboundOutcome::NoSeatToGiveUp)
    }
}
