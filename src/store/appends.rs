//! Rows a transaction only appends: audit events and seat history.
//!
//! They are collected in the transaction and written just before it
//! commits, many rows to a statement, so an operation that touches a
//! thousand seats costs a few statements for its log instead of thousands.
//! Nothing in a transaction reads them back; a query that does must call
//! [`Tx::flush`] first.

use chrono::{DateTime, Utc};

use super::{Tx, placeholders};
use crate::exec;

/// Rows per statement: 7 columns each stays far below both backends'
/// limit on bound parameters.
const ROWS_PER_STATEMENT: usize = 500;

#[derive(Default)]
pub struct Appends {
    audit: Vec<AuditRow>,
    history: Vec<HistoryRow>,
}

pub(crate) struct AuditRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub seat: Option<i64>,
    pub person: Option<i64>,
    pub instance: Option<i64>,
    pub detail: Option<String>,
}

pub(crate) struct HistoryRow {
    pub seat_id: i64,
    pub person_id: Option<i64>,
    pub at: DateTime<Utc>,
    pub event: String,
    pub channel: Option<String>,
    pub inbound_id: Option<i64>,
    pub detail: Option<String>,
}

impl Appends {
    pub(crate) fn audit(&mut self, row: AuditRow) {
        self.audit.push(row);
    }

    pub(crate) fn history(&mut self, row: HistoryRow) {
        self.history.push(row);
    }
}

impl Tx {
    /// Writes the collected audit events and seat history.
    pub async fn flush(&mut self) -> sqlx::Result<()> {
        let audit = std::mem::take(&mut self.appends.audit);
        for chunk in audit.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO audit_events (at, actor, action, seat_id, person_id, instance_id, detail) VALUES {}",
                placeholders(1, 7, chunk.len())
            );
            exec!(
                self,
                chunk
                    .iter()
                    .fold(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), |q, r| q
                        .bind(r.at)
                        .bind(&r.actor)
                        .bind(&r.action)
                        .bind(r.seat)
                        .bind(r.person)
                        .bind(r.instance)
                        .bind(&r.detail))
            )?;
        }
        let history = std::mem::take(&mut self.appends.history);
        for chunk in history.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO seat_history (seat_id, person_id, at, event, channel, inbound_id, detail) VALUES {}",
                placeholders(1, 7, chunk.len())
            );
            exec!(
                self,
                chunk
                    .iter()
                    .fold(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), |q, r| q
                        .bind(r.seat_id)
                        .bind(r.person_id)
                        .bind(r.at)
                        .bind(&r.event)
                        .bind(&r.channel)
                        .bind(r.inbound_id)
                        .bind(&r.detail))
            )?;
        }
        Ok(())
    }
}
