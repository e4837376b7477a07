//! Revising a workflow from the admin: checking a text as it would be
//! published, what publishing it would do to the instances still running,
//! and publishing it (moving those instances along when asked).

use serde::Serialize;

use super::publish::PublishError;
use super::{Engine, EngineError};
use crate::workflow::{self, CheckContext, Compiled, Next, Workflow};

/// What happens to the instances waiting in one state of an older
/// revision when a new one is published.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationLine {
    pub revision: i32,
    pub state: String,
    pub count: i64,
    /// `moves` (to the same state of the new revision), or `stays` with
    /// the reason in `why`.
    pub outcome: &'static str,
    pub why: Option<String>,
}

/// A published revision.
#[derive(Debug, Clone, Serialize)]
pub struct Revised {
    pub name: String,
    pub revision: i32,
    /// Instances moved onto it.
    pub moved: u64,
}

/// Whether an instance waiting in `old` can wait in `new` instead: the
/// same kind of wait, with the timers it already has still meaning
/// something.
fn compatible(old: &Next, new: &Next) -> Result<(), String> {
    match (old, new) {
        (Next::Ask(a), Next::Ask(b)) => {
            if a.timeout.is_some() && b.timeout.is_none() {
                return Err("the new state has no timeout for the timer already set".into());
            }
            if a.remind.is_some() && b.remind.is_none() {
                return Err("the new state has no reminder for the timer already set".into());
            }
            Ok(())
        }
        (Next::Offer(_), Next::Offer(_)) => Ok(()),
        (Next::Swap(a), Next::Swap(b)) => match a.approval.is_some() == b.approval.is_some() {
            true => Ok(()),
            false => Err("approval of swaps differs".into()),
        },
        _ => Err("the state waits for something else in the new revision".into()),
    }
}

impl Engine {
    /// Checks a definition as publishing would: its templates must exist,
    /// and a `start` step must name a published workflow or itself.
    pub async fn check_source(&self, source: &str) -> Result<Compiled, EngineError> {
        let mut tx = self.db.read().await?;
        let mut names: std::collections::BTreeSet<String> = tx
            .latest_revision_ids()
            .await?
            .into_iter()
            .map(|(_, name, _)| name)
            .collect();
        if let Some(name) = workflow::workflow_name(source) {
            names.insert(name);
        }
        let ctx = CheckContext {
            templates: Some(self.catalog.get().names().clone()),
            workflows: Some(names),
        };
        Ok(workflow::compile(source, &ctx))
    }

    /// Where the instances now waiting would go if `new` were published.
    pub async fn migration_preview(
        &self,
        new: &Workflow,
    ) -> Result<Vec<MigrationLine>, EngineError> {
        let mut tx = self.db.read().await?;
        let waiting = tx.waiting_instances(&new.name).await?;
        let mut lines = Vec::new();
        for w in waiting {
            let old = self.workflow_by_id(&mut tx, w.revision_id).await?;
            let verdict = match (old.state_by_name(&w.state), new.state_by_name(&w.state)) {
                (_, None) => Err(format!("the new revision has no state `{}`", w.state)),
                (None, _) => Err("the state is not in its own revision".into()),
                (Some(o), Some(n)) => compatible(&old.state(o).next, &new.state(n).next),
            };
            lines.push(MigrationLine {
                revision: w.revision,
                state: w.state,
                count: w.count,
                outcome: if verdict.is_ok() { "moves" } else { "stays" },
                why: verdict.err(),
            });
        }
        Ok(lines)
    }

    /// Publishes a definition as the workflow's next revision, unless it
    /// has errors. With `migrate`, the instances waiting in a state the new
    /// revision has (see [`Engine::migration_preview`]) move onto it, in
    /// the same transaction; the others keep their revision.
    pub async fn publish_source(
        &self,
        source: &str,
        actor: &str,
        migrate: bool,
    ) -> Result<Revised, PublishError> {
        let source = &crate::workflow::normalize_line_ends(source);
        let compiled = self.check_source(source).await?;
        let (false, Some(w)) = (compiled.has_errors(), compiled.workflow.clone()) else {
            return Err(PublishError::Invalid(compiled.render("workflow")));
        };
        let preview = match migrate {
            true => self.migration_preview(&w).await?,
            false => Vec::new(),
        };
        let json = serde_json::to_string(&w).map_err(|e| EngineError::Invariant(e.to_string()))?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let rev = tx
            .insert_revision(&w.name, source, &json, "admin", now)
            .await?;
        let mut moved = 0;
        if migrate {
            let waiting = tx.waiting_instances(&w.name).await?;
            for line in preview.iter().filter(|l| l.outcome == "moves") {
                if let Some(from) = waiting
                    .iter()
                    .find(|x| x.revision == line.revision && x.state == line.state)
                {
                    moved += tx
                        .move_instances(from.revision_id, &line.state, rev.id, now)
                        .await?;
                }
            }
        }
        tx.delete_draft(&w.name).await?;
        tx.audit(
            now,
            actor,
            "workflow.published",
            Default::default(),
            Some(
                &serde_json::json!({ "workflow": rev.name, "revision": rev.revision, "moved": moved })
                    .to_string(),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(Revised {
            name: rev.name,
            revision: rev.revision,
            moved,
        })
    }
}
