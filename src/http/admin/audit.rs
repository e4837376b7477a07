//! The audit log: who did what, when, to which seat or person; filtered
//! and paged, newest first. The secretariat and readers see it.

use axum::extract::{Query, State};
use axum::response::Html;
use chrono::NaiveDate;
use serde::Deserialize;

use super::error::PageResult;
use super::session::Session;
use super::{Frame, empty_as_none};
use crate::http::AppState;
use crate::store::board::AuditFilter;

pub const PAGE: i64 = 100;

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub actor: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub action: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub seat: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub person: Option<i64>,
    /// Local dates (Copenhagen), both included.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub to: Option<NaiveDate>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub before: Option<i64>,
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> PageResult<Html<String>> {
    session.must_see_everything()?;
    let tz = chrono_tz::Europe::Copenhagen;
    let midnight = |d: NaiveDate| {
        crate::workflow::local_instant(d.and_hms_opt(0, 0, 0).unwrap_or_default(), tz)
    };
    let filter = AuditFilter {
        actor: q.actor.clone(),
        action: q.action.clone(),
        seat_id: q.seat,
        person_id: q.person,
        from: q.from.map(midnight),
        to: q.to.and_then(|d| d.succ_opt()).map(midnight),
        before: q.before,
    };
    let events = {
        let mut tx = state.engine.db.read().await?;
        tx.audit_events(&filter, PAGE).await?
    };
    let rows: Vec<_> = events
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            v["at_local"] = super::when::local(e.at).into();
            v["seat_date"] = e.seat_date.map(super::when::date).into();
            // Who did it, in words: a user or person by name, the system,
            // the API, or a link.
            v["actor_kind"] = match e.actor.split(':').next().unwrap_or_default() {
                "user" => "user",
                "person" => "person",
                "system" | "demo" => "system",
                "api" => "api",
                _ => "other",
            }
            .into();
            v
        })
        .collect();
    let next = (events.len() as i64 == PAGE)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    let mut keep: Vec<(&str, String)> = Vec::new();
    for (k, v) in [("actor", &q.actor), ("action", &q.action)] {
        if let Some(v) = v {
            keep.push((k, v.clone()));
        }
    }
    for (k, v) in [("seat", q.seat), ("person", q.person)] {
        if let Some(v) = v {
            keep.push((k, v.to_string()));
        }
    }
    for (k, v) in [("from", q.from), ("to", q.to)] {
        if let Some(v) = v {
            keep.push((k, v.to_string()));
        }
    }
    let mut frame = Frame::new(&state, &session, "audit");
    let c = &mut frame.context;
    c.insert("events", &rows);
    c.insert("next", &next);
    c.insert(
        "query",
        &serde_urlencoded::to_string(&keep).unwrap_or_default(),
    );
    c.insert("q_actor", &q.actor.unwrap_or_default());
    c.insert("q_action", &q.action.unwrap_or_default());
    c.insert("q_seat", &q.seat);
    c.insert("q_person", &q.person);
    c.insert("q_from", &q.from);
    c.insert("q_to", &q.to);
    frame.render("audit.html")
}
