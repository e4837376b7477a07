//! The message templates: each kind × channel × language edited in the
//! browser with its placeholders, a preview on sample data or a real seat
//! as it is typed, and for SMS the parts it costs. A saved edit replaces
//! the file's text on every host until it is reset; a template that does
//! not parse or render is refused and nothing is stored.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::{PageError, PageResult};
use super::session::Session;
use super::{Frame, audited_commit, empty_as_none};
use crate::domain::Language;
use crate::http::AppState;
use crate::messages::segments::{self, Segments};
use crate::messages::{MessageContext, render_text};

/// One variant of a template kind: a channel in a language.
#[derive(Serialize)]
struct Variant {
    channel: String,
    language: String,
    edited: bool,
}

/// One kind of message as the list shows it: its name and when it is
/// sent in words, the workflows that send it, and its variants.
#[derive(Serialize)]
struct Kind {
    name: String,
    group: &'static str,
    /// The first of its group in the list.
    starts_group: bool,
    workflows: Vec<String>,
    variants: Vec<Variant>,
}

/// The groups the list is in, in order, and the kinds of each.
const GROUPS: [(&str, &[&str]); 7] = [
    (
        "invitation",
        &[
            "invitation",
            "invitation_reminder",
            "invitation_retracted",
            "registration_confirmation",
            "decline_receipt",
            "open_question",
        ],
    ),
    (
        "reminder",
        &[
            "election_eve_reminder",
            "task_reminder",
            "group_message",
            "secretariat_reply",
        ],
    ),
    (
        "standby",
        &[
            "standby_offer",
            "offer_taken",
            "offer_declined",
            "not_eligible",
        ],
    ),
    (
        "swap",
        &[
            "swap_options",
            "swap_confirmation",
            "swap_pending",
            "swap_refused",
            "swap_kept",
            "swap_no_free_seat",
            "swap_no_such_option",
            "swap_not_possible",
        ],
    ),
    (
        "cancel",
        &[
            "cancellation_confirmation",
            "give_up_begun",
            "give_up_locked",
            "give_up_none",
            "give_up_which",
            "removed_from_task",
            "removed_by_validation",
        ],
    ),
    (
        "day",
        &[
            "checked_in",
            "check_in_no_seat",
            "no_show_received",
            "no_show_refused",
            "no_show_unknown_seat",
            "team_notice",
        ],
    ),
    (
        "replies",
        &[
            "help",
            "clarification",
            "not_accepted",
            "not_understood",
            "no_open_question",
            "unknown_sender",
            "opted_in",
            "opted_out",
            "telegram_language",
            "telegram_link_refused",
            "telegram_linked",
            "telegram_not_linked",
            "telegram_status",
            "telegram_unlinked",
        ],
    ),
];

fn group_of(name: &str) -> &'static str {
    GROUPS
        .iter()
        .find(|(_, names)| names.contains(&name))
        .map(|(g, _)| *g)
        .unwrap_or("replies")
}

/// Whether `source` names the template `name` as a whole word.
fn names_template(source: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    source.match_indices(name).any(|(at, _)| {
        let before = source[..at].chars().next_back();
        let after = source[at + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    group: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    channel: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ListQuery>,
) -> PageResult<Html<String>> {
    session.must_see_everything()?;
    let catalog = state.engine.catalog.get();
    let (edited, workflows) = {
        let mut tx = state.engine.db.read().await?;
        let edited: std::collections::HashSet<(String, String, String)> = tx
            .template_overrides()
            .await?
            .into_iter()
            .map(|o| (o.name, o.channel, o.language))
            .collect();
        (edited, tx.latest_revisions().await?)
    };
    let mut kinds: Vec<Kind> = Vec::new();
    for (name, channel, language) in catalog.templates() {
        if q.channel.as_ref().is_some_and(|c| *c != channel) {
            continue;
        }
        let variant = Variant {
            edited: edited.contains(&(name.clone(), channel.clone(), language.clone())),
            channel,
            language,
        };
        match kinds.iter_mut().find(|k| k.name == name) {
            Some(k) => k.variants.push(variant),
            None => kinds.push(Kind {
                group: group_of(&name),
                starts_group: false,
                workflows: workflows
                    .iter()
                    .filter(|w| names_template(&w.source, &name))
                    .map(|w| w.name.clone())
                    .collect(),
                name,
                variants: vec![variant],
            }),
        }
    }
    kinds.retain(|k| q.group.as_ref().is_none_or(|g| g == k.group));
    let order = |k: &Kind| {
        GROUPS.iter().position(|(g, _)| *g == k.group).unwrap_or(99) * 100
            + GROUPS
                .iter()
                .find(|(g, _)| *g == k.group)
                .and_then(|(_, names)| names.iter().position(|n| *n == k.name))
                .unwrap_or(99)
    };
    kinds.sort_by_key(order);
    let mut last = "";
    for k in &mut kinds {
        k.starts_group = k.group != last;
        last = k.group;
    }
    let mut frame = Frame::new(&state, &session, "templates");
    let c = &mut frame.context;
    c.insert("kinds", &kinds);
    c.insert(
        "groups",
        &GROUPS.iter().map(|(g, _)| *g).collect::<Vec<_>>(),
    );
    c.insert("group", &q.group);
    c.insert("channel", &q.channel);
    frame.render("templates.html")
}

/// A template's address, checked against the catalog.
#[derive(Deserialize)]
pub struct Key {
    name: String,
    channel: String,
    language: String,
}

impl Key {
    fn language(&self) -> PageResult<Language> {
        Language::parse(&self.language).ok_or_else(|| self.missing())
    }

    fn must_exist(&self, state: &AppState) -> PageResult<()> {
        let catalog = state.engine.catalog.get();
        match catalog.source(&self.name, &self.channel, &self.language) {
            Some(_) => Ok(()),
            None => Err(self.missing()),
        }
    }

    /// The template, as the audit log names it.
    fn detail(&self) -> serde_json::Value {
        json!({ "name": self.name, "channel": self.channel, "language": self.language })
    }

    fn missing(&self) -> PageError {
        PageError::NotFound(format!(
            "there is no template `{}` for {} in `{}`",
            self.name, self.channel, self.language
        ))
    }
}

#[derive(Deserialize)]
pub struct EditQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn edit(
    State(state): State<AppState>,
    session: Session,
    Path(key): Path<Key>,
    Query(q): Query<EditQuery>,
) -> PageResult<Html<String>> {
    session.must_see_everything()?;
    let catalog = state.engine.catalog.get();
    let (used, _) = catalog
        .source(&key.name, &key.channel, &key.language)
        .ok_or_else(|| key.missing())?;
    let body = used.to_string();
    render_editor(&state, &session, &key, &body, None, q.saved.is_some()).await
}

async fn render_editor(
    state: &AppState,
    session: &Session,
    key: &Key,
    body: &str,
    error: Option<String>,
    saved: bool,
) -> PageResult<Html<String>> {
    let language = key.language()?;
    let catalog = state.engine.catalog.get();
    let (_, file) = catalog
        .source(&key.name, &key.channel, &key.language)
        .ok_or_else(|| key.missing())?;
    let edited = {
        let mut tx = state.engine.db.read().await?;
        tx.template_overrides()
            .await?
            .into_iter()
            .find(|o| o.name == key.name && o.channel == key.channel && o.language == key.language)
    };
    let preview = preview_of(&state.engine.contact, body, &key.channel, language, None);
    let mut frame = Frame::new(state, session, "templates");
    let c = &mut frame.context;
    c.insert("name", &key.name);
    c.insert("channel", &key.channel);
    c.insert("language", &key.language);
    c.insert("body", body);
    c.insert("file", &file);
    c.insert("edited", &edited);
    c.insert("placeholders", &MessageContext::placeholders());
    c.insert("preview", &preview);
    c.insert("error", &error);
    c.insert("saved", &saved);
    frame.render("template_edit.html")
}

/// What the preview shows: the message, or why it cannot be made, and for
/// an SMS its parts.
#[derive(Serialize)]
pub struct Preview {
    ok: bool,
    text: String,
    error: Option<String>,
    segments: Option<Segments>,
}

fn preview_of(
    contact: &crate::messages::Contact,
    body: &str,
    channel: &str,
    language: Language,
    context: Option<MessageContext>,
) -> Preview {
    let context = context.unwrap_or_else(|| MessageContext::sample(contact, language));
    match render_text(body, &context.to_tera()) {
        Ok(text) => Preview {
            ok: true,
            segments: (channel == "sms").then(|| segments::count(&text)),
            text,
            error: None,
        },
        Err(e) => Preview {
            ok: false,
            text: String::new(),
            error: Some(e),
            segments: None,
        },
    }
}

#[derive(Deserialize)]
pub struct PreviewForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    language: String,
    /// A seat to preview on; empty for sample data.
    #[serde(default, deserialize_with = "empty_as_none")]
    seat: Option<i64>,
}

/// `POST /admin/templates/preview`: the text rendered as it is typed.
pub async fn preview(
    State(state): State<AppState>,
    session: Session,
    Form(f): Form<PreviewForm>,
) -> PageResult<Json<Preview>> {
    session.must_see_everything()?;
    if f.body.len() > MAX_BODY {
        return Err(PageError::BadRequest(format!(
            "Skabelonen er længere end {MAX_BODY} tegn. / The template is longer than {MAX_BODY} characters."
        )));
    }
    let language = Language::parse(&f.language).unwrap_or(Language::Da);
    let context = match f.seat {
        None => None,
        Some(id) => {
            let mut tx = state.engine.db.read().await?;
            let seat = tx.seat_details(id).await?.ok_or_else(|| {
                PageError::NotFound("Pladsen findes ikke. / The seat does not exist.".into())
            })?;
            let mut c =
                MessageContext::sample(&state.engine.contact, language).with_seat(&seat, language);
            match seat.person_id {
                Some(p) => {
                    if let Some(person) = tx.person(p).await? {
                        c.name = person.name;
                    }
                }
                None => c.name = String::new(),
            }
            Some(c)
        }
    };
    let mut shown = preview_of(
        &state.engine.contact,
        &f.body,
        &f.channel,
        language,
        context,
    );
    shown.error = shown
        .error
        .map(|e| super::pages::half(&e, session.language).to_string());
    Ok(Json(shown))
}

#[derive(Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    body: String,
}

/// The longest template text kept.
const MAX_BODY: usize = 20_000;

/// `POST /admin/templates/{name}/{channel}/{language}`: stores the edit
/// if it renders, and every host uses it from its next tick (this one at
/// once).
pub async fn save(
    State(state): State<AppState>,
    session: Session,
    Path(key): Path<Key>,
    Form(f): Form<SaveForm>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let language = key.language()?;
    key.must_exist(&state)?;
    let body = f.body.replace("\r\n", "\n");
    let problem = if body.trim().is_empty() {
        Some("Skabelonen er tom. / The template is empty.".to_string())
    } else if body.len() > MAX_BODY {
        Some(format!(
            "Skabelonen er længere end {MAX_BODY} tegn. / The template is longer than {MAX_BODY} characters."
        ))
    } else if body.contains("links[") {
        Some("Skriv et link som {{ links.accept }}, {{ links.decline }}, {{ links.swap }}, {{ links.cancel }} eller {{ links.telegram }}. / Write a link as {{ links.accept }}, {{ links.decline }}, {{ links.swap }}, {{ links.cancel }} or {{ links.telegram }}.".to_string())
    } else {
        // On made-up values: every placeholder filled and every list with
        // items, as the messages that use a list have it. (The shipped
        // clarification reads `questions[0]`: an empty context is no test.)
        let contact = &state.engine.contact;
        let sample = MessageContext::sample(contact, language);
        match render_text(&body, &sample.to_tera()) {
            Err(e) => Some(e),
            // An e-mail must also make a subject and a body.
            Ok(text) if key.channel == "email" => crate::mail::compose(
                &text,
                language,
                contact,
                state.engine.catalog.get().email_layout(),
            )
            .err(),
            Ok(_) => None,
        }
    };
    if let Some(error) = problem {
        let page = render_editor(&state, &session, &key, &body, Some(error), false).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    tx.save_template(
        &key.name,
        &key.channel,
        &key.language,
        &body,
        session.user.id,
        now,
    )
    .await?;
    audited_commit(tx, &session, now, "template.saved", key.detail()).await?;
    state
        .engine
        .catalog
        .refresh(&state.engine.db)
        .await
        .map_err(PageError::Internal)?;
    tracing::info!(user = session.user.id, template = %key.name, channel = %key.channel, language = %key.language, "template saved");
    Ok(Redirect::to(&format!(
        "/admin/templates/{}/{}/{}?saved=1",
        key.name, key.channel, key.language
    ))
    .into_response())
}

/// `POST /admin/templates/{name}/{channel}/{language}/reset`: back to the
/// file's text.
pub async fn reset(
    State(state): State<AppState>,
    session: Session,
    Path(key): Path<Key>,
) -> PageResult<Response> {
    session.must_run_election()?;
    key.must_exist(&state)?;
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    match tx
        .reset_template(&key.name, &key.channel, &key.language)
        .await?
    {
        true => audited_commit(tx, &session, now, "template.reset", key.detail()).await?,
        false => tx.commit().await?,
    }
    state
        .engine
        .catalog
        .refresh(&state.engine.db)
        .await
        .map_err(PageError::Internal)?;
    Ok(Redirect::to(&format!(
        "/admin/templates/{}/{}/{}",
        key.name, key.channel, key.language
    ))
    .into_response())
}
