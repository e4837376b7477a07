//! What waits for the secretariat: station swaps to approve or refuse, and
//! the notifications the engine raised (nobody answered, a reply it could
//! not place), each marked as seen to once handled. A team's responsible
//! (a party secretary) sees the notifications for their team instead
//! (`notify: {to: team}`: their member declined, cancelled, did not come).

use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use serde::Deserialize;
use serde_json::json;

use super::error::{PageError, PageResult};
use super::session::Session;
use super::{Frame, audited_commit};
use crate::engine::SwapDecision;
use crate::http::AppState;

#[derive(Deserialize)]
pub struct FollowupQuery {
    /// What the last decision came to: `moved`, `taken`, `refused`.
    #[serde(default)]
    outcome: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<FollowupQuery>,
) -> PageResult<Html<String>> {
    let team = list_of(&session)?;
    let mut tx = state.engine.db.read().await?;
    let swaps = match team {
        None => tx.pending_swaps_listed().await?,
        Some(_) => Vec::new(),
    };
    let notifications = tx.open_notifications(team, 200).await?;
    drop(tx);
    let outcome = q
        .outcome
        .filter(|o| matches!(o.as_str(), "moved" | "taken" | "refused"));
    let local = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&chrono_tz::Europe::Copenhagen)
            .format("%d-%m-%Y %H:%M")
            .to_string()
    };
    let swaps: Vec<_> = swaps
        .into_iter()
        .map(|w| json!({ "at_local": local(w.created_at), "w": w }))
        .collect();
    let notifications: Vec<_> = notifications
        .into_iter()
        .map(|n| json!({ "at_local": local(n.at), "n": n }))
        .collect();
    let mut frame = Frame::new(&state, &session, "followup");
    let c = &mut frame.context;
    c.insert("swaps", &swaps);
    c.insert("for_team", &team.is_some());
    c.insert("notifications", &notifications);
    c.insert("outcome", &outcome);
    frame.render("followup.html")
}

/// `POST /admin/followup/swaps/{id}/approve`.
pub async fn approve(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult<Redirect> {
    decide(&state, &session, id, true).await
}

/// `POST /admin/followup/swaps/{id}/refuse`.
pub async fn refuse(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult<Redirect> {
    decide(&state, &session, id, false).await
}

async fn decide(
    state: &AppState,
    session: &Session,
    id: i64,
    approve: bool,
) -> PageResult<Redirect> {
    session.must_run_election()?;
    match state
        .engine
        .decide_swap(id, approve, &session.actor())
        .await?
    {
        SwapDecision::NotFound => Err(PageError::NotFound(format!(
            "swap request {id} does not exist"
        ))),
        SwapDecision::NotPending => Err(PageError::Conflict(format!(
            "swap request {id} was decided or ended already"
        ))),
        d => Ok(Redirect::to(&format!(
            "/admin/followup?outcome={}",
            d.as_str()
        ))),
    }
}

/// Whose follow-up list the session sees: the secretariat's (`None`; also
/// a reader's), or their team's for a team's responsible.
fn list_of(session: &Session) -> PageResult<Option<i64>> {
    match session.role.team_id() {
        Some(team) => Ok(Some(team)),
        None => session.must_see_everything().map(|()| None),
    }
}

/// `POST /admin/followup/notifications/{id}/resolve`.
pub async fn resolve(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult<Redirect> {
    let team = list_of(&session)?;
    if team.is_none() {
        session.must_run_election()?;
    }
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    match tx.resolve_notification(id, team, now).await? {
        true => {
            let detail = json!({ "notification_id": id });
            audited_commit(tx, &session, now, "notification.resolved", detail).await?;
        }
        false => tx.commit().await?,
    }
    Ok(Redirect::to("/admin/followup"))
}
