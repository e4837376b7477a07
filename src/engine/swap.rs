//! Swapping polling station.
//!
//! A person who holds a seat asks to swap (`SKIFT` by SMS, or the swap
//! link in an e-mail); that starts the `swap.requested` workflows on the
//! seat. Their `swap` state lists the stations with a vacant seat of the
//! same task type on the same date, numbered, under a question code; the
//! numbered options are kept with the question (`swap_options`).
//!
//! A choice moves the person in one transaction: the chosen seat is first
//! claimed while still vacant ([`Tx::lock_vacant_seat`]), then the old seat
//! is freed (ending whatever still asked about it), the new one taken and
//! confirmed, and the `seat.vacated` workflows start for the old seat. Two
//! people choosing the last free seat at once wait on that seat's row on
//! PostgreSQL (one writer at a time on SQLite): the second finds it taken,
//! nothing of theirs has changed, and they are sent the stations as they
//! are now.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::answer::Via;
use super::eligibility::{Meeting, RuleBook};
use super::no_show::OffSeat;
use super::run::{Latest, Running};
use super::send::{About, LinkPurposes};
use super::{Effects, Engine, EngineError};
use crate::domain::Language;
use crate::domain::Said;
use crate::messages::SwapOption;
use crate::store::engine::NotificationIds;
use crate::store::seats::HistoryEvent;
use crate::store::{Person, Question, SeatDetails, Tx};
use crate::workflow::{Next, Swap, SwapScope, Trigger, Workflow};

/// What became of a choice among swap options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwapChoice {
    /// The person moved to the chosen seat.
    Moved,
    /// Someone took the chosen seat first; nothing changed. Holds the
    /// station's name.
    Taken(String),
    /// The person does not meet the election's rules for the chosen seat;
    /// nothing changed.
    NotEligible(super::Refusal),
    /// The question lists no such option.
    NoSuchOption,
    /// The question was closed meanwhile, or the person no longer holds
    /// the seat they wanted to swap.
    NoLongerOpen,
    /// The choice waits for the secretariat's approval.
    AwaitingApproval,
}

impl Engine {
    /// The published swap workflow (`starts_on: swap.requested`) and the
    /// swap of its first state, if it starts with one.
    pub(crate) async fn swap_workflow(
        &self,
        tx: &mut Tx,
    ) -> Result<Option<(Latest, Arc<Workflow>, Option<Swap>)>, EngineError> {
        for revision in self.latest(tx).await? {
            let workflow = self.workflow_by_id(tx, revision.id).await?;
            if workflow.trigger == Trigger::SwapRequested {
                let swap = match &workflow.state(workflow.initial).next {
                    Next::Swap(s) => Some(s.clone()),
                    _ => None,
                };
                return Ok(Some((revision, workflow, swap)));
            }
        }
        Ok(None)
    }

    /// Starts a swap for a person's seat: ends any earlier swap of theirs
    /// for it that still waits for a choice, and starts the swap workflow.
    /// False when no swap workflow is published.
    pub(crate) async fn request_swap(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        person: &Person,
        seat_id: i64,
        via: Via<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, EngineError> {
        let Some((revision, _, _)) = self.swap_workflow(tx).await? else {
            return Ok(false);
        };
        // Once the task has begun, the place is where it is; and nothing
        // is offered while the election is not active (the person is told
        // a swap is not possible rather than left waiting).
        let seat = tx.seat_details(seat_id).await?;
        if seat
            .as_ref()
            .is_none_or(|s| s.starts_at() <= now || !s.election_active)
        {
            return Ok(false);
        }
        self.end_waiting_swaps(tx, seat_id, person.id, now).await?;
        tx.record_history(
            &HistoryEvent {
                seat_id,
                person_id: Some(person.id),
                event: "swap_requested",
                channel: Some(via.channel),
                inbound_id: via.inbound_id,
                detail: via.extra,
            },
            now,
        )
        .await?;
        self.start_revision(tx, fx, &revision, Some(seat_id), Some(person), seat, now)
            .await?;
        Ok(true)
    }

    /// Ends the swaps of this person for this seat that wait for a choice:
    /// only the newest list of stations can be answered.
    pub(crate) async fn end_waiting_swaps(
        &self,
        tx: &mut Tx,
        seat_id: i64,
        person_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        for instance in tx.instances_of_seat(seat_id).await? {
            if instance.status != "waiting" || instance.person_id != Some(person_id) {
                continue;
            }
            let workflow = self.workflow_by_id(tx, instance.revision_id).await?;
            let waits_on_swap = workflow
                .state_by_name(&instance.state)
                .is_some_and(|s| matches!(workflow.state(s).next, Next::Swap(_)));
            if waits_on_swap {
                tx.close_open_questions_of(instance.id, "superseded", now)
                    .await?;
                tx.cancel_timers(instance.id, now).await?;
                tx.end_swap_requests_of(instance.id, now).await?;
                tx.finish_instance_in(instance.id, &instance.state, now)
                    .await?;
            }
        }
        Ok(())
    }

    /// Entering a swap state: sends the stations the person may move to,
    /// or moves on to `none` when there are none. `taken` names a station
    /// the person chose a moment ago that someone else took first.
    pub(crate) async fn offer_swap(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        run: &mut Running,
        swap: &Swap,
        taken: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let (Some(seat_id), Some(person)) = (run.instance.seat_id, run.person.clone()) else {
            tx.notify_secretariat(
                "workflow-error",
                NotificationIds {
                    instance: Some(run.instance.id),
                    ..Default::default()
                },
                &Said::new(
                    format!(
                        "Tilstanden »{}« tilbyder et skift, men forløbet har ingen plads eller person.",
                        run.instance.state
                    ),
                    format!(
                        "State `{}` offers a swap, but the instance has no seat or no person.",
                        run.instance.state
                    ),
                ),
                now,
            )
            .await?;
            return Ok(());
        };
        run.seat = tx.seat_details(seat_id).await?;
        run.seat_fresh = true;
        if !run.holds_seat() {
            tx.audit(now, "system", "swap.seat_not_held", run.ids(), None)
                .await?;
            tx.finish_instance_in(run.instance.id, &run.instance.state, now)
                .await?;
            return Ok(());
        }
        let options = self.swap_options(tx, &person, seat_id, swap).await?;
        if options.is_empty() {
            tx.audit(now, "system", "swap.no_free_seat", run.ids(), None)
                .await?;
            return Box::pin(self.enter(tx, fx, run, swap.none, now)).await;
        }
        let code = self.fresh_code(tx, &person).await?;
        let question = tx
            .insert_question(
                run.instance.id,
                person.id,
                Some(seat_id),
                code.as_str(),
                "ask",
                now,
            )
            .await?;
        tx.insert_swap_options(question, &options).await?;
        let language = Language::parse(&person.language).unwrap_or_default();
        let mut context = self.seat_context(run.seat.as_ref(), language);
        context.code = code.to_string();
        context.taken_station = taken.unwrap_or_default();
        for (seat, n) in options.iter().zip(1i64..) {
            if let Some(s) = tx.seat_details(*seat).await? {
                context.options.push(SwapOption {
                    n,
                    station: s.station,
                    address: s.address,
                });
            }
        }
        let deadline = swap.wait.after(now, run.tz);
        let about = About {
            seat: Some(seat_id),
            instance: Some(run.instance.id),
            question: Some(question),
            deadline: Some(deadline),
            links: LinkPurposes::SWAP,
            fallback_of: None,
            task_ends: run.seat.as_ref().map(|s| s.ends_at()),
        };
        self.send_to_person(
            tx,
            fx,
            &person,
            &swap.template,
            &swap.channels,
            context,
            about,
            now,
        )
        .await?;
        tx.insert_timers(run.instance.id, Some(question), &[("timeout", deadline)])
            .await?;
        Ok(())
    }

    /// The free seats a swap lists for a person on `seat_id`: of the same
    /// task type and date (and team, unless `same_team: no`), and only
    /// those the election's rules give them.
    pub(crate) async fn swap_options(
        &self,
        tx: &mut Tx,
        person: &Person,
        seat_id: i64,
        swap: &Swap,
    ) -> Result<Vec<i64>, EngineError> {
        let wanted = swap.options as usize;
        let found = tx
            .swap_candidates(
                seat_id,
                swap.within == SwapScope::Area,
                swap.same_team,
                i64::from(swap.options) * 4,
            )
            .await?;
        let mut book = RuleBook::default();
        let mut options = Vec::new();
        for id in found {
            if options.len() >= wanted {
                break;
            }
            let Some(seat) = tx.seat_details(id).await? else {
                continue;
            };
            if self
                .refusal(
                    tx,
                    &mut book,
                    person,
                    &seat,
                    Meeting {
                        same_team: false,
                        leaving: Some(seat_id),
                    },
                )
                .await?
                .is_none()
            {
                options.push(id);
            }
        }
        Ok(options)
    }

    /// Option `n` of an open swap question.
    pub(crate) async fn choose_swap(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        question: &Question,
        n: i64,
        via: Via<'_>,
        now: DateTime<Utc>,
    ) -> Result<SwapChoice, EngineError> {
        let mut run = self.load_running(tx, question.instance_id).await?;
        let Some(Next::Swap(swap)) = run.waiting_on() else {
            return Ok(SwapChoice::NoLongerOpen);
        };
        if question.closed_at.is_some() {
            return Ok(SwapChoice::NoLongerOpen);
        }
        let Some(target) = tx.swap_option(question.id, n).await? else {
            return Ok(SwapChoice::NoSuchOption);
        };
        if swap.approval.is_some() {
            return self
                .ask_approval(tx, fx, &mut run, &swap, target, Some(question), via, now)
                .await;
        }
        self.swap_to(tx, fx, &mut run, &swap, target, Some(question), via, now)
            .await
    }

    /// Moves the instance's person from the instance's seat to `target`,
    /// or changes nothing and, when `question` was answered, sends the
    /// stations again as they are now. See the module's comment.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn swap_to(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        run: &mut Running,
        swap: &Swap,
        target: i64,
        question: Option<&Question>,
        via: Via<'_>,
        now: DateTime<Utc>,
    ) -> Result<SwapChoice, EngineError> {
        let (Some(old), Some(person_id)) = (run.instance.seat_id, run.instance.person_id) else {
            return Ok(SwapChoice::NoLongerOpen);
        };
        if run.seat.as_ref().is_none_or(|s| s.starts_at() <= now) {
            return Ok(SwapChoice::NoLongerOpen);
        }
        let target_seat = tx.seat_details(target).await?;
        let station = target_seat
            .as_ref()
            .map(|s| s.station.clone())
            .unwrap_or_default();
        if !swappable(
            run.seat.as_ref(),
            target_seat.as_ref(),
            person_id,
            swap.same_team,
        ) {
            return Ok(SwapChoice::NoLongerOpen);
        }
        if let (Some(person), Some(seat)) = (run.person.clone(), target_seat.as_ref())
            && let Some(why) = self
                .refusal(
                    tx,
                    &mut RuleBook::default(),
                    &person,
                    seat,
                    Meeting {
                        same_team: false,
                        leaving: Some(old),
                    },
                )
                .await?
        {
            return Ok(SwapChoice::NotEligible(why));
        }
        // The chosen seat first: see the module's comment.
        if !tx.lock_vacant_seat(target).await? {
            return self
                .too_late(tx, fx, run, swap, question, station, now)
                .await;
        }
        // Then the old seat, still theirs: a no-show or a no committed
        // meanwhile leaves nothing to move from.
        if !tx.lock_held_seat(old, person_id).await? {
            return Ok(SwapChoice::NoLongerOpen);
        }
        if let Some(q) = question
            && !tx.close_question(q.id, "moved", now).await?
        {
            return Ok(SwapChoice::NoLongerOpen);
        }
        tx.cancel_timers(run.instance.id, now).await?;
        let actor = format!("person:{person_id}");
        let detail = format!("to seat {target}");
        let off = OffSeat {
            seat_id: old,
            event: "swapped_out",
            detail: Some(&detail),
            actor: &actor,
            via: Some(via),
            except: Some(run.instance.id),
        };
        if self.take_off_seat(tx, &off, now).await? != Some(person_id) {
            return Err(EngineError::Invariant(format!(
                "seat {old} changed hands during a swap"
            )));
        }
        if !tx.take_vacant_seat(target, person_id, now).await? {
            return Err(EngineError::Invariant(format!(
                "seat {target} was claimed vacant but could not be taken"
            )));
        }
        let from = format!("from seat {old}");
        for (event, detail) in [("assigned", Some(from.as_str())), ("confirmed", None)] {
            tx.record_history(
                &HistoryEvent {
                    seat_id: target,
                    person_id: Some(person_id),
                    event,
                    channel: Some(via.channel),
                    inbound_id: via.inbound_id,
                    detail,
                },
                now,
            )
            .await?;
        }
        tx.set_instance_seat(run.instance.id, target, now).await?;
        tx.audit(
            now,
            &actor,
            "seat.swapped",
            run.ids(),
            Some(&format!(r#"{{"from":{old},"to":{target}}}"#)),
        )
        .await?;
        tracing::info!(
            instance_id = run.instance.id,
            from = old,
            to = target,
            "person swapped station"
        );
        Box::pin(self.start_triggered(tx, fx, Trigger::SeatVacated, old, None, None, None, now))
            .await?;
        run.instance.seat_id = Some(target);
        run.seat = tx.seat_details(target).await?;
        run.seat_fresh = true;
        Box::pin(self.enter(tx, fx, run, swap.moved, now)).await?;
        Ok(SwapChoice::Moved)
    }
}

impl Engine {
    /// Someone took the chosen seat first: the answered list is closed and
    /// the stations are sent again as they are now.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn too_late(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        run: &mut Running,
        swap: &Swap,
        question: Option<&Question>,
        station: String,
        now: DateTime<Utc>,
    ) -> Result<SwapChoice, EngineError> {
        let actor = format!("person:{}", run.instance.person_id.unwrap_or_default());
        tx.audit(now, &actor, "swap.too_late", run.ids(), None)
            .await?;
        if let Some(q) = question
            && tx.close_question(q.id, "taken", now).await?
        {
            tx.cancel_timers(run.instance.id, now).await?;
            Box::pin(self.offer_swap(tx, fx, run, swap, Some(station.clone()), now)).await?;
        }
        Ok(SwapChoice::Taken(station))
    }
}

/// Whether a person on `from` may move to `to`: they still hold `from`,
/// and `to` is of the same election, task type and date at another
/// station, and of the same team when `same_team`. Vacancy is checked by
/// claiming the seat.
pub(crate) fn swappable(
    from: Option<&SeatDetails>,
    to: Option<&SeatDetails>,
    person_id: i64,
    same_team: bool,
) -> bool {
    match (from, to) {
        (Some(from), Some(to)) => {
            from.person_id == Some(person_id)
                && from.election_id == to.election_id
                && from.task_type == to.task_type
                && from.date == to.date
                && from.station_id != to.station_id
                && (!same_team || from.team_id == to.team_id)
        }
        _ => false,
    }
}
