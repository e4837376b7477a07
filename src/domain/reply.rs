//! The reply grammar shared by SMS and chat text.
//!
//! `JA`, `J`, `JA TAK`, `OK`, `YES`, `Y` accept; `NEJ`, `N`, `NEJ TAK`, `NO`
//! decline; `AFMELD`, `AFBUD`, `SYG` give up a seat (with its code when
//! there are several); `STOP` opts out of SMS and `START` back in;
//! `HJÆLP`, `HJAELP`, `HELP` ask for help; `MØDT` checks in on the day; `UDEBLEVET S3` (from a station's
//! responsible) reports the person of seat S3 as not come; `SKIFT` asks to
//! swap polling station, and a lone digit (`2`, `K7 2`) chooses one of the
//! stations a swap message listed. Case, accents and punctuation are
//! forgiven. A short code
//! (`K7`) may stand anywhere; words that are neither keyword nor code are
//! kept, in the sender's own spelling, for the secretariat to read.

use super::short_code::ShortCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Accept,
    Decline,
    /// `AFMELD`, `AFBUD`, `SYG`: the sender gives up a seat.
    GiveUp,
    /// `STOP`: no more SMS.
    OptOut,
    /// `START`: SMS again after `STOP`.
    OptIn,
    Help,
    /// `MØDT`: the sender has arrived at their station.
    CheckIn,
    /// `UDEBLEVET S3`: the person of a seat has not come.
    NoShow,
    /// `SKIFT`: the sender wants to swap polling station.
    Swap,
    /// A lone digit without another keyword: a choice among numbered
    /// options (`Reply::choice`).
    Choose,
    /// No keyword was found.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub intent: Intent,
    pub code: Option<ShortCode>,
    /// The first lone digit 1–9 (`SKIFT 2`, `K7 2`, `2`).
    pub choice: Option<u8>,
    /// The words that were neither keyword nor code, or `None`.
    pub extra: Option<String>,
}

const ACCEPT: &[&str] = &["JA", "J", "OK", "YES", "Y"];
const DECLINE: &[&str] = &["NEJ", "N", "NO"];
const GIVE_UP: &[&str] = &["AFMELD", "AFBUD", "SYG", "CANCEL"];
const OPT_OUT: &[&str] = &["STOP"];
const OPT_IN: &[&str] = &["START"];
const HELP: &[&str] = &["HJAELP", "HELP", "HJELP"];
const CHECK_IN: &[&str] = &["MOEDT", "MODT", "MOETT", "ARRIVED", "CHECKIN"];
const NO_SHOW: &[&str] = &["UDEBLEVET", "UDEBLEVEN", "UDEBLEVNE", "NOSHOW"];
const SWAP: &[&str] = &["SKIFT", "SKIFTE", "BYT", "SWAP"];

impl Reply {
    pub fn parse(text: &str) -> Reply {
        let words: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '!' | '?' | ';' | ':'))
            .filter(|w| !w.is_empty())
            .collect();
        let mut intent = Intent::Unknown;
        let mut code = None;
        let mut choice = None;
        let mut extra = Vec::new();
        let mut after_keyword = false;
        let mut words = words.into_iter().peekable();
        while let Some(word) = words.next() {
            let folded = fold(word);
            // `K 7`: a lone letter followed by a number is one code.
            if code.is_none()
                && folded.len() == 1
                && keyword(&folded).is_none()
                && let Some(next) = words.peek()
                && let Ok(c) = ShortCode::parse(&format!("{folded}{}", fold(next)))
            {
                code = Some(c);
                words.next();
                continue;
            }

            if intent == Intent::Unknown
                && let Some(found) = keyword(&folded)
            {
                intent = found;
                after_keyword = true;
                continue;
            }
            if after_keyword
                && matches!(intent, Intent::Accept | Intent::Decline)
                && folded == "TAK"
            {
                after_keyword = false;
                continue;
            }
            after_keyword = false;
            if code.is_none()
                && let Ok(c) = ShortCode::parse(&folded)
            {
                code = Some(c);
                continue;
            }
            if choice.is_none()
                && let [digit @ b'1'..=b'9'] = folded.as_bytes()
            {
                choice = Some((digit - b'0', extra.len(), word));
                continue;
            }
            extra.push(word);
        }
        // A digit is a choice alone (`2`, `K7 2`) or after SKIFT; inside
        // other words ("kommer 5 min senere") it is part of them.
        let choice = match choice {
            Some((_, at, word)) if intent == Intent::Unknown && !extra.is_empty() => {
                extra.insert(at, word);
                None
            }
            Some((n, _, _)) => Some(n),
            None => None,
        };
        if intent == Intent::Unknown && choice.is_some() {
            intent = Intent::Choose;
        }
        Reply {
            intent,
            code,
            choice,
            extra: if extra.is_empty() {
                None
            } else {
                Some(extra.join(" "))
            },
        }
    }
}

fn keyword(folded: &str) -> Option<Intent> {
    [
        (ACCEPT, Intent::Accept),
        (DECLINE, Intent::Decline),
        (GIVE_UP, Intent::GiveUp),
        (OPT_OUT, Intent::OptOut),
        (OPT_IN, Intent::OptIn),
        (HELP, Intent::Help),
        (CHECK_IN, Intent::CheckIn),
        (NO_SHOW, Intent::NoShow),
        (SWAP, Intent::Swap),
    ]
    .into_iter()
    .find(|(words, _)| words.contains(&folded))
    .map(|(_, intent)| intent)
}

/// Upper case, Danish letters spelled out, other accents dropped, and
/// anything that is not a letter or digit removed.
fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_uppercase) {
        match c {
            'Æ' | 'Ä' => out.push_str("AE"),
            'Ø' | 'Ö' => out.push_str("OE"),
            'Å' => out.push_str("AA"),
            'À' | 'Á' | 'Â' | 'Ã' => out.push('A'),
            'È' | 'É' | 'Ê' | 'Ë' => out.push('E'),
            'Ì' | 'Í' | 'Î' | 'Ï' => out.push('I'),
            'Ò' | 'Ó' | 'Ô' | 'Õ' => out.push('O'),
            'Ù' | 'Ú' | 'Û' | 'Ü' => out.push('U'),
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(text: &str) -> Intent {
        Reply::parse(text).intent
    }

    #[test]
    fn every_accepting_spelling_accepts() {
        for text in [
            "JA", "ja", "Ja!", "J", "ja tak", "JA TAK.", "ok", "Yes", "y", "Já",
        ] {
            assert_eq!(intent(text), Intent::Accept, "{text}");
        }
    }

    #[test]
    fn every_declining_spelling_declines() {
        for text in ["NEJ", "nej", "N", "Nej tak", "no", "Nej."] {
            assert_eq!(intent(text), Intent::Decline, "{text}");
        }
    }

    #[test]
    fn stop_opts_out_start_back_in_and_afmeld_afbud_syg_give_up_a_seat() {
        assert_eq!(intent("stop"), Intent::OptOut);
        assert_eq!(intent("Start"), Intent::OptIn);
        for text in ["Afmeld", "AFBUD", "syg", "Afmeld K7"] {
            assert_eq!(intent(text), Intent::GiveUp, "{text}");
        }
        assert_eq!(Reply::parse("afbud k7").code.unwrap().as_str(), "K7");
        for text in ["HJÆLP", "hjælp", "HJAELP", "help", "Hjælp?"] {
            assert_eq!(intent(text), Intent::Help, "{text}");
        }
    }

    #[test]
    fn a_code_is_found_before_or_after_the_keyword() {
        for text in ["JA K7", "ja k7", "K7 ja", "Ja tak, K7!", "ja k 7"] {
            let reply = Reply::parse(text);
            assert_eq!(reply.intent, Intent::Accept, "{text}");
            assert_eq!(
                reply.code.as_ref().map(ShortCode::as_str),
                Some("K7"),
                "{text}"
            );
        }
    }

    #[test]
    fn extra_words_are_kept_in_the_senders_spelling() {
        let reply = Reply::parse("Nej tak, jeg er på ferie K7");
        assert_eq!(reply.intent, Intent::Decline);
        assert_eq!(reply.code.unwrap().as_str(), "K7");
        assert_eq!(reply.extra.as_deref(), Some("jeg er på ferie"));
    }

    #[test]
    fn skift_asks_to_swap_and_a_lone_digit_chooses_an_option() {
        for text in ["SKIFT", "skift", "Skift valgsted", "byt"] {
            assert_eq!(intent(text), Intent::Swap, "{text}");
        }
        for (text, code) in [
            ("2", None),
            ("K7 2", Some("K7")),
            ("2 k7", Some("K7")),
            ("k 7 2", Some("K7")),
        ] {
            let reply = Reply::parse(text);
            assert_eq!(reply.intent, Intent::Choose, "{text}");
            assert_eq!(reply.choice, Some(2), "{text}");
            assert_eq!(reply.code.as_ref().map(ShortCode::as_str), code, "{text}");
        }
        let reply = Reply::parse("SKIFT K7 3");
        assert_eq!((reply.intent, reply.choice), (Intent::Swap, Some(3)));
        // Numbers that are no option stay words for the secretariat.
        let reply = Reply::parse("Jeg kan komme efter kl 12");
        assert_eq!((reply.intent, reply.choice), (Intent::Unknown, None));
        assert_eq!(Reply::parse("0").intent, Intent::Unknown);
        let reply = Reply::parse("Jeg kommer 5 min senere");
        assert_eq!((reply.intent, reply.choice), (Intent::Unknown, None));
        assert_eq!(reply.extra.as_deref(), Some("Jeg kommer 5 min senere"));
    }

    #[test]
    fn a_message_without_a_keyword_is_unknown_and_kept_whole() {
        let reply = Reply::parse("Hvornår skal jeg møde?");
        assert_eq!(reply.intent, Intent::Unknown);
        assert_eq!(reply.extra.as_deref(), Some("Hvornår skal jeg møde"));
    }

    #[test]
    fn moedt_checks_in_and_udeblevet_with_a_seat_code_reports_a_no_show() {
        for text in ["MØDT", "mødt", "Modt", "MOEDT!"] {
            assert_eq!(intent(text), Intent::CheckIn, "{text}");
        }
        let reply = Reply::parse("Udeblevet S3");
        assert_eq!(reply.intent, Intent::NoShow);
        assert_eq!(reply.code.unwrap().as_str(), "S3");
        assert_eq!(intent("UDEBLEVEN s 12"), Intent::NoShow);
    }

    #[test]
    fn only_the_first_keyword_counts_and_later_ones_are_kept_as_words() {
        let reply = Reply::parse("ja nej");
        assert_eq!(reply.intent, Intent::Accept);
        assert_eq!(reply.extra.as_deref(), Some("nej"));
    }
}
