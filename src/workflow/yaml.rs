//! A small YAML tree that remembers where everything was written.
//!
//! Built from the event stream of the YAML parser, so that every key and
//! value keeps its line and column for diagnostics. Duplicate keys, anchors,
//! aliases and extra documents are reported here; tags are ignored.

use std::borrow::Cow;

use serde_saphyr::granit_parser::{
    ErrorKind, Event, Marker, Options, Parser, ScalarStyle, ScanError, Span,
};

use super::diagnostic::{Diagnostic, code};

/// A 1-based position in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    fn of(marker: &Marker) -> Pos {
        Pos {
            line: marker.line(),
            column: marker.col() + 1,
        }
    }
}

/// A YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub pos: Pos,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Scalar(Scalar),
    Sequence(Vec<Node>),
    /// Entries in the order written; duplicate keys are already dropped.
    Mapping(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Scalar {
    pub text: String,
    /// Written without quotes or block indicators, so that `~`, `null`,
    /// numbers and booleans keep their YAML meaning.
    pub plain: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    pub key: Node,
    pub value: Node,
}

impl Node {
    /// The text of a scalar that is not empty (`key:` with no value, `~` or `null`).
    pub fn text(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s) if !self.is_null() => Some(&s.text),
            _ => None,
        }
    }

    /// Whether this is an empty value: `key:` with nothing after it, `~` or `null`.
    pub fn is_null(&self) -> bool {
        match &self.kind {
            Kind::Scalar(s) => {
                s.plain && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
            }
            _ => false,
        }
    }

    /// How the node looks to a person, for "expected …, found …" messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Scalar(_) if self.is_null() => "nothing".to_string(),
            Kind::Scalar(s) => format!("`{}`", shorten(&s.text)),
            Kind::Sequence(_) => "a list".to_string(),
            Kind::Mapping(_) => "a mapping".to_string(),
        }
    }
}

fn shorten(text: &str) -> Cow<'_, str> {
    const MAX: usize = 40;
    let first_line = text.lines().next().unwrap_or("");
    if first_line.chars().count() > MAX || first_line.len() < text.trim_end().len() {
        let cut: String = first_line.chars().take(MAX).collect();
        Cow::Owned(format!("{cut}…"))
    } else {
        Cow::Borrowed(first_line)
    }
}

/// The result of reading a YAML source.
pub(super) struct Tree {
    /// The document's root, or `None` when the file is empty or not well-formed.
    pub root: Option<Node>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads `source` into a [`Tree`]. A syntax error gives a tree without a
/// root and only that one diagnostic.
pub(super) fn parse(source: &str) -> Tree {
    let mut builder = Builder {
        events: Parser::new_from_str_with_options(source, options()),
        diagnostics: Vec::new(),
    };
    match builder.stream() {
        Ok(root) => Tree {
            root,
            diagnostics: builder.diagnostics,
        },
        Err(e) => Tree {
            root: None,
            diagnostics: vec![syntax_error(source, &e)],
        },
    }
}

/// The value of the top-level `workflow:` key, reading no further than needed.
pub(super) fn peek_top_level(source: &str, wanted: &str) -> Option<String> {
    let mut depth = 0usize;
    // At depth 1, whether the next node is a key of the root mapping.
    let mut at_key = true;
    let mut found = false;
    for event in Parser::new_from_str_with_options(source, options()) {
        let (event, _) = event.ok()?;
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if depth == 1 && found {
                    return None;
                }
                if depth == 0 && matches!(event, Event::SequenceStart(..)) {
                    return None;
                }
                depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    at_key = !at_key;
                }
                if depth == 0 {
                    return None;
                }
            }
            Event::Scalar(text, ..) if depth == 1 => {
                if found {
                    return Some(text.into_owned());
                }
                found = at_key && text == wanted;
                at_key = !at_key;
            }
            Event::Scalar(..) if depth == 0 => return None,
            Event::Alias(_) | Event::UnresolvedAlias(_) if depth == 1 => {
                if found {
                    return None;
                }
                at_key = !at_key;
            }
            _ => {}
        }
    }
    None
}

fn options() -> Options {
    let mut options = Options::default();
    options.emit_anchor_events = true;
    options.emit_unresolved_aliases = true;
    options.emit_comments = false;
    options
}

struct Builder<'a> {
    events: Parser<'a, serde_saphyr::granit_parser::StrInput<'a>>,
    diagnostics: Vec<Diagnostic>,
}

type Spanned<'a> = (Event<'a>, Span);

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<Option<Spanned<'a>>, ScanError> {
        loop {
            match self.events.next().transpose()? {
                Some((Event::Anchor(_, name), span)) => {
                    let pos = Pos::of(&span.start);
                    self.diagnostics.push(
                        Diagnostic::error(
                            code::UNSUPPORTED_ANCHOR,
                            pos.line,
                            pos.column,
                            format!("anchors like `&{name}` are not supported in workflow files"),
                        )
                        .with_help("write the value out in full where it is needed"),
                    );
                }
                other => return Ok(other),
            }
        }
    }

    /// The whole stream: the first document's root, if any.
    fn stream(&mut self) -> Result<Option<Node>, ScanError> {
        let mut root = None;
        let mut documents = 0;
        while let Some((event, span)) = self.next()? {
            match event {
                Event::DocumentStart(..) => {
                    documents += 1;
                    if documents > 1 {
                        let pos = Pos::of(&span.start);
                        self.diagnostics.push(
                            Diagnostic::error(
                                code::MULTIPLE_DOCUMENTS,
                                pos.line,
                                pos.column,
                                "a workflow file holds one definition, \
                                 but here a second YAML document starts"
                                    .to_string(),
                            )
                            .with_help(
                                "remove this `---` line, or move what follows to a file of its own",
                            ),
                        );
                        // Only the first document counts; read no further.
                        return Ok(root);
                    }
                    match self.next()? {
                        Some((Event::DocumentEnd, _)) | None => {}
                        Some(first) => {
                            root = Some(self.node(first)?);
                            self.skip_to_document_end()?;
                        }
                    }
                }
                Event::StreamEnd => break,
                _ => {}
            }
        }
        Ok(root)
    }

    fn skip_to_document_end(&mut self) -> Result<(), ScanError> {
        while let Some((event, _)) = self.next()? {
            if matches!(event, Event::DocumentEnd) {
                break;
            }
        }
        Ok(())
    }

    fn node(&mut self, (event, span): Spanned<'a>) -> Result<Node, ScanError> {
        let pos = Pos::of(&span.start);
        let kind = match event {
            Event::Scalar(text, style, ..) => Kind::Scalar(Scalar {
                text: text.into_owned(),
                plain: style == ScalarStyle::Plain,
            }),
            Event::SequenceStart(..) => {
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        Some((Event::SequenceEnd, _)) | None => break,
                        Some(item) => items.push(self.node(item)?),
                    }
                }
                Kind::Sequence(items)
            }
            Event::MappingStart(..) => Kind::Mapping(self.mapping()?),
            Event::Alias(_) | Event::UnresolvedAlias(_) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        code::UNSUPPORTED_ANCHOR,
                        pos.line,
                        pos.column,
                        "aliases like `*name` are not supported in workflow files".to_string(),
                    )
                    .with_help("write the value out in full where it is needed"),
                );
                // Stands in as an empty value so that reading can go on.
                Kind::Scalar(Scalar {
                    text: String::new(),
                    plain: true,
                })
            }
            _ => {
                return Err(ScanError::new(span.start, "unexpected YAML event"));
            }
        };
        Ok(Node { pos, kind })
    }

    fn mapping(&mut self) -> Result<Vec<Entry>, ScanError> {
        let mut entries: Vec<Entry> = Vec::new();
        // Each key's first line, to find one given twice in constant time.
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        loop {
            let key = match self.next()? {
                Some((Event::MappingEnd, _)) | None => break,
                Some(key) => self.node(key)?,
            };
            let value = match self.next()? {
                Some((Event::MappingEnd, span)) | Some((Event::SequenceEnd, span)) => {
                    // A parser never does this, but be safe: an empty value.
                    return Err(ScanError::new(span.start, "mapping key without value"));
                }
                None => break,
                Some(value) => self.node(value)?,
            };
            let first = match &key.kind {
                Kind::Scalar(k) => match seen.entry(k.text.clone()) {
                    std::collections::hash_map::Entry::Occupied(o) => Some(*o.get()),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(key.pos.line);
                        None
                    }
                },
                _ => None,
            };
            if let Some(first_line) = first {
                self.diagnostics.push(
                    Diagnostic::error(
                        code::DUPLICATE_KEY,
                        key.pos.line,
                        key.pos.column,
                        format!(
                            "`{}` is given twice here; it was already given on line {}",
                            key.text().unwrap_or_default(),
                            first_line
                        ),
                    )
                    .with_help("a key may appear only once in the same place; remove one of them"),
                );
                continue;
            }
            entries.push(Entry { key, value });
        }
        Ok(entries)
    }
}

fn syntax_error(source: &str, e: &ScanError) -> Diagnostic {
    const INDENTATION: &str = "keys that belong together must start in the same column, \
                               and what belongs under a key must be indented further than the key";
    const BRACKETS: &str =
        "every `[` needs a `]` and every `{` a `}`, with commas between the items";
    const QUOTES: &str = "a text that starts with a quote must end with the same quote";
    let pos = Pos::of(e.marker());
    let (what, help) = match e.kind() {
        ErrorKind::TabNotAllowed
        | ErrorKind::TabInBlockIndentation
        | ErrorKind::TabInIndentation
        | ErrorKind::TabAtBlockScalarStart => (
            "a tab is used for indentation",
            "indent with spaces, not tabs",
        ),
        ErrorKind::ExpectedBlockMappingKey
        | ErrorKind::ExpectedBlockSequenceEntry
        | ErrorKind::InvalidIndentation
        | ErrorKind::UnexpectedEofBlockMapping
        | ErrorKind::UnexpectedEofBlockSequence
        | ErrorKind::BlockSequenceEntryNotAllowed => (
            "the indentation of this line does not fit the lines above it",
            INDENTATION,
        ),
        ErrorKind::MappingValueNotAllowed | ErrorKind::InvalidColonPlacement
            if unclosed_bracket(source, e.marker().index()) =>
        {
            ("a `[` or `{` above is not closed", BRACKETS)
        }
        ErrorKind::MappingValueNotAllowed | ErrorKind::InvalidColonPlacement => (
            "a `:` is not allowed here",
            "check the indentation of this line; a text that contains `: ` must be put in quotes, \
             e.g. `message: \"Note: call back\"`",
        ),
        ErrorKind::UnexpectedEofFlowSequence
        | ErrorKind::UnexpectedEofFlowMapping
        | ErrorKind::UnexpectedEofImplicitFlowMapping
        | ErrorKind::ExpectedFlowSequenceSeparator
        | ErrorKind::ExpectedFlowMappingSeparator
        | ErrorKind::MisplacedFlowCollectionEnd
        | ErrorKind::MismatchedFlowCollectionEnd { .. }
        | ErrorKind::UnclosedFlowCollection { .. } => (
            "a list in `[ ]` or a mapping in `{ }` is not written correctly",
            BRACKETS,
        ),
        ErrorKind::UnclosedQuotedScalar
        | ErrorKind::InvalidQuotedScalarIndent
        | ErrorKind::InvalidTrailingSingleQuotedScalar
        | ErrorKind::InvalidTrailingDoubleQuotedScalar => {
            ("a quoted text is not closed properly", QUOTES)
        }
        _ => {
            let info = e.info();
            let what = if info.is_empty() {
                "it cannot be read".to_string()
            } else {
                info
            };
            return Diagnostic::error(
                code::YAML_SYNTAX,
                pos.line,
                pos.column,
                format!("this is not valid YAML: {what}"),
            );
        }
    };
    Diagnostic::error(
        code::YAML_SYNTAX,
        pos.line,
        pos.column,
        format!("this is not valid YAML: {what}"),
    )
    .with_help(help)
}

/// Whether a `[` or `{` is still open at character `index` of `source`,
/// roughly: quotes and comments are skipped.
fn unclosed_bracket(source: &str, index: usize) -> bool {
    let mut depth: usize = 0;
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut previous = ' ';
    for c in source.chars().take(index) {
        match (quote, c) {
            _ if comment => comment = c != '\n',
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') if previous.is_whitespace() => comment = true,
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = c;
    }
    depth > 0
}
