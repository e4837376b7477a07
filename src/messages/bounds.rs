//! What a message template may contain, so that rendering it is bounded
//! by construction: its work and its output grow with the template's size
//! times the size of the message's own data, never faster.
//!
//! Message templates are typed by the secretariat in the admin, so they
//! are read as untrusted code. Tera has no limit on recursion (`include`
//! of itself, a macro calling itself), on the size of what `set` builds
//! (`{% set s = s ~ s %}` doubles it) or on the work of nested loops, and
//! a stack overflow aborts the whole process. A template is therefore
//! checked before Tera ever renders it:
//!
//! - at most [`MAX_LEN`] characters, brackets nested at most
//!   [`MAX_BRACKETS`] deep and tags at most [`MAX_TAGS`] deep (Tera's
//!   parser recurses on both);
//! - only text, `{{ … }}`, `{% if %}`, `{% for %}`, `{% raw %}`,
//!   `break`, `continue` and comments: no `include`, `extends`, `import`,
//!   `macro`, `block`, `set` or `filter` section;
//! - no function calls (`range`, `now`, `get_env`, …): a loop runs over a
//!   list of the message's data, and loops nest at most [`MAX_LOOPS`] deep;
//! - only the filters of [`FILTERS`], none of which makes a text much
//!   longer than its input, and the tests of [`TESTS`];
//! - no division, remainder or product (Tera panics on the smallest number
//!   divided by -1, and products overflow) and no number beyond
//!   [`MAX_NUMBER`].

use tera::ast::{Expr, ExprVal, FunctionCall, MathOperator, Node};

/// The longest template, in characters.
pub const MAX_LEN: usize = 10_000;
/// How deep `(`, `[` and `{` may nest.
pub const MAX_BRACKETS: usize = 16;
/// How deep `if` and `for` may nest.
pub const MAX_TAGS: usize = 8;
/// How deep `for` loops may nest.
pub const MAX_LOOPS: usize = 2;

/// The filters a template may use.
pub const FILTERS: [&str; 24] = [
    "length",
    "default",
    "upper",
    "lower",
    "capitalize",
    "title",
    "trim",
    "trim_start",
    "trim_end",
    "truncate",
    "first",
    "last",
    "nth",
    "join",
    "reverse",
    "sort",
    "round",
    "abs",
    "striptags",
    "escape",
    "safe",
    "wordcount",
    "pluralize",
    "date",
];

/// The tests (`is defined`, …) a template may use; `matching` compiles a
/// regular expression each time and is left out.
pub const TESTS: [&str; 11] = [
    "defined",
    "undefined",
    "odd",
    "even",
    "string",
    "number",
    "iterable",
    "object",
    "starting_with",
    "ending_with",
    "containing",
];
/// The largest whole number a template may write.
pub const MAX_NUMBER: u64 = 1_000_000_000;

/// Checks a template's text before it is parsed: its length, and how
/// deep its brackets and tags nest.
pub fn check_text(text: &str) -> Result<(), String> {
    let len = text.chars().count();
    if len > MAX_LEN {
        return Err(format!(
            "skabelonen er {len} tegn lang; den må højst være {MAX_LEN} tegn"
        ));
    }
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_BRACKETS {
                    return Err(format!(
                        "parenteser må højst være {MAX_BRACKETS} lag inden i hinanden"
                    ));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let mut tags = 0usize;
    for (i, _) in text.match_indices("{%") {
        let word = text[i + 2..]
            .trim_start_matches(['-', ' ', '\t', '\r', '\n'])
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .next()
            .unwrap_or("");
        match word {
            "if" | "for" | "macro" | "block" | "filter" => {
                tags += 1;
                if tags > MAX_TAGS {
                    return Err(format!(
                        "if og for må højst være {MAX_TAGS} lag inden i hinanden"
                    ));
                }
            }
            "endif" | "endfor" | "endmacro" | "endblock" | "endfilter" => {
                tags = tags.saturating_sub(1)
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks a parsed template's nodes.
pub fn check_nodes(nodes: &[Node]) -> Result<(), String> {
    nodes.iter().try_for_each(|n| node(n, 0))
}

fn node(n: &Node, loops: usize) -> Result<(), String> {
    let refused = |what: &str| {
        Err(format!(
            "{what} kan ikke bruges i en beskedskabelon; brug tekst, {{{{ … }}}}, if og for"
        ))
    };
    match n {
        Node::Text(_) | Node::Raw(..) | Node::Comment(..) | Node::Break(_) | Node::Continue(_) => {
            Ok(())
        }
        Node::VariableBlock(_, e) => expr(e),
        Node::If(i, _) => {
            for (_, condition, body) in &i.conditions {
                expr(condition)?;
                body.iter().try_for_each(|b| node(b, loops))?;
            }
            if let Some((_, body)) = &i.otherwise {
                body.iter().try_for_each(|b| node(b, loops))?;
            }
            Ok(())
        }
        Node::Forloop(_, f, _) => {
            if loops + 1 > MAX_LOOPS {
                return Err(format!(
                    "for-løkker må højst være {MAX_LOOPS} lag inden i hinanden"
                ));
            }
            if !matches!(f.container.val, ExprVal::Ident(_)) {
                return Err(
                    "en for-løkke skal gå over en liste i beskedens data, fx `for o in options`"
                        .into(),
                );
            }
            expr(&f.container)?;
            f.body.iter().try_for_each(|b| node(b, loops + 1))?;
            if let Some(body) = &f.empty_body {
                body.iter().try_for_each(|b| node(b, loops + 1))?;
            }
            Ok(())
        }
        Node::Include(..) => refused("include"),
        Node::Extends(..) => refused("extends"),
        Node::ImportMacro(..) => refused("import"),
        Node::MacroDefinition(..) => refused("macro"),
        Node::Set(..) => refused("set"),
        Node::FilterSection(..) => refused("filter"),
        Node::Block(..) | Node::Super => refused("block"),
    }
}

fn expr(e: &Expr) -> Result<(), String> {
    value(&e.val)?;
    e.filters.iter().try_for_each(filter)
}

fn filter(f: &FunctionCall) -> Result<(), String> {
    if !FILTERS.contains(&f.name.as_str()) {
        return Err(format!(
            "filteret `{}` kan ikke bruges i en beskedskabelon; brug et af disse: {}",
            f.name,
            FILTERS.join(", ")
        ));
    }
    f.args.values().try_for_each(expr)
}

fn value(v: &ExprVal) -> Result<(), String> {
    match v {
        ExprVal::Int(n) if n.unsigned_abs() > MAX_NUMBER => Err(format!(
            "tal i en beskedskabelon må højst være {MAX_NUMBER}"
        )),
        ExprVal::String(_)
        | ExprVal::Int(_)
        | ExprVal::Float(_)
        | ExprVal::Bool(_)
        | ExprVal::Ident(_) => Ok(()),
        ExprVal::Math(m) => {
            // Division and remainder can panic inside Tera (the smallest
            // number divided by -1); a message does not need them.
            if matches!(m.operator, MathOperator::Div | MathOperator::Modulo) {
                return Err("division (/ og %) kan ikke bruges i en beskedskabelon".into());
            }
            // Products of whole numbers can overflow.
            if m.operator == MathOperator::Mul {
                return Err("gange (*) kan ikke bruges i en beskedskabelon".into());
            }
            expr(&m.lhs)?;
            expr(&m.rhs)
        }
        ExprVal::Logic(l) => {
            expr(&l.lhs)?;
            expr(&l.rhs)
        }
        ExprVal::In(i) => {
            expr(&i.lhs)?;
            expr(&i.rhs)
        }
        ExprVal::Test(t) => {
            if !TESTS.contains(&t.name.as_str()) {
                return Err(format!(
                    "testen `{}` kan ikke bruges i en beskedskabelon; brug et af disse: {}",
                    t.name,
                    TESTS.join(", ")
                ));
            }
            t.args.iter().try_for_each(expr)
        }
        ExprVal::Array(items) => items.iter().try_for_each(expr),
        ExprVal::StringConcat(c) => c.values.iter().try_for_each(value),
        ExprVal::FunctionCall(f) => Err(format!(
            "funktionen `{}` kan ikke bruges i en beskedskabelon",
            f.name
        )),
        ExprVal::MacroCall(m) => Err(format!(
            "makroen `{}` kan ikke bruges i en beskedskabelon",
            m.name
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), String> {
        check_text(text)?;
        let mut tera = tera::Tera::default();
        tera.add_raw_template("t", text)
            .map_err(|e| e.to_string())?;
        check_nodes(&tera.get_template("t").unwrap().ast)
    }

    #[test]
    fn the_shipped_kinds_of_template_pass() {
        check("Hej {{ name }}. {% if seats | length > 1 %}{% for s in seats %}{{ s.start }}{% if not loop.last %}; {% endif %}{% endfor %}{% else %}{{ start }}{% endif %}").unwrap();
        check("{% for q in questions %}{{ q.code | upper }}{% for o in options %}{{ o.n }}{% endfor %}{% endfor %}").unwrap();
        check("{{ name | default(value=\"dig\") | truncate(length=20) }} {{ a ~ b }}").unwrap();
    }

    #[test]
    fn what_could_run_away_is_refused_with_a_reason() {
        for (text, why) in [
            (r#"{% include "edited" %}"#, "include"),
            ("{% macro m() %}{{ self::m() }}{% endmacro m %}", "macro"),
            ("{% set s = name %}{% set s = s ~ s %}{{ s }}", "set"),
            (
                "{% for i in range(end=1000) %}{% endfor %}",
                "liste i beskedens data",
            ),
            (
                "{% for a in x %}{% for b in x %}{% for c in x %}{% endfor %}{% endfor %}{% endfor %}",
                "højst være 2 lag",
            ),
            ("{{ now() }}", "funktionen `now`"),
            (
                "{{ name | replace(from=\"a\", to=\"aaaa\") }}",
                "filteret `replace`",
            ),
            ("{% filter upper %}x{% endfilter %}", "filter"),
            ("{{ -9223372036854775808 % -1 }}", "division"),
            ("{{ 7 / 0 }}", "division"),
            (
                "{% if name is matching(\"a+\") %}x{% endif %}",
                "testen `matching`",
            ),
            ("{{ 99999999999 + 1 }}", "højst være 1000000000"),
            ("{{ 999999999 * 999999999 * 999999999 }}", "gange"),
        ] {
            let e = check(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
        let deep = format!("{{{{ {}1{} }}}}", "(".repeat(40), ")".repeat(40));
        assert!(check_text(&deep).unwrap_err().contains("parenteser"));
        let ifs = "{% if a %}".repeat(9) + &"{% endif %}".repeat(9);
        assert!(check_text(&ifs).unwrap_err().contains("if og for"));
        assert!(
            check_text(&"x".repeat(MAX_LEN + 1))
                .unwrap_err()
                .contains("højst være 10000 tegn")
        );
    }
}
