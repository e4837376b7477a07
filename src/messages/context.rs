//! The placeholders a message template can use.

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::domain::Language;
use crate::store::SeatDetails;

/// How people reach the secretariat, printed in messages.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contact {
    pub municipality: String,
    pub contact: String,
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
    /// In the chat's `/status`: the seats the person holds from today.
    #[serde(default)]
    pub seats: Vec<SeatLine>,
    /// Why a chat could not be linked: `used`, `expired` or `invalid`.
    #[serde(default)]
    pub reason: String,
    /// In a group message: what the secretariat wrote, as written.
    #[serde(default)]
    pub text: String,
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
