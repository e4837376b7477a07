//! Messages: the outbox with each message's delivery status, dead letters
//! and their retry, and group messages to the people a filter chooses,
//! with a preview (recipients × SMS parts) and a progress bar while they
//! go out.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::{PageError, PageResult};
use super::session::Session;
use super::{Frame, empty_as_none};
use crate::engine::broadcast;
use crate::http::AppState;
use crate::store::board::BoardFilter;

#[derive(Deserialize)]
pub struct OutboxQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub channel: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub broadcast: Option<i64>,
}

pub async fn outbox(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<OutboxQuery>,
) -> PageResult<Html<String>> {
    session.must_see_everything()?;
    let mut tx = state.engine.db.read().await?;
    let messages: Vec<_> = tx
        .messages_listed(q.status.as_deref(), q.channel.as_deref(), q.broadcast, 300)
        .await?
        .into_iter()
        .map(|m| {
            let mut v = serde_json::to_value(&m).unwrap_or_default();
            v["at_local"] = super::when::local(m.created_at).into();
            v
        })
        .collect();
    let dead = tx.count_messages("dead").await?;
    let doubled = tx.count_maybe_doubled().await?;
    let broadcasts = tx.broadcasts(20).await?;
    drop(tx);
    let mut frame = Frame::new(&state, &session, "messages");
    let c = &mut frame.context;
    c.insert("messages", &messages);
    c.insert("dead", &dead);
    c.insert("maybe_doubled", &doubled);
    let broadcasts: Vec<_> = broadcasts
        .into_iter()
        .map(|b| {
            let mut v = serde_json::to_value(&b).unwrap_or_default();
            v["at_local"] = super::when::local(b.created_at).into();
            v
        })
        .collect();
    c.insert("broadcasts", &broadcasts);
    c.insert("q_status", &q.status.unwrap_or_default());
    c.insert("q_channel", &q.channel.unwrap_or_default());
    frame.render("messages.html")
}

/// A dead letter gets a new round of attempts.
pub async fn retry(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult<Redirect> {
    session.must_run_election()?;
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    if !tx.revive_message(id, now).await? {
        return Err(PageError::Conflict(format!(
            "message {id} is not a dead letter"
        )));
    }
    crate::jobs::push_deliveries(&mut tx, &[id], false, crate::jobs::Urgency::Urgent)
        .await
        .map_err(|e| PageError::Internal(e.into()))?;
    tx.audit(
        now,
        &session.actor(),
        "message.retried",
        Default::default(),
        Some(&serde_json::json!({ "outbox_id": id }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/messages?status=dead"))
}

#[derive(Deserialize, Default)]
pub struct GroupForm {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub election: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub station: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub team: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub task_type: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub date: Option<chrono::NaiveDate>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub status: Option<String>,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub text: String,
    /// `preview` or `send`.
    #[serde(default)]
    pub action: String,
}

async fn group_page(
    state: &AppState,
    session: &Session,
    form: &GroupForm,
    preview: Option<&broadcast::BroadcastPreview>,
    problem: Option<&str>,
) -> PageResult<Html<String>> {
    let Some(election) = super::board::election_of(state, form.election).await? else {
        return Err(PageError::NotFound("there are no elections yet".into()));
    };
    let mut frame = Frame::new(state, session, "messages");
    let mut tx = state.engine.db.read().await?;
    let c = &mut frame.context;
    c.insert("election", &election);
    c.insert("elections", &tx.elections().await?);
    c.insert("stations", &tx.stations().await?);
    c.insert("teams", &tx.teams().await?);
    c.insert("task_types", &tx.task_types().await?);
    c.insert("dates", &tx.seat_dates(election.id).await?);
    drop(tx);
    c.insert("f_station", &form.station);
    c.insert("f_team", &form.team);
    c.insert("f_task_type", &form.task_type);
    c.insert("f_date", &form.date);
    c.insert(
        "f_status",
        &form.status.clone().unwrap_or_else(|| "confirmed".into()),
    );
    c.insert(
        "f_channel",
        if form.channel.is_empty() {
            "preferred"
        } else {
            &form.channel
        },
    );
    c.insert("f_text", &form.text);
    c.insert("preview", &preview);
    let price = match (preview, state.sms_part_price_ore) {
        (Some(p), Some(ore)) => Some(crate::messages::price::total(
            p.sms_parts as i64,
            ore,
            session.language,
        )),
        _ => None,
    };
    c.insert("price", &price);
    c.insert("problem", &problem);
    frame.render("group_message.html")
}

pub async fn group_form(
    State(state): State<AppState>,
    session: Session,
    Query(form): Query<GroupForm>,
) -> PageResult<Html<String>> {
    session.must_run_election()?;
    group_page(&state, &session, &form, None, None).await
}

/// Shows who a group message reaches and what it costs; with
/// `action=send`, sends it.
pub async fn group_submit(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<GroupForm>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let Some(election) = super::board::election_of(&state, form.election).await? else {
        return Err(PageError::NotFound("there are no elections yet".into()));
    };
    let filter = BoardFilter {
        election_id: election.id,
        area_id: None,
        station_id: form.station,
        team_id: form.team,
        task_type_id: form.task_type,
        date: form.date,
    };
    let status = form.status.as_deref().filter(|s| *s != "any");
    if let Some(s) = status
        && !matches!(s, "invited" | "confirmed")
    {
        return Err(PageError::BadRequest(format!(
            "status: `{s}` is not invited, confirmed or any"
        )));
    }
    if broadcast::channels(&form.channel).is_none() {
        return Err(PageError::BadRequest(
            "channel: preferred, sms or email".into(),
        ));
    }
    let text = form.text.trim();
    let problem = match text.chars().count() {
        0 => Some("text_empty"),
        n if n > 1_000 => Some("text_long"),
        _ => None,
    };
    let preview = state
        .engine
        .broadcast_preview(&filter, status, text)
        .await?;
    let problem = problem.or((preview.recipients == 0).then_some("nobody"));
    if form.action == "send" && problem.is_none() {
        let sent = state
            .engine
            .broadcast(&filter, status, &form.channel, text, &session.actor())
            .await?;
        tracing::info!(
            user = session.user.id,
            broadcast = sent.id,
            messages = sent.messages,
            "group message sent"
        );
        return Ok(
            Redirect::to(&format!("/admin/messages/broadcasts/{}", sent.id)).into_response(),
        );
    }
    let page = group_page(&state, &session, &form, Some(&preview), problem).await?;
    let status = match problem {
        Some(_) => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        None => axum::http::StatusCode::OK,
    };
    Ok((status, page).into_response())
}

async fn progress_page(
    state: &AppState,
    session: &Session,
    id: i64,
    page: &str,
) -> PageResult<Html<String>> {
    session.must_see_everything()?;
    let mut tx = state.engine.db.read().await?;
    let Some(b) = tx.broadcast(id).await? else {
        return Err(PageError::NotFound(format!(
            "group message {id} does not exist"
        )));
    };
    let p = tx.broadcast_progress(id).await?;
    drop(tx);
    let total = p.total.max(1) as f64;
    let mut frame = Frame::new(state, session, "messages");
    let c = &mut frame.context;
    c.insert("broadcast", &b);
    c.insert("progress", &p);
    c.insert("done", &(p.waiting == 0 && p.failed == 0));
    c.insert("pct_sent", &(100.0 * p.sent as f64 / total));
    c.insert("pct_dead", &(100.0 * p.dead as f64 / total));
    frame.render(page)
}

pub async fn progress(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult<Html<String>> {
    progress_page(&state, &session, id, "broadcast.html").await
}

pub async fn progress_live(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult<Html<String>> {
    progress_page(&state, &session, id, "broadcast_live.html").await
}
