//! Messages received from people, kept once per provider message id.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{InboundMessage, Tx};
use crate::{exec, q};

pub struct NewInbound<'a> {
    pub provider: &'a str,
    pub provider_message_id: &'a str,
    pub sender: &'a str,
    pub receiver: Option<&'a str>,
    pub body: &'a str,
}

impl Tx {
    /// How many received messages wait to be handled.
    pub async fn count_inbound_waiting(&mut self) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT COUNT(*) FROM inbound WHERE processed_at IS NULL")
        )
    }

    /// Stores a received message, whatever text it holds (a NUL is kept
    /// as U+FFFD, the original escaped beside it). `None` when the
    /// provider already delivered this message id: gateways retry, we
    /// answer once.
    pub async fn insert_inbound(
        &mut self,
        m: &NewInbound<'_>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<i64>> {
        use crate::domain::text::{original_if_changed, storable};
        q!(
            self,
            fetch_optional,
            sqlx::query_scalar(
                "INSERT INTO inbound (provider, provider_message_id, sender, receiver, body, received_at, queued_at, body_original)
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
                 ON CONFLICT (provider, provider_message_id) DO NOTHING RETURNING id"
            )
            .bind(storable(m.provider))
            .bind(storable(m.provider_message_id))
            .bind(storable(m.sender))
            .bind(m.receiver.map(storable))
            .bind(storable(m.body))
            .bind(now)
            .bind(original_if_changed(m.body))
        )
    }

    pub async fn inbound(&mut self, id: i64) -> sqlx::Result<Option<InboundMessage>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM inbound WHERE id = $1").bind(id)
        )
    }

    /// Marks a received message handled. Returns false if it was already.
    pub async fn mark_inbound_processed(
        &mut self,
        id: i64,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query("UPDATE inbound SET processed_at = $1, outcome = $2 WHERE id = $3 AND processed_at IS NULL")
                .bind(now)
                .bind(outcome)
                .bind(id)
        )?;
        Ok(n == 1)
    }

    /// Up to `limit` received messages still unhandled whose job was last
    /// queued before `requeue_before` (its attempts ran out, say during a
    /// database outage); marks them queued now.
    pub async fn take_unprocessed_inbound(
        &mut self,
        now: DateTime<Utc>,
        requeue_before: DateTime<Utc>,
        limit: i64,
    ) -> sqlx::Result<Vec<i64>> {
        let ids: Vec<i64> = q!(
            self,
            fetch_all,
            sqlx::query_scalar(
                "SELECT id FROM inbound WHERE processed_at IS NULL AND queued_at <= $1 ORDER BY id LIMIT $2"
            )
            .bind(requeue_before)
            .bind(limit)
        )?;
        for id in &ids {
            exec!(
                self,
                sqlx::query("UPDATE inbound SET queued_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(*id)
            )?;
        }
        Ok(ids)
    }

    pub async fn count_inbound(&mut self) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT COUNT(*) FROM inbound")
        )
    }

    /// Records a message in the dev provider's phone log.
    pub async fn dev_sms(
        &mut self,
        direction: &str,
        phone: &str,
        body: &str,
        outbox_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("INSERT INTO dev_sms (direction, phone, body, at, outbox_id) VALUES ($1, $2, $3, $4, $5)")
                .bind(direction)
                .bind(phone)
                .bind(body)
                .bind(now)
                .bind(outbox_id)
        )?;
        Ok(())
    }

    /// Which of these outbox rows the dev provider holds a message for.
    pub async fn dev_sms_holding(&mut self, outbox_ids: &[i64]) -> sqlx::Result<Vec<i64>> {
        if outbox_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT outbox_id FROM dev_sms WHERE outbox_id IN {}",
            super::placeholders(1, outbox_ids.len(), 1)
        );
        q!(
            self,
            fetch_all,
            outbox_ids.iter().fold(
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str())),
                |q, id| q.bind(*id)
            )
        )
    }

    /// The dev phone log of one number, oldest first.
    pub async fn dev_sms_log(
        &mut self,
        phone: &str,
    ) -> sqlx::Result<Vec<(String, String, DateTime<Utc>)>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT direction, body, at FROM dev_sms WHERE phone = $1 ORDER BY id")
                .bind(phone)
        )
    }
}

/// Which received messages the admin's list shows.
#[derive(Debug, Clone, Default)]
pub struct InboundFilter {
    /// `Some(true)`: chat messages only; `Some(false)`: SMS only.
    pub chat: Option<bool>,
    /// Received in `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Sent from one of these addresses (numbers in E.164, chat ids).
    pub senders: Option<Vec<String>>,
    pub handled: Option<Handled>,
}

/// What the engine did with a message, as the list filters on it.
#[derive(Debug, Clone)]
pub enum Handled {
    /// Not handled yet.
    Waiting,
    /// Handled, with one of these outcomes.
    As(Vec<&'static str>),
    /// Handled, with any outcome but these.
    NotAs(Vec<&'static str>),
}

/// A received message as the admin lists it, with the person on the
/// address it came from (the first, if several share it).
#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct ListedInbound {
    pub id: i64,
    pub provider: String,
    pub sender: String,
    pub body: String,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
}

impl std::fmt::Debug for ListedInbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ListedInbound#{}", self.id)
    }
}

impl Tx {
    /// Received messages matching `f`, newest first, `limit` from
    /// `offset`, and how many match in all.
    pub async fn inbound_page(
        &mut self,
        f: &InboundFilter,
        offset: i64,
        limit: i64,
    ) -> sqlx::Result<(Vec<ListedInbound>, i64)> {
        let mut conditions = vec![
            "($1 IS NULL OR (i.provider = 'telegram') = $1)".to_string(),
            "($2 IS NULL OR i.received_at >= $2)".to_string(),
            "($3 IS NULL OR i.received_at < $3)".to_string(),
        ];
        let mut values: Vec<String> = Vec::new();
        let mut next = 4;
        let mut list = |items: &[String], values: &mut Vec<String>| {
            let marks: Vec<String> = items
                .iter()
                .map(|v| {
                    values.push(v.clone());
                    next += 1;
                    format!("${}", next - 1)
                })
                .collect();
            match marks.is_empty() {
                true => "(NULL)".to_string(),
                false => format!("({})", marks.join(", ")),
            }
        };
        if let Some(senders) = &f.senders {
            conditions.push(format!("i.sender IN {}", list(senders, &mut values)));
        }
        match &f.handled {
            None => {}
            Some(Handled::Waiting) => conditions.push("i.processed_at IS NULL".into()),
            Some(Handled::As(outcomes)) => {
                let outcomes: Vec<String> = outcomes.iter().map(|o| o.to_string()).collect();
                conditions.push(format!("i.outcome IN {}", list(&outcomes, &mut values)));
            }
            Some(Handled::NotAs(outcomes)) => {
                let outcomes: Vec<String> = outcomes.iter().map(|o| o.to_string()).collect();
                conditions.push(format!(
                    "i.processed_at IS NOT NULL AND i.outcome NOT IN {}",
                    list(&outcomes, &mut values)
                ));
            }
        }
        let limit_at = next;
        let matching = format!("FROM inbound i WHERE {}", conditions.join(" AND "));
        macro_rules! bound {
            ($query:expr) => {
                values
                    .iter()
                    .fold($query.bind(f.chat).bind(f.from).bind(f.to), |q, v| {
                        q.bind(v.as_str())
                    })
            };
        }
        let count_sql = format!("SELECT COUNT(*) {matching}");
        let total: i64 = q!(
            self,
            fetch_one,
            bound!(sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.as_str())))
        )?;
        let page_sql = format!(
            "SELECT i.id, i.provider, i.sender, i.body, i.received_at, i.processed_at, i.outcome,
                    p.id AS person_id, p.name AS person_name
             FROM (SELECT i.* {matching} ORDER BY i.received_at DESC, i.id DESC LIMIT ${limit_at} OFFSET ${}) i
             LEFT JOIN people p ON p.id = COALESCE(
                 (SELECT MIN(x.id) FROM people x WHERE i.provider <> 'telegram' AND x.phone = i.sender),
                 (SELECT MIN(x.id) FROM people x WHERE i.provider = 'telegram' AND CAST(x.telegram_chat_id AS TEXT) = i.sender))
             ORDER BY i.received_at DESC, i.id DESC",
            limit_at + 1
        );
        let rows: Vec<ListedInbound> = q!(
            self,
            fetch_all,
            bound!(sqlx::query_as(sqlx::AssertSqlSafe(page_sql.as_str())))
                .bind(limit)
                .bind(offset)
        )?;
        Ok((rows, total))
    }
}
