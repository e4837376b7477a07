//! The token in a single-purpose link: `<link id>-<tag>`, where the tag is
//! the first 160 bits of an HMAC-SHA256, under the service's link key, of
//! the link's id, purpose, subject (its question, or the seat a cancel
//! link is for) and expiry. The database holds the
//! link's row but no token: with the key kept outside it, a copy of the
//! database (a backup) cannot act.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes of the HMAC kept in a token.
const TAG_BYTES: usize = 20;

/// What a link's tag is computed over.
#[derive(Debug, Clone, Copy)]
pub struct LinkFacts<'a> {
    pub id: i64,
    pub purpose: &'a str,
    /// The question the link answers; for a cancel link, the seat.
    pub subject: i64,
    pub expires_at: DateTime<Utc>,
}

/// The secret that signs links. Changing it makes every link sent so far
/// unusable.
#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(..)")
    }
}

/// A token read from a URL, not yet checked against its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkToken {
    pub id: i64,
    tag: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkTokenError {
    #[error("a link token is `<id>-<tag>`")]
    Shape,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkKeyError {
    #[error("the link key must be 64 hexadecimal digits (32 bytes)")]
    Shape,
}

impl LinkKey {
    pub fn random() -> LinkKey {
        LinkKey(rand::random())
    }

    /// Reads 64 hexadecimal digits.
    pub fn parse(hex: &str) -> Result<LinkKey, LinkKeyError> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(LinkKeyError::Shape);
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte =
                u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| LinkKeyError::Shape)?;
        }
        Ok(LinkKey(key))
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn mac(&self, facts: &LinkFacts<'_>) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        mac.update(
            format!(
                "valgvagt-link\0{}\0{}\0{}\0{}",
                facts.id,
                facts.purpose,
                facts.subject,
                facts.expires_at.timestamp()
            )
            .as_bytes(),
        );
        mac
    }

    /// The token to put in a message.
    pub fn token(&self, facts: &LinkFacts<'_>) -> String {
        let tag = self.mac(facts).finalize().into_bytes();
        format!("{}-{}", facts.id, URL_SAFE_NO_PAD.encode(&tag[..TAG_BYTES]))
    }

    /// True when `token` was made by this key for exactly these facts.
    /// The comparison takes the same time wherever the tags differ.
    pub fn verify(&self, token: &LinkToken, facts: &LinkFacts<'_>) -> bool {
        token.id == facts.id && self.mac(facts).verify_truncated_left(&token.tag).is_ok()
    }
}

impl LinkToken {
    pub fn parse(s: &str) -> Result<LinkToken, LinkTokenError> {
        let (id, tag) = s.split_once('-').ok_or(LinkTokenError::Shape)?;
        let id: i64 = id.parse().map_err(|_| LinkTokenError::Shape)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| LinkTokenError::Shape)?;
        if id <= 0 || tag.len() != TAG_BYTES {
            return Err(LinkTokenError::Shape);
        }
        Ok(LinkToken { id, tag })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn facts() -> LinkFacts<'static> {
        LinkFacts {
            id: 17,
            purpose: "accept",
            subject: 4,
            expires_at: Utc.with_ymd_and_hms(2029, 11, 10, 9, 0, 0).unwrap(),
        }
    }

    #[test]
    fn a_token_verifies_for_its_own_facts_only() {
        let key = LinkKey::random();
        let token = LinkToken::parse(&key.token(&facts())).unwrap();
        assert!(key.verify(&token, &facts()));
        let other_purpose = LinkFacts {
            purpose: "decline",
            ..facts()
        };
        assert!(!key.verify(&token, &other_purpose));
        let later = LinkFacts {
            expires_at: facts().expires_at + chrono::Duration::days(1),
            ..facts()
        };
        assert!(!key.verify(&token, &later));
        assert!(!LinkKey::random().verify(&token, &facts()));
    }

    #[test]
    fn a_token_is_short_url_safe_and_carries_160_bits_of_tag() {
        let token = LinkKey::random().token(&facts());
        assert!(token.len() <= 64, "{token}");
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        let (_, tag) = token.split_once('-').unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(tag).unwrap().len() * 8, 160);
    }

    #[test]
    fn malformed_tokens_are_refused_before_any_lookup() {
        for bad in [
            "",
            "17",
            "x-abc",
            "17-",
            "17-!!!",
            "-5-AAAA",
            "0-AAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(LinkToken::parse(bad), Err(LinkTokenError::Shape), "{bad}");
        }
    }

    #[test]
    fn a_key_survives_hex_and_refuses_other_lengths() {
        let key = LinkKey::random();
        assert_eq!(LinkKey::parse(&key.to_hex()).unwrap().0, key.0);
        assert_eq!(LinkKey::parse("abcd").unwrap_err(), LinkKeyError::Shape);
    }
}
