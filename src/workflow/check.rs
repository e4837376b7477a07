//! Resolves the names in a [`Definition`] (states, templates, workflows),
//! checks how the states connect, and builds the [`Workflow`].

use std::collections::BTreeSet;

use super::compile::CheckContext;
use super::definition::{AskDef, Definition, OfferDef, Ref, StateDef, StepDef, SwapDef};
use super::diagnostic::code;
use super::model::{
    Answer, Ask, Next, Offer, Remind, State, StateId, Step, Swap, SwapApproval, Timeout, Workflow,
};
use super::period::approximate_seconds;
use super::reader::Reader;
use super::suggest::{did_you_mean, did_you_mean_help, list};

const UNREACHABLE_HELP: &str =
    "no answer, `goto` or `timeout` leads to it; add one that does, or remove the state";

/// Lists of names longer than this are not spelled out in help texts.
const MAX_LISTED: usize = 12;

/// Checks references and the state graph, adding diagnostics to `r`.
/// Returns the workflow when every part of it could be resolved.
pub(super) fn check(def: &Definition, ctx: &CheckContext, r: &mut Reader) -> Option<Workflow> {
    let mut checker = Checker {
        names: def.states.iter().map(|s| s.name.as_str()).collect(),
        ctx,
        r,
    };
    let initial = match &def.initial {
        Some(reference) => checker.state(reference),
        None if def.states.is_empty() => Target::Missing,
        None => Target::Found(StateId(0)),
    };
    let states: Vec<Option<State>> = def.states.iter().map(|s| checker.build_state(s)).collect();
    let graph = Graph::new(def, &checker.names);
    checker.goto_loops(def, &graph);
    if !def.incomplete
        && let Some(initial) = initial.for_graph()
    {
        checker.unreachable(def, &graph, initial);
    }
    for state in &def.states {
        if let Some(ask) = &state.ask {
            checker.advise(&state.name, ask);
        }
    }
    Some(Workflow {
        name: def.name.clone()?,
        description: def.description.clone(),
        trigger: def.trigger.clone()?,
        initial: initial.found()?,
        states: states.into_iter().collect::<Option<Vec<_>>>()?,
    })
}

/// A state reference after lookup.
#[derive(Debug, Clone, Copy)]
enum Target {
    Found(StateId),
    /// Not declared, but probably a misspelling of this one.
    Suggested(StateId),
    Missing,
}

impl Target {
    fn found(self) -> Option<StateId> {
        match self {
            Target::Found(id) => Some(id),
            _ => None,
        }
    }

    /// Where the reference most likely leads, for judging reachability
    /// without follow-on warnings from a misspelling already reported.
    fn for_graph(self) -> Option<StateId> {
        match self {
            Target::Found(id) | Target::Suggested(id) => Some(id),
            Target::Missing => None,
        }
    }
}

struct Checker<'a> {
    names: Vec<&'a str>,
    ctx: &'a CheckContext,
    r: &'a mut Reader,
}

impl Checker<'_> {
    /// Looks up a state, reporting it if it is not declared.
    fn state(&mut self, reference: &Ref) -> Target {
        if let Some(i) = self.names.iter().position(|n| *n == reference.name) {
            return Target::Found(StateId(i));
        }
        let suggestion = did_you_mean(&reference.name, self.names.iter().copied());
        let help = match suggestion {
            Some(s) => Some(did_you_mean_help(s)),
            None if self.names.is_empty() => None,
            None if self.names.len() <= MAX_LISTED => Some(format!(
                "the states are {}",
                list(self.names.iter().copied(), "and")
            )),
            None => None,
        };
        self.r.error(
            code::UNKNOWN_STATE,
            reference.pos,
            format!("there is no state `{}`", reference.name),
            help,
        );
        match suggestion.and_then(|s| self.names.iter().position(|n| *n == s)) {
            Some(i) => Target::Suggested(StateId(i)),
            None => Target::Missing,
        }
    }

    /// Checks that a message template exists, when the templates are known.
    fn template(&mut self, reference: &Ref) -> bool {
        let Some(templates) = &self.ctx.templates else {
            return true;
        };
        self.known(
            templates,
            reference,
            code::UNKNOWN_TEMPLATE,
            "message template",
            "templates",
        )
    }

    /// Checks that a workflow exists, when the workflows are known.
    fn workflow(&mut self, reference: &Ref) -> bool {
        let Some(workflows) = &self.ctx.workflows else {
            return true;
        };
        self.known(
            workflows,
            reference,
            code::UNKNOWN_WORKFLOW,
            "workflow",
            "workflows",
        )
    }

    fn known(
        &mut self,
        names: &BTreeSet<String>,
        reference: &Ref,
        code: &'static str,
        what: &str,
        plural: &str,
    ) -> bool {
        if names.contains(&reference.name) {
            return true;
        }
        let help = match did_you_mean(&reference.name, names.iter().map(String::as_str)) {
            Some(s) => Some(did_you_mean_help(s)),
            None if names.is_empty() => Some(format!("there are no {plural} yet")),
            None if names.len() <= MAX_LISTED => Some(format!(
                "the {plural} are {}",
                list(names.iter().map(String::as_str), "and")
            )),
            None => None,
        };
        self.r.error(
            code,
            reference.pos,
            format!("there is no {what} `{}`", reference.name),
            help,
        );
        false
    }

    fn build_state(&mut self, def: &StateDef) -> Option<State> {
        let steps: Vec<Option<Step>> = def.steps.iter().map(|s| self.step(s)).collect();
        let ask = def.ask.as_ref().map(|a| self.ask(a));
        let offer = def.offer.as_ref().map(|o| self.offer(o));
        let swap = def.swap.as_ref().map(|s| self.swap(s));
        let goto = def.goto.as_ref().map(|g| self.state(g).found());
        let next = match (ask, offer, swap, goto) {
            (Some(ask), _, _, _) => Next::Ask(ask?),
            (None, Some(offer), _, _) => Next::Offer(offer?),
            (None, None, Some(swap), _) => Next::Swap(swap?),
            (None, None, None, Some(goto)) => Next::Goto(goto?),
            (None, None, None, None) => Next::Final,
        };
        Some(State {
            name: def.name.clone(),
            steps: steps.into_iter().collect::<Option<_>>()?,
            next,
        })
    }

    fn step(&mut self, step: &StepDef) -> Option<Step> {
        Some(match step {
            StepDef::SetSeat(target) => Step::SetSeat(*target),
            StepDef::Send { template, channels } => {
                self.template(template).then_some(())?;
                Step::Send {
                    template: template.name.clone(),
                    channels: channels.clone(),
                }
            }
            StepDef::Start(workflow) => {
                self.workflow(workflow).then_some(())?;
                Step::Start {
                    workflow: workflow.name.clone(),
                }
            }
            StepDef::Notify {
                audience,
                message,
                message_en,
            } => Step::Notify {
                audience: *audience,
                message: message.clone(),
                message_en: message_en.clone(),
            },
        })
    }

    fn ask(&mut self, def: &AskDef) -> Option<Ask> {
        let template = def.template.as_ref().map(|t| self.template(t));
        let answers: Vec<Option<(Answer, StateId)>> = def
            .answers
            .iter()
            .map(|(answer, target)| Some((*answer, self.state(target).found()?)))
            .collect();
        let remind = def.remind.as_ref().map(|remind| {
            let template = remind.template.as_ref().map(|t| self.template(t));
            Some(Remind {
                every: remind.every?.0,
                template: remind
                    .template
                    .clone()
                    .filter(|_| template == Some(true))?
                    .name,
                max: remind.max,
            })
        });
        let timeout = def.timeout.as_ref().map(|timeout| {
            let goto = timeout.goto.as_ref().map(|g| self.state(g).found());
            Some(Timeout {
                after: timeout.after?.0,
                goto: goto??,
                before_start: timeout
                    .before_start?
                    .unwrap_or(Timeout::DEFAULT_BEFORE_START),
            })
        });
        Some(Ask {
            template: def
                .template
                .clone()
                .filter(|_| template == Some(true))?
                .name,
            channels: def.channels.clone(),
            answers: answers.into_iter().collect::<Option<_>>()?,
            remind: present_or_absent(remind)?,
            timeout: present_or_absent(timeout)?,
        })
    }

    fn offer(&mut self, def: &OfferDef) -> Option<Offer> {
        let template = def.template.as_ref().map(|t| self.template(t));
        let filled = def.filled.as_ref().map(|s| self.state(s).found());
        let unfilled = def.unfilled.as_ref().map(|s| self.state(s).found());
        Some(Offer {
            template: def
                .template
                .clone()
                .filter(|_| template == Some(true))?
                .name,
            channels: def.channels.clone(),
            wave: def.wave?,
            wait: def.wait?,
            filled: filled??,
            unfilled: unfilled??,
            same_team: def.same_team?,
        })
    }

    fn swap(&mut self, def: &SwapDef) -> Option<Swap> {
        let template = def.template.as_ref().map(|t| self.template(t));
        let moved = def.moved.as_ref().map(|s| self.state(s).found());
        let none = def.none.as_ref().map(|s| self.state(s).found());
        let kept = def.kept.as_ref().map(|s| self.state(s).found());
        let approval = match &def.approval {
            None => Some(None),
            Some(a) => {
                let template = a.template.as_ref().map(|t| self.template(t));
                let refused = a.refused.as_ref().map(|s| self.state(s).found());
                match (
                    a.template.clone().filter(|_| template == Some(true)),
                    refused,
                ) {
                    (Some(t), Some(Some(refused))) => Some(Some(SwapApproval {
                        template: t.name,
                        refused,
                    })),
                    _ => None,
                }
            }
        };
        Some(Swap {
            template: def
                .template
                .clone()
                .filter(|_| template == Some(true))?
                .name,
            channels: def.channels.clone(),
            within: def.within?,
            options: def.options?,
            wait: def.wait?,
            moved: moved??,
            none: none??,
            kept: kept??,
            approval: approval?,
            same_team: def.same_team?,
        })
    }

    /// Errors for states that only `goto` each other in a circle.
    fn goto_loops(&mut self, def: &Definition, graph: &Graph) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let mut marks = vec![Mark::New; def.states.len()];
        for start in 0..def.states.len() {
            let mut path = Vec::new();
            let mut at = Some(start);
            while let Some(i) = at {
                match marks[i] {
                    Mark::Done => break,
                    Mark::OnPath => {
                        let from = path.iter().position(|p| *p == i).unwrap_or(0);
                        self.report_loop(def, graph, &path[from..]);
                        break;
                    }
                    Mark::New => {
                        marks[i] = Mark::OnPath;
                        path.push(i);
                        at = graph.goto_only[i];
                    }
                }
            }
            for i in path {
                marks[i] = Mark::Done;
            }
        }
    }

    fn report_loop(&mut self, def: &Definition, graph: &Graph, cycle: &[usize]) {
        // Start the story at the state listed first.
        let first = cycle
            .iter()
            .enumerate()
            .min_by_key(|(_, i)| **i)
            .map_or(0, |(at, _)| at);
        let ordered: Vec<usize> = cycle[first..]
            .iter()
            .chain(&cycle[..first])
            .copied()
            .collect();
        let Some(&head) = ordered.first() else { return };
        let Some(pos) = graph.goto_pos[head] else {
            return;
        };
        let message = if ordered.len() == 1 {
            format!(
                "state `{}` goes to itself with `goto` and never waits for an answer, \
                 so it would loop forever",
                def.states[head].name
            )
        } else {
            let names: Vec<String> = ordered
                .iter()
                .chain(std::iter::once(&head))
                .map(|i| format!("`{}`", def.states[*i].name))
                .collect();
            format!(
                "the states {} go to each other with `goto` and never wait for an answer, \
                 so they would loop forever",
                names.join(" → ")
            )
        };
        let help = if ordered.len() == 1 {
            "give the state an `ask` instead of `goto`, or let it end the workflow"
        } else {
            "give one of these states an `ask` instead of `goto`, \
             or let one of them end the workflow"
        };
        self.r
            .error(code::GOTO_LOOP, pos, message, Some(help.to_string()));
    }

    /// Warnings for states that nothing leads to.
    fn unreachable(&mut self, def: &Definition, graph: &Graph, initial: StateId) {
        let mut seen = vec![false; def.states.len()];
        let mut queue = vec![initial.0];
        while let Some(i) = queue.pop() {
            if i >= seen.len() || seen[i] {
                continue;
            }
            seen[i] = true;
            queue.extend(graph.edges[i].iter().copied());
        }
        let initial_name = &def.states[initial.0].name;
        for (state, _) in def.states.iter().zip(&seen).filter(|(_, seen)| !**seen) {
            self.r.warning(
                code::UNREACHABLE_STATE,
                state.pos,
                format!(
                    "state `{}` can never be reached from the first state `{initial_name}`",
                    state.name
                ),
                Some(UNREACHABLE_HELP.to_string()),
            );
        }
    }

    /// Warnings for questions that are probably not what was meant.
    fn advise(&mut self, state: &str, ask: &AskDef) {
        if let Some(pos) = ask.answers_pos.filter(|_| !ask.answers.is_empty()) {
            for answer in Answer::ALL {
                if ask.answers.iter().all(|(a, _)| *a != answer) {
                    let a = answer.as_str();
                    self.r.warning(
                        code::MISSING_ANSWER,
                        pos,
                        format!("the question in state `{state}` does not handle the answer `{a}`"),
                        Some(format!(
                            "add `{a}: …` under `answers`; as it is, someone who answers {a} is told \
                             that answer is not accepted, and the question stays open"
                        )),
                    );
                }
            }
        }
        let remind = ask.remind.as_ref().and_then(|r| r.every);
        let timeout = ask.timeout.as_ref().and_then(|t| t.after);
        if let (Some((every, pos)), Some((after, _))) = (remind, timeout)
            && approximate_seconds(every) >= approximate_seconds(after)
        {
            self.r.warning(
                code::REMIND_AFTER_TIMEOUT,
                pos,
                format!(
                    "the first reminder would come after {every}, but the question times out \
                     after {after}, so no reminder would ever be sent"
                ),
                Some(
                    "make `every` shorter than the timeout's `after`, or remove `remind`"
                        .to_string(),
                ),
            );
        }
    }
}

/// An optional part that failed to build (`Some(None)`) fails the whole;
/// an absent part (`None`) stays absent.
fn present_or_absent<T>(part: Option<Option<T>>) -> Option<Option<T>> {
    match part {
        None => Some(None),
        Some(built) => built.map(Some),
    }
}

/// How the states connect, by index into [`Definition::states`].
struct Graph {
    /// Every state each state can lead to, by answer, `goto` or timeout.
    edges: Vec<Vec<usize>>,
    /// Where a state without `ask` goes at once.
    goto_only: Vec<Option<usize>>,
    /// Where that `goto` is written.
    goto_pos: Vec<Option<super::yaml::Pos>>,
}

impl Graph {
    /// Builds the graph. Lookups here report nothing: the same references
    /// are reported by [`Checker::build_state`].
    fn new(def: &Definition, names: &[&str]) -> Graph {
        let lookup = |reference: &Ref| -> Option<usize> {
            names.iter().position(|n| *n == reference.name).or_else(|| {
                did_you_mean(&reference.name, names.iter().copied())
                    .and_then(|s| names.iter().position(|n| *n == s))
            })
        };
        let mut edges = Vec::new();
        let mut goto_only = Vec::new();
        let mut goto_pos = Vec::new();
        for state in &def.states {
            let mut out = Vec::new();
            if let Some(ask) = &state.ask {
                out.extend(ask.answers.iter().filter_map(|(_, target)| lookup(target)));
                out.extend(
                    ask.timeout
                        .as_ref()
                        .and_then(|t| t.goto.as_ref())
                        .and_then(lookup),
                );
            }
            if let Some(offer) = &state.offer {
                out.extend(offer.filled.as_ref().and_then(lookup));
                out.extend(offer.unfilled.as_ref().and_then(lookup));
            }
            if let Some(swap) = &state.swap {
                for target in [&swap.moved, &swap.none, &swap.kept] {
                    out.extend(target.as_ref().and_then(lookup));
                }
                if let Some(a) = &swap.approval {
                    out.extend(a.refused.as_ref().and_then(lookup));
                }
            }
            let goto = state.goto.as_ref().and_then(lookup);
            out.extend(goto);
            edges.push(out);
            let exact = state
                .goto
                .as_ref()
                .and_then(|g| names.iter().position(|n| *n == g.name));
            let only = if state.ask.is_none() && state.offer.is_none() && state.swap.is_none() {
                exact
            } else {
                None
            };
            goto_only.push(only);
            goto_pos.push(
                state
                    .goto
                    .as_ref()
                    .map(|g| g.pos)
                    .filter(|_| only.is_some()),
            );
        }
        Graph {
            edges,
            goto_only,
            goto_pos,
        }
    }
}
