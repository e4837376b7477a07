//! The templates under `templates/messages/<lang>/<name>.<channel>.tera`,
//! with those edited in the admin laid over them, and the e-mail layout
//! `templates/email/layout.html.tera`. A catalog never changes once built;
//! [`Templates`](super::Templates) swaps in a new one when an edit is saved.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::domain::Language;

pub struct Catalog {
    tera: tera::Tera,
    names: BTreeSet<String>,
    /// The links each template (`<lang>/<name>.<channel>`) prints, by
    /// purpose: an SMS gets only those made, and a cancel link is made
    /// only where it is printed.
    links: BTreeMap<String, Vec<&'static str>>,
    /// `email/layout.html.tera` as `layout.html`, with HTML escaping on.
    email_layout: tera::Tera,
    /// `pages/<lang>/<name>.html.tera` as `<lang>/<name>.html`, escaped.
    pages: tera::Tera,
    /// Each template's text as it is used, by `<lang>/<name>.<channel>`.
    sources: BTreeMap<String, String>,
    /// The text of its file, where there is one.
    files: BTreeMap<String, String>,
}

/// A template edited in the admin, laid over its file.
pub struct Edited<'a> {
    pub name: &'a str,
    pub channel: &'a str,
    pub language: &'a str,
    pub body: &'a str,
}

/// What prints each link: the purposes whose `links.<purpose>` a text names.
fn printed_links(text: &str) -> Vec<&'static str> {
    LINK_PURPOSES
        .into_iter()
        .filter(|p| text.contains(&format!("links.{p}")))
        .collect()
}

/// Parses a message template into `tera` as `key` if it keeps within
/// [`bounds`](super::bounds); a template that does not is not added.
fn add_bounded(tera: &mut tera::Tera, key: &str, text: &str) -> Result<(), String> {
    super::bounds::check_text(text)?;
    let mut scratch = tera::Tera::default();
    scratch
        .add_raw_template(key, text)
        .map_err(|e| error_chain(&e))?;
    let template = scratch.get_template(key).map_err(|e| error_chain(&e))?;
    super::bounds::check_nodes(&template.ast)?;
    tera.add_raw_template(key, text)
        .map_err(|e| error_chain(&e))
}

/// Renders one template text on its own, as a message would be: the
/// check before an edited template is saved, and the editor's preview.
/// A problem is told as the secretariat reads it, `Dansk / English`
/// (the admin shows the reader's half); the limits' own words are Danish.
pub fn render_text(body: &str, context: &tera::Context) -> Result<String, String> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![]);
    add_bounded(&mut tera, "edited", body).map_err(|e| explain(&e))?;
    tera.render("edited", context)
        .map(|s| s.trim().to_string())
        .map_err(|e| explain(&error_chain(&e)))
}

/// Tera's account of a problem in words a secretariat understands, in
/// Danish and English: where a tag is not closed, which placeholder or
/// filter does not exist.
fn explain(chain: &str) -> String {
    let quoted = |after: &str| {
        chain.split_once(after).and_then(|(_, rest)| {
            let rest = rest.strip_prefix('`')?;
            rest.split_once('`').map(|(name, _)| name.to_string())
        })
    };
    if chain.contains("Failed to parse") {
        let at = chain.split_once("--> ").and_then(|(_, rest)| {
            let (line, rest) = rest.split_once(':')?;
            let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
            Some((line.trim().to_string(), column))
        });
        return match at {
            Some((line, column)) => format!(
                "Skabelonen kan ikke læses i linje {line}, tegn {column}: et {{{{ … }}}} eller {{% … %}} er ikke skrevet helt eller ikke lukket. / The template cannot be read at line {line}, column {column}: a {{{{ … }}}} or {{% … %}} is incomplete or not closed."
            ),
            None => "Skabelonen kan ikke læses: et {{ … }} eller {% … %} er ikke skrevet helt eller ikke lukket. / The template cannot be read: a {{ … }} or {% … %} is incomplete or not closed.".to_string(),
        };
    }
    if let Some(name) = quoted("Variable ") {
        return format!(
            "Pladsholderen «{name}» findes ikke; brug en af dem i listen. / The placeholder `{name}` does not exist; use one of those listed."
        );
    }
    if let Some(name) = quoted("Filter ") {
        return format!("Filteret «{name}» findes ikke. / The filter `{name}` does not exist.");
    }
    if let Some(name) = quoted("Function ") {
        return format!("Funktionen «{name}» findes ikke. / The function `{name}` does not exist.");
    }
    if let Some(name) = quoted("Test ") {
        return format!("Testen «{name}» findes ikke. / The test `{name}` does not exist.");
    }
    // Tera's other failures; the limits' own words (in Danish) stand.
    if chain.starts_with("Failed to render") {
        return format!(
            "Skabelonen kan ikke bruges ({chain}). / The template cannot be used: {chain}."
        );
    }
    chain.to_string()
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("there is no template `{name}` for {channel} in Danish or {language}")]
    Missing {
        name: String,
        channel: String,
        language: &'static str,
    },
    #[error("template `{name}` could not be rendered: {reason}")]
    Failed { name: String, reason: String },
}

/// The links a template can print, as `links.<purpose>`.
const LINK_PURPOSES: [&str; 5] = ["accept", "decline", "swap", "cancel", "telegram"];

impl Catalog {
    /// Loads every `*.tera` file below `dir/messages`.
    pub fn load(dir: &Path) -> anyhow::Result<Catalog> {
        Catalog::load_with(dir, &[])
    }

    /// Loads the files and lays the edited templates over them. An edit
    /// that no longer parses is left out, and its file used, with a
    /// warning.
    pub fn load_with(dir: &Path, edited: &[Edited<'_>]) -> anyhow::Result<Catalog> {
        let root = dir.join("messages");
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![]);
        let mut names = BTreeSet::new();
        let mut links = BTreeMap::new();
        let mut sources = BTreeMap::new();
        for lang in [Language::Da, Language::En] {
            let lang_dir = root.join(lang.code());
            let entries = match std::fs::read_dir(&lang_dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", lang_dir.display())),
            };
            for entry in entries {
                let path = entry?.path();
                let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
                    continue;
                };
                let Some(stem) = file.strip_suffix(".tera") else {
                    continue;
                };
                let Some((name, _channel)) = stem.rsplit_once('.') else {
                    continue;
                };
                names.insert(name.to_string());
                let key = format!("{}/{stem}", lang.code());
                let text = std::fs::read_to_string(&path)?;
                add_bounded(&mut tera, &key, &text)
                    .map_err(|e| anyhow::anyhow!("{} cannot be used: {e}", path.display()))?;
                links.insert(key.clone(), printed_links(&text));
                sources.insert(key, text);
            }
        }
        if names.is_empty() {
            anyhow::bail!("no message templates found under {}", root.display());
        }
        let file_sources = sources.clone();
        for e in edited {
            let key = format!("{}/{}.{}", e.language, e.name, e.channel);
            match add_bounded(&mut tera, &key, e.body) {
                Ok(()) => {
                    names.insert(e.name.to_string());
                    links.insert(key.clone(), printed_links(e.body));
                    sources.insert(key, e.body.to_string());
                }
                Err(err) => {
                    tracing::warn!(template = %key, error = %err, "an edited template cannot be used; its file is used");
                    if let Some(text) = file_sources.get(&key) {
                        tera.add_raw_template(&key, text)?;
                    }
                }
            }
        }
        let layout_path = dir.join("email").join("layout.html.tera");
        let layout = std::fs::read_to_string(&layout_path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", layout_path.display()))?;
        let mut email_layout = tera::Tera::default();
        email_layout
            .add_raw_template("layout.html", &layout)
            .map_err(|e| {
                anyhow::anyhow!("the e-mail layout does not parse: {}", error_chain(&e))
            })?;
        let mut pages = tera::Tera::default();
        for lang in [Language::Da, Language::En] {
            let lang_dir = dir.join("pages").join(lang.code());
            let Ok(entries) = std::fs::read_dir(&lang_dir) else {
                continue;
            };
            for entry in entries {
                let path = entry?.path();
                let Some(stem) = path
                    .file_name()
                    .and_then(|f| f.to_str())
                    .and_then(|f| f.strip_suffix(".tera"))
                else {
                    continue;
                };
                let text = std::fs::read_to_string(&path)?;
                pages
                    .add_raw_template(&format!("{}/{stem}", lang.code()), &text)
                    .map_err(|e| {
                        anyhow::anyhow!("{} does not parse: {}", path.display(), error_chain(&e))
                    })?;
            }
        }
        Ok(Catalog {
            tera,
            names,
            links,
            email_layout,
            pages,
            sources,
            files: file_sources,
        })
    }

    /// Every template as `(name, channel, language)`, sorted.
    pub fn templates(&self) -> Vec<(String, String, String)> {
        self.sources
            .keys()
            .filter_map(|k| {
                let (lang, rest) = k.split_once('/')?;
                let (name, channel) = rest.rsplit_once('.')?;
                Some((name.to_string(), channel.to_string(), lang.to_string()))
            })
            .collect()
    }

    /// A template's text as it is used, and the text of its file.
    pub fn source(
        &self,
        name: &str,
        channel: &str,
        language: &str,
    ) -> Option<(&str, Option<&str>)> {
        let key = format!("{language}/{name}.{channel}");
        let used = self.sources.get(&key)?;
        Some((used.as_str(), self.files.get(&key).map(String::as_str)))
    }

    /// Renders page `name` (`link.html`) in `language`, falling back to
    /// Danish.
    pub fn render_page(
        &self,
        name: &str,
        language: Language,
        context: &tera::Context,
    ) -> Result<String, RenderError> {
        let key = [format!("{}/{name}", language.code()), format!("da/{name}")]
            .into_iter()
            .find(|k| self.pages.get_template(k).is_ok())
            .ok_or_else(|| RenderError::Missing {
                name: name.to_string(),
                channel: "page".into(),
                language: language.code(),
            })?;
        self.pages
            .render(&key, context)
            .map_err(|e| RenderError::Failed {
                name: name.to_string(),
                reason: error_chain(&e),
            })
    }

    /// The layout every e-mail's HTML part is drawn with.
    pub fn email_layout(&self) -> &tera::Tera {
        &self.email_layout
    }

    /// True when `name` exists for `channel` (in Danish, the fallback).
    pub fn has(&self, name: &str, channel: &str) -> bool {
        let channel = self.written_for(name, channel);
        self.tera
            .get_template(&format!("da/{name}.{channel}"))
            .is_ok()
    }

    /// The channel whose template a message on `channel` is rendered
    /// from: a Telegram message without a `.telegram` template of its own
    /// reads as the SMS does (the chat takes the same answers).
    fn written_for<'a>(&self, name: &str, channel: &'a str) -> &'a str {
        if channel == "telegram"
            && self
                .tera
                .get_template(&format!("da/{name}.telegram"))
                .is_err()
        {
            "sms"
        } else {
            channel
        }
    }

    /// True when `name` for `channel`, as it renders in `language`, prints
    /// the link `purpose` (`accept`, `decline`, `swap`, `cancel`).
    pub fn prints_link(
        &self,
        name: &str,
        channel: &str,
        language: Language,
        purpose: &str,
    ) -> bool {
        let channel = self.written_for(name, channel);
        [
            format!("{}/{name}.{channel}", language.code()),
            format!("da/{name}.{channel}"),
        ]
        .into_iter()
        .find(|k| self.tera.get_template(k).is_ok())
        .and_then(|k| self.links.get(&k))
        .is_some_and(|printed| printed.contains(&purpose))
    }

    /// Template names, for checking workflow definitions.
    pub fn names(&self) -> &BTreeSet<String> {
        &self.names
    }

    /// Renders `name` for `channel` in `language`, falling back to Danish.
    pub fn render(
        &self,
        name: &str,
        channel: &str,
        language: Language,
        context: &tera::Context,
    ) -> Result<String, RenderError> {
        let channel = self.written_for(name, channel);
        let wanted = format!("{}/{name}.{channel}", language.code());
        let fallback = format!("da/{name}.{channel}");
        let key = [wanted, fallback]
            .into_iter()
            .find(|k| self.tera.get_template(k).is_ok())
            .ok_or_else(|| RenderError::Missing {
                name: name.to_string(),
                channel: channel.to_string(),
                language: language.code(),
            })?;
        self.tera
            .render(&key, context)
            .map(|s| s.trim().to_string())
            .map_err(|e| RenderError::Failed {
                name: name.to_string(),
                reason: error_chain(&e),
            })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edited_template_cannot_read_the_environment_or_loop_without_end() {
        let context = tera::Context::new();
        let e = render_text(r#"{{ get_env(name="PATH") }}"#, &context).unwrap_err();
        assert!(e.contains("funktionen `get_env`"), "{e}");
        let e = render_text("{% for i in range(end=100000) %}{% endfor %}", &context).unwrap_err();
        assert!(e.contains("liste i beskedens data"), "{e}");
        let mut context = tera::Context::new();
        context.insert("seats", &["a", "b"]);
        assert_eq!(
            render_text("{% for s in seats %}{{ s }}{% endfor %}", &context).unwrap(),
            "ab"
        );
    }
}
