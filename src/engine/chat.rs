//! The Telegram chat. What a person writes there is a received message
//! like an SMS (an `inbound` row, provider `telegram`, sender the chat),
//! handled by the same job and, unless it is a command, by the same reply
//! grammar. A button press is handled at once, in one transaction with its
//! `inbound` row, so that the button can show what became of it; pressed
//! twice (Telegram delivered it again), it acts once.
//!
//! Commands: `/start <token>` links the chat to the person the deep link
//! in their invitation was made for, `/stop` unlinks it, `/status` lists
//! their seats, `/hjaelp` says how to answer, `/sprog da|en` sets the
//! language.

use chrono::{DateTime, Utc};
use valgvagt_bots::telegram::{Button, ButtonAnswer, ChatEvent, Command, EventKind};

use super::answer::{AnswerOutcome, Via};
use super::inbound::{ReplyTo, local_today};
use super::send::{About, LinkPurposes};
use super::swap::SwapChoice;
use super::{Effects, Engine, EngineError, InboundOutcome};
use crate::domain::{Language, LinkToken, Reply};
use crate::messages::{MessageContext, SeatLine};
use crate::store::directory::AuditIds;
use crate::store::inbound::NewInbound;
use crate::store::{InboundMessage, Person, Tx};
use crate::workflow::Answer;

/// Days a deep link in an invitation can link a chat.
pub(crate) const DEEP_LINK_DAYS: i64 = 30;

/// What a button asks for: `accept:17`, `decline:17`, `swap:17` (question
/// 17), `choose:17:2` (option 2 of swap question 17).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Press {
    Accept(i64),
    Decline(i64),
    Swap(i64),
    Choose(i64, i64),
}

impl Press {
    fn parse(data: &str) -> Option<Press> {
        let mut parts = data.split(':');
        let action = parts.next()?;
        let question: i64 = parts.next()?.parse().ok()?;
        let press = match (action, parts.next()) {
            ("accept", None) => Press::Accept(question),
            ("decline", None) => Press::Decline(question),
            ("swap", None) => Press::Swap(question),
            ("choose", Some(n)) => Press::Choose(question, n.parse().ok()?),
            _ => return None,
        };
        parts.next().is_none().then_some(press)
    }

    fn data(self) -> String {
        match self {
            Press::Accept(q) => format!("accept:{q}"),
            Press::Decline(q) => format!("decline:{q}"),
            Press::Swap(q) => format!("swap:{q}"),
            Press::Choose(q, n) => format!("choose:{q}:{n}"),
        }
    }

    fn question(self) -> i64 {
        match self {
            Press::Accept(q) | Press::Decline(q) | Press::Swap(q) | Press::Choose(q, _) => q,
        }
    }
}

/// The words on buttons and in the notices a press shows.
struct Words {
    yes: &'static str,
    no: &'static str,
    swap: &'static str,
    keep: &'static str,
    thanks: &'static str,
    said_yes: &'static str,
    said_no: &'static str,
    chose: &'static str,
    seat_taken: &'static str,
    no_longer_open: &'static str,
    swap_coming: &'static str,
    swap_not_possible: &'static str,
    received: &'static str,
    not_eligible: &'static str,
    locked: &'static str,
}

impl Words {
    fn of(language: Language) -> &'static Words {
        match language {
            Language::Da => &Words {
                yes: "Ja",
                no: "Nej",
                swap: "Skift valgsted",
                keep: "Behold min plads",
                thanks: "Tak, dit svar er modtaget.",
                said_yes: "✅ Du svarede ja.",
                said_no: "❌ Du svarede nej.",
                chose: "✅ Du valgte",
                seat_taken: "Pladsen er desværre taget af en anden.",
                no_longer_open: "Spørgsmålet er ikke længere åbent.",
                swap_coming: "Du får de ledige valgsteder om et øjeblik.",
                swap_not_possible: "Det er ikke muligt at skifte valgsted nu.",
                received: "Dit svar er allerede modtaget.",
                not_eligible: "Du opfylder desværre ikke betingelserne for pladsen. Kontakt valgsekretariatet, hvis det er forkert.",
                locked: "Det er så kort tid før valget, at du ikke kan melde fra her. Ring straks til valgsekretariatet.",
            },
            Language::En => &Words {
                yes: "Yes",
                no: "No",
                swap: "Another polling station",
                keep: "Keep my seat",
                thanks: "Thank you, your answer is received.",
                said_yes: "✅ You answered yes.",
                said_no: "❌ You answered no.",
                chose: "✅ You chose",
                seat_taken: "Sorry, someone else took that seat.",
                no_longer_open: "This question is no longer open.",
                swap_coming: "The free polling stations are on their way.",
                swap_not_possible: "Swapping polling station is not possible now.",
                received: "Your answer was received already.",
                not_eligible: "Sorry, you do not meet the conditions for this seat. Contact the election office if this is wrong.",
                locked: "It is so close to the election that you cannot give up your seat here. Call the election office at once.",
            },
        }
    }
}

fn language_of(person: Option<&Person>) -> Language {
    person
        .and_then(|p| Language::parse(&p.language))
        .unwrap_or_default()
}

fn notice(text: &str) -> ButtonAnswer {
    ButtonAnswer {
        notice: text.to_string(),
        edit: None,
    }
}

impl Engine {
    /// The front door for the chat: a text is stored and queued like a
    /// received SMS; a button press is acted on now, and what to show is
    /// returned.
    pub async fn receive_chat(
        &self,
        event: &ChatEvent,
    ) -> Result<Option<ButtonAnswer>, EngineError> {
        // Keyed per bot: a new bot token starts its chats' numbering again.
        let bot = self.telegram().map(|b| b.id()).unwrap_or_default();
        let update_id = format!("{bot}:{}", event.key);
        let chat = event.chat_id.to_string();
        match &event.kind {
            EventKind::Text(text) => {
                self.receive_sms(&NewInbound {
                    provider: "telegram",
                    provider_message_id: &update_id,
                    sender: &chat,
                    receiver: None,
                    body: text,
                })
                .await?;
                Ok(None)
            }
            EventKind::Button {
                message_text, data, ..
            } => {
                let pressed = NewInbound {
                    provider: "telegram",
                    provider_message_id: &update_id,
                    sender: &chat,
                    receiver: None,
                    body: data,
                };
                let mut attempt = 0;
                loop {
                    match self
                        .press_once(&pressed, event.chat_id, message_text.as_deref())
                        .await
                    {
                        Err(EngineError::Db(e))
                            if attempt < 3 && crate::store::is_unique_violation(&e) =>
                        {
                            attempt += 1;
                        }
                        other => return other.map(Some),
                    }
                }
            }
        }
    }

    async fn press_once(
        &self,
        pressed: &NewInbound<'_>,
        chat_id: i64,
        message_text: Option<&str>,
    ) -> Result<ButtonAnswer, EngineError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let Some(id) = tx.insert_inbound(pressed, now).await? else {
            let people = tx.people_by_telegram_chat(chat_id).await?;
            return Ok(notice(Words::of(language_of(people.first())).received));
        };
        let mut fx = Effects::default();
        let (outcome, answer) = self
            .press(
                &mut tx,
                &mut fx,
                id,
                chat_id,
                message_text,
                pressed.body,
                now,
            )
            .await?;
        tx.mark_inbound_processed(id, outcome.as_str(), now).await?;
        self.commit(tx, &fx).await?;
        tracing::info!(
            inbound_id = id,
            outcome = outcome.as_str(),
            "telegram button pressed"
        );
        Ok(answer)
    }

    /// A button press: the same answer an SMS keyword gives, to the very
    /// question the button was made for. A button of a question that is
    /// closed, or not this chat's, changes nothing.
    #[allow(clippy::too_many_arguments)]
    async fn press(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        inbound_id: i64,
        chat_id: i64,
        message_text: Option<&str>,
        data: &str,
        now: DateTime<Utc>,
    ) -> Result<(InboundOutcome, ButtonAnswer), EngineError> {
        let people = tx.people_by_telegram_chat(chat_id).await?;
        let words = Words::of(language_of(people.first()));
        let stale = || (InboundOutcome::NoLongerOpen, notice(words.no_longer_open));
        let Some(press) = Press::parse(data) else {
            return Ok(stale());
        };
        let question = match tx.question(press.question()).await? {
            Some(q) if q.closed_at.is_none() && people.iter().any(|p| p.id == q.person_id) => q,
            _ => return Ok(stale()),
        };
        let via = Via {
            channel: "telegram",
            inbound_id: Some(inbound_id),
            extra: None,
        };
        // The message the button was under, with what became of it and
        // without its buttons.
        let shown = |mark: &str| ButtonAnswer {
            notice: words.thanks.to_string(),
            edit: message_text.map(|t| (format!("{t}\n\n{mark}"), Vec::new())),
        };
        Ok(match press {
            Press::Accept(_) | Press::Decline(_) => {
                let yes = matches!(press, Press::Accept(_));
                let answer = if yes { Answer::Yes } else { Answer::No };
                match self
                    .answer_question(tx, fx, &question, answer, via, now)
                    .await?
                {
                    AnswerOutcome::Taken => (
                        InboundOutcome::Answered,
                        shown(if yes { words.said_yes } else { words.said_no }),
                    ),
                    AnswerOutcome::SeatTaken => (
                        InboundOutcome::AlreadyTaken,
                        ButtonAnswer {
                            notice: words.seat_taken.to_string(),
                            ..shown(words.seat_taken)
                        },
                    ),
                    AnswerOutcome::NotEligible(why) => {
                        self.tell_refused(tx, &question, &why, now).await?;
                        (
                            InboundOutcome::NotEligible,
                            ButtonAnswer {
                                notice: words.not_eligible.to_string(),
                                ..shown(words.not_eligible)
                            },
                        )
                    }
                    AnswerOutcome::Locked => (InboundOutcome::Locked, notice(words.locked)),
                    AnswerOutcome::NoLongerOpen | AnswerOutcome::NotAccepted => stale(),
                }
            }
            Press::Swap(_) => {
                let person = people.iter().find(|p| p.id == question.person_id);
                let seat = match question.seat_id {
                    Some(id) => tx.seat(id).await?,
                    None => None,
                };
                let started = match (person, seat) {
                    (Some(person), Some(seat)) if seat.person_id == Some(person.id) => {
                        self.request_swap(tx, fx, person, seat.id, via, now).await?
                    }
                    _ => false,
                };
                if started {
                    (InboundOutcome::SwapRequested, notice(words.swap_coming))
                } else {
                    (
                        InboundOutcome::NoSeatToSwap,
                        notice(words.swap_not_possible),
                    )
                }
            }
            Press::Choose(_, n) => match self.choose_swap(tx, fx, &question, n, via, now).await? {
                SwapChoice::Moved | SwapChoice::AwaitingApproval => (
                    InboundOutcome::Answered,
                    shown(&format!("{} {n}.", words.chose)),
                ),
                SwapChoice::Taken(_) => (
                    InboundOutcome::SwapTaken,
                    ButtonAnswer {
                        notice: words.seat_taken.to_string(),
                        ..shown(words.seat_taken)
                    },
                ),
                SwapChoice::NotEligible(_) => {
                    (InboundOutcome::NotEligible, notice(words.not_eligible))
                }
                SwapChoice::NoSuchOption | SwapChoice::NoLongerOpen => stale(),
            },
        })
    }

    /// The buttons under a chat message that asks a question: yes and no
    /// (and another polling station, for the person holding the seat), or
    /// a swap's numbered stations and "keep my seat".
    pub(super) async fn chat_buttons(
        &self,
        tx: &mut Tx,
        about: &About,
        context: &MessageContext,
        language: Language,
    ) -> Result<Option<String>, EngineError> {
        let Some(q) = about.question else {
            return Ok(None);
        };
        if about.links == LinkPurposes::default() {
            return Ok(None);
        }
        let words = Words::of(language);
        let button = |text: String, press: Press| Button {
            text,
            data: press.data(),
        };
        let mut rows: Vec<Vec<Button>> = Vec::new();
        if !context.options.is_empty() {
            for o in &context.options {
                rows.push(vec![button(
                    format!("{}. {}", o.n, o.station),
                    Press::Choose(q, o.n),
                )]);
            }
            rows.push(vec![button(words.keep.into(), Press::Decline(q))]);
        } else {
            let mut answers = Vec::new();
            if about.links.accept {
                answers.push(button(words.yes.into(), Press::Accept(q)));
            }
            if about.links.decline {
                answers.push(button(words.no.into(), Press::Decline(q)));
            }
            if !answers.is_empty() {
                rows.push(answers);
            }
            if about.links.swap && matches!(self.swap_workflow(tx).await?, Some((_, _, Some(_)))) {
                rows.push(vec![button(words.swap.into(), Press::Swap(q))]);
            }
        }
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(serde_json::to_string(&rows).ok())
    }

    /// A received chat message: a command, or an answer in the reply
    /// grammar from the people who linked the chat.
    pub(super) async fn handle_chat(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        msg: &InboundMessage,
        now: DateTime<Utc>,
    ) -> Result<InboundOutcome, EngineError> {
        let Ok(chat_id) = msg.sender.parse::<i64>() else {
            return Ok(InboundOutcome::BadSender);
        };
        let people = tx.people_by_telegram_chat(chat_id).await?;
        let to = ReplyTo {
            channel: "telegram",
            address: chat_id.to_string(),
            person: people.first(),
        };
        let plain = || MessageContext::new(&self.contact);
        match Command::parse(&msg.body) {
            Some(Command::Start(Some(token))) => self.link_chat(tx, fx, chat_id, &token, now).await,
            Some(Command::Help) => {
                self.reply(tx, fx, &to, "help", plain(), now).await?;
                Ok(InboundOutcome::Help)
            }
            _ if people.is_empty() => {
                self.reply(tx, fx, &to, "telegram_not_linked", plain(), now)
                    .await?;
                Ok(InboundOutcome::UnknownSender)
            }
            Some(Command::Start(None)) => {
                self.reply(tx, fx, &to, "help", plain(), now).await?;
                Ok(InboundOutcome::Help)
            }
            Some(Command::Stop) => self.stop_chat(tx, fx, &to, now).await,
            Some(Command::Status) => {
                let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
                let language = language_of(to.person);
                let mut context = plain();
                for seat in tx.upcoming_seats_of(&ids, local_today(now)).await? {
                    if let Some(s) = tx.seat_details(seat.id).await? {
                        context.seats.push(SeatLine::of(&s, language));
                    }
                }
                self.reply(tx, fx, &to, "telegram_status", context, now)
                    .await?;
                Ok(InboundOutcome::Status)
            }
            Some(Command::Language(wanted)) => {
                let Some(language) = wanted.as_deref().and_then(Language::parse) else {
                    let mut context = plain();
                    context.reason = "unknown".into();
                    self.reply(tx, fx, &to, "telegram_language", context, now)
                        .await?;
                    return Ok(InboundOutcome::NotUnderstood);
                };
                for p in &people {
                    tx.set_language(p.id, language.code()).await?;
                }
                let mut first = people[0].clone();
                first.language = language.code().to_string();
                let to = ReplyTo {
                    person: Some(&first),
                    ..to
                };
                self.reply(tx, fx, &to, "telegram_language", plain(), now)
                    .await?;
                Ok(InboundOutcome::LanguageSet)
            }
            Some(Command::Unknown) => {
                self.reply(tx, fx, &to, "help", plain(), now).await?;
                Ok(InboundOutcome::NotUnderstood)
            }
            None => {
                let reply = Reply::parse(&msg.body);
                self.answer(tx, fx, msg, &reply, &people, &to, now).await
            }
        }
    }

    /// `/start <token>`: links the chat to the person the token was made
    /// for, once, before it expires; then asks their open questions in
    /// the chat, with buttons.
    async fn link_chat(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        chat_id: i64,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<InboundOutcome, EngineError> {
        let link = match LinkToken::parse(token) {
            Ok(token) => tx
                .link(token.id)
                .await?
                .filter(|l| l.purpose == "telegram" && self.links.key.verify(&token, &l.facts())),
            Err(_) => None,
        };
        let person = match &link {
            Some(l) => tx.person(l.person_id).await?,
            None => None,
        };
        // Pressed again by the chat it linked: linked already, nothing to
        // refuse.
        let mut refusal = match (&link, &person) {
            (Some(_), Some(p)) if p.telegram_chat_id == Some(chat_id) => None,
            (Some(l), Some(_)) if l.used_at.is_some() => Some("used"),
            (Some(l), Some(_)) if l.expires_at <= now => Some("expired"),
            (Some(_), Some(_)) => None,
            _ => Some("invalid"),
        };
        if let (None, Some(l), Some(p)) = (refusal, &link, &person)
            && p.telegram_chat_id != Some(chat_id)
            && !tx.use_link(l.id, now).await?
        {
            refusal = Some("used");
        }
        let (Some(link), Some(mut person), None) = (link, person, refusal) else {
            let people = tx.people_by_telegram_chat(chat_id).await?;
            let to = ReplyTo {
                channel: "telegram",
                address: chat_id.to_string(),
                person: people.first(),
            };
            let mut context = MessageContext::new(&self.contact);
            context.reason = refusal.unwrap_or("invalid").to_string();
            tracing::info!(reason = %context.reason, "telegram link refused");
            self.reply(tx, fx, &to, "telegram_link_refused", context, now)
                .await?;
            return Ok(InboundOutcome::LinkRefused);
        };
        let again = person.telegram_chat_id == Some(chat_id);
        if !again {
            tx.link_telegram(person.id, chat_id).await?;
            tx.use_telegram_links_of(person.id, now).await?;
            tx.audit(
                now,
                &format!("person:{}", person.id),
                "person.telegram_linked",
                AuditIds {
                    person: Some(person.id),
                    ..Default::default()
                },
                Some(&format!(
                    r#"{{"link":{},"replaced_chat":{}}}"#,
                    link.id,
                    person.telegram_chat_id.is_some()
                )),
            )
            .await?;
            tracing::info!(
                link_id = link.id,
                person_id = person.id,
                "telegram chat linked"
            );
            person.telegram_chat_id = Some(chat_id);
            person.preferred_channel = "telegram".into();
        }
        let to = ReplyTo {
            channel: "telegram",
            address: chat_id.to_string(),
            person: Some(&person),
        };
        let mut context = MessageContext::new(&self.contact);
        context.name = person.name.clone();
        self.reply(tx, fx, &to, "telegram_linked", context, now)
            .await?;
        self.ask_in_chat(tx, fx, &person, chat_id, now).await?;
        Ok(InboundOutcome::Linked)
    }

    /// Each open question of the person as a chat message with its buttons
    /// (a swap's list of stations stays where it was sent: it is answered
    /// with its number, in the chat too).
    async fn ask_in_chat(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        person: &Person,
        chat_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let language = language_of(Some(person));
        for (q, seat) in self.open_questions_of(tx, &[person.id]).await? {
            if tx.is_swap_question(q.id).await? {
                continue;
            }
            let holds = seat
                .as_ref()
                .is_some_and(|s| s.person_id == Some(person.id));
            let mut context = self.seat_context(seat.as_ref(), language);
            context.name = person.name.clone();
            context.code = q.code.clone();
            let about = About {
                seat: q.seat_id,
                instance: Some(q.instance_id),
                question: Some(q.id),
                task_ends: seat.as_ref().map(|s| s.ends_at()),
                deadline: None,
                links: LinkPurposes {
                    swap: holds && q.kind == "ask",
                    ..LinkPurposes::ANSWERS
                },
                fallback_of: None,
            };
            self.send_rendered(
                tx,
                fx,
                Some(person.id),
                "telegram",
                &chat_id.to_string(),
                "open_question",
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

    /// `/stop` (or `STOP` in the chat): unlinks everyone from the chat;
    /// messages go by SMS or e-mail again.
    pub(super) async fn stop_chat(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        to: &ReplyTo<'_>,
        now: DateTime<Utc>,
    ) -> Result<InboundOutcome, EngineError> {
        let Ok(chat_id) = to.address.parse::<i64>() else {
            return Ok(InboundOutcome::BadSender);
        };
        unlink_chat(tx, chat_id, None, None, now).await?;
        self.reply(
            tx,
            fx,
            to,
            "telegram_unlinked",
            MessageContext::new(&self.contact),
            now,
        )
        .await?;
        Ok(InboundOutcome::Unlinked)
    }
}

impl Engine {
    /// Telegram refused a message for good because the chat is gone: the
    /// chat is unlinked, and the message goes the next way its workflow
    /// lists (as the later ones will).
    pub(super) async fn chat_gone(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        msg: &crate::store::OutboxMessage,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let Ok(chat_id) = msg.recipient.parse::<i64>() else {
            return Ok(());
        };
        let detail = format!(r#"{{"outbox":{},"chat":"gone"}}"#, msg.id);
        unlink_chat(tx, chat_id, Some("telegram"), Some(&detail), now).await?;
        tracing::info!(outbox_id = msg.id, "telegram chat gone; unlinked");
        if let Some(json) = tx.message_fallback(msg.id).await? {
            self.send_another_way(tx, fx, msg.id, msg.person_id, &json, now)
                .await?;
        }
        Ok(())
    }
}

/// Unlinks everyone from a chat, each with an audit event by `actor` (by
/// default the person).
async fn unlink_chat(
    tx: &mut Tx,
    chat_id: i64,
    actor: Option<&str>,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    for p in tx.people_by_telegram_chat(chat_id).await? {
        let person = format!("person:{}", p.id);
        tx.audit(
            now,
            actor.unwrap_or(&person),
            "person.telegram_unlinked",
            AuditIds {
                person: Some(p.id),
                ..Default::default()
            },
            detail,
        )
        .await?;
    }
    tx.unlink_telegram_chat(chat_id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_data_reads_back_as_the_press_it_was_made_for() {
        for press in [
            Press::Accept(17),
            Press::Decline(17),
            Press::Swap(3),
            Press::Choose(9, 2),
        ] {
            assert_eq!(Press::parse(&press.data()), Some(press));
            assert!(press.data().len() <= 64, "Telegram takes 64 bytes");
        }
    }

    #[test]
    fn button_data_a_client_made_up_is_no_press() {
        for data in [
            "",
            "accept",
            "accept:x",
            "accept:1:2",
            "choose:1",
            "drop:1",
            "swap:1:",
        ] {
            assert_eq!(Press::parse(data), None, "{data}");
        }
    }
}
