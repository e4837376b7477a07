//! The placeholders a message template can use.

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::domain::Language;
use crate::store::SeatDetails;

/// How people reach the secretariat, printed in messages.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contact {
    pub municipality: String,
    /// How to reach the secretariat, as one text (`{{ contact }}`).
    pub contact: String,
    /// A number to call (`{{ contact_phone }}`); without one, `contact`
    /// when it is no e-mail address.
    #[serde(default)]
    pub phone: String,
    /// An address to write to (`{{ contact_email }}`); without one,
    /// `contact` when it is an e-mail address.
    #[serde(default)]
    pub email: String,
}

impl Contact {
    /// A number to call, or empty: no message says "call" an e-mail
    /// address.
    pub fn phone(&self) -> String {
        match (self.phone.trim(), self.contact.contains('@')) {
            ("", false) => self.contact.clone(),
            ("", true) => String::new(),
            (phone, _) => phone.to_string(),
        }
    }

    /// An address to write to, or empty.
    pub fn email(&self) -> String {
        match (self.email.trim(), self.contact.contains('@')) {
            ("", true) => self.contact.clone(),
            ("", false) => String::new(),
            (email, _) => email.to_string(),
        }
    }
}

/// One open question, as a clarifying message lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuestionSummary {
    pub code: String,
    pub station: String,
    pub task_type: String,
    pub date: String,
}

/// One station a person may swap to, numbered as they answer it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SwapOption {
    pub n: i64,
    pub station: String,
    pub address: String,
}

/// One seat a person holds, as `/status` in the chat lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeatLine {
    pub station: String,
    pub address: String,
    pub task_type: String,
    pub date: String,
    pub start: String,
    pub end: String,
    /// `invited` or `confirmed`.
    pub status: String,
}

impl SeatLine {
    pub fn of(seat: &SeatDetails, language: Language) -> SeatLine {
        SeatLine {
            station: seat.station.clone(),
            address: seat.address.clone(),
            task_type: seat.task_type.clone(),
            date: format_date(seat.date, language),
            start: format_time(seat.start_time),
            end: format_time(seat.end_time),
            status: seat.status.clone(),
        }
    }
}

/// Every placeholder, always present (empty when it does not apply), so
/// that a template never fails on an undefined variable.
#[derive(Clone, Serialize, Deserialize, Default)]
pub struct MessageContext {
    pub name: String,
    pub election: String,
    pub station: String,
    pub address: String,
    pub task_type: String,
    pub team: String,
    pub date: String,
    pub start: String,
    pub end: String,
    pub payment: String,
    pub code: String,
    /// The seat's code on the station's list (`S3`).
    pub seat_code: String,
    pub contact: String,
    /// A number to call the secretariat on, or empty.
    pub contact_phone: String,
    /// An address to write to the secretariat at, or empty.
    pub contact_email: String,
    pub municipality: String,
    pub answer: String,
    pub unknown_code: String,
    pub questions: Vec<QuestionSummary>,
    /// In a swap message: the stations with a free seat, numbered.
    pub options: Vec<SwapOption>,
    /// In a swap message sent again: the station that was taken just
    /// before the person's choice arrived.
    pub taken_station: String,
    /// In a swap awaiting the secretariat's approval: the station chosen.
    #[serde(default)]
    pub requested_station: String,
    /// In the chat's `/status`: the seats the person holds from today; in
    /// a message a workflow sends about a seat: the seats the person holds
    /// confirmed on its date (this one included), by start time.
    #[serde(default)]
    pub seats: Vec<SeatLine>,
    /// Why a chat could not be linked: `used`, `expired` or `invalid`.
    #[serde(default)]
    pub reason: String,
    /// In a group message: what the secretariat wrote, as written; in a
    /// notice to a team's responsible, what the workflow says happened.
    #[serde(default)]
    pub text: String,
    /// In a notice to a team's responsible: the member it is about.
    #[serde(default)]
    pub member: String,
    /// Why a person could not take a seat: the rule they fail (`age`,
    /// `residence`, `citizenship`, `team`, …).
    #[serde(default)]
    pub rule: String,
    /// In e-mails that ask a question: where to click to answer.
    pub links: Links,
}

/// The addresses of a question's answer links (markers until delivery).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Links {
    pub accept: String,
    pub decline: String,
    /// The page that lists the stations to swap to.
    pub swap: String,
    /// Gives up a confirmed seat (in confirmations).
    #[serde(default)]
    pub cancel: String,
    /// Opens the chat with the Telegram bot and links it (in invitations,
    /// while the person has not linked one and a bot is configured).
    #[serde(default)]
    pub telegram: String,
}

impl MessageContext {
    pub fn new(contact: &Contact) -> MessageContext {
        MessageContext {
            contact: contact.contact.clone(),
            contact_phone: contact.phone(),
            contact_email: contact.email(),
            municipality: contact.municipality.clone(),
            ..MessageContext::default()
        }
    }

    pub fn with_seat(mut self, seat: &SeatDetails, language: Language) -> MessageContext {
        self.election = seat.election.clone();
        self.station = seat.station.clone();
        self.address = seat.address.clone();
        self.task_type = seat.task_type.clone();
        self.team = seat.team.clone();
        self.date = format_date(seat.date, language);
        self.start = format_time(seat.start_time);
        self.end = format_time(seat.end_time);
        self.payment = format_payment(seat.payment_ore, language);
        self.seat_code = seat.code.clone().unwrap_or_default();
        self
    }

    /// Every placeholder filled with made-up values, for checking and
    /// previewing a template without a seat.
    pub fn sample(contact: &Contact, language: Language) -> MessageContext {
        let day = NaiveDate::from_ymd_opt(2029, 11, 20).unwrap_or_default();
        let link = |purpose: &str| format!("https://valg.example.dk/l/{purpose}-eksempel");
        let date = format_date(day, language);
        MessageContext {
            name: "Anna Jensen".into(),
            election: "Kommunalvalg 2029".into(),
            station: "Rådhushallen".into(),
            address: "Rådhuspladsen 1".into(),
            task_type: "Valgstyrer".into(),
            team: "Borgerlisten".into(),
            date: date.clone(),
            start: "07:30".into(),
            end: "21:00".into(),
            payment: format_payment(60000, language),
            code: "K7".into(),
            seat_code: "S3".into(),
            answer: "JA".into(),
            unknown_code: "K9".into(),
            questions: vec![QuestionSummary {
                code: "K7".into(),
                station: "Rådhushallen".into(),
                task_type: "Valgstyrer".into(),
                date: date.clone(),
            }],
            options: vec![
                SwapOption {
                    n: 1,
                    station: "Østre Skole".into(),
                    address: "Skolevej 12".into(),
                },
                SwapOption {
                    n: 2,
                    station: "Hallen".into(),
                    address: "Idrætsvej 3".into(),
                },
            ],
            taken_station: "Hallen".into(),
            requested_station: "Østre Skole".into(),
            seats: vec![SeatLine {
                station: "Rådhushallen".into(),
                address: "Rådhuspladsen 1".into(),
                task_type: "Valgstyrer".into(),
                date,
                start: "07:30".into(),
                end: "21:00".into(),
                status: "confirmed".into(),
            }],
            reason: "used".into(),
            text: "Husk at tage legitimation med.".into(),
            member: "Bo Nielsen".into(),
            rule: "age".into(),
            links: Links {
                accept: link("ja"),
                decline: link("nej"),
                swap: link("skift"),
                cancel: link("afmeld"),
                telegram: "https://t.me/valgvagt_bot?start=eksempel".into(),
            },
            ..MessageContext::new(contact)
        }
    }

    /// The placeholders a template can use, as it writes them: `{{ name }}`,
    /// `{{ links.accept }}`, and a loop for a list.
    pub fn placeholders() -> Vec<String> {
        let sample = MessageContext::sample(
            &Contact {
                municipality: String::new(),
                contact: String::new(),
                phone: String::new(),
                email: String::new(),
            },
            Language::Da,
        );
        let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&sample) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in map {
            match v {
                serde_json::Value::Object(inner) => {
                    out.extend(inner.keys().map(|i| format!("{{{{ {k}.{i} }}}}")));
                }
                serde_json::Value::Array(items) => {
                    let fields = match items.first() {
                        Some(serde_json::Value::Object(f)) => f
                            .keys()
                            .map(|f| format!("{{{{ x.{f} }}}}"))
                            .collect::<Vec<_>>()
                            .join(" "),
                        _ => "{{ x }}".into(),
                    };
                    out.push(format!("{{% for x in {k} %}}{fields}{{% endfor %}}"));
                }
                _ => out.push(format!("{{{{ {k} }}}}")),
            }
        }
        out.sort();
        out
    }

    pub fn to_tera(&self) -> tera::Context {
        tera::Context::from_serialize(self).unwrap_or_default()
    }
}

pub fn format_time(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// `søndag 1. november 2026` / `Sunday 1 November 2026`.
pub fn format_date(d: NaiveDate, language: Language) -> String {
    let month = d.month0() as usize;
    match language {
        Language::Da => {
            const MONTHS: [&str; 12] = [
                "januar",
                "februar",
                "marts",
                "april",
                "maj",
                "juni",
                "juli",
                "august",
                "september",
                "oktober",
                "november",
                "december",
            ];
            let weekday = match d.weekday() {
                Weekday::Mon => "mandag",
                Weekday::Tue => "tirsdag",
                Weekday::Wed => "onsdag",
                Weekday::Thu => "torsdag",
                Weekday::Fri => "fredag",
                Weekday::Sat => "lørdag",
                Weekday::Sun => "søndag",
            };
            format!("{weekday} {}. {} {}", d.day(), MONTHS[month], d.year())
        }
        Language::En => d.format("%A %-d %B %Y").to_string(),
    }
}

/// `1/11` / `1 Nov`: short enough for a list in one SMS.
pub fn format_short_date(d: NaiveDate, language: Language) -> String {
    match language {
        Language::Da => format!("{}/{}", d.day(), d.month()),
        Language::En => d.format("%-d %b").to_string(),
    }
}

/// `600 kr.` / `DKK 600`; øre shown only when there are any.
pub fn format_payment(ore: i32, language: Language) -> String {
    let kr = ore / 100;
    let rest = ore % 100;
    let amount = if rest == 0 {
        kr.to_string()
    } else {
        match language {
            Language::Da => format!("{kr},{rest:02}"),
            Language::En => format!("{kr}.{rest:02}"),
        }
    };
    match language {
        Language::Da => format!("{amount} kr."),
        Language::En => format!("DKK {amount}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_out_in_the_persons_language() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(format_date(d, Language::Da), "søndag 1. november 2026");
        assert_eq!(format_date(d, Language::En), "Sunday 1 November 2026");
    }

    #[test]
    fn payments_show_ore_only_when_there_are_any() {
        assert_eq!(format_payment(60000, Language::Da), "600 kr.");
        assert_eq!(format_payment(60050, Language::Da), "600,50 kr.");
        assert_eq!(format_payment(60050, Language::En), "DKK 600.50");
    }
}
