//! Message templates edited in the admin, stored over the files, and the
//! version every host watches to load them again.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Tx;
use crate::{exec, q};

/// A template edited in the admin: it replaces
/// `templates/messages/<language>/<name>.<channel>.tera`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TemplateOverride {
    pub name: String,
    pub channel: String,
    pub language: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<i64>,
}

impl Tx {
    pub async fn template_overrides(&mut self) -> sqlx::Result<Vec<TemplateOverride>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM message_templates ORDER BY name, channel, language")
        )
    }

    pub async fn templates_version(&mut self) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT version FROM message_templates_version WHERE id = 1")
        )
    }

    async fn bump_templates_version(&mut self) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("UPDATE message_templates_version SET version = version + 1 WHERE id = 1")
        )?;
        Ok(())
    }

    /// Stores an edited template over the file.
    pub async fn save_template(
        &mut self,
        name: &str,
        channel: &str,
        language: &str,
        body: &str,
        user: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query(
                "INSERT INTO message_templates (name, channel, language, body, updated_at, updated_by)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (name, channel, language) DO UPDATE
                 SET body = excluded.body, updated_at = excluded.updated_at,
                     updated_by = excluded.updated_by"
            )
            .bind(name)
            .bind(channel)
            .bind(language)
            .bind(body)
            .bind(now)
            .bind(user)
        )?;
        self.bump_templates_version().await
    }

    /// Goes back to the file. False if the template was not edited.
    pub async fn reset_template(
        &mut self,
        name: &str,
        channel: &str,
        language: &str,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "DELETE FROM message_templates WHERE name = $1 AND channel = $2 AND language = $3"
            )
            .bind(name)
            .bind(channel)
            .bind(language)
        )?;
        if n > 0 {
            self.bump_templates_version().await?;
        }
        Ok(n > 0)
    }
}
