//! Turning "send template T to this person" into an outbox row.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Effects, Engine, EngineError};
use crate::domain::Language;
use crate::domain::Said;
use crate::messages::{MessageContext, SeatLine};
use crate::store::engine::NotificationIds;
use crate::store::outbox::NewMessage;
use crate::store::{Person, SeatDetails, Tx};
use crate::workflow::Channel;

/// What a message is about, for the outbox row and the notifications.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub(crate) struct About {
    pub seat: Option<i64>,
    pub instance: Option<i64>,
    pub question: Option<i64>,
    /// Until when the question can be answered: messages that ask it by
    /// e-mail carry links valid until then. `None` for messages that ask
    /// nothing.
    pub deadline: Option<DateTime<Utc>>,
    /// Which links an e-mail asking the question carries.
    pub links: LinkPurposes,
    /// The message this one repeats on another channel.
    #[serde(default)]
    pub fallback_of: Option<i64>,
    /// When the seat's task ends, where the sender knows: nothing is sent
    /// about the seat after that.
    #[serde(default)]
    pub task_ends: Option<DateTime<Utc>>,
}

/// How an SMS can go out another way if the gateway reports it not
/// delivered: the workflow's channels after SMS and what rendering the
/// message there takes. Kept with the SMS (`outbox.fallback`).
#[derive(Serialize, Deserialize)]
pub(crate) struct Fallback {
    pub template: String,
    pub channels: Vec<Channel>,
    pub context: MessageContext,
    pub about: About,
}

/// The links an e-mail carries: one row, and one signed address, each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LinkPurposes {
    pub accept: bool,
    pub decline: bool,
    pub swap: bool,
}

impl LinkPurposes {
    /// The answers an ask takes, and a swap when the person asked holds
    /// the seat the question is about.
    pub fn for_ask(ask: &crate::workflow::Ask, holds_seat: bool) -> LinkPurposes {
        use crate::workflow::Answer;
        LinkPurposes {
            accept: ask.target(Answer::Yes).is_some(),
            decline: ask.target(Answer::No).is_some(),
            swap: holds_seat,
        }
    }

    pub const ANSWERS: LinkPurposes = LinkPurposes {
        accept: true,
        decline: true,
        swap: false,
    };

    pub const SWAP: LinkPurposes = LinkPurposes {
        accept: false,
        decline: false,
        swap: true,
    };
}

impl Engine {
    /// The first channel of `channels` on which the person can be reached
    /// with `template`, and the address to use there. E-mail counts only
    /// when an SMTP server is configured and the template has an e-mail
    /// version.
    pub(crate) fn pick_channel(
        &self,
        person: &Person,
        template: &str,
        channels: &[Channel],
    ) -> Option<(&'static str, String)> {
        for channel in channels {
            let channel = self.resolve(person, *channel);
            match channel {
                Channel::Sms if !person.sms_opt_out => {
                    if let Some(phone) = &person.phone {
                        return Some(("sms", phone.clone()));
                    }
                }
                Channel::Email
                    if self.email.is_some() && self.catalog.get().has(template, "email") =>
                {
                    if let Some(email) = person.email.as_ref().filter(|e| !e.is_empty()) {
                        return Some(("email", email.clone()));
                    }
                }
                Channel::Telegram
                    if self.telegram().is_some()
                        && self.catalog.get().has(template, "telegram") =>
                {
                    if let Some(chat) = person.telegram_chat_id {
                        return Some(("telegram", chat.to_string()));
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The channel `preferred` stands for with this person.
    fn resolve(&self, person: &Person, channel: Channel) -> Channel {
        match channel {
            Channel::Preferred => match person.preferred_channel.as_str() {
                "sms" => Channel::Sms,
                "email" => Channel::Email,
                _ => Channel::Telegram,
            },
            c => c,
        }
    }

    /// Renders `template` for the person on the first channel that reaches
    /// them and adds it to the outbox. If no channel reaches them, or the
    /// template cannot be rendered, the secretariat is told instead: a
    /// missing message never blocks the state change that caused it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn send_to_person(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        person: &Person,
        template: &str,
        channels: &[Channel],
        context: MessageContext,
        about: About,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let ids = NotificationIds {
            seat: about.seat,
            person: Some(person.id),
            instance: about.instance,
            inbound: None,
        };
        // Nothing a workflow sends about a seat goes out once its task is
        // over (a late answer, a timer that was due while the service was
        // down).
        if let (Some(seat_id), Some(ends)) = (about.seat, about.task_ends)
            && ends <= now
        {
            let audit = crate::store::directory::AuditIds {
                seat: Some(seat_id),
                person: Some(person.id),
                instance: about.instance,
            };
            let detail = format!(r#"{{"template":"{template}"}}"#);
            tx.audit(now, "system", "message.after_task", audit, Some(&detail))
                .await?;
            return Ok(());
        }
        let Some((channel, recipient)) = self.pick_channel(person, template, channels) else {
            let names: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
            tx.notify_secretariat(
                "unreachable",
                ids,
                &Said::new(
                    format!(
                        "Beskeden »{template}« kunne ikke sendes: personen kan ikke nås via {}.",
                        names.join(", ")
                    ),
                    format!(
                        "Message `{template}` could not be sent: the person cannot be reached on {}.",
                        names.join(", ")
                    ),
                ),
                now,
            )
            .await?;
            return Ok(());
        };
        let mut context = context;
        context.name = person.name.clone();
        let language = Language::parse(&person.language).unwrap_or_default();
        // An SMS may not arrive, and a chat may be gone (the person
        // blocked the bot): keep how to send it on the other channels in
        // the list.
        let later: Vec<Channel> = channels
            .iter()
            .copied()
            .filter(|c| self.resolve(person, *c).as_str() != channel)
            .collect();
        let fallback = (matches!(channel, "sms" | "telegram") && !later.is_empty())
            .then(|| {
                serde_json::to_string(&Fallback {
                    template: template.to_string(),
                    channels: later,
                    context: context.clone(),
                    about,
                })
                .ok()
            })
            .flatten();
        self.send_rendered(
            tx,
            fx,
            Some(person.id),
            channel,
            &recipient,
            template,
            language,
            &context,
            about,
            fallback.as_deref(),
            now,
        )
        .await
    }

    /// Renders and queues a message to an address (also to someone who is
    /// not a person in the register: the reply to an unknown number).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn send_rendered(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        person_id: Option<i64>,
        channel: &str,
        recipient: &str,
        template: &str,
        language: Language,
        context: &MessageContext,
        about: About,
        fallback: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let catalog = self.catalog.get();
        // Only a message with links needs a context of its own. An e-mail
        // carries the links of its question; an SMS only those its
        // template prints (a link is long for an SMS).
        let prints = |purpose: &str| {
            channel == "email" || catalog.prints_link(template, channel, language, purpose)
        };
        let carries_links = matches!(channel, "email" | "sms" | "telegram");
        let asks = match (about.question, person_id, about.deadline) {
            (Some(question), Some(person), Some(deadline))
                if carries_links && about.links != LinkPurposes::default() =>
            {
                Some((question, person, deadline))
            }
            _ => None,
        };
        let cancels = match (about.seat, person_id) {
            (Some(seat), Some(person))
                if carries_links && catalog.prints_link(template, channel, language, "cancel") =>
            {
                tx.seat_details(seat)
                    .await?
                    .filter(|s| s.status == "confirmed" && s.person_id == Some(person))
                    .map(|s| (s, person))
            }
            _ => None,
        };
        // The deep link that links a chat with the bot, for someone who
        // has not linked one.
        let deep_link = match person_id {
            Some(person)
                if channel != "telegram"
                    && self.telegram().is_some()
                    && catalog.prints_link(template, channel, language, "telegram") =>
            {
                tx.person(person)
                    .await?
                    .filter(|p| p.telegram_chat_id.is_none())
                    .map(|p| p.id)
            }
            _ => None,
        };
        let with_links;
        let context = if asks.is_some() || cancels.is_some() || deep_link.is_some() {
            let mut c = context.clone();
            if let Some((question, person, deadline)) = asks {
                let swap_offered = about.links.swap
                    && prints("swap")
                    && matches!(self.swap_workflow(tx).await?, Some((_, _, Some(_))));
                let wanted = [
                    (
                        about.links.accept && prints("accept"),
                        "accept",
                        &mut c.links.accept,
                    ),
                    (
                        about.links.decline && prints("decline"),
                        "decline",
                        &mut c.links.decline,
                    ),
                    (swap_offered, "swap", &mut c.links.swap),
                ];
                for (on, purpose, slot) in wanted {
                    if on {
                        let id = tx
                            .insert_link(question, person, purpose, deadline, now)
                            .await?;
                        *slot = crate::mail::compose::link_marker(id);
                    }
                }
            }
            if let Some((seat, person)) = &cancels {
                // Usable until the task starts; after that, the secretariat.
                let starts = seat.starts_at();
                if starts > now {
                    let id = tx
                        .insert_cancel_link(seat.seat_id, *person, starts, now)
                        .await?;
                    c.links.cancel = crate::mail::compose::link_marker(id);
                }
            }
            if let Some(person) = deep_link {
                let expires = now + chrono::Duration::days(super::chat::DEEP_LINK_DAYS);
                let id = tx.insert_telegram_link(person, expires, now).await?;
                c.links.telegram = crate::mail::compose::link_marker(id);
            }
            with_links = c;
            &with_links
        } else {
            context
        };
        let rendered = catalog
            .render(template, channel, language, &context.to_tera())
            .map_err(|e| e.to_string())
            .and_then(|text| match channel {
                "email" => {
                    crate::mail::compose(&text, language, &self.contact, catalog.email_layout())
                        .map(|c| (c.text, Some((c.subject, c.html))))
                        .map_err(|e| format!("template `{template}` for e-mail: {e}"))
                }
                _ => Ok((text, None)),
            });
        let (body, email) = match rendered {
            Ok(r) => r,
            Err(e) => {
                let ids = NotificationIds {
                    seat: about.seat,
                    person: person_id,
                    instance: about.instance,
                    inbound: None,
                };
                let said = Said::new(
                    format!(
                        "Beskeden »{template}« kunne ikke dannes, fordi skabelonen har en fejl: {e}"
                    ),
                    e,
                );
                tx.notify_secretariat("template-error", ids, &said, now)
                    .await?;
                return Ok(());
            }
        };
        let calendar = match (&self.email, channel, about.seat, person_id) {
            (Some(smtp), "email", Some(seat_id), Some(person)) => {
                match self.calendar_method(tx, seat_id, person).await? {
                    Some((s, method)) => {
                        let address = smtp.from_address();
                        let organizer = crate::mail::calendar::Organizer {
                            name: &self.contact.municipality,
                            address: &address,
                            domain: smtp.domain(),
                        };
                        Some(crate::mail::calendar::seat_event(
                            &s, person, &organizer, method, now,
                        ))
                    }
                    None => None,
                }
            }
            _ => None,
        };
        let buttons = match channel {
            "telegram" => self.chat_buttons(tx, &about, context, language).await?,
            _ => None,
        };
        let key = super::new_key();
        let id = tx
            .insert_message(
                &NewMessage {
                    idempotency_key: &key,
                    person_id,
                    seat_id: about.seat,
                    instance_id: about.instance,
                    question_id: about.question,
                    channel,
                    recipient,
                    template,
                    language: language.code(),
                    body: &body,
                    subject: email.as_ref().map(|(s, _)| s.as_str()),
                    html: email.as_ref().map(|(_, h)| h.as_str()),
                    calendar: calendar.as_deref(),
                    fallback,
                    fallback_of: about.fallback_of,
                    buttons: buttons.as_deref(),
                },
                now,
            )
            .await?;
        // Its delivery job is queued with the others of this transaction
        // when it commits (`Engine::commit`).
        fx.messages.push(id);
        Ok(())
    }

    /// What an e-mail about a seat does to the person's calendar entry for
    /// it: adds or updates it while they hold the seat confirmed; removes
    /// it once they no longer do (cancelled, removed) if they had been
    /// confirmed and hold no other confirmed seat that day (the entry is
    /// per person and day).
    async fn calendar_method(
        &self,
        tx: &mut Tx,
        seat_id: i64,
        person: i64,
    ) -> Result<Option<(SeatDetails, crate::mail::calendar::Method)>, EngineError> {
        use crate::mail::calendar::Method;
        let Some(s) = tx.seat_details(seat_id).await? else {
            return Ok(None);
        };
        if s.person_id == Some(person) {
            return Ok((s.status == "confirmed").then_some((s, Method::Publish)));
        }
        let other = tx
            .seats_of_person_on(&[person], s.date)
            .await?
            .iter()
            .any(|o| o.status == "confirmed");
        if other || !tx.was_confirmed_on(seat_id, person).await? {
            return Ok(None);
        }
        Ok(Some((s, Method::Cancel)))
    }

    /// The seats a person holds confirmed on a seat's date, by start time:
    /// what a reminder about that day lists.
    pub(crate) async fn day_seats(
        &self,
        tx: &mut Tx,
        person: i64,
        seat: &SeatDetails,
        language: Language,
    ) -> Result<Vec<SeatLine>, EngineError> {
        let mut lines = Vec::new();
        for other in tx.seats_of_person_on(&[person], seat.date).await? {
            if other.status != "confirmed" && other.id != seat.seat_id {
                continue;
            }
            if let Some(d) = tx.seat_details(other.id).await? {
                lines.push((d.start_time, SeatLine::of(&d, language)));
            }
        }
        lines.sort_by_key(|(start, _)| *start);
        Ok(lines.into_iter().map(|(_, l)| l).collect())
    }

    /// The placeholders of a message about a seat, in the person's language.
    pub(crate) fn seat_context(
        &self,
        seat: Option<&SeatDetails>,
        language: Language,
    ) -> MessageContext {
        let context = MessageContext::new(&self.contact);
        match seat {
            Some(s) => context.with_seat(s, language),
            None => context,
        }
    }
}
