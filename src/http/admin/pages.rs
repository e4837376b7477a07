//! The admin's pages: tera templates under `templates/admin/`, built into
//! the binary, and the words on them per language
//! (`templates/admin/strings.<lang>.yaml`).

use std::collections::BTreeMap;

use crate::domain::Language;

const TEMPLATES: [(&str, &str); 29] = [
    (
        "layout.html",
        include_str!("../../../templates/admin/layout.html.tera"),
    ),
    (
        "login.html",
        include_str!("../../../templates/admin/login.html.tera"),
    ),
    (
        "board.html",
        include_str!("../../../templates/admin/board.html.tera"),
    ),
    (
        "board_live.html",
        include_str!("../../../templates/admin/board_live.html.tera"),
    ),
    (
        "seat.html",
        include_str!("../../../templates/admin/seat.html.tera"),
    ),
    (
        "workflows.html",
        include_str!("../../../templates/admin/workflows.html.tera"),
    ),
    (
        "workflow_edit.html",
        include_str!("../../../templates/admin/workflow_edit.html.tera"),
    ),
    (
        "workflow_review.html",
        include_str!("../../../templates/admin/workflow_review.html.tera"),
    ),
    (
        "people.html",
        include_str!("../../../templates/admin/people.html.tera"),
    ),
    (
        "people_import.html",
        include_str!("../../../templates/admin/people_import.html.tera"),
    ),
    (
        "export.html",
        include_str!("../../../templates/admin/export.html.tera"),
    ),
    (
        "messages.html",
        include_str!("../../../templates/admin/messages.html.tera"),
    ),
    (
        "group_message.html",
        include_str!("../../../templates/admin/group_message.html.tera"),
    ),
    (
        "broadcast.html",
        include_str!("../../../templates/admin/broadcast.html.tera"),
    ),
    (
        "broadcast_live.html",
        include_str!("../../../templates/admin/broadcast_live.html.tera"),
    ),
    (
        "setup_elections.html",
        include_str!("../../../templates/admin/setup_elections.html.tera"),
    ),
    (
        "setup_places.html",
        include_str!("../../../templates/admin/setup_places.html.tera"),
    ),
    (
        "setup_seats.html",
        include_str!("../../../templates/admin/setup_seats.html.tera"),
    ),
    (
        "setup_import.html",
        include_str!("../../../templates/admin/setup_import.html.tera"),
    ),
    (
        "person.html",
        include_str!("../../../templates/admin/person.html.tera"),
    ),
    (
        "templates.html",
        include_str!("../../../templates/admin/templates.html.tera"),
    ),
    (
        "template_edit.html",
        include_str!("../../../templates/admin/template_edit.html.tera"),
    ),
    (
        "followup.html",
        include_str!("../../../templates/admin/followup.html.tera"),
    ),
    (
        "inbound.html",
        include_str!("../../../templates/admin/inbound.html.tera"),
    ),
    (
        "inbound_message.html",
        include_str!("../../../templates/admin/inbound_message.html.tera"),
    ),
    (
        "users.html",
        include_str!("../../../templates/admin/users.html.tera"),
    ),
    (
        "audit.html",
        include_str!("../../../templates/admin/audit.html.tera"),
    ),
    (
        "tokens.html",
        include_str!("../../../templates/admin/tokens.html.tera"),
    ),
    (
        "retention.html",
        include_str!("../../../templates/admin/retention.html.tera"),
    ),
];

const STRINGS_DA: &str = include_str!("../../../templates/admin/strings.da.yaml");
const STRINGS_EN: &str = include_str!("../../../templates/admin/strings.en.yaml");

pub const STYLE: &str = include_str!("../../../templates/admin/admin.css");
pub const SCRIPT: &str = include_str!("../../../templates/admin/admin.js");

pub struct Pages {
    tera: tera::Tera,
    da: BTreeMap<String, String>,
    en: BTreeMap<String, String>,
}

impl Pages {
    pub fn load() -> anyhow::Result<Pages> {
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.register_filter("number", number);
        tera.register_filter("said", said);
        tera.add_raw_templates(TEMPLATES)
            .map_err(|e| anyhow::anyhow!("an admin page does not parse: {e:?}"))?;
        let da = serde_saphyr::from_str(STRINGS_DA)
            .map_err(|e| anyhow::anyhow!("templates/admin/strings.da.yaml: {e}"))?;
        let en = serde_saphyr::from_str(STRINGS_EN)
            .map_err(|e| anyhow::anyhow!("templates/admin/strings.en.yaml: {e}"))?;
        Ok(Pages { tera, da, en })
    }

    pub fn strings(&self, language: Language) -> &BTreeMap<String, String> {
        match language {
            Language::Da => &self.da,
            Language::En => &self.en,
        }
    }

    /// Renders `name` with the words of `language` as `s`.
    pub fn render(
        &self,
        name: &str,
        language: Language,
        context: &mut tera::Context,
    ) -> Result<String, tera::Error> {
        context.insert("s", self.strings(language));
        context.insert("lang", language.code());
        self.tera.render(name, context)
    }
}

/// `{{ text | said(lang=lang) }}`: of a `Dansk / English` text, the
/// reader's half; a text written once as it is.
fn said(
    value: &tera::Value,
    args: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = value.as_str().unwrap_or_default();
    let language = match args.get("lang").and_then(|l| l.as_str()) {
        Some("en") => Language::En,
        _ => Language::Da,
    };
    Ok(tera::Value::String(half(text, language).to_string()))
}

/// Of a `Dansk / English` text, the half in `language`; a text written
/// once, as it is.
pub fn half(text: &str, language: Language) -> &str {
    match (text.split_once(" / "), language) {
        (Some((da, _)), Language::Da) => da,
        (Some((_, en)), Language::En) => en,
        (None, _) => text,
    }
}

/// `{{ n | number(lang=lang) }}`: a whole number with thousands grouped
/// as the language writes them (5.500 in Danish, 5,500 in English).
fn number(
    value: &tera::Value,
    args: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let n = value
        .as_i64()
        .ok_or_else(|| tera::Error::msg("number: not a whole number"))?;
    let separator = match args.get("lang").and_then(|l| l.as_str()) {
        Some("en") => ',',
        _ => '.',
    };
    Ok(tera::Value::String(crate::messages::price::grouped(
        n, separator,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_admin_word_is_there_in_danish_and_in_english() {
        let pages = Pages::load().expect("admin pages load");
        let da: Vec<_> = pages.da.keys().collect();
        let en: Vec<_> = pages.en.keys().collect();
        assert_eq!(da, en, "strings.da.yaml and strings.en.yaml differ in keys");
    }

    #[test]
    fn every_problem_a_setup_form_can_show_has_words() {
        let pages = Pages::load().expect("admin pages load");
        let sources = [
            include_str!("setup/mod.rs"),
            include_str!("setup/elections.rs"),
            include_str!("setup/places.rs"),
            include_str!("setup/seats.rs"),
        ];
        let mut seen = 0;
        for source in sources {
            for (at, _) in source.match_indices("\"err_") {
                let key: String = source[at + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                assert!(pages.da.contains_key(&key), "{key} has no words");
                seen += 1;
            }
        }
        assert!(seen > 20, "found {seen} problem keys");
    }

    #[test]
    fn every_message_template_has_a_name_in_words() {
        let pages = Pages::load().expect("admin pages load");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/messages/da");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).expect("templates") {
            let file = entry.expect("entry").file_name();
            let file = file.to_string_lossy();
            let name = file.split('.').next().expect("a name");
            assert!(pages.da.contains_key(&format!("tname_{name}")), "{name}");
            seen += 1;
        }
        assert!(seen > 40, "{seen} templates");
    }

    #[test]
    fn every_outcome_of_a_received_message_has_words() {
        let pages = Pages::load().expect("admin pages load");
        for o in crate::engine::InboundOutcome::ALL {
            let key = format!("in_outcome_{}", o.as_str());
            assert!(pages.da.contains_key(&key), "{key}");
        }
    }

    #[test]
    fn every_problem_a_person_form_can_show_has_words() {
        let pages = Pages::load().expect("admin pages load");
        for e in crate::people::form::FieldError::ALL {
            assert!(pages.da.contains_key(e.key()), "{}", e.key());
        }
    }
}
