//! The secretariat writing back to someone whose message it read in the
//! admin: a free text, sent where the message came from (the number by
//! SMS, or the chat), in the sender's language's frame.

use super::inbound::ReplyTo;
use super::{Effects, Engine, EngineError};
use crate::domain::PhoneNumber;
use crate::messages::MessageContext;
use crate::store::directory::AuditIds;

/// The template a written answer is sent with.
pub const TEMPLATE: &str = "secretariat_reply";

/// What became of an answer to a received message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrittenBack {
    Sent,
    /// No received message has this id.
    NotFound,
    /// The sender's address cannot be written to (not a phone number).
    NoAddress,
}

impl Engine {
    /// Sends `text` to the sender of received message `inbound_id`, by the
    /// way it came, audited as `actor`'s.
    pub async fn write_back(
        &self,
        inbound_id: i64,
        text: &str,
        actor: &str,
    ) -> Result<WrittenBack, EngineError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let Some(msg) = tx.inbound(inbound_id).await? else {
            return Ok(WrittenBack::NotFound);
        };
        let (channel, address, people) = if msg.provider == "telegram" {
            let Ok(chat) = msg.sender.parse::<i64>() else {
                return Ok(WrittenBack::NoAddress);
            };
            let people = tx.people_by_telegram_chat(chat).await?;
            ("telegram", chat.to_string(), people)
        } else {
            let Ok(phone) = PhoneNumber::parse(&msg.sender) else {
                return Ok(WrittenBack::NoAddress);
            };
            let people = tx.people_by_phone(&phone).await?;
            ("sms", phone.as_e164().to_string(), people)
        };
        let to = ReplyTo {
            channel,
            address,
            person: people.first(),
        };
        let mut context = MessageContext::new(&self.contact);
        context.text = text.trim().to_string();
        let mut fx = Effects::default();
        self.reply(&mut tx, &mut fx, &to, TEMPLATE, context, now)
            .await?;
        tx.audit(
            now,
            actor,
            "inbound.answered",
            AuditIds {
                person: people.first().map(|p| p.id),
                ..Default::default()
            },
            Some(&serde_json::json!({ "inbound_id": inbound_id }).to_string()),
        )
        .await?;
        self.commit(tx, &fx).await?;
        tracing::info!(inbound_id, "received message answered from the admin");
        Ok(WrittenBack::Sent)
    }
}
