//! Workflow drafts the secretariat edits in the admin before publishing,
//! and what a publication would do to the instances still running.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Tx;
use crate::{exec, q};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Draft {
    pub name: String,
    pub source: String,
    /// The revision the draft was started from (`None`: a new workflow).
    pub based_on: Option<i32>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// Instances waiting in one state of one revision of a workflow.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Waiting {
    pub revision_id: i64,
    pub revision: i32,
    pub state: String,
    pub count: i64,
}

impl Tx {
    pub async fn save_draft(
        &mut self,
        name: &str,
        source: &str,
        based_on: Option<i32>,
        by: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query(
                "INSERT INTO workflow_drafts (name, source, based_on, updated_at, updated_by)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (name) DO UPDATE SET source = excluded.source, based_on = excluded.based_on,
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by"
            )
            .bind(name)
            .bind(crate::workflow::normalize_line_ends(source))
            .bind(based_on)
            .bind(now)
            .bind(by)
        )?;
        Ok(())
    }

    pub async fn draft(&mut self, name: &str) -> sqlx::Result<Option<Draft>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM workflow_drafts WHERE name = $1").bind(name)
        )
    }

    pub async fn drafts(&mut self) -> sqlx::Result<Vec<Draft>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM workflow_drafts ORDER BY name")
        )
    }

    pub async fn delete_draft(&mut self, name: &str) -> sqlx::Result<u64> {
        exec!(
            self,
            sqlx::query("DELETE FROM workflow_drafts WHERE name = $1").bind(name)
        )
    }

    /// The source of the newest revision of a workflow read from a file:
    /// a file whose text is this has not changed since it was published.
    pub async fn latest_file_source(&mut self, name: &str) -> sqlx::Result<Option<String>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_scalar(
                "SELECT source FROM workflow_revisions WHERE name = $1 AND origin = 'file'
                 ORDER BY revision DESC LIMIT 1"
            )
            .bind(name)
        )
    }

    /// Instances of a workflow (any revision) still waiting, per revision
    /// and state.
    pub async fn waiting_instances(&mut self, name: &str) -> sqlx::Result<Vec<Waiting>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT w.id AS revision_id, w.revision, i.state, COUNT(*) AS count
                 FROM instances i JOIN workflow_revisions w ON w.id = i.revision_id
                 WHERE w.name = $1 AND i.status = 'waiting'
                 GROUP BY w.id, w.revision, i.state
                 ORDER BY w.revision, i.state"
            )
            .bind(name)
        )
    }

    /// Moves the waiting instances of a revision in a state onto another
    /// revision.
    pub async fn move_instances(
        &mut self,
        from_revision_id: i64,
        state: &str,
        to_revision_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<u64> {
        exec!(
            self,
            sqlx::query(
                "UPDATE instances SET revision_id = $3, updated_at = $4
                 WHERE revision_id = $1 AND state = $2 AND status = 'waiting'"
            )
            .bind(from_revision_id)
            .bind(state)
            .bind(to_revision_id)
            .bind(now)
        )
    }
}
