//! A workflow drawn as a state diagram (SVG): one box per state, in
//! columns by how many steps it is from the first, and one arrow per way
//! out, labelled with what takes it (an answer, a timeout, a filled seat).

use std::collections::VecDeque;
use std::fmt::Write;

use super::model::{Next, Period, Step, Workflow};

const BOX_W: usize = 200;
const BOX_H: usize = 58;
const COL_GAP: usize = 90;
const ROW_GAP: usize = 34;
const MARGIN: usize = 24;

/// A way out of a state.
struct Edge {
    from: usize,
    to: usize,
    label: String,
}

fn period(p: &Period) -> String {
    let mut s = String::from("P");
    if p.days > 0 {
        s.push_str(&format!("{}D", p.days));
    }
    if p.seconds > 0 {
        let (h, m) = (p.seconds / 3600, (p.seconds % 3600) / 60);
        s.push('T');
        if h > 0 {
            s.push_str(&format!("{h}H"));
        }
        if m > 0 {
            s.push_str(&format!("{m}M"));
        }
    }
    s
}

fn edges(w: &Workflow) -> Vec<Edge> {
    let mut out = Vec::new();
    for (i, s) in w.states.iter().enumerate() {
        let mut add = |to: usize, label: String| out.push(Edge { from: i, to, label });
        match &s.next {
            Next::Ask(a) => {
                for (answer, to) in &a.answers {
                    add(to.0, answer.as_str().to_string());
                }
                if let Some(t) = &a.timeout {
                    add(t.goto.0, format!("timeout {}", period(&t.after)));
                }
            }
            Next::Offer(o) => {
                add(o.filled.0, "filled".into());
                add(o.unfilled.0, "unfilled".into());
            }
            Next::Swap(sw) => {
                add(sw.moved.0, "moved".into());
                add(sw.none.0, "none".into());
                add(sw.kept.0, "kept".into());
                if let Some(a) = &sw.approval {
                    add(a.refused.0, "refused".into());
                }
            }
            Next::Goto(to) => add(to.0, String::new()),
            Next::Final => {}
        }
    }
    out
}

/// What a state's box says under its name.
fn summary(next: &Next, steps: &[Step]) -> (String, String) {
    let wait = match next {
        Next::Ask(a) => format!("ask: {}", a.template),
        Next::Offer(o) => format!("offer: {} ×{}", o.template, o.wave),
        Next::Swap(s) => format!("swap: {}", s.template),
        Next::Goto(_) => String::new(),
        Next::Final => "end".into(),
    };
    let steps: Vec<String> = steps
        .iter()
        .map(|s| match s {
            Step::SetSeat(t) => format!("seat {}", format!("{t:?}").to_lowercase()),
            Step::Send { template, .. } => format!("send {template}"),
            Step::Start { workflow } => format!("start {workflow}"),
            Step::Notify { .. } => "notify".into(),
        })
        .collect();
    (wait, steps.join(" · "))
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

/// The diagram as an SVG element.
pub fn svg(w: &Workflow) -> String {
    let n = w.states.len();
    let edges = edges(w);
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
        let (wait, steps) = summary(&s.next, &s.steps);
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
            r##"<g class="state" data-state="{name}"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/><text x="{tx}" y="{ty1}" font-size="14" font-weight="700" fill="#1b1b1b">{name}</text><text x="{tx}" y="{ty2}" font-size="11" fill="#444">{wait}</text><text x="{tx}" y="{ty3}" font-size="11" fill="#666">{steps}</text></g>"##,
            name = escape(&s.name),
            x = x(i),
            y = y(i),
            stroke = if first { "#00529c" } else { "#888" },
            sw = if first { 2 } else { 1 },
            tx = x(i) + 10,
            ty1 = y(i) + 19,
            ty2 = y(i) + 35,
            ty3 = y(i) + 50,
            wait = escape(&clip(&wait, 30)),
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
        assert!(svg.contains(">yes</text>") && svg.contains(">no</text>"));
        assert!(svg.contains(">timeout P10D</text>"), "{svg}");
        assert!(svg.contains("ask: invitation"));
        assert_eq!(svg.matches("class=\"edge\"").count(), 3);
    }
}
