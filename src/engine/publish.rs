//! Publishing workflow definitions as numbered revisions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{Engine, EngineError};
use crate::workflow::{self, CheckContext};

/// A definition file that was stored as a new revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub name: String,
    pub revision: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<sqlx::Error> for PublishError {
    fn from(e: sqlx::Error) -> Self {
        PublishError::Engine(EngineError::Db(e))
    }
}

/// The `*.yaml` files of a directory, sorted.
pub fn definition_files(dir: &Path) -> Result<Vec<PathBuf>, PublishError> {
    let io = |source| PublishError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    Ok(files)
}

/// The checked definitions: each file's source with its compiled workflow.
pub type CheckedDefinitions = Vec<(String, workflow::Workflow)>;

/// Reads and compiles a set of definition files together (so that `start:`
/// may name a sibling). Returns the rendered diagnostics of all files, and
/// the compiled workflows when none has errors.
pub fn check_files(
    files: &[PathBuf],
    templates: Option<&BTreeSet<String>>,
) -> Result<(String, Option<CheckedDefinitions>), PublishError> {
    let mut sources = Vec::new();
    for path in files {
        let source = std::fs::read_to_string(path).map_err(|source| PublishError::Io {
            path: path.clone(),
            source,
        })?;
        let source = crate::workflow::normalize_line_ends(&source);
        sources.push((path.display().to_string(), source));
    }
    let ctx = CheckContext {
        templates: templates.cloned(),
        workflows: Some(
            sources
                .iter()
                .filter_map(|(_, s)| workflow::workflow_name(s))
                .collect(),
        ),
    };
    let mut report = String::new();
    let mut compiled = Vec::new();
    let mut failed = false;
    for (file, source) in sources {
        let result = workflow::compile(&source, &ctx);
        report.push_str(&result.render(&file));
        failed |= result.has_errors();
        if let Some(w) = result.workflow {
            compiled.push((source, w));
        }
    }
    Ok((report, if failed { None } else { Some(compiled) }))
}

impl Engine {
    /// Stores every definition in `dir` whose text differs from its latest
    /// revision as a new revision, unless the file is unchanged since it
    /// was last published (a revision published in the admin since then
    /// stands). All or nothing: one invalid file and no revision is
    /// stored. Running instances stay on their revisions.
    pub async fn publish_dir(&self, dir: &Path) -> Result<Vec<Published>, PublishError> {
        let files = definition_files(dir)?;
        let (report, compiled) = check_files(&files, Some(self.catalog.get().names()))?;
        let Some(compiled) = compiled else {
            return Err(PublishError::Invalid(report));
        };
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut published = Vec::new();
        for (source, w) in compiled {
            let latest = tx.latest_revision(&w.name).await?;
            if latest.as_ref().is_some_and(|r| r.source == source) {
                continue;
            }
            if tx.latest_file_source(&w.name).await?.as_deref() == Some(source.as_str()) {
                continue;
            }
            let json =
                serde_json::to_string(&w).map_err(|e| EngineError::Invariant(e.to_string()))?;
            let rev = tx
                .insert_revision(&w.name, &source, &json, "file", now)
                .await?;
            tx.audit(
                now,
                "system",
                "workflow.published",
                Default::default(),
                Some(&format!(
                    r#"{{"workflow":"{}","revision":{}}}"#,
                    rev.name, rev.revision
                )),
            )
            .await?;
            published.push(Published {
                name: rev.name,
                revision: rev.revision,
            });
        }
        tx.commit().await?;
        Ok(published)
    }
}
