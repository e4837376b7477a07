//! The catalog the engine renders with, swapped for a new one when the
//! templates edited in the admin change: at once on the host that saved
//! the edit, and on every other host when it sees the stored version move
//! (the ticker asks every tick).

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use super::Catalog;
use super::catalog::Edited;
use crate::store::Db;

pub struct Templates {
    dir: PathBuf,
    /// The stored version the catalog was built at (`-1`: files only).
    current: RwLock<(i64, Arc<Catalog>)>,
}

impl Templates {
    /// The files' templates, until [`Templates::refresh`] lays the edited
    /// ones over them.
    pub fn new(dir: PathBuf, catalog: Catalog) -> Templates {
        Templates {
            dir,
            current: RwLock::new((-1, Arc::new(catalog))),
        }
    }

    /// The catalog now. Hold on to it for one message: it does not change.
    pub fn get(&self) -> Arc<Catalog> {
        self.current.read().expect("templates lock").1.clone()
    }

    /// Builds the catalog again if the edited templates changed since it
    /// was built. True when the stored version had moved.
    pub async fn refresh(&self, db: &Db) -> anyhow::Result<bool> {
        let (version, edited) = {
            let mut tx = db.read().await?;
            let version = tx.templates_version().await?;
            if version == self.current.read().expect("templates lock").0 {
                return Ok(false);
            }
            (version, tx.template_overrides().await?)
        };
        let layers: Vec<Edited<'_>> = edited
            .iter()
            .map(|e| Edited {
                name: &e.name,
                channel: &e.channel,
                language: &e.language,
                body: &e.body,
            })
            .collect();
        let catalog = Catalog::load_with(&self.dir, &layers)?;
        let mut current = self.current.write().expect("templates lock");
        if current.0 < version {
            *current = (version, Arc::new(catalog));
            tracing::info!(version, edited = edited.len(), "message templates loaded");
        }
        Ok(true)
    }
}
