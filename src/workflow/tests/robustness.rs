//! Whatever is typed into a file, checking it reports problems and never fails.

use super::super::{compile, workflow_name};
use super::ctx;

/// Bits of YAML that are easy to get wrong.
const JUNK: [&str; 23] = [
    ":", "-", " ", "\n", "[", "]", "{", "}", "\"", "'", "&a", "*a", "!t", "#", "\t", "---\n",
    "yes", "goto", "~", "ø", "?", "|", ">",
];

/// A small deterministic pseudo-random sequence (xorshift).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below as u64) as usize
    }
}

/// `text` with a few characters deleted, inserted or swapped.
fn mangle(text: &str, dice: &mut Dice) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=dice.roll(4) {
        let at = dice.roll(chars.len() + 1);
        match dice.roll(3) {
            0 if at < chars.len() => {
                let len = dice.roll(12).min(chars.len() - at);
                chars.drain(at..at + len);
            }
            1 => {
                let junk = JUNK[dice.roll(JUNK.len())];
                chars.splice(at..at, junk.chars());
            }
            _ if at < chars.len() => {
                let other = dice.roll(chars.len());
                chars.swap(at, other);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

#[test]
fn mangled_definitions_give_diagnostics_with_positions_and_never_a_panic() {
    let sources = [
        include_str!("../../../workflows/invite.yaml"),
        include_str!("../../../tests/fixtures/workflows/invalid_invite.yaml"),
    ];
    let ctx = ctx();
    let mut dice = Dice(0x5eed);
    for source in sources {
        for _ in 0..1500 {
            let text = mangle(source, &mut dice);
            let compiled = compile(&text, &ctx);
            for d in &compiled.diagnostics {
                assert!(d.line >= 1 && d.column >= 1, "{d:?} in:\n{text}");
            }
            assert_eq!(
                compiled.workflow.is_some(),
                !compiled.has_errors(),
                "{text}"
            );
            if let Some(workflow) = &compiled.workflow {
                assert_eq!(
                    workflow_name(&text).as_deref(),
                    Some(workflow.name.as_str()),
                    "{text}"
                );
            }
        }
    }
}
