//! Retention: the policy row, and what its purge would take and takes.
//! The cut-offs are computed by [`crate::retention`]; here they are only
//! applied.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::Tx;
use crate::{exec, q};

/// How long personal data is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Policy {
    /// Message texts, sent and received: months after the election's last
    /// day (or after they were written, for those of no election).
    pub message_months: i32,
    /// Audit entries: months.
    pub audit_months: i32,
    /// People: days after the last election they took part in (or after
    /// they were added, if they never took part).
    pub people_days: i32,
}

/// The instants and dates before which data goes.
#[derive(Debug, Clone, Copy)]
pub struct Cutoffs {
    /// Texts of elections that ended before this day.
    pub messages_of_elections_ended_before: NaiveDate,
    /// Texts of no election, and received texts, written before this.
    pub messages_before: DateTime<Utc>,
    pub audit_before: DateTime<Utc>,
    /// People of no election that ended on or after this day…
    pub people_of_elections_ended_before: NaiveDate,
    /// …added before this.
    pub people_added_before: DateTime<Utc>,
}

/// What a purge would take (or took), per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub sent_messages: i64,
    pub received_messages: i64,
    pub audit_entries: i64,
    pub people: i64,
}

impl Counts {
    pub fn is_empty(&self) -> bool {
        *self == Counts::default()
    }
}

/// One election's share of a preview; `election_id` `None` is what
/// belongs to no election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElectionShare {
    pub election_id: Option<i64>,
    pub title: Option<String>,
    pub sent_messages: i64,
    pub people: i64,
}

/// What a message keeps once its text is gone: that it was sent, when,
/// how, and with which template; not to whom, what it said, or what it
/// would have said on another channel.
pub(crate) const BLANK_MESSAGE: &str = "body = '', recipient = '', subject = NULL, html = NULL,
    calendar = NULL, buttons = NULL, fallback = NULL";

/// Finished messages only: one still to be sent keeps its text.
const SENT_MESSAGES: &str = "o.body <> '' AND o.status IN ('sent', 'dead')
    AND ((o.seat_id IS NOT NULL AND EXISTS (SELECT 1 FROM seats s JOIN elections e ON e.id = s.election_id
                                              WHERE s.id = o.seat_id AND e.ends_on < $1))
         OR (o.seat_id IS NULL AND o.created_at < $2))";

const RECEIVED_MESSAGES: &str =
    "i.body <> '' AND i.processed_at IS NOT NULL AND i.received_at < $1";

/// People who were erased already, were added or changed lately, run a
/// station, have a workflow waiting on them or a message still to be
/// sent, or took part (a seat, standby, a seat's history) in an election
/// that has not ended long enough ago are kept.
const PEOPLE: &str = "p.cpr_sealed NOT LIKE 'slettet-%' AND COALESCE(p.touched_at, p.created_at) < $2
    AND NOT EXISTS (SELECT 1 FROM stations st WHERE st.responsible_person_id = p.id)
    AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.person_id = p.id AND i.status = 'waiting')
    AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.person_id = p.id AND o.status IN ('pending', 'sending', 'failed'))
    AND NOT EXISTS (SELECT 1 FROM seats s JOIN elections e ON e.id = s.election_id
                    WHERE s.person_id = p.id AND e.ends_on >= $1)
    AND NOT EXISTS (SELECT 1 FROM standby b JOIN elections e ON e.id = b.election_id
                    WHERE b.person_id = p.id AND e.ends_on >= $1)
    AND NOT EXISTS (SELECT 1 FROM seat_history h JOIN seats s ON s.id = h.seat_id
                    JOIN elections e ON e.id = s.election_id
                    WHERE h.person_id = p.id AND e.ends_on >= $1)";

impl Tx {
    pub async fn retention_policy(&mut self) -> sqlx::Result<Policy> {
        q!(
            self,
            fetch_one,
            sqlx::query_as(
                "SELECT message_months, audit_months, people_days FROM retention_policy WHERE id = 1"
            )
        )
    }

    pub async fn set_retention_policy(&mut self, p: &Policy) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query(
                "UPDATE retention_policy SET message_months = $1, audit_months = $2, people_days = $3 WHERE id = 1"
            )
            .bind(p.message_months)
            .bind(p.audit_months)
            .bind(p.people_days)
        )?;
        Ok(())
    }

    /// When the purge runs by itself next; `None` until the first tick.
    pub async fn retention_next_run(&mut self) -> sqlx::Result<Option<DateTime<Utc>>> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT next_run_at FROM retention_policy WHERE id = 1")
        )
    }

    /// Sets the first run, `first`, if none is set yet.
    pub async fn arm_retention(&mut self, first: DateTime<Utc>) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query(
                "UPDATE retention_policy SET next_run_at = $1 WHERE id = 1 AND next_run_at IS NULL"
            )
            .bind(first)
        )?;
        Ok(())
    }

    /// Takes the purge that came due at `now` for this process and moves
    /// the next one to `next`. Two hosts ticking at once take it once.
    pub async fn claim_retention_run(
        &mut self,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE retention_policy SET next_run_at = $2 WHERE id = 1 AND next_run_at <= $1"
            )
            .bind(now)
            .bind(next)
        )?;
        Ok(n == 1)
    }

    /// When the earliest election that has not ended (on `today`) was
    /// made: nothing written since is purged while it runs.
    pub async fn running_elections_since(
        &mut self,
        today: NaiveDate,
    ) -> sqlx::Result<Option<DateTime<Utc>>> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT MIN(created_at) FROM elections WHERE ends_on >= $1")
                .bind(today)
        )
    }

    /// What a purge with these cut-offs would take, per kind.
    pub async fn retention_counts(&mut self, c: &Cutoffs) -> sqlx::Result<Counts> {
        let sent: i64 = q!(
            self,
            fetch_one,
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM outbox o WHERE {SENT_MESSAGES}"
            )))
            .bind(c.messages_of_elections_ended_before)
            .bind(c.messages_before)
        )?;
        let received: i64 = q!(
            self,
            fetch_one,
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM inbound i WHERE {RECEIVED_MESSAGES}"
            )))
            .bind(c.messages_before)
        )?;
        let audit: i64 = q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE at < $1")
                .bind(c.audit_before)
        )?;
        let sql = format!("SELECT COUNT(*) FROM people p WHERE {PEOPLE}");
        let people: i64 = q!(
            self,
            fetch_one,
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(c.people_of_elections_ended_before)
                .bind(c.people_added_before)
        )?;
        Ok(Counts {
            sent_messages: sent,
            received_messages: received,
            audit_entries: audit,
            people,
        })
    }

    /// Sent messages and people a purge would take, per election (people
    /// by the last election whose seat history names them).
    pub async fn retention_by_election(&mut self, c: &Cutoffs) -> sqlx::Result<Vec<ElectionShare>> {
        let sent: Vec<(Option<i64>, i64)> = q!(
            self,
            fetch_all,
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT s.election_id, COUNT(*) FROM outbox o LEFT JOIN seats s ON s.id = o.seat_id
                 WHERE {SENT_MESSAGES} GROUP BY s.election_id"
            )))
            .bind(c.messages_of_elections_ended_before)
            .bind(c.messages_before)
        )?;
        let people: Vec<(Option<i64>, i64)> = q!(
            self,
            fetch_all,
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT last_election, COUNT(*) FROM (
                   SELECT (SELECT MAX(s.election_id) FROM seat_history h JOIN seats s ON s.id = h.seat_id
                           WHERE h.person_id = p.id) AS last_election
                   FROM people p WHERE {PEOPLE}) x
                 GROUP BY last_election"
            )))
            .bind(c.people_of_elections_ended_before)
            .bind(c.people_added_before)
        )?;
        let titles: Vec<(i64, String)> = q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT id, title FROM elections")
        )?;
        let mut out: Vec<ElectionShare> = Vec::new();
        fn share<'a>(
            out: &'a mut Vec<ElectionShare>,
            titles: &[(i64, String)],
            id: Option<i64>,
        ) -> &'a mut ElectionShare {
            let i = match out.iter().position(|s| s.election_id == id) {
                Some(i) => i,
                None => {
                    let title = id.and_then(|id| {
                        titles
                            .iter()
                            .find(|(t, _)| *t == id)
                            .map(|(_, n)| n.clone())
                    });
                    out.push(ElectionShare {
                        election_id: id,
                        title,
                        sent_messages: 0,
                        people: 0,
                    });
                    out.len() - 1
                }
            };
            &mut out[i]
        }
        for (id, n) in sent {
            share(&mut out, &titles, id).sent_messages = n;
        }
        for (id, n) in people {
            share(&mut out, &titles, id).people = n;
        }
        out.sort_by_key(|s| (s.election_id.is_none(), s.election_id));
        Ok(out)
    }

    /// The people a purge anonymises, at most `limit`.
    pub async fn people_to_forget(&mut self, c: &Cutoffs, limit: i64) -> sqlx::Result<Vec<i64>> {
        q!(
            self,
            fetch_all,
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT p.id FROM people p WHERE {PEOPLE} ORDER BY p.id LIMIT $3"
            )))
            .bind(c.people_of_elections_ended_before)
            .bind(c.people_added_before)
            .bind(limit)
        )
    }

    /// Blanks the texts and addresses of sent messages and received
    /// messages past their time, with what people wrote with an answer in
    /// those elections; deletes audit entries past theirs. People are
    /// anonymised one by one ([`Tx::erase_person`]). Returns the counts.
    pub async fn purge_texts_and_audit(&mut self, c: &Cutoffs) -> sqlx::Result<Counts> {
        let sent = exec!(
            self,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE outbox SET {BLANK_MESSAGE}
                 WHERE id IN (SELECT o.id FROM outbox o WHERE {SENT_MESSAGES})"
            )))
            .bind(c.messages_of_elections_ended_before)
            .bind(c.messages_before)
        )?;
        exec!(
            self,
            sqlx::query(
                "DELETE FROM dev_sms WHERE outbox_id IN (SELECT id FROM outbox WHERE body = '')
                    OR (outbox_id IS NULL AND at < $1)"
            )
            .bind(c.messages_before)
        )?;
        exec!(
            self,
            sqlx::query(
                "UPDATE seat_history SET detail = NULL
                 WHERE detail IS NOT NULL AND seat_id IN (
                     SELECT s.id FROM seats s JOIN elections e ON e.id = s.election_id WHERE e.ends_on < $1)"
            )
            .bind(c.messages_of_elections_ended_before)
        )?;
        let received = exec!(
            self,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE inbound SET body = '', body_original = NULL, sender = 'slettet'
                 WHERE id IN (SELECT i.id FROM inbound i WHERE {RECEIVED_MESSAGES})"
            )))
            .bind(c.messages_before)
        )?;
        let audit = exec!(
            self,
            sqlx::query("DELETE FROM audit_events WHERE at < $1").bind(c.audit_before)
        )?;
        Ok(Counts {
            sent_messages: sent as i64,
            received_messages: received as i64,
            audit_entries: audit as i64,
            people: 0,
        })
    }
}
