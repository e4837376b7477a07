//! "Did you mean …?" for misspelt keys, states, templates and the like.

/// The number of single-character edits (insert, delete, replace, or swap
/// of two neighbours) that turn `a` into `b`.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j]: distance between a[..i] and b[..j]; three rows suffice.
    let width = b.len() + 1;
    let mut before: Vec<usize> = vec![0; width];
    let mut previous: Vec<usize> = (0..width).collect();
    let mut current: Vec<usize> = vec![0; width];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The candidate closest to `word`, if one is close enough to be a likely
/// misspelling. Case is ignored; among equally close candidates the first wins.
pub(super) fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let word = word.to_lowercase();
    let length = word.chars().count();
    let allowed = match length {
        0 => return None,
        1..=2 => 1,
        3..=5 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(&word, &candidate.to_lowercase());
        // Never suggest something that shares nothing with what was written.
        if distance > allowed || distance >= length.max(candidate.chars().count()) {
            continue;
        }
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// `did you mean `x`?` for a help line.
pub(super) fn did_you_mean_help(suggestion: &str) -> String {
    format!("did you mean `{suggestion}`?")
}

/// `` `a`, `b` and `c` `` for messages.
pub(super) fn list<'a>(items: impl IntoIterator<Item = &'a str>, last_joiner: &str) -> String {
    let items: Vec<String> = items.into_iter().map(|i| format!("`{i}`")).collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {last_joiner} {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_inserts_deletes_and_replacements() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("sms", "sms"), 0);
        assert_eq!(edit_distance("smss", "sms"), 1);
        assert_eq!(edit_distance("sms", "sns"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn swapped_neighbouring_letters_count_as_one_edit() {
        assert_eq!(edit_distance("anwsers", "answers"), 1);
        assert_eq!(edit_distance("confimred", "confirmed"), 1);
    }

    #[test]
    fn edit_distance_counts_letters_not_bytes() {
        assert_eq!(edit_distance("æble", "able"), 1);
    }

    #[test]
    fn a_misspelt_word_suggests_the_closest_candidate() {
        assert_eq!(
            did_you_mean(
                "anwsers",
                ["template", "channels", "answers", "remind", "timeout"]
            ),
            Some("answers")
        );
        assert_eq!(
            did_you_mean("smss", ["preferred", "sms", "email", "telegram"]),
            Some("sms")
        );
        assert_eq!(
            did_you_mean("Asking", ["asking", "confirmed"]),
            Some("asking")
        );
    }

    #[test]
    fn an_unrelated_word_suggests_nothing() {
        assert_eq!(did_you_mean("banana", ["asking", "confirmed"]), None);
        assert_eq!(did_you_mean("x", ["no"]), None);
        assert_eq!(did_you_mean("", ["a"]), None);
    }

    #[test]
    fn the_closest_of_several_candidates_wins() {
        assert_eq!(
            did_you_mean("invitation_remindr", ["invitation", "invitation_reminder"]),
            Some("invitation_reminder")
        );
    }

    #[test]
    fn lists_are_joined_with_commas_and_a_last_word() {
        assert_eq!(list(["a"], "or"), "`a`");
        assert_eq!(list(["a", "b"], "or"), "`a` or `b`");
        assert_eq!(list(["a", "b", "c"], "and"), "`a`, `b` and `c`");
    }
}
