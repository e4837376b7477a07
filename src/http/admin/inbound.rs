//! Received messages (SMS and chat): the list with what the engine did
//! with each, filtered by channel, day, sender and outcome; and one
//! message with the people on its address, their seats to act on, and a
//! form to write back to them.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::error::{PageError, PageResult};
use super::session::Session;
use super::{Frame, empty_as_none, when};
use crate::domain::PhoneNumber;
use crate::engine::{InboundOutcome, WrittenBack};
use crate::http::AppState;
use crate::store::inbound::{Handled, InboundFilter};

/// Messages shown per page.
const PAGE: i64 = 50;
/// The longest answer the form takes (a few SMS parts).
const MAX_ANSWER: usize = 640;

#[derive(Deserialize)]
pub struct InboundQuery {
    /// `sms` or `chat`.
    #[serde(default, deserialize_with = "empty_as_none")]
    channel: Option<String>,
    /// `attention`, `waiting` or `handled`.
    #[serde(default, deserialize_with = "empty_as_none")]
    shown: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    date: Option<chrono::NaiveDate>,
    /// A phone number as typed, or a chat id.
    #[serde(default, deserialize_with = "empty_as_none")]
    sender: Option<String>,
    /// The messages from this person's number and chat.
    #[serde(default, deserialize_with = "empty_as_none")]
    person: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    page: Option<i64>,
}

fn attention() -> Vec<&'static str> {
    InboundOutcome::NEEDS_ATTENTION
        .iter()
        .map(|o| o.as_str())
        .collect()
}

/// `GET /admin/inbound`: for those who see everything.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<InboundQuery>,
) -> PageResult<Html<String>> {
    session.must_see_everything()?;
    let (from, to) = match q.date.map(when::day_span) {
        Some((from, to)) => (Some(from), Some(to)),
        None => (None, None),
    };
    let mut tx = state.engine.db.read().await?;
    let mut senders: Option<Vec<String>> = q.sender.as_deref().map(|s| {
        vec![match PhoneNumber::parse(s) {
            Ok(phone) => phone.as_e164().to_string(),
            Err(_) => s.trim().to_string(),
        }]
    });
    let mut person_name = None;
    if let Some(id) = q.person {
        let person = tx.person(id).await?.ok_or_else(|| {
            PageError::NotFound(format!("Personen findes ikke. / There is no person {id}."))
        })?;
        let mut addresses: Vec<String> = person.phone.iter().cloned().collect();
        addresses.extend(person.telegram_chat_id.map(|c| c.to_string()));
        senders.get_or_insert_with(Vec::new).extend(addresses);
        person_name = Some(person.name);
    }
    let filter = InboundFilter {
        chat: match q.channel.as_deref() {
            Some("sms") => Some(false),
            Some("chat") => Some(true),
            _ => None,
        },
        from,
        to,
        senders,
        handled: match q.shown.as_deref() {
            Some("attention") => Some(Handled::As(attention())),
            Some("waiting") => Some(Handled::Waiting),
            Some("handled") => Some(Handled::NotAs(attention())),
            _ => None,
        },
    };
    let page = q.page.unwrap_or(1).max(1);
    let (rows, total) = tx.inbound_page(&filter, (page - 1) * PAGE, PAGE).await?;
    drop(tx);
    let needs = attention();
    let rows: Vec<_> = rows
        .into_iter()
        .map(|m| {
            let attention = m.outcome.as_deref().is_some_and(|o| needs.contains(&o));
            json!({
                "at_local": when::local(m.received_at),
                "chat": m.provider == "telegram",
                "attention": attention,
                "m": m,
            })
        })
        .collect();
    let keep: Vec<(&str, String)> = [
        ("channel", q.channel.clone()),
        ("shown", q.shown.clone()),
        ("date", q.date.map(|d| d.to_string())),
        ("sender", q.sender.clone()),
        ("person", q.person.map(|p| p.to_string())),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    let mut frame = Frame::new(&state, &session, "inbound");
    let c = &mut frame.context;
    c.insert("rows", &rows);
    c.insert("total", &total);
    c.insert("page", &page);
    c.insert("pages", &((total + PAGE - 1) / PAGE).max(1));
    c.insert("first", &((page - 1) * PAGE + 1));
    c.insert("last", &((page - 1) * PAGE + rows.len() as i64));
    c.insert(
        "keep",
        &serde_urlencoded::to_string(&keep).unwrap_or_default(),
    );
    c.insert("channel", &q.channel);
    c.insert("shown", &q.shown);
    c.insert("date", &q.date.map(|d| d.to_string()));
    c.insert("sender", &q.sender);
    c.insert("person", &q.person);
    c.insert("person_name", &person_name);
    frame.render("inbound.html")
}

#[derive(Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    answered: Option<String>,
}

/// `GET /admin/inbound/{id}`.
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Html<String>> {
    session.must_see_everything()?;
    let not_found = || {
        PageError::NotFound(format!(
            "Beskeden findes ikke. / There is no received message {id}."
        ))
    };
    let today = crate::clock::local_today(state.engine.clock.now());
    let mut tx = state.engine.db.read().await?;
    let m = tx.inbound(id).await?.ok_or_else(not_found)?;
    let chat = m.provider == "telegram";
    let people = match chat {
        true => match m.sender.parse::<i64>() {
            Ok(chat) => tx.people_by_telegram_chat(chat).await?,
            Err(_) => Vec::new(),
        },
        false => match PhoneNumber::parse(&m.sender) {
            Ok(phone) => tx.people_by_phone(&phone).await?,
            Err(_) => Vec::new(),
        },
    };
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let mut seats = Vec::new();
    for seat in tx.upcoming_seats_of(&ids, today).await? {
        if let Some(d) = tx.seat_details(seat.id).await? {
            let holder = people
                .iter()
                .find(|p| Some(p.id) == d.person_id)
                .map(|p| p.name.clone());
            seats.push(json!({ "date_local": when::date(d.date), "holder": holder, "d": d }));
        }
    }
    drop(tx);
    let people: Vec<_> = people
        .iter()
        .map(|p| json!({ "id": p.id, "name": p.name }))
        .collect();
    let mut frame = Frame::new(&state, &session, "inbound");
    let c = &mut frame.context;
    c.insert("id", &m.id);
    c.insert("chat", &chat);
    c.insert("sender", &m.sender);
    c.insert("body", &m.body);
    c.insert("at_local", &when::local(m.received_at));
    c.insert("outcome", &m.outcome);
    c.insert("people", &people);
    c.insert("seats", &seats);
    c.insert("answered", &q.answered.is_some());
    c.insert("max_answer", &MAX_ANSWER);
    frame.render("inbound_message.html")
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    text: String,
}

/// `POST /admin/inbound/{id}/answer`: the secretariat writes back.
pub async fn answer(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let text = crate::workflow::normalize_line_ends(form.text.trim());
    if text.is_empty() {
        return Err(PageError::BadRequest(
            "Skriv svaret først. / Write the answer first.".into(),
        ));
    }
    if text.chars().count() > MAX_ANSWER {
        return Err(PageError::BadRequest(format!(
            "Svaret er længere end {MAX_ANSWER} tegn. / The answer is longer than {MAX_ANSWER} characters."
        )));
    }
    match state
        .engine
        .write_back(id, &text, &session.actor())
        .await?
    {
        WrittenBack::Sent => {
            Ok(Redirect::to(&format!("/admin/inbound/{id}?answered=1")).into_response())
        }
        WrittenBack::NotFound => Err(PageError::NotFound(format!(
            "Beskeden findes ikke. / There is no received message {id}."
        ))),
        WrittenBack::NoAddress => Err(PageError::Conflict(
            "Afsenderen har ikke et nummer, der kan skrives til. / The sender's address cannot be written to."
                .into(),
        )),
    }
}
