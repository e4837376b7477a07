//! The workflow editor: the published workflows, a definition edited in
//! the browser with its problems shown at their lines as it is typed (the
//! same checks as `valgvagt workflow check`), the state diagram, drafts, a
//! diff against the published revision, what publishing would do to the
//! instances still running, and publishing.

use axum::Form;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use serde::{Deserialize, Serialize};

use super::Frame;
use super::error::{PageError, PageResult};
use super::session::Session;
use crate::http::AppState;
use crate::workflow::{self, Compiled};

/// A diagnostic as the editor shows it.
#[derive(Serialize)]
pub struct Shown {
    line: usize,
    column: usize,
    severity: &'static str,
    code: &'static str,
    message: String,
    help: Option<String>,
}

fn shown(c: &Compiled) -> Vec<Shown> {
    c.diagnostics
        .iter()
        .map(|d| Shown {
            line: d.line,
            column: d.column,
            severity: d.severity.as_str(),
            code: d.code,
            message: d.message.clone(),
            help: d.help.clone(),
        })
        .collect()
}

fn has_errors(c: &Compiled) -> bool {
    c.diagnostics
        .iter()
        .any(|d| d.severity == workflow::Severity::Error)
}

#[derive(Serialize)]
struct Listed {
    name: String,
    revision: i32,
    created_at: String,
    origin: String,
    draft: bool,
    waiting: i64,
}

pub async fn list(State(state): State<AppState>, session: Session) -> PageResult<Html<String>> {
    session.must_see_everything()?;
    let mut tx = state.engine.db.read().await?;
    let drafts = tx.drafts().await?;
    let mut rows = Vec::new();
    for r in tx.latest_revisions().await? {
        let waiting = tx
            .waiting_instances(&r.name)
            .await?
            .iter()
            .map(|w| w.count)
            .sum();
        rows.push(Listed {
            draft: drafts.iter().any(|d| d.name == r.name),
            created_at: super::when::local(r.created_at),
            origin: r.origin.clone(),
            name: r.name,
            revision: r.revision,
            waiting,
        });
    }
    let new_drafts: Vec<_> = drafts
        .iter()
        .filter(|d| !rows.iter().any(|r| r.name == d.name))
        .map(|d| d.name.clone())
        .collect();
    drop(tx);
    let mut frame = Frame::new(&state, &session, "workflows");
    frame.context.insert("workflows", &rows);
    frame.context.insert("new_drafts", &new_drafts);
    frame.render("workflows.html")
}

const NEW_WORKFLOW: &str = "workflow: new_workflow
description: What this workflow does.
starts_on: manual

states:
  start:
    do:
      - notify: secretariat
";

#[derive(Deserialize)]
pub struct EditorQuery {
    pub saved: Option<String>,
    pub published: Option<i32>,
    pub moved: Option<u64>,
}

/// The text to edit: the draft if there is one, else the published
/// revision's.
async fn editing(
    state: &AppState,
    name: &str,
) -> PageResult<(
    String,
    Option<crate::store::WorkflowRevision>,
    Option<crate::store::drafts::Draft>,
)> {
    let mut tx = state.engine.db.read().await?;
    let published = tx.latest_revision(name).await?;
    let draft = tx.draft(name).await?;
    let source = match (&draft, &published) {
        (Some(d), _) => d.source.clone(),
        (None, Some(p)) => p.source.clone(),
        (None, None) if name == "new" => NEW_WORKFLOW.to_string(),
        (None, None) => {
            return Err(PageError::NotFound(format!(
                "there is no workflow named {name}"
            )));
        }
    };
    Ok((source, published, draft))
}

pub async fn edit(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
    Query(q): Query<EditorQuery>,
) -> PageResult<Html<String>> {
    session.must_see_everything()?;
    let (source, published, draft) = editing(&state, &name).await?;
    let compiled = state.engine.check_source(&source).await?;
    let diagram = compiled
        .workflow
        .as_ref()
        .map(|w| workflow::diagram::svg_in(w, session.language));
    let mut frame = Frame::new(&state, &session, "workflows");
    let c = &mut frame.context;
    c.insert("name", &name);
    c.insert("source", &source);
    c.insert("lines", &source.lines().count().max(1));
    c.insert("diagnostics", &shown(&compiled));
    c.insert("has_errors", &has_errors(&compiled));
    c.insert("diagram", &diagram);
    c.insert("published", &published.as_ref().map(|p| p.revision));
    c.insert("is_draft", &draft.is_some());
    c.insert("draft_by", &draft.as_ref().map(|d| d.updated_by.clone()));
    c.insert("saved", &q.saved.is_some());
    c.insert("just_published", &q.published);
    c.insert("moved", &q.moved.unwrap_or(0));
    c.insert("may_edit", &session.role.runs_election());
    frame.render("workflow_edit.html")
}

#[derive(Deserialize)]
pub struct SourceForm {
    pub source: String,
}

#[derive(Serialize)]
pub struct CheckAnswer {
    diagnostics: Vec<Shown>,
    errors: usize,
    warnings: usize,
    /// The diagram when the text compiles.
    diagram: Option<String>,
}

/// Checks a text as it is typed.
pub async fn check(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<SourceForm>,
) -> PageResult<Json<CheckAnswer>> {
    session.must_see_everything()?;
    let compiled = state.engine.check_source(&form.source).await?;
    let errors = compiled
        .diagnostics
        .iter()
        .filter(|d| d.severity == workflow::Severity::Error)
        .count();
    Ok(Json(CheckAnswer {
        warnings: compiled.diagnostics.len() - errors,
        errors,
        diagram: compiled
            .workflow
            .as_ref()
            .map(|w| workflow::diagram::svg_in(w, session.language)),
        diagnostics: shown(&compiled),
    }))
}

/// Saves the text as the workflow's draft, problems and all: a draft is
/// not used until it is published.
pub async fn save_draft(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
    Form(form): Form<SourceForm>,
) -> PageResult<Redirect> {
    session.must_run_election()?;
    let target = workflow::workflow_name(&form.source).unwrap_or(name);
    if target == "new" || target.trim().is_empty() {
        return Err(PageError::BadRequest(
            "the definition needs a name: `workflow: <name>` on its first line".into(),
        ));
    }
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    let based_on = tx.latest_revision(&target).await?.map(|r| r.revision);
    tx.save_draft(&target, &form.source, based_on, &session.actor(), now)
        .await?;
    tx.audit(
        now,
        &session.actor(),
        "workflow.draft_saved",
        Default::default(),
        Some(&serde_json::json!({ "workflow": target }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/admin/workflows/{}?saved=1",
        path_segment(&target)
    )))
}

fn path_segment(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .to_string()
}

#[derive(Serialize)]
struct DiffLine {
    kind: &'static str,
    old: Option<usize>,
    new: Option<usize>,
    text: String,
}

/// The lines of `old` and `new` compared, line ends aside (a draft saved
/// before they were made alike may hold the browser's `\r\n`).
fn diff(old: &str, new: &str) -> Vec<DiffLine> {
    let (old, new) = (
        crate::workflow::normalize_line_ends(old),
        crate::workflow::normalize_line_ends(new),
    );
    let d = similar::TextDiff::from_lines(&old, &new);
    d.iter_all_changes()
        .map(|c| DiffLine {
            kind: match c.tag() {
                similar::ChangeTag::Equal => "same",
                similar::ChangeTag::Delete => "removed",
                similar::ChangeTag::Insert => "added",
            },
            old: c.old_index().map(|i| i + 1),
            new: c.new_index().map(|i| i + 1),
            text: c.value().trim_end_matches('\n').to_string(),
        })
        .collect()
}

/// The draft against the published revision, its problems, and what
/// publishing it would do to the running instances.
pub async fn review(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
) -> PageResult<Html<String>> {
    session.must_see_everything()?;
    let (published, draft) = {
        let mut tx = state.engine.db.read().await?;
        (tx.latest_revision(&name).await?, tx.draft(&name).await?)
    };
    let Some(draft) = draft else {
        return Err(PageError::NotFound(format!(
            "{name} has no draft to publish"
        )));
    };
    let compiled = state.engine.check_source(&draft.source).await?;
    let preview = match &compiled.workflow {
        Some(w) => state.engine.migration_preview(w).await?,
        None => Vec::new(),
    };
    let old = published.as_ref().map(|p| p.source.as_str()).unwrap_or("");
    let lines = diff(old, &draft.source);
    let changed = lines.iter().filter(|l| l.kind != "same").count();
    let mut frame = Frame::new(&state, &session, "workflows");
    let c = &mut frame.context;
    c.insert("name", &name);
    c.insert("published", &published.as_ref().map(|p| p.revision));
    c.insert("diff", &lines);
    c.insert("changed", &changed);
    c.insert("diagnostics", &shown(&compiled));
    c.insert("has_errors", &has_errors(&compiled));
    c.insert("preview", &preview);
    c.insert(
        "moving",
        &preview
            .iter()
            .filter(|l| l.outcome == "moves")
            .map(|l| l.count)
            .sum::<i64>(),
    );
    c.insert(
        "staying",
        &preview
            .iter()
            .filter(|l| l.outcome != "moves")
            .map(|l| l.count)
            .sum::<i64>(),
    );
    c.insert(
        "diagram",
        &compiled
            .workflow
            .as_ref()
            .map(|w| workflow::diagram::svg_in(w, session.language)),
    );
    c.insert("may_edit", &session.role.runs_election());
    frame.render("workflow_review.html")
}

#[derive(Deserialize)]
pub struct PublishForm {
    pub migrate: Option<String>,
}

pub async fn publish(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
    Form(form): Form<PublishForm>,
) -> PageResult<Redirect> {
    session.must_run_election()?;
    let draft = {
        let mut tx = state.engine.db.read().await?;
        tx.draft(&name).await?
    };
    let Some(draft) = draft else {
        return Err(PageError::NotFound(format!(
            "{name} has no draft to publish"
        )));
    };
    let revised = state
        .engine
        .publish_source(&draft.source, &session.actor(), form.migrate.is_some())
        .await
        .map_err(|e| match e {
            crate::engine::PublishError::Invalid(report) => PageError::BadRequest(format!(
                "the draft has errors and was not published:\n{report}"
            )),
            other => PageError::Internal(other.into()),
        })?;
    tracing::info!(workflow = %revised.name, revision = revised.revision, moved = revised.moved, "workflow published from the admin");
    Ok(Redirect::to(&format!(
        "/admin/workflows/{}?published={}&moved={}",
        path_segment(&revised.name),
        revised.revision,
        revised.moved
    )))
}

pub async fn discard(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
) -> PageResult<Redirect> {
    session.must_run_election()?;
    let mut tx = state.engine.db.begin().await?;
    tx.delete_draft(&name).await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/workflows"))
}
