//! People who can be given a seat.

use chrono::{DateTime, Utc};

use super::{Person, Tx};
use crate::domain::{Cpr, Facts, Language, PhoneNumber};
use crate::{exec, q};

pub struct NewPerson<'a> {
    pub name: &'a str,
    pub cpr: &'a Cpr,
    pub phone: Option<&'a PhoneNumber>,
    pub email: Option<&'a str>,
    pub preferred_channel: &'a str,
    pub language: Language,
    /// The eligibility facts given with them; `None` leaves those known
    /// as they are.
    pub facts: Option<&'a Facts>,
}

impl Tx {
    /// Inserts a person, or updates the contact details of the person with
    /// the same CPR number. Returns the id.
    pub async fn upsert_person(
        &mut self,
        p: &NewPerson<'_>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO people (name, cpr_sealed, cpr_hash, phone, email, preferred_channel, language, created_at,
                     municipality_code, danish_citizen, under_guardianship, deceased, facts_checked_at, touched_at)
                 VALUES ($1, $2, $13, $3, $4, $5, $6, $7, $9, $10, $11, $12, CASE WHEN $8 THEN $7 END, $7)
                 ON CONFLICT (cpr_hash) DO UPDATE
                 SET name = excluded.name, phone = excluded.phone, email = excluded.email,
                     touched_at = excluded.touched_at,
                     preferred_channel = excluded.preferred_channel, language = excluded.language,
                     municipality_code = CASE WHEN $8 THEN excluded.municipality_code ELSE people.municipality_code END,
                     danish_citizen = CASE WHEN $8 THEN excluded.danish_citizen ELSE people.danish_citizen END,
                     under_guardianship = CASE WHEN $8 THEN excluded.under_guardianship ELSE people.under_guardianship END,
                     deceased = CASE WHEN $8 THEN excluded.deceased ELSE people.deceased END,
                     facts_checked_at = CASE WHEN $8 THEN excluded.facts_checked_at ELSE people.facts_checked_at END
                 RETURNING id"
            )
            .bind(p.name)
            .bind(self.key.seal(p.cpr))
            .bind(p.phone.map(PhoneNumber::as_e164))
            .bind(p.email)
            .bind(p.preferred_channel)
            .bind(p.language.code())
            .bind(now)
            .bind(p.facts.is_some())
            .bind(p.facts.and_then(|f| f.municipality.as_ref().map(|m| m.as_str().to_string())))
            .bind(p.facts.and_then(|f| f.danish_citizen))
            .bind(p.facts.and_then(|f| f.under_guardianship))
            .bind(p.facts.and_then(|f| f.deceased))
            .bind(self.key.lookup(p.cpr))
        )
    }

    /// A person, as `actor` looks at them: each look is audited, as a
    /// data-protection officer will ask who saw whom.
    pub async fn person_viewed_by(
        &mut self,
        id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<Person>> {
        let person = self.person(id).await?;
        if person.is_some() {
            let ids = super::directory::AuditIds {
                person: Some(id),
                ..Default::default()
            };
            self.audit(now, actor, "person.viewed", ids, None).await?;
        }
        Ok(person)
    }

    /// Audits that `actor` saw a person's whole CPR number.
    pub async fn cpr_revealed_to(
        &mut self,
        id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        let ids = super::directory::AuditIds {
            person: Some(id),
            ..Default::default()
        };
        self.audit(now, actor, "person.cpr_revealed", ids, None)
            .await
    }

    pub async fn person(&mut self, id: i64) -> sqlx::Result<Option<Person>> {
        let row: Option<Person> = q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM people WHERE id = $1").bind(id)
        )?;
        row.map(|p| self.opened(p)).transpose()
    }

    pub async fn people(&mut self, after_id: i64, limit: i64) -> sqlx::Result<Vec<Person>> {
        let rows: Vec<Person> = q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM people WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after_id)
                .bind(limit)
        )?;
        rows.into_iter().map(|p| self.opened(p)).collect()
    }

    /// Everyone whose phone number this is (a family may share one).
    pub async fn people_by_phone(&mut self, phone: &PhoneNumber) -> sqlx::Result<Vec<Person>> {
        let rows: Vec<Person> = q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM people WHERE phone = $1 ORDER BY id")
                .bind(phone.as_e164())
        )?;
        rows.into_iter().map(|p| self.opened(p)).collect()
    }

    /// Everyone who linked this Telegram chat (people sharing a phone may
    /// share a chat).
    pub async fn people_by_telegram_chat(&mut self, chat_id: i64) -> sqlx::Result<Vec<Person>> {
        let rows: Vec<Person> = q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM people WHERE telegram_chat_id = $1 ORDER BY id")
                .bind(chat_id)
        )?;
        rows.into_iter().map(|p| self.opened(p)).collect()
    }

    /// A person row with its CPR number opened.
    fn opened(&self, mut p: Person) -> sqlx::Result<Person> {
        p.cpr = self.open_cpr(&p.sealed_cpr)?;
        Ok(p)
    }

    /// A stored CPR number opened; `None` for an erased person.
    pub(crate) fn open_cpr(&self, stored: &str) -> sqlx::Result<Option<Cpr>> {
        self.key
            .open(stored)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }

    /// Seals the CPR numbers written in clear before they were sealed at
    /// rest (rows without a lookup hash), so that an upgraded database
    /// holds none, and marks the file for rewriting
    /// ([`Tx::take_rewrite_pending`]). Returns how many were sealed, or the
    /// ids of rows whose number does not parse (nothing is sealed then).
    pub async fn seal_clear_cprs(&mut self) -> sqlx::Result<Result<usize, Vec<i64>>> {
        let rows: Vec<(i64, String)> = q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT id, cpr_sealed FROM people WHERE cpr_hash IS NULL ORDER BY id")
        )?;
        let mut clear = Vec::new();
        let mut bad = Vec::new();
        for (id, stored) in rows {
            if stored.starts_with(super::sealing::ERASED_PREFIX) {
                continue;
            }
            match Cpr::parse(&stored) {
                Ok(cpr) => clear.push((id, cpr)),
                Err(_) => bad.push(id),
            }
        }
        if !bad.is_empty() {
            return Ok(Err(bad));
        }
        for (id, cpr) in &clear {
            exec!(
                self,
                sqlx::query("UPDATE people SET cpr_sealed = $1, cpr_hash = $2 WHERE id = $3")
                    .bind(self.key.seal(cpr))
                    .bind(self.key.lookup(cpr))
                    .bind(id)
            )?;
        }
        if !clear.is_empty() {
            self.secret("rewrite_pending", || "1".into()).await?;
        }
        Ok(Ok(clear.len()))
    }

    /// Whether clear numbers were sealed and the file not yet rewritten
    /// since; clears the mark.
    pub async fn take_rewrite_pending(&mut self) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query("DELETE FROM secrets WHERE name = 'rewrite_pending'")
        )?;
        Ok(n > 0)
    }

    /// Checks that the data key is the one this database's CPR numbers
    /// were sealed with (a check value is kept the first time).
    pub async fn data_key_matches(&mut self) -> sqlx::Result<bool> {
        let check = self.key.check_value().to_string();
        let stored = self.secret("data_key_check", || check.clone()).await?;
        Ok(stored == check)
    }

    /// Links a person to a chat, which becomes their preferred channel: the
    /// shipped workflows send `preferred` first.
    pub async fn link_telegram(&mut self, person_id: i64, chat_id: i64) -> sqlx::Result<u64> {
        exec!(
            self,
            sqlx::query(
                "UPDATE people SET telegram_chat_id = $1, preferred_channel = 'telegram',
                     preferred_before_telegram = CASE WHEN preferred_channel = 'telegram'
                         THEN preferred_before_telegram ELSE preferred_channel END
                 WHERE id = $2"
            )
            .bind(chat_id)
            .bind(person_id)
        )
    }

    /// Unlinks everyone from a chat; those who preferred it prefer again
    /// what they did before (SMS, when nothing is known).
    pub async fn unlink_telegram_chat(&mut self, chat_id: i64) -> sqlx::Result<u64> {
        exec!(
            self,
            sqlx::query(
                "UPDATE people SET telegram_chat_id = NULL,
                     preferred_channel = CASE WHEN preferred_channel = 'telegram'
                         THEN COALESCE(preferred_before_telegram, 'sms') ELSE preferred_channel END,
                     preferred_before_telegram = NULL
                 WHERE telegram_chat_id = $1"
            )
            .bind(chat_id)
        )
    }

    pub async fn set_language(&mut self, person_id: i64, language: &str) -> sqlx::Result<u64> {
        exec!(
            self,
            sqlx::query("UPDATE people SET language = $1 WHERE id = $2")
                .bind(language)
                .bind(person_id)
        )
    }

    /// Stops (or resumes) SMS to everyone with this number.
    pub async fn set_sms_opt_out(
        &mut self,
        phone: &PhoneNumber,
        opt_out: bool,
    ) -> sqlx::Result<u64> {
        exec!(
            self,
            sqlx::query("UPDATE people SET sms_opt_out = $1 WHERE phone = $2")
                .bind(opt_out)
                .bind(phone.as_e164())
        )
    }
}

impl Tx {
    /// Turns SMS off (STOP) or on again for one person. False when it was
    /// so already, or there is no such person.
    pub async fn set_person_sms_opt_out(&mut self, id: i64, opt_out: bool) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query("UPDATE people SET sms_opt_out = $1 WHERE id = $2 AND sms_opt_out <> $1")
                .bind(opt_out)
                .bind(id)
        )?;
        Ok(n == 1)
    }

    /// Updates a person's name and contact details by id, touched `now`
    /// (the retention of people counts from it). False if there is no
    /// such person.
    pub async fn update_person(
        &mut self,
        id: i64,
        p: &NewPerson<'_>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE people SET name = $1, cpr_sealed = $2, cpr_hash = $13, touched_at = $14, phone = $3, email = $4,
                        preferred_channel = $5, language = $6,
                        municipality_code = CASE WHEN $8 THEN $9 ELSE municipality_code END,
                        danish_citizen = CASE WHEN $8 THEN $10 ELSE danish_citizen END,
                        under_guardianship = CASE WHEN $8 THEN $11 ELSE under_guardianship END,
                        deceased = CASE WHEN $8 THEN $12 ELSE deceased END
                 WHERE id = $7"
            )
            .bind(p.name)
            .bind(self.key.seal(p.cpr))
            .bind(p.phone.map(PhoneNumber::as_e164))
            .bind(p.email)
            .bind(p.preferred_channel)
            .bind(p.language.code())
            .bind(id)
            .bind(p.facts.is_some())
            .bind(
                p.facts
                    .and_then(|f| f.municipality.as_ref().map(|m| m.as_str().to_string()))
            )
            .bind(p.facts.and_then(|f| f.danish_citizen))
            .bind(p.facts.and_then(|f| f.under_guardianship))
            .bind(p.facts.and_then(|f| f.deceased))
            .bind(self.key.lookup(p.cpr))
            .bind(now)
        )?;
        Ok(n == 1)
    }

    pub async fn person_by_cpr(&mut self, cpr: &Cpr) -> sqlx::Result<Option<i64>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_scalar("SELECT id FROM people WHERE cpr_hash = $1")
                .bind(self.key.lookup(cpr))
        )
    }
}
