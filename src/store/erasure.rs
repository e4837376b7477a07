//! Erasing one person (the right to erasure): what identifies them goes,
//! what must stay (that a seat was held and answered, the audit's ids)
//! stays, pointing at an anonymous row.

use chrono::{DateTime, NaiveDate, Utc};

use super::Tx;
use crate::exec;
use crate::q;

/// Why a person cannot be erased yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// They hold a seat today or later: take them off it first.
    HoldsSeat,
    /// They are a polling station's responsible.
    RunsStation,
}

impl Tx {
    /// What keeps a person from being erased now, if anything.
    pub async fn erasure_kept(
        &mut self,
        person_id: i64,
        today: NaiveDate,
    ) -> sqlx::Result<Option<Kept>> {
        let seats: i64 = q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM seats WHERE person_id = $1 AND date >= $2 AND status <> 'vacant'"
            )
            .bind(person_id)
            .bind(today)
        )?;
        if seats > 0 {
            return Ok(Some(Kept::HoldsSeat));
        }
        let stations: i64 = q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT COUNT(*) FROM stations WHERE responsible_person_id = $1")
                .bind(person_id)
        )?;
        Ok((stations > 0).then_some(Kept::RunsStation))
    }

    /// Removes what identifies a person: their name, CPR number, phone,
    /// e-mail, chat, facts, teams and standby entries, and the text and
    /// address of every message to or from them. Their row stays, named
    /// "Slettet person", so a seat's history keeps that it was held.
    pub async fn erase_person(&mut self, person_id: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let found: Option<(Option<String>, Option<i64>)> = q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT phone, telegram_chat_id FROM people WHERE id = $1")
                .bind(person_id)
        )?;
        let Some((phone, chat)) = found else {
            return Ok(false);
        };
        exec!(
            self,
            sqlx::query(
                "UPDATE people SET name = 'Slettet person', cpr_sealed = $2, cpr_hash = NULL, phone = NULL, email = NULL,
                   telegram_chat_id = NULL, municipality_code = NULL, danish_citizen = NULL,
                   under_guardianship = NULL, deceased = NULL, facts_checked_at = $3,
                   sms_opt_out = TRUE
                 WHERE id = $1"
            )
            .bind(person_id)
            .bind(format!("{}{person_id}", super::sealing::ERASED_PREFIX))
            .bind(now)
        )?;
        exec!(
            self,
            sqlx::query("DELETE FROM team_members WHERE person_id = $1").bind(person_id)
        )?;
        exec!(
            self,
            sqlx::query("DELETE FROM standby WHERE person_id = $1").bind(person_id)
        )?;
        exec!(
            self,
            sqlx::query(
                "DELETE FROM dev_sms WHERE outbox_id IN (SELECT id FROM outbox WHERE person_id = $1)"
            )
            .bind(person_id)
        )?;
        // A message still to be sent to them is not sent: without its
        // text and address it could not be.
        exec!(
            self,
            sqlx::query(
                "UPDATE outbox SET status = 'dead', last_error = 'person erased'
                 WHERE person_id = $1 AND status IN ('pending', 'failed')"
            )
            .bind(person_id)
        )?;
        exec!(
            self,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE outbox SET {} WHERE person_id = $1",
                super::retention::BLANK_MESSAGE
            )))
            .bind(person_id)
        )?;
        // What they wrote with an answer (a reason, a comment).
        exec!(
            self,
            sqlx::query("UPDATE seat_history SET detail = NULL WHERE person_id = $1")
                .bind(person_id)
        )?;
        // What came in from their phone or chat, once handled, unless
        // someone else (a family sharing a phone) has it too: their
        // messages are theirs.
        if let Some(chat) = chat {
            exec!(
                self,
                sqlx::query(
                    "UPDATE inbound SET body = '', body_original = NULL, sender = 'slettet'
                     WHERE provider = 'telegram' AND sender = $1 AND processed_at IS NOT NULL
                       AND NOT EXISTS (SELECT 1 FROM people WHERE telegram_chat_id = $2)"
                )
                .bind(chat.to_string())
                .bind(chat)
            )?;
        }
        if let Some(phone) = phone {
            exec!(
                self,
                sqlx::query(
                    "UPDATE inbound SET body = '', body_original = NULL, sender = 'slettet'
                     WHERE sender = $1 AND processed_at IS NOT NULL
                       AND NOT EXISTS (SELECT 1 FROM people WHERE phone = $1)"
                )
                .bind(&phone)
            )?;
            exec!(
                self,
                sqlx::query(
                    "DELETE FROM dev_sms WHERE phone = $1 AND NOT EXISTS (SELECT 1 FROM people WHERE phone = $1)"
                )
                .bind(&phone)
            )?;
        }
        Ok(true)
    }
}
