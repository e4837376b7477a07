//! Running a workflow instance: entering states, their steps, and asks.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::send::{About, LinkPurposes};
use super::{Effects, Engine, EngineError};
use crate::domain::{Language, PhoneNumber, Said, ShortCode};
use crate::store::directory::AuditIds;
use crate::store::engine::NotificationIds;
use crate::store::seats::HistoryEvent;
use crate::store::{Instance, Person, SeatDetails, Tx};
use crate::workflow::{Audience, Next, SeatTarget, StateId, Step, Trigger, Workflow};

/// How many states one event may pass through. Validation refuses `goto`
/// loops; this bounds a revision stored before that check existed.
const MAX_STATES_PER_EVENT: usize = 64;

/// An instance loaded with what running it needs.
pub(crate) struct Running {
    pub instance: Instance,
    pub workflow: Arc<Workflow>,
    pub person: Option<Person>,
    pub seat: Option<SeatDetails>,
    /// `seat` is as the database has it now: nothing that could change
    /// the seat behind this instance's back (another instance) has run
    /// since it was read.
    pub seat_fresh: bool,
    pub tz: Tz,
}

/// The newest revision of a workflow.
#[derive(Debug, Clone)]
pub(crate) struct Latest {
    pub id: i64,
    pub name: String,
    pub revision: i32,
}

impl Running {
    fn new(
        instance: Instance,
        workflow: Arc<Workflow>,
        person: Option<Person>,
        seat: Option<SeatDetails>,
    ) -> Running {
        let tz = seat
            .as_ref()
            .and_then(|s| s.time_zone.parse().ok())
            .unwrap_or(chrono_tz::Europe::Copenhagen);
        Running {
            instance,
            workflow,
            person,
            seat,
            seat_fresh: true,
            tz,
        }
    }

    /// The end of the seat's day, local time (midnight after it); a week
    /// from `now` for an instance without a seat.
    pub fn seat_day_end(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match &self.seat {
            Some(seat) => crate::workflow::local_instant(
                (seat.date + chrono::Days::new(1)).and_time(chrono::NaiveTime::MIN),
                self.tz,
            ),
            None => now + chrono::Duration::days(7),
        }
    }

    fn about(&self) -> About {
        About {
            seat: self.instance.seat_id,
            instance: Some(self.instance.id),
            question: None,
            deadline: None,
            links: LinkPurposes::default(),
            fallback_of: None,
            task_ends: self.seat.as_ref().map(|s| s.ends_at()),
        }
    }

    /// Whether the instance's person holds its seat.
    pub(crate) fn holds_seat(&self) -> bool {
        self.instance.person_id.is_some()
            && self.seat.as_ref().and_then(|s| s.person_id) == self.instance.person_id
    }

    /// What the instance waits on in its current state (an ask or an
    /// offer), or `None` when it waits on nothing.
    pub(crate) fn waiting_on(&self) -> Option<Next> {
        let state = self.workflow.state_by_name(&self.instance.state)?;
        let next = &self.workflow.state(state).next;
        (self.instance.status == "waiting"
            && matches!(next, Next::Ask(_) | Next::Offer(_) | Next::Swap(_)))
        .then(|| next.clone())
    }

    pub(crate) fn ids(&self) -> AuditIds {
        AuditIds {
            seat: self.instance.seat_id,
            person: self.instance.person_id,
            instance: Some(self.instance.id),
        }
    }

    fn language(&self) -> Language {
        self.person
            .as_ref()
            .and_then(|p| Language::parse(&p.language))
            .unwrap_or_default()
    }
}

impl Engine {
    /// The newest revision of every workflow, as (revision id, name,
    /// revision number). An operation that starts many instances reads it
    /// once.
    pub(crate) async fn latest(&self, tx: &mut Tx) -> Result<Vec<Latest>, EngineError> {
        Ok(tx
            .latest_revision_ids()
            .await?
            .into_iter()
            .map(|(id, name, revision)| Latest { id, name, revision })
            .collect())
    }

    /// Starts every workflow whose trigger is `trigger` on a seat. `latest`
    /// is [`Engine::latest`] when the caller has it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn start_triggered(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        trigger: Trigger,
        seat_id: i64,
        person: Option<&Person>,
        mut seat: Option<SeatDetails>,
        latest: Option<&[Latest]>,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let read;
        let latest = match latest {
            Some(l) => l,
            None => {
                read = self.latest(tx).await?;
                &read[..]
            }
        };
        for revision in latest {
            let workflow = self.workflow_by_id(tx, revision.id).await?;
            if workflow.trigger == trigger {
                // The seat as the caller read it serves the first instance;
                // the next ones read it after the first has run.
                let seat = match seat.take() {
                    Some(s) => Some(s),
                    None => tx.seat_details(seat_id).await?,
                };
                self.start_revision(tx, fx, revision, Some(seat_id), person, seat, now)
                    .await?;
            }
        }
        Ok(())
    }

    /// Starts the latest revision of a workflow and runs it until it waits
    /// or ends. Returns the instance id.
    pub(crate) async fn start_instance(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        name: &str,
        seat_id: Option<i64>,
        person: Option<&Person>,
        now: DateTime<Utc>,
    ) -> Result<i64, EngineError> {
        let (id, revision) = tx
            .latest_revision_number(name)
            .await?
            .ok_or_else(|| EngineError::Invariant(format!("workflow `{name}` is not published")))?;
        let latest = Latest {
            id,
            name: name.to_string(),
            revision,
        };
        let seat = match seat_id {
            Some(id) => tx.seat_details(id).await?,
            None => None,
        };
        self.start_revision(tx, fx, &latest, seat_id, person, seat, now)
            .await
    }

    /// Starts an instance of a revision and runs it until it waits or ends.
    /// `seat` is the seat `seat_id` as read in this transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn start_revision(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        revision: &Latest,
        seat_id: Option<i64>,
        person: Option<&Person>,
        seat: Option<SeatDetails>,
        now: DateTime<Utc>,
    ) -> Result<i64, EngineError> {
        let seat = match (seat, seat_id) {
            (None, Some(id)) => tx.seat_details(id).await?,
            (seat, _) => seat,
        };
        let held = seat.clone().filter(|s| !s.election_active);
        let mut running = self
            .new_instance(tx, revision, seat_id, person, seat, now)
            .await?;
        if let Some(seat) = held {
            self.hold(tx, &running, &seat, now).await?;
            return Ok(running.instance.id);
        }
        let initial = running.workflow.initial;
        self.enter(tx, fx, &mut running, initial, now).await?;
        Ok(running.instance.id)
    }

    /// Stores a new instance of a revision in its first state, without
    /// entering it, and audits its start.
    pub(crate) async fn new_instance(
        &self,
        tx: &mut Tx,
        revision: &Latest,
        seat_id: Option<i64>,
        person: Option<&Person>,
        seat: Option<SeatDetails>,
        now: DateTime<Utc>,
    ) -> Result<Running, EngineError> {
        let workflow = self.workflow_by_id(tx, revision.id).await?;
        let initial = workflow.state(workflow.initial).name.clone();
        let instance = tx
            .insert_instance(revision.id, seat_id, person.map(|p| p.id), &initial, now)
            .await?;
        tx.audit(
            now,
            "system",
            "instance.started",
            AuditIds {
                seat: seat_id,
                person: person.map(|p| p.id),
                instance: Some(instance.id),
            },
            Some(&format!(
                r#"{{"workflow":"{}","revision":{}}}"#,
                revision.name, revision.revision
            )),
        )
        .await?;
        Ok(Running::new(instance, workflow, person.cloned(), seat))
    }

    pub(crate) async fn load_running(
        &self,
        tx: &mut Tx,
        instance_id: i64,
    ) -> Result<Running, EngineError> {
        let instance = tx.instance(instance_id).await?.ok_or_else(|| {
            EngineError::Invariant(format!("instance {instance_id} does not exist"))
        })?;
        let workflow = self.workflow_by_id(tx, instance.revision_id).await?;
        let person = match instance.person_id {
            Some(id) => tx.person(id).await?,
            None => None,
        };
        let seat = match instance.seat_id {
            Some(id) => tx.seat_details(id).await?,
            None => None,
        };
        Ok(Running::new(instance, workflow, person, seat))
    }

    /// Enters `state`: runs its steps, then waits, moves on, or ends.
    pub(crate) async fn enter(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        run: &mut Running,
        state: StateId,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let workflow = run.workflow.clone();
        let mut current = state;
        for _ in 0..MAX_STATES_PER_EVENT {
            let st = workflow.state(current);
            let status = if matches!(st.next, Next::Ask(_) | Next::Offer(_) | Next::Swap(_)) {
                "waiting"
            } else {
                "finished"
            };
            // A fresh instance was stored in its first state, waiting.
            let unchanged = run.instance.state == st.name
                && run.instance.status == status
                && run.instance.reminders_sent == 0
                && run.instance.updated_at == now;
            if !unchanged {
                tx.set_instance_state(run.instance.id, &st.name, status, now)
                    .await?;
            }
            run.instance.state = st.name.clone();
            run.instance.status = status.to_string();
            for step in &st.steps {
                self.run_step(tx, fx, run, step, now).await?;
            }
            match &st.next {
                Next::Goto(target) => current = *target,
                Next::Offer(offer) => {
                    return self.offer_wave(tx, fx, run, offer, now).await;
                }
                Next::Swap(swap) => {
                    return Box::pin(self.offer_swap(tx, fx, run, swap, None, now)).await;
                }
                Next::Final => {
                    tx.audit(
                        now,
                        "system",
                        "instance.finished",
                        run.ids(),
                        Some(&format!(r#"{{"state":"{}"}}"#, st.name)),
                    )
                    .await?;
                    return Ok(());
                }
                Next::Ask(ask) => {
                    let Some(person) = run.person.clone() else {
                        tx.notify_secretariat(
                            "workflow-error",
                            NotificationIds { seat: run.instance.seat_id, instance: Some(run.instance.id), ..Default::default() },
                            &Said::new(
                                format!("Tilstanden »{}« stiller et spørgsmål, men der er ingen person at spørge.", st.name),
                                format!("State `{}` asks a question, but the instance has no person to ask.", st.name),
                            ),
                            now,
                        )
                        .await?;
                        return Ok(());
                    };
                    let code = self.fresh_code(tx, &person).await?;
                    let question = tx
                        .insert_question(
                            run.instance.id,
                            person.id,
                            run.instance.seat_id,
                            code.as_str(),
                            "ask",
                            now,
                        )
                        .await?;
                    let mut context = self.seat_context(run.seat.as_ref(), run.language());
                    context.code = code.to_string();
                    let starts = run.seat.as_ref().map(|s| s.starts_at());
                    let timeout_at = ask.timeout.as_ref().map(|t| t.due(now, starts, run.tz).0);
                    let about = About {
                        question: Some(question),
                        deadline: Some(timeout_at.unwrap_or_else(|| run.seat_day_end(now))),
                        links: LinkPurposes::for_ask(ask, run.holds_seat()),
                        ..run.about()
                    };
                    self.send_to_person(
                        tx,
                        fx,
                        &person,
                        &ask.template,
                        &ask.channels,
                        context,
                        about,
                        now,
                    )
                    .await?;
                    let mut timers = Vec::new();
                    if let Some(at) = timeout_at {
                        timers.push(("timeout", at));
                    }
                    if let Some(remind) = &ask.remind {
                        let at = remind.every.after(now, run.tz);
                        if remind.max != Some(0) && timeout_at.is_none_or(|t| at < t) {
                            timers.push(("remind", at));
                        }
                    }
                    tx.insert_timers(run.instance.id, Some(question), &timers)
                        .await?;
                    return Ok(());
                }
            }
        }
        Err(EngineError::Invariant(format!(
            "instance {} passed through {MAX_STATES_PER_EVENT} states on one event",
            run.instance.id
        )))
    }

    /// A short code unused among the open questions of everyone who shares
    /// this person's phone, so that `JA K7` from that phone is unambiguous.
    pub(crate) async fn fresh_code(
        &self,
        tx: &mut Tx,
        person: &Person,
    ) -> Result<ShortCode, EngineError> {
        let phone = person
            .phone
            .as_deref()
            .and_then(|p| PhoneNumber::parse(p).ok());
        let taken = tx
            .open_codes_around(person.id, phone.as_ref().map(|p| p.as_e164()))
            .await?;
        let taken = |c: &str| taken.iter().any(|t| t == c);
        let mut seeded = self.codes.lock().expect("codes lock");
        Ok(match seeded.as_mut() {
            Some(rng) => ShortCode::generate(rng, &taken),
            None => ShortCode::generate(&mut rand::rng(), &taken),
        })
    }

    async fn run_step(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        run: &mut Running,
        step: &Step,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        match step {
            Step::SetSeat(target) => self.set_seat(tx, fx, run, *target, now).await,
            Step::Send { template, channels } => {
                let Some(person) = run.person.clone() else {
                    return Ok(());
                };
                let mut context = self.seat_context(run.seat.as_ref(), run.language());
                if let Some(seat) = &run.seat {
                    context.seats = self.day_seats(tx, person.id, seat, run.language()).await?;
                }
                self.send_to_person(
                    tx,
                    fx,
                    &person,
                    template,
                    channels,
                    context,
                    run.about(),
                    now,
                )
                .await
            }
            Step::Start { workflow } => {
                run.seat_fresh = false;
                Box::pin(self.start_instance(
                    tx,
                    fx,
                    workflow,
                    run.instance.seat_id,
                    run.person.as_ref(),
                    now,
                ))
                .await
                .map(|_| ())
            }
            Step::Notify {
                audience,
                message,
                message_en,
            } => {
                let text = match (message, message_en) {
                    (Some(da), Some(en)) => Said::new(da, en),
                    (Some(text), None) => Said::both(text),
                    _ => Said::new(
                        format!(
                            "Arbejdsgangen »{}« nåede tilstanden »{}«.",
                            run.workflow.name, run.instance.state
                        ),
                        format!(
                            "Workflow `{}` reached state `{}`.",
                            run.workflow.name, run.instance.state
                        ),
                    ),
                };
                let ids = NotificationIds {
                    seat: run.instance.seat_id,
                    person: run.instance.person_id,
                    instance: Some(run.instance.id),
                    inbound: None,
                };
                match audience {
                    Audience::Secretariat => {
                        tx.notify_secretariat("workflow", ids, &text, now).await?;
                    }
                    Audience::Team => self.tell_team(tx, fx, run, ids, &text, now).await?,
                }
                Ok(())
            }
        }
    }

    /// `notify: {to: team}`: a note on the follow-up list of the seat's
    /// team, and an e-mail to each of the team's responsibles whose login
    /// is an e-mail address (when e-mail is configured), in their
    /// language.
    async fn tell_team(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        run: &mut Running,
        ids: NotificationIds,
        text: &Said,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        if (run.seat.is_none() || !run.seat_fresh)
            && let Some(seat_id) = run.instance.seat_id
        {
            run.seat = tx.seat_details(seat_id).await?;
            run.seat_fresh = true;
        }
        let Some(seat) = run.seat.clone() else {
            tx.audit(
                now,
                "system",
                "notify.no_team",
                run.ids(),
                Some(r#"{"reason":"the instance has no seat, so no team"}"#),
            )
            .await?;
            return Ok(());
        };
        tx.notify_team(seat.team_id, "workflow", ids, text, now)
            .await?;
        if self.email.is_none() {
            return Ok(());
        }
        let member = run.person.as_ref().map(|p| p.name.clone());
        for user in tx.team_responsibles(seat.team_id).await? {
            if !user.login.contains('@') {
                continue;
            }
            let language = Language::parse(&user.language).unwrap_or_default();
            let mut context = self.seat_context(Some(&seat), language);
            context.name = user.name.clone();
            context.text = match language {
                Language::Da => text.da.clone(),
                Language::En => text.en.clone(),
            };
            context.member = member.clone().unwrap_or_default();
            let about = About {
                seat: Some(seat.seat_id),
                instance: Some(run.instance.id),
                ..About::default()
            };
            self.send_rendered(
                tx,
                fx,
                None,
                "email",
                &user.login,
                "team_notice",
                language,
                &context,
                about,
                None,
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// `set_seat`: acts only while the seat is still held by the instance's
    /// person; if the secretariat has moved it meanwhile, the step is
    /// skipped and the audit log says so.
    async fn set_seat(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        run: &mut Running,
        target: SeatTarget,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let Some(seat_id) = run.instance.seat_id else {
            return Ok(());
        };
        let (holder, current) = match run.seat.as_ref().filter(|_| run.seat_fresh) {
            Some(s) => (s.person_id, Some(s.status.clone())),
            None => match tx.seat(seat_id).await? {
                Some(s) => (s.person_id, Some(s.status)),
                None => (None, None),
            },
        };
        let held = holder.is_some() && holder == run.instance.person_id;
        if held && target == SeatTarget::NoShow {
            run.seat_fresh = false;
            Box::pin(self.no_show_in(tx, fx, seat_id, "system", None, Some(run.instance.id), now))
                .await?;
            if let Some(s) = run.seat.as_mut() {
                s.status = "vacant".into();
                s.person_id = None;
            }
            return Ok(());
        }
        if !held {
            tx.audit(
                now,
                "system",
                "seat.step_skipped",
                run.ids(),
                Some(r#"{"reason":"seat no longer held by the instance's person"}"#),
            )
            .await?;
            return Ok(());
        }
        let (status, event) = match target {
            SeatTarget::Invited => ("invited", "invited"),
            SeatTarget::Confirmed => ("confirmed", "confirmed"),
            SeatTarget::Vacant | SeatTarget::NoShow => ("vacant", "released"),
        };
        if target == SeatTarget::Vacant {
            tx.release_seat(seat_id, now).await?;
        } else if current.as_deref() != Some(status) {
            tx.set_seat_status(seat_id, status, now).await?;
        }
        tx.record_history(
            &HistoryEvent {
                seat_id,
                person_id: run.instance.person_id,
                event,
                channel: None,
                inbound_id: None,
                detail: None,
            },
            now,
        )
        .await?;
        tx.audit(now, "system", &format!("seat.{event}"), run.ids(), None)
            .await?;
        if let Some(s) = run.seat.as_mut() {
            s.status = status.to_string();
            if target == SeatTarget::Vacant {
                s.person_id = None;
            }
        }
        if target == SeatTarget::Vacant {
            run.seat_fresh = false;
            Box::pin(self.start_triggered(
                tx,
                fx,
                Trigger::SeatVacated,
                seat_id,
                None,
                None,
                None,
                now,
            ))
            .await?;
        }
        Ok(())
    }
}
