//! Group messages: one text from the secretariat to everyone on the seats
//! a filter chooses (a person on two seats gets it once), each rendered
//! for its person and sent like any other message, on the first channel
//! that reaches them.

use std::collections::BTreeSet;

use serde::Serialize;

use super::send::About;
use super::{Effects, Engine, EngineError};
use crate::domain::Language;
use crate::messages::segments::{self, Segments};
use crate::store::board::BoardFilter;
use crate::workflow::Channel;

/// The template every group message is sent with.
pub const TEMPLATE: &str = "group_message";

/// Who a group message would reach, and what it costs as SMS.
#[derive(Debug, Clone, Serialize)]
pub struct BroadcastPreview {
    pub recipients: usize,
    /// The message as the first recipient would get it by SMS.
    pub sample: String,
    pub sample_segments: Option<Segments>,
    /// SMS parts if every recipient got it by SMS.
    pub sms_parts: usize,
    pub most_parts: usize,
}

/// A group message sent: its id and how many messages it made.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub id: i64,
    pub messages: usize,
}

/// The channels a group message goes by: `preferred` (their own, then
/// SMS, then e-mail), `sms` or `email`.
pub fn channels(choice: &str) -> Option<Vec<Channel>> {
    Some(match choice {
        "preferred" => vec![Channel::Preferred, Channel::Sms, Channel::Email],
        "sms" => vec![Channel::Sms],
        "email" => vec![Channel::Email],
        _ => return None,
    })
}

impl Engine {
    /// The people (once each, with the first of their seats) on the seats
    /// the filter chooses.
    async fn broadcast_recipients(
        &self,
        tx: &mut crate::store::Tx,
        filter: &BoardFilter,
        status: Option<&str>,
    ) -> Result<Vec<(i64, i64)>, EngineError> {
        let mut seen = BTreeSet::new();
        Ok(tx
            .participants(filter, status)
            .await?
            .into_iter()
            .filter_map(|p| p.person_id.map(|person| (person, p.seat_id)))
            .filter(|(person, _)| seen.insert(*person))
            .collect())
    }

    /// A recipient with what their message says, or `None` if the person
    /// or seat is gone.
    async fn group_context(
        &self,
        tx: &mut crate::store::Tx,
        (person, seat): (i64, i64),
        text: &str,
    ) -> Result<
        Option<(
            crate::store::Person,
            Language,
            crate::messages::MessageContext,
        )>,
        EngineError,
    > {
        let (Some(person), Some(seat)) = (tx.person(person).await?, tx.seat_details(seat).await?)
        else {
            return Ok(None);
        };
        let language = Language::parse(&person.language).unwrap_or_default();
        let mut context = self.seat_context(Some(&seat), language);
        context.name = person.name.clone();
        context.text = text.to_string();
        Ok(Some((person, language, context)))
    }

    pub async fn broadcast_preview(
        &self,
        filter: &BoardFilter,
        status: Option<&str>,
        text: &str,
    ) -> Result<BroadcastPreview, EngineError> {
        let mut tx = self.db.read().await?;
        let recipients = self.broadcast_recipients(&mut tx, filter, status).await?;
        let mut preview = BroadcastPreview {
            recipients: recipients.len(),
            sample: String::new(),
            sample_segments: None,
            sms_parts: 0,
            most_parts: 0,
        };
        for (i, recipient) in recipients.iter().enumerate() {
            let Some((_, language, context)) =
                self.group_context(&mut tx, *recipient, text).await?
            else {
                continue;
            };
            let Ok(sms) = self
                .catalog
                .get()
                .render(TEMPLATE, "sms", language, &context.to_tera())
            else {
                continue;
            };
            let s = segments::count(&sms);
            preview.sms_parts += s.parts;
            preview.most_parts = preview.most_parts.max(s.parts);
            if i == 0 {
                preview.sample = sms;
                preview.sample_segments = Some(s);
            }
        }
        Ok(preview)
    }

    /// Sends a group message: the row, and a message to each recipient,
    /// in one transaction with their delivery jobs.
    pub async fn broadcast(
        &self,
        filter: &BoardFilter,
        status: Option<&str>,
        channel: &str,
        text: &str,
        actor: &str,
    ) -> Result<Sent, EngineError> {
        let channels = channels(channel)
            .ok_or_else(|| EngineError::Invariant(format!("no channel `{channel}`")))?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let recipients = self.broadcast_recipients(&mut tx, filter, status).await?;
        let filter_json = serde_json::json!({ "filter": filter, "status": status }).to_string();
        let id = tx
            .insert_broadcast(
                filter.election_id,
                &filter_json,
                text,
                channel,
                recipients.len() as i32,
                actor,
                now,
            )
            .await?;
        let mut fx = Effects::bulk();
        for recipient in &recipients {
            let Some((person, _, context)) = self.group_context(&mut tx, *recipient, text).await?
            else {
                continue;
            };
            let about = About {
                seat: Some(recipient.1),
                ..About::default()
            };
            self.send_to_person(
                &mut tx, &mut fx, &person, TEMPLATE, &channels, context, about, now,
            )
            .await?;
        }
        tx.tag_broadcast(id, &fx.messages).await?;
        tx.audit(
            now,
            actor,
            "broadcast.sent",
            Default::default(),
            Some(&serde_json::json!({ "broadcast_id": id, "recipients": recipients.len(), "messages": fx.messages.len() }).to_string()),
        )
        .await?;
        self.commit(tx, &fx).await?;
        Ok(Sent {
            id,
            messages: fx.messages.len(),
        })
    }
}
