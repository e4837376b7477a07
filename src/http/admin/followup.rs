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
use super::{Frame, audited_commit, when};
use crate::engine::SwapDecision;
use crate::http::AppState;

#[derive(Deserialize)]
pub struct FollowupQuery {
    /// What the last decision came to: `moved`, `taken`, `refused`.
    #[serde(default)]
    outcome: Option<String>,
    /// How many notes the last action marked as seen to.
    #[serde(default, deserialize_with = "super::empty_as_none")]
    resolved: Option<usize>,
}

/// The most notes the page shows at once.
const SHOWN: i64 = 500;

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
    let notifications = tx.open_notifications_listed(team, SHOWN).await?;
    let kinds = tx.open_notification_kinds(team).await?;
    drop(tx);
    let outcome = q
        .outcome
        .filter(|o| matches!(o.as_str(), "moved" | "taken" | "refused"));
    let swaps: Vec<_> = swaps
        .into_iter()
        .map(|w| json!({ "at_local": when::local(w.created_at), "date_local": when::date(w.date), "w": w }))
        .collect();
    let danish = session.language == crate::domain::Language::Da;
    // One group per kind, the kinds in the order of their newest note.
    let mut groups: Vec<serde_json::Value> = Vec::new();
    for n in notifications {
        let message = match (danish, &n.message_da) {
            (true, Some(da)) => da.clone(),
            _ => n.message.clone(),
        };
        let row = json!({
            "at_local": when::local(n.at),
            "seat_date": n.seat_date.map(when::date),
            "message": message,
            "n": n,
        });
        match groups.iter_mut().find(|g| g["kind"] == n.kind.as_str()) {
            Some(g) => g["rows"].as_array_mut().expect("rows").push(row),
            None => {
                let total = kinds
                    .iter()
                    .find(|(k, _)| *k == n.kind)
                    .map(|(_, c)| *c)
                    .unwrap_or(1);
                let label = format!("fu_kind_{}", n.kind);
                let label = match state.pages.strings(session.language).contains_key(&label) {
                    true => label,
                    false => "fu_kind_other".to_string(),
                };
                groups.push(json!({ "kind": n.kind, "label": label, "total": total, "upto": n.id, "rows": [row] }));
            }
        }
    }
    let open: i64 = kinds.iter().map(|(_, c)| c).sum();
    let mut frame = Frame::new(&state, &session, "followup");
    let c = &mut frame.context;
    c.insert("swaps", &swaps);
    c.insert("for_team", &team.is_some());
    c.insert("groups", &groups);
    c.insert("open", &open);
    c.insert("shown_max", &SHOWN);
    c.insert("outcome", &outcome);
    c.insert("resolved", &q.resolved);
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
    let resolved = match tx.resolve_notification(id, team, now).await? {
        true => {
            let detail = json!({ "notification_id": id });
            audited_commit(tx, &session, now, "notification.resolved", detail).await?;
            1
        }
        false => {
            tx.commit().await?;
            0
        }
    };
    Ok(Redirect::to(&format!(
        "/admin/followup?resolved={resolved}"
    )))
}

/// `POST /admin/followup/notifications/resolve`: the notes ticked (`id`,
/// once per box), or with `kind`, every open note of that kind.
pub async fn resolve_many(
    State(state): State<AppState>,
    session: Session,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult<Redirect> {
    let team = list_of(&session)?;
    if team.is_none() {
        session.must_run_election()?;
    }
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let kind = pairs
        .iter()
        .find(|(k, _)| k == "kind")
        .map(|(_, v)| v.as_str())
        .filter(|k| !k.is_empty());
    // The newest note of the kind the page showed: one that came after
    // is not marked unseen.
    let upto: i64 = pairs
        .iter()
        .find(|(k, _)| k == "upto")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    let mut resolved = Vec::new();
    match kind {
        Some(kind) => {
            resolved = tx
                .resolve_notifications_of_kind(kind, team, upto, now)
                .await?
        }
        None => {
            for id in ids {
                if tx.resolve_notification(id, team, now).await? {
                    resolved.push(id);
                }
            }
        }
    }
    let count = resolved.len();
    match count {
        0 => tx.commit().await?,
        _ => {
            let detail = json!({ "notification_ids": resolved, "kind": kind });
            audited_commit(tx, &session, now, "notification.resolved", detail).await?;
        }
    }
    Ok(Redirect::to(&format!("/admin/followup?resolved={count}")))
}
