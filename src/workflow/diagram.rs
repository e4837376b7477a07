//! A workflow drawn as a state diagram (SVG): one box per state, in
//! columns by how many steps it is from the first, and one arrow per way
//! out, labelled with what takes it (an answer, a timeout, a filled seat).

use std::collections::VecDeque;
use std::fmt::Write;

use super::model::{Answer, Next, Period, SeatTarget, Step, Workflow};
use crate::domain::Language;

const BOX_W: usize = 200;
const BOX_H: usize = 72;
const COL_GAP: usize = 90;
const ROW_GAP: usize = 34;
const MARGIN: usize = 24;

/// A way out of a state.
struct Edge {
    from: usize,
    to: usize,
    label: String,
}

/// A period in words: `10 dage`, `1 dag 6 timer`, `30 min`.
fn period(p: &Period, language: Language) -> String {
    let (day, days, hour, hours) = match language {
        Language::Da => ("dag", "dage", "time", "timer"),
        Language::En => ("day", "days", "hour", "hours"),
    };
    let mut parts = Vec::new();
    if p.days > 0 {
        parts.push(format!(
            "{} {}",
            p.days,
            if p.days == 1 { day } else { days }
        ));
    }
    let (h, m) = (p.seconds / 3600, (p.seconds % 3600) / 60);
    if h > 0 {
        parts.push(format!("{h} {}", if h == 1 { hour } else { hours }));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    parts.join(" ")
}

/// The diagram's words in one language.
struct Words {
    yes: &'static str,
    no: &'static str,
    after: &'static str,
    filled: &'static str,
    unfilled: &'static str,
    moved: &'static str,
    none: &'static str,
    kept: &'static str,
    refused: &'static str,
    ask: &'static str,
    remind: &'static str,
    times: &'static str,
    offer: &'static str,
    swap: &'static str,
    end: &'static str,
    seat: &'static str,
    vacant: &'static str,
    invited: &'static str,
    confirmed: &'static str,
    no_show: &'static str,
    send: &'static str,
    start: &'static str,
    notify: &'static str,
}

const DA: Words = Words {
    yes: "ja",
    no: "nej",
    after: "efter",
    filled: "besat",
    unfilled: "ikke besat",
    moved: "flyttet",
    none: "intet ledigt",
    kept: "beholdt",
    refused: "afvist",
    ask: "spørg",
    remind: "påmind hver",
    times: "gange",
    offer: "tilbyd",
    swap: "skift",
    end: "slut",
    seat: "plads",
    vacant: "ledig",
    invited: "inviteret",
    confirmed: "bekræftet",
    no_show: "udeblevet",
    send: "send",
    start: "start",
    notify: "besked",
};

const EN: Words = Words {
    yes: "yes",
    no: "no",
    after: "after",
    filled: "filled",
    unfilled: "unfilled",
    moved: "moved",
    none: "none free",
    kept: "kept",
    refused: "refused",
    ask: "ask",
    remind: "remind every",
    times: "times",
    offer: "offer",
    swap: "swap",
    end: "end",
    seat: "seat",
    vacant: "vacant",
    invited: "invited",
    confirmed: "confirmed",
    no_show: "no-show",
    send: "send",
    start: "start",
    notify: "notify",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::Da => &DA,
        Language::En => &EN,
    }
}

fn edges(w: &Workflow, language: Language) -> Vec<Edge> {
    let t = words(language);
    let mut out = Vec::new();
    for (i, s) in w.states.iter().enumerate() {
        let mut add = |to: usize, label: String| out.push(Edge { from: i, to, label });
        match &s.next {
            Next::Ask(a) => {
                for (answer, to) in &a.answers {
                    let said = match answer {
                        Answer::Yes => t.yes,
                        Answer::No => t.no,
                    };
                    add(to.0, said.to_string());
                }
                if let Some(timeout) = &a.timeout {
                    add(
                        timeout.goto.0,
                        format!("{} {}", t.after, period(&timeout.after, language)),
                    );
                }
            }
            Next::Offer(o) => {
                add(o.filled.0, t.filled.into());
                add(o.unfilled.0, t.unfilled.into());
            }
            Next::Swap(sw) => {
                add(sw.moved.0, t.moved.into());
                add(sw.none.0, t.none.into());
                add(sw.kept.0, t.kept.into());
                if let Some(a) = &sw.approval {
                    add(a.refused.0, t.refused.into());
                }
            }
            Next::Goto(to) => add(to.0, String::new()),
            Next::Final => {}
        }
    }
    out
}

/// What a state's box says under its name: what it waits for, the
/// reminders of a question, and its steps.
fn summary(next: &Next, steps: &[Step], language: Language) -> (String, String, String) {
    let t = words(language);
    let remind = match next {
        Next::Ask(a) => a
            .remind
            .as_ref()
            .map(|r| {
                let mut s = format!("{} {}", t.remind, period(&r.every, language));
                if let Some(max) = r.max {
                    s.push_str(&format!(", {max} {}", t.times));
                }
                s
            })
            .unwrap_or_default(),
        _ => String::new(),
    };
    let wait = match next {
        Next::Ask(a) => format!("{}: {}", t.ask, a.template),
        Next::Offer(o) => format!("{}: {} ×{}", t.offer, o.template, o.wave),
        Next::Swap(s) => format!("{}: {}", t.swap, s.template),
        Next::Goto(_) => String::new(),
        Next::Final => t.end.into(),
    };
    let steps: Vec<String> = steps
        .iter()
        .map(|s| match s {
            Step::SetSeat(target) => {
                let status = match target {
                    SeatTarget::Vacant => t.vacant,
                    SeatTarget::Invited => t.invited,
                    SeatTarget::Confirmed => t.confirmed,
                    SeatTarget::NoShow => t.no_show,
                };
                format!("{} {status}", t.seat)
            }
            Step::Send { template, .. } => format!("{} {template}", t.send),
            Step::Start { workflow } => format!("{} {workflow}", t.start),
            Step::Notify { .. } => t.notify.into(),
        })
        .collect();
    (wait, remind, steps.join(" · "))
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The diagram as an SVG element, in Danish.
pub fn svg(w: &Workflow) -> String {
    svg_in(w, Language::Da)
}

/// The diagram as an SVG element, its labels in `language`.
pub fn svg_in(w: &Workflow, language: Language) -> String {
    let n = w.states.len();
    let edges = edges(w, language);
    // Columns: the shortest way from the first state.
    let mut layer = vec![usize::MAX; n];
    let mut queue = VecDeque::new();
    if n > 0 {
        layer[w.initial.0] = 0;
        queue.push_back(w.initial.0);
    }
    while let Some(i) = queue.pop_front() {
        for e in edges.iter().filter(|e| e.from == i) {
            if layer[e.to] == usize::MAX {
                layer[e.to] = layer[i] + 1;
                queue.push_back(e.to);
            }
        }
    }
    let deepest = layer
        .iter()
        .filter(|l| **l != usize::MAX)
        .max()
        .copied()
        .unwrap_or(0);
    for l in layer.iter_mut().filter(|l| **l == usize::MAX) {
        *l = deepest + 1;
    }
    let columns = layer.iter().max().map_or(0, |m| m + 1);
    let mut row = vec![0; n];
    let mut per_column = vec![0usize; columns];
    for i in 0..n {
        row[i] = per_column[layer[i]];
        per_column[layer[i]] += 1;
    }
    let rows = per_column.iter().max().copied().unwrap_or(0);
    let x = |i: usize| MARGIN + layer[i] * (BOX_W + COL_GAP);
    let y = |i: usize| MARGIN + row[i] * (BOX_H + ROW_GAP);
    let width = MARGIN * 2 + columns * (BOX_W + COL_GAP);
    let height = MARGIN * 2 + rows * (BOX_H + ROW_GAP) + 40;

    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg class="diagram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{name}" data-workflow="{name}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>
"##,
        name = escape(&w.name)
    );
    for e in &edges {
        let (x1, y1) = (x(e.from) + BOX_W, y(e.from) + BOX_H / 2);
        let (x2, y2) = (x(e.to), y(e.to) + BOX_H / 2);
        let from = escape(&w.states[e.from].name);
        let to = escape(&w.states[e.to].name);
        let label = escape(&e.label);
        let (path, lx, ly) = if layer[e.to] > layer[e.from] {
            let mx = (x1 + x2) / 2;
            // The label just before the box it leads to: one place per
            // edge, whatever their number.
            (
                format!("M{x1},{y1} C{mx},{y1} {mx},{y2} {x2},{y2}"),
                x2 - 34,
                y2 - 6,
            )
        } else {
            // Back or sideways: around below the boxes.
            let (bx1, by1) = (x(e.from) + BOX_W / 2, y(e.from) + BOX_H);
            let (bx2, by2) = (x(e.to) + BOX_W / 2, y(e.to) + BOX_H);
            let low = by1.max(by2) + ROW_GAP;
            (
                format!("M{bx1},{by1} C{bx1},{low} {bx2},{low} {bx2},{by2}"),
                (bx1 + bx2) / 2,
                low - 4,
            )
        };
        let _ = writeln!(
            out,
            r##"<g class="edge" data-edge="{from}->{to}"><path d="{path}" fill="none" stroke="#555" stroke-width="1.4" marker-end="url(#arrow)"/><text x="{lx}" y="{ly}" text-anchor="middle" font-size="12" fill="#333" stroke="#fff" stroke-width="3" paint-order="stroke">{label}</text></g>"##
        );
    }
    for (i, s) in w.states.iter().enumerate() {
        let (wait, remind, steps) = summary(&s.next, &s.steps, language);
        let first = i == w.initial.0;
        let end = matches!(s.next, Next::Final);
        let fill = if first {
            "#e3eefb"
        } else if end {
            "#f2f2f2"
        } else {
            "#fff"
        };
        let _ = writeln!(
            out,
            r##"<g class="state" data-state="{name}"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/><text x="{tx}" y="{ty1}" font-size="14" font-weight="700" fill="#1b1b1b">{name}</text><text x="{tx}" y="{ty2}" font-size="11" fill="#444">{wait}</text><text x="{tx}" y="{ty3}" font-size="11" fill="#444" class="remind">{remind}</text><text x="{tx}" y="{ty4}" font-size="11" fill="#666">{steps}</text></g>"##,
            name = escape(&s.name),
            x = x(i),
            y = y(i),
            stroke = if first { "#00529c" } else { "#888" },
            sw = if first { 2 } else { 1 },
            tx = x(i) + 10,
            ty1 = y(i) + 19,
            ty2 = y(i) + 35,
            ty3 = y(i) + 50,
            ty4 = y(i) + 64,
            wait = escape(&clip(&wait, 30)),
            remind = escape(&clip(&remind, 32)),
            steps = escape(&clip(&steps, 32)),
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::{CheckContext, compile};

    #[test]
    fn the_invite_workflow_is_drawn_with_a_box_per_state_and_a_labelled_arrow_per_way_out() {
        let source = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/workflows/invite.yaml"
        ))
        .unwrap();
        let w = compile(&source, &CheckContext::default())
            .workflow
            .expect("compiles");
        let svg = svg(&w);
        for state in ["asking", "confirmed", "declined", "unanswered"] {
            assert!(svg.contains(&format!("data-state=\"{state}\"")), "{state}");
        }
        assert!(svg.contains(r#"data-edge="asking->confirmed""#));
        assert!(svg.contains(">ja</text>") && svg.contains(">nej</text>"));
        assert!(svg.contains(">efter 10 dage</text>"), "{svg}");
        assert!(svg.contains(">spørg: invitation<"), "{svg}");
        assert!(
            svg.contains("class=\"remind\">påmind hver 4 dage, 2 gange<"),
            "the reminders are drawn: {svg}"
        );
        let english = svg_in(&w, Language::En);
        assert!(
            english.contains(">after 10 days</text>")
                && english.contains(">remind every 4 days, 2 times<"),
            "{english}"
        );
        assert_eq!(svg.matches("class=\"edge\"").count(), 3);
    }
}
