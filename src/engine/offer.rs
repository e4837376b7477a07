//! Offering a vacant seat to the people on standby for it, in waves, and
//! taking the first yes.
//!
//! Each offer is a question (`kind = 'offer'`) of the filling instance to
//! one standby person, with a code of its own. A yes takes the seat with a
//! conditional `UPDATE … WHERE status = 'vacant'`, and the unique index on
//! (person, date) keeps one person from two seats on a day, so concurrent
//! answers never double-book. The seat is written before any question row,
//! so two answers racing on PostgreSQL wait on the seat's row only and
//! cannot deadlock.

use chrono::{DateTime, Utc};

use super::answer::{AnswerOutcome, Via};
use super::eligibility::{Meeting, RuleBook};
use super::run::Running;
use super::send::{About, LinkPurposes};
use super::{Effects, Engine, EngineError};
use crate::domain::Language;
use crate::domain::Said;
use crate::store::directory::AuditIds;
use crate::store::engine::NotificationIds;
use crate::store::seats::HistoryEvent;
use crate::store::{Question, Tx};
use crate::workflow::{Answer, Offer};

/// How many of a seat's standby candidates a wave reads, to find those
/// who meet the rules.
const CANDIDATES_READ: i64 = 500;

impl Engine {
    /// Offers the seat to the next `wave` standby people, or moves on to
    /// `unfilled` when nobody is left to ask. It runs when the offer state
    /// is entered, when a wave has had its wait without a yes (the people
    /// asked earlier may still answer), and when everyone asked said no.
    pub(crate) async fn offer_wave(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        run: &mut Running,
        offer: &Offer,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let instance_id = run.instance.id;
        let Some(seat_id) = run.instance.seat_id else {
            tx.notify_secretariat(
                "workflow-error",
                NotificationIds {
                    instance: Some(instance_id),
                    ..Default::default()
                },
                &Said::new(
                    format!(
                        "Tilstanden »{}« tilbyder en plads, men forløbet har ingen plads.",
                        run.instance.state
                    ),
                    format!(
                        "State `{}` offers a seat, but the instance has no seat.",
                        run.instance.state
                    ),
                ),
                now,
            )
            .await?;
            return Ok(());
        };
        let vacant = tx
            .seat(seat_id)
            .await?
            .is_some_and(|s| s.status == "vacant");
        if !vacant {
            // Someone holds it: a standby person's yes, or the secretariat.
            tx.close_open_questions_of(instance_id, "taken", now)
                .await?;
            tx.cancel_timers(instance_id, now).await?;
            if tx
                .finish_instance_in(instance_id, &run.instance.state, now)
                .await?
            {
                tx.audit(now, "system", "offer.not_needed", run.ids(), None)
                    .await?;
            }
            return Ok(());
        }
        if run.seat.is_none() || !run.seat_fresh {
            run.seat = tx.seat_details(seat_id).await?;
            run.seat_fresh = true;
        }
        let Some(seat) = run.seat.clone() else {
            return Ok(());
        };
        // A seat whose task is over is offered to nobody.
        if seat.ends_at() <= now {
            tx.close_open_questions_of(instance_id, "ended", now)
                .await?;
            tx.cancel_timers(instance_id, now).await?;
            if tx
                .finish_instance_in(instance_id, &run.instance.state, now)
                .await?
            {
                tx.audit(now, "system", "offer.task_over", run.ids(), None)
                    .await?;
            }
            return Ok(());
        }
        // The next people in the pool who meet the election's rules on
        // the seat's date; those who do not are passed over (the pool
        // beyond a few hundred is not read).
        let mut people = Vec::new();
        let mut book = RuleBook::default();
        for id in tx
            .standby_candidates(seat_id, instance_id, offer.same_team, CANDIDATES_READ)
            .await?
        {
            if people.len() >= offer.wave as usize {
                break;
            }
            let Some(person) = tx.person(id).await? else {
                continue;
            };
            match self
                .refusal(tx, &mut book, &person, &seat, Meeting::ANY_TEAM)
                .await?
            {
                None => people.push(person),
                Some(why) => tracing::info!(
                    person_id = person.id,
                    seat_id,
                    rule = why.rule(),
                    "standby person passed over"
                ),
            }
        }
        if people.is_empty() {
            tx.close_open_questions_of(instance_id, "expired", now)
                .await?;
            tx.cancel_timers(instance_id, now).await?;
            tx.record_history(
                &HistoryEvent {
                    seat_id,
                    person_id: None,
                    event: "offer_unfilled",
                    channel: None,
                    inbound_id: None,
                    detail: None,
                },
                now,
            )
            .await?;
            run.seat_fresh = false;
            return Box::pin(self.enter(tx, fx, run, offer.unfilled, now)).await;
        }
        for person in &people {
            let code = self.fresh_code(tx, person).await?;
            let question = tx
                .insert_question(
                    instance_id,
                    person.id,
                    Some(seat_id),
                    code.as_str(),
                    "offer",
                    now,
                )
                .await?;
            let language = Language::parse(&person.language).unwrap_or_default();
            let mut context = self.seat_context(run.seat.as_ref(), language);
            context.code = code.to_string();
            let about = About {
                seat: Some(seat_id),
                instance: Some(instance_id),
                question: Some(question),
                deadline: Some(run.seat_day_end(now)),
                links: LinkPurposes::ANSWERS,
                fallback_of: None,
                task_ends: Some(seat.ends_at()),
            };
            self.send_to_person(
                tx,
                fx,
                person,
                &offer.template,
                &offer.channels,
                context,
                about,
                now,
            )
            .await?;
            tx.record_history(
                &HistoryEvent {
                    seat_id,
                    person_id: Some(person.id),
                    event: "offered",
                    channel: None,
                    inbound_id: None,
                    detail: None,
                },
                now,
            )
            .await?;
        }
        tx.audit(
            now,
            "system",
            "offer.wave",
            run.ids(),
            Some(&format!(r#"{{"offered":{}}}"#, people.len())),
        )
        .await?;
        tx.cancel_timers(instance_id, now).await?;
        tx.insert_timers(
            instance_id,
            None,
            &[("wave", offer.wait.after(now, run.tz))],
        )
        .await?;
        Ok(())
    }

    /// An answer to an offer. A no keeps the person on standby for other
    /// seats and, once everyone asked has said no, asks the next wave. A
    /// yes takes the seat unless someone was first.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn answer_offer(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        mut run: Running,
        offer: &Offer,
        question: &Question,
        answer: Answer,
        via: Via<'_>,
        now: DateTime<Utc>,
    ) -> Result<AnswerOutcome, EngineError> {
        let Some(seat_id) = question.seat_id else {
            return Ok(AnswerOutcome::NoLongerOpen);
        };
        let history = |event, detail| HistoryEvent {
            seat_id,
            person_id: Some(question.person_id),
            event,
            channel: Some(via.channel),
            inbound_id: via.inbound_id,
            detail,
        };
        let ids = AuditIds {
            seat: Some(seat_id),
            person: Some(question.person_id),
            instance: Some(run.instance.id),
        };
        let actor = format!("person:{}", question.person_id);
        if answer == Answer::No {
            if !tx.close_question(question.id, "no", now).await? {
                return Ok(AnswerOutcome::NoLongerOpen);
            }
            tx.record_history(&history("offer_declined", via.extra), now)
                .await?;
            tx.audit(now, &actor, "offer.declined", ids, None).await?;
            if let Some(person) = tx.person(question.person_id).await? {
                let language = Language::parse(&person.language).unwrap_or_default();
                let seat = tx.seat_details(seat_id).await?;
                let context = self.seat_context(seat.as_ref(), language);
                let about = About {
                    seat: Some(seat_id),
                    instance: Some(run.instance.id),
                    question: Some(question.id),
                    deadline: None,
                    links: LinkPurposes::default(),
                    fallback_of: None,
                    task_ends: seat.as_ref().map(|s| s.ends_at()),
                };
                self.send_to_person(
                    tx,
                    fx,
                    &person,
                    "offer_declined",
                    &offer.channels,
                    context,
                    about,
                    now,
                )
                .await?;
            }
            if tx.open_offers_of(run.instance.id).await? == 0 {
                self.offer_wave(tx, fx, &mut run, offer, now).await?;
            }
            return Ok(AnswerOutcome::Taken);
        }
        // The rules again, as they are now: the person's facts or party
        // may have changed since they were asked.
        let person = tx.person(question.person_id).await?;
        let seat = tx.seat_details(seat_id).await?;
        if seat.as_ref().is_some_and(|s| s.ends_at() <= now) {
            tx.close_question(question.id, "ended", now).await?;
            return Ok(AnswerOutcome::NoLongerOpen);
        }
        if let (Some(person), Some(seat)) = (&person, &seat) {
            let mut book = RuleBook::default();
            if let Some(why) = self
                .refusal(
                    tx,
                    &mut book,
                    person,
                    seat,
                    Meeting::same_team(offer.same_team),
                )
                .await?
            {
                if !tx.close_question(question.id, "refused", now).await? {
                    return Ok(AnswerOutcome::NoLongerOpen);
                }
                tx.audit(
                    now,
                    &actor,
                    "offer.refused",
                    ids,
                    Some(&format!(r#"{{"rule":"{}"}}"#, why.rule())),
                )
                .await?;
                if tx.open_offers_of(run.instance.id).await? == 0 {
                    self.offer_wave(tx, fx, &mut run, offer, now).await?;
                }
                return Ok(AnswerOutcome::NotEligible(why));
            }
        }
        // The seat first: see the module's comment.
        if !tx
            .take_vacant_seat(seat_id, question.person_id, now)
            .await?
        {
            tx.close_question(question.id, "taken", now).await?;
            tx.audit(now, &actor, "offer.too_late", ids, None).await?;
            return Ok(AnswerOutcome::SeatTaken);
        }
        tx.close_question(question.id, "yes", now).await?;
        tx.close_open_questions_of(run.instance.id, "taken", now)
            .await?;
        tx.cancel_timers(run.instance.id, now).await?;
        tx.set_instance_person(run.instance.id, question.person_id)
            .await?;
        tx.record_history(&history("answered_yes", via.extra), now)
            .await?;
        tx.record_history(&history("assigned", Some("standby")), now)
            .await?;
        tx.record_history(&history("confirmed", None), now).await?;
        tx.audit(now, &actor, "seat.filled_from_standby", ids, None)
            .await?;
        run.instance.person_id = Some(question.person_id);
        run.person = tx.person(question.person_id).await?;
        run.seat = tx.seat_details(seat_id).await?;
        run.seat_fresh = true;
        self.enter(tx, fx, &mut run, offer.filled, now).await?;
        Ok(AnswerOutcome::Taken)
    }
}
