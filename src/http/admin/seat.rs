//! A seat's page: what it is, who holds it, and everything that happened
//! to it: every message and every answer, with its channel and the number
//! or chat it came from. The secretariat and the seat's team responsible
//! can put a person on it here.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use serde::{Deserialize, Serialize};

use super::error::{PageError, PageResult};
use super::session::Session;
use super::{Frame, when};
use crate::http::AppState;
use crate::store::SeatDetails;

/// The seat, if the role may see it.
async fn visible_seat(state: &AppState, session: &Session, id: i64) -> PageResult<SeatDetails> {
    let mut tx = state.engine.db.read().await?;
    let seat = tx.seat(id).await?;
    let details = tx.seat_details(id).await?;
    let (Some(seat), Some(details)) = (seat, details) else {
        return Err(PageError::NotFound(
            "Pladsen findes ikke. / The seat does not exist.".into(),
        ));
    };
    if !session.role.sees_seat(seat.team_id, seat.station_id) {
        return Err(PageError::Forbidden);
    }
    Ok(details)
}

/// One line of the seat's history: a message out or an event (an answer,
/// an assignment, a reminder's effect).
#[derive(Serialize)]
struct Line {
    at: chrono::DateTime<chrono::Utc>,
    at_local: String,
    kind: &'static str,
    /// The key of the words for the event or the message's status.
    label: String,
    #[serde(flatten)]
    item: serde_json::Value,
}

#[derive(Deserialize)]
pub struct SeatQuery {
    /// Look for people with this in their name, to assign.
    pub name: Option<String>,
    /// The eligibility rule the person last chosen failed (`age`, …).
    pub refused: Option<String>,
    /// What the last action did: `assigned`, `no_show`, `removed`.
    pub done: Option<String>,
    /// An action to confirm first: `no-show` or `remove` (with `reason`).
    pub confirm: Option<String>,
    pub reason: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<SeatQuery>,
) -> PageResult<Html<String>> {
    let seat = visible_seat(&state, &session, id).await?;
    let mut tx = state.engine.db.read().await?;
    let raw = tx.seat(id).await?.ok_or_else(|| {
        PageError::NotFound("Pladsen findes ikke. / The seat does not exist.".into())
    })?;
    let person = match seat.person_id {
        Some(p) => tx.person(p).await?,
        None => None,
    };
    let mut lines: Vec<Line> = Vec::new();
    for m in tx.seat_messages(id).await? {
        lines.push(Line {
            at: m.created_at,
            at_local: when::local(m.created_at),
            kind: "message",
            label: format!("msg_st_{}", m.status),
            item: serde_json::to_value(&m).unwrap_or_default(),
        });
    }
    for e in tx.seat_events(id).await? {
        lines.push(Line {
            at: e.at,
            at_local: when::local(e.at),
            kind: "event",
            label: format!("hist_{}", e.event),
            item: serde_json::to_value(&e).unwrap_or_default(),
        });
    }
    lines.sort_by_key(|l| l.at);
    let words = state.pages.strings(session.language);
    for line in &mut lines {
        if !words.contains_key(&line.label) {
            line.label = "hist_other".into();
        }
    }
    // A team responsible sees what concerns their own members: an offer
    // of the seat to another party's standby volunteer is not theirs.
    if let Some(team) = session.role.team_id() {
        let mut allowed = std::collections::HashMap::new();
        let mut kept = Vec::with_capacity(lines.len());
        for line in lines {
            let person = line.item.get("person_id").and_then(|v| v.as_i64());
            let visible = match person {
                None => true,
                Some(p) if Some(p) == seat.person_id => true,
                Some(p) => match allowed.get(&p) {
                    Some(v) => *v,
                    None => {
                        let v = tx.is_team_member(team, p).await?;
                        allowed.insert(p, v);
                        v
                    }
                },
            };
            if visible {
                kept.push(line);
            }
        }
        lines = kept;
    }
    let may_assign = raw.status == "vacant" && session.role.staffs_team(raw.team_id);
    let candidates = if may_assign {
        tx.free_people_on(
            raw.date,
            session.role.team_id(),
            q.name.as_deref().map(str::trim).filter(|n| !n.is_empty()),
            200,
        )
        .await?
    } else {
        Vec::new()
    };
    drop(tx);
    let mut frame = Frame::new(&state, &session, "board");
    let c = &mut frame.context;
    c.insert("seat", &seat);
    c.insert("seat_raw", &raw);
    c.insert("start", &seat.start_time.format("%H:%M").to_string());
    c.insert("end", &seat.end_time.format("%H:%M").to_string());
    c.insert("person", &person);
    c.insert("lines", &lines);
    c.insert("may_assign", &may_assign);
    let staffs = session.role.staffs_team(raw.team_id);
    c.insert("may_remove", &(raw.status != "vacant" && staffs));
    let now = state.engine.clock.now();
    let may_no_show =
        staffs && crate::engine::may_report_no_show(raw.date, &raw.status, raw.id, now).is_ok();
    c.insert("may_no_show", &may_no_show);
    c.insert("candidates", &candidates);
    c.insert("name", &q.name.unwrap_or_default());
    let refused = q.refused.filter(|r| {
        matches!(
            r.as_str(),
            "alive" | "age" | "residence" | "citizenship" | "guardianship"
        )
    });
    c.insert("refused", &refused);
    c.insert("date_local", &when::date(seat.date));
    let done = q
        .done
        .filter(|d| matches!(d.as_str(), "assigned" | "no_show" | "removed"));
    c.insert("done", &done);
    let confirm = q.confirm.filter(|c| match c.as_str() {
        "no-show" => may_no_show,
        "remove" => raw.status != "vacant" && staffs,
        _ => false,
    });
    c.insert("confirm", &confirm);
    let reason = match q.reason.as_deref() {
        Some("validation") if session.role.runs_election() => "validation",
        _ => "secretariat",
    };
    c.insert("reason", reason);
    // Who the person hears it from: their own channel, as the workflows
    // send by default.
    let told_by = person.as_ref().map(|p| match p.preferred_channel.as_str() {
        "email" => "channel_email",
        "telegram" => "channel_telegram",
        _ => "channel_sms",
    });
    c.insert("told_by", &told_by);
    frame.render("seat.html")
}

#[derive(Deserialize)]
pub struct AssignForm {
    pub person_id: i64,
}

pub async fn assign(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<AssignForm>,
) -> PageResult<Redirect> {
    staffed_seat(&state, &session, id).await?;
    if let Some(team) = session.role.team_id() {
        let mut tx = state.engine.db.read().await?;
        if !tx.is_team_member(team, form.person_id).await? {
            return Err(PageError::Forbidden);
        }
    }
    match state
        .engine
        .assign(id, form.person_id, &session.actor())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/seats/{id}?done=assigned"))),
        // The page names the rule beside the assignment.
        Err(crate::engine::AssignError::NotEligible { why, .. }) => Ok(Redirect::to(&format!(
            "/admin/seats/{id}?refused={}",
            why.rule()
        ))),
        Err(e) => Err(crate::http::error::ApiError::from(e).into()),
    }
}

/// The seat, if the role may take its person off it: the secretariat, or
/// the responsible of the seat's team.
async fn staffed_seat(state: &AppState, session: &Session, id: i64) -> PageResult<()> {
    let seat = {
        let mut tx = state.engine.db.read().await?;
        tx.seat(id).await?.ok_or_else(|| {
            PageError::NotFound("Pladsen findes ikke. / The seat does not exist.".into())
        })?
    };
    match session.role.staffs_team(seat.team_id) {
        true => Ok(()),
        false => Err(PageError::Forbidden),
    }
}

impl From<crate::engine::OffSeatError> for PageError {
    fn from(e: crate::engine::OffSeatError) -> Self {
        use crate::engine::OffSeatError;
        match e {
            OffSeatError::NoSuchSeat(_) => {
                PageError::NotFound("Pladsen findes ikke. / The seat does not exist.".into())
            }
            OffSeatError::Vacant(_) => PageError::Conflict(
                "Pladsen er ledig: ingen har den. / The seat is vacant; nobody holds it.".into(),
            ),
            OffSeatError::NotItsDay { date, .. } => PageError::Conflict(format!(
                "Udeblevet kan først meldes på pladsens dag, {}. / A no-show is reported on the seat's day, {date}.",
                date.format("%d.%m.%Y")
            )),
            OffSeatError::NotConfirmed(_) => PageError::Conflict(
                "Udeblevet kan kun meldes for en person, der har sagt ja. / A no-show is reported for a person who said yes.".into(),
            ),
            OffSeatError::Engine(e) => e.into(),
        }
    }
}

/// `POST /admin/seats/{id}/no-show`: the person has not come; the seat is
/// freed and offered to standby, and the no-show stays in its history.
pub async fn no_show(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<ConfirmForm>,
) -> PageResult<Redirect> {
    staffed_seat(&state, &session, id).await?;
    if !form.confirmed() {
        return Ok(Redirect::to(&format!("/admin/seats/{id}?confirm=no-show")));
    }
    state.engine.report_no_show(id, &session.actor()).await?;
    Ok(Redirect::to(&format!("/admin/seats/{id}?done=no_show")))
}

/// A form that acts only once the user has said yes on the page that
/// says what will happen.
#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    confirmed: Option<String>,
}

impl ConfirmForm {
    fn confirmed(&self) -> bool {
        self.confirmed.as_deref() == Some("1")
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    /// `secretariat` (the default) or `validation` (the secretariat only).
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    confirmed: Option<String>,
}

/// `POST /admin/seats/{id}/remove`: takes the person off the seat; they
/// are told, and the seat is offered to standby.
pub async fn remove(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<RemoveForm>,
) -> PageResult<Redirect> {
    staffed_seat(&state, &session, id).await?;
    let why = match form.reason.as_str() {
        "" | "secretariat" => crate::engine::Removal::Secretariat,
        "validation" => {
            session.must_run_election()?;
            crate::engine::Removal::Validation
        }
        _ => {
            return Err(PageError::BadRequest(
                "Vælg en årsag fra listen. / Choose a reason from the list.".into(),
            ));
        }
    };
    if form.confirmed.as_deref() != Some("1") {
        let reason = match why {
            crate::engine::Removal::Validation => "validation",
            _ => "secretariat",
        };
        return Ok(Redirect::to(&format!(
            "/admin/seats/{id}?confirm=remove&reason={reason}"
        )));
    }
    state
        .engine
        .remove_from_seat(id, why, &session.actor())
        .await?;
    Ok(Redirect::to(&format!("/admin/seats/{id}?done=removed")))
}
