//! From a rendered e-mail template to the message: the first line is the
//! subject, the rest the plain text. The HTML part is drawn from the same
//! text by one layout (`templates/email/layout.html.tera`): paragraphs stay
//! paragraphs, and a line that ends in a link (`Ja, jeg kommer: [[link:7]]`)
//! becomes a button. The secretariat edits one text per message kind and
//! language; every e-mail gets the same mobile-friendly HTML.

use serde::Serialize;

use crate::domain::Language;
use crate::messages::Contact;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Block {
    Paragraph { lines: Vec<String> },
    Buttons { buttons: Vec<Button> },
}

#[derive(Debug, Serialize, PartialEq, Eq)]
struct Button {
    label: String,
    url: String,
}

/// The marker a stored body carries for link `id`; delivery replaces it.
pub fn link_marker(id: i64) -> String {
    format!("[[link:{id}]]")
}

/// The link ids of the markers in `text`, in order.
pub fn link_markers(text: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("[[link:") {
        rest = &rest[start + 7..];
        if let Some(end) = rest.find("]]")
            && let Ok(id) = rest[..end].parse()
        {
            ids.push(id);
        }
    }
    ids
}

/// Replaces every link marker with `url(id)`.
pub fn resolve_links(text: &str, url: impl Fn(i64) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(start) = rest.find("[[link:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 7..];
        match after
            .find("]]")
            .and_then(|end| Some((end, url(after[..end].parse().ok()?)?)))
        {
            Some((end, resolved)) => {
                out.push_str(&resolved);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("[[link:");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn blocks(body: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    for chunk in body.split("\n\n").map(str::trim).filter(|c| !c.is_empty()) {
        let mut lines = Vec::new();
        let mut buttons = Vec::new();
        for line in chunk.lines().map(str::trim) {
            let button = line.rsplit_once(": ").filter(|(_, url)| {
                url.strip_prefix("[[link:")
                    .and_then(|u| u.strip_suffix("]]"))
                    .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
            });
            match button {
                Some((label, url)) => buttons.push(Button {
                    label: label.to_string(),
                    url: url.to_string(),
                }),
                None => lines.push(line.to_string()),
            }
        }
        if !lines.is_empty() {
            blocks.push(Block::Paragraph { lines });
        }
        if !buttons.is_empty() {
            blocks.push(Block::Buttons { buttons });
        }
    }
    blocks
}

/// Splits a rendered template into subject and text, adds the footer, and
/// draws the HTML part with `layout` (a Tera holding `layout.html`).
pub fn compose(
    rendered: &str,
    language: Language,
    contact: &Contact,
    layout: &tera::Tera,
) -> Result<Composed, String> {
    let rendered = rendered.trim();
    let (subject, body) = rendered.split_once('\n').unwrap_or((rendered, ""));
    let subject = subject.trim();
    if subject.is_empty() {
        return Err("the first line, the subject, is empty".into());
    }
    let body = body.trim();
    let text = format!(
        "{body}\n\n-- \n{}\n{}\n",
        contact.municipality, contact.contact
    );
    let mut context = tera::Context::new();
    context.insert("lang", language.code());
    context.insert("subject", subject);
    context.insert("blocks", &blocks(body));
    context.insert("municipality", &contact.municipality);
    context.insert("contact", &contact.contact);
    let html = layout
        .render("layout.html", &context)
        .map_err(|e| format!("the e-mail layout could not be rendered: {e}"))?;
    Ok(Composed {
        subject: subject.to_string(),
        text,
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_ending_in_a_link_become_buttons_and_the_rest_paragraphs() {
        let body = "Hej Ane\n\nVil du?\nDato: 20. nov.\n\nJa: [[link:1]]\nNej tak: [[link:2]]\n\nEller svar på SMS.";
        assert_eq!(
            blocks(body),
            vec![
                Block::Paragraph {
                    lines: vec!["Hej Ane".into()]
                },
                Block::Paragraph {
                    lines: vec!["Vil du?".into(), "Dato: 20. nov.".into()]
                },
                Block::Buttons {
                    buttons: vec![
                        Button {
                            label: "Ja".into(),
                            url: "[[link:1]]".into()
                        },
                        Button {
                            label: "Nej tak".into(),
                            url: "[[link:2]]".into()
                        },
                    ]
                },
                Block::Paragraph {
                    lines: vec!["Eller svar på SMS.".into()]
                },
            ]
        );
    }

    #[test]
    fn markers_are_found_and_resolved_and_unknown_ones_left_as_they_are() {
        let text = "a [[link:3]] b [[link:x]] c [[link:4]]";
        assert_eq!(link_markers(text), vec![3, 4]);
        let resolved = resolve_links(text, |id| (id == 3).then(|| "https://v/l/3-t".into()));
        assert_eq!(resolved, "a https://v/l/3-t b [[link:x]] c [[link:4]]");
    }
}
