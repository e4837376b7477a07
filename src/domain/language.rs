//! The languages messages and pages are written in.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Da,
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Da => "da",
            Language::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Language> {
        match code.trim().to_ascii_lowercase().as_str() {
            "da" | "dansk" | "danish" => Some(Language::Da),
            "en" | "engelsk" | "english" => Some(Language::En),
            _ => None,
        }
    }
}

/// A text in Danish and in English, for a note staff read in their own
/// language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub da: String,
    pub en: String,
}

impl Said {
    pub fn new(da: impl Into<String>, en: impl Into<String>) -> Said {
        Said {
            da: da.into(),
            en: en.into(),
        }
    }

    /// One text for both (a workflow's own words, written once).
    pub fn both(text: impl Into<String>) -> Said {
        let text = text.into();
        Said {
            da: text.clone(),
            en: text,
        }
    }
}
