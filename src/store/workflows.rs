//! Workflow definitions, kept as numbered revisions.

use chrono::{DateTime, Utc};

use super::{Tx, WorkflowRevision};
use crate::q;

impl Tx {
    /// Stores a new revision of a workflow, numbered one past the latest,
    /// its text with `\n` line ends.
    pub async fn insert_revision(
        &mut self,
        name: &str,
        source: &str,
        compiled_json: &str,
        origin: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<WorkflowRevision> {
        q!(
            self,
            fetch_one,
            sqlx::query_as(
                "INSERT INTO workflow_revisions (name, revision, source, compiled, created_at, origin)
                 VALUES ($1, (SELECT COALESCE(MAX(revision), 0) + 1 FROM workflow_revisions WHERE name = $1), $2, $3, $4, $5)
                 RETURNING *"
            )
            .bind(name)
            .bind(crate::workflow::normalize_line_ends(source))
            .bind(compiled_json)
            .bind(now)
            .bind(origin)
        )
    }

    /// The newest revision of a workflow: the one new instances start on.
    pub async fn latest_revision(&mut self, name: &str) -> sqlx::Result<Option<WorkflowRevision>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as(
                "SELECT * FROM workflow_revisions WHERE name = $1 ORDER BY revision DESC LIMIT 1"
            )
            .bind(name)
        )
    }

    pub async fn revision(&mut self, id: i64) -> sqlx::Result<Option<WorkflowRevision>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM workflow_revisions WHERE id = $1").bind(id)
        )
    }

    /// Id and number of the newest revision of a workflow.
    pub async fn latest_revision_number(&mut self, name: &str) -> sqlx::Result<Option<(i64, i32)>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as(
                "SELECT id, revision FROM workflow_revisions WHERE name = $1 ORDER BY revision DESC LIMIT 1"
            )
            .bind(name)
        )
    }

    /// Id, name and number of the newest revision of every workflow: what
    /// the engine looks up on every event, without the texts.
    pub async fn latest_revision_ids(&mut self) -> sqlx::Result<Vec<(i64, String, i32)>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT id, name, revision FROM workflow_revisions w
                 WHERE revision = (SELECT MAX(revision) FROM workflow_revisions x WHERE x.name = w.name)
                 ORDER BY name"
            )
        )
    }

    /// The newest revision of every workflow.
    pub async fn latest_revisions(&mut self) -> sqlx::Result<Vec<WorkflowRevision>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT * FROM workflow_revisions w
                 WHERE revision = (SELECT MAX(revision) FROM workflow_revisions x WHERE x.name = w.name)
                 ORDER BY name"
            )
        )
    }
}
