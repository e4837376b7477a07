//! CPR numbers at rest: sealed with an AEAD (ChaCha20-Poly1305, a fresh
//! random nonce each time) under a key kept outside the database, and
//! found by a keyed hash (HMAC-SHA256) so that a lookup needs the key too.
//! A copy of the database alone (a backup, a stolen disk) reveals no CPR
//! number, and cannot be searched for one: the hashes are useless without
//! the key.
//!
//! Both sub-keys are derived from the one data key, each for its use.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::Sha256;

use crate::domain::Cpr;

/// The prefix of a sealed value; the version lets a later scheme sit
/// beside this one.
const SEALED_PREFIX: &str = "v1.";

/// How an erased person's CPR column starts (`slettet-<id>`): no number,
/// no hash.
pub const ERASED_PREFIX: &str = "slettet-";

/// What the additional data binds a sealed value to: it opens as a CPR
/// number and as nothing else.
const AAD: &[u8] = b"valgvagt cpr";

/// The key that seals CPR numbers (`VALGVAGT_DATA_KEY`, 64 hexadecimal
/// digits). Losing it loses every CPR number stored; changing it makes
/// them unreadable.
pub struct DataKey {
    seal: LessSafeKey,
    lookup: [u8; 32],
    /// Proves at start that the key is the one the rows were sealed with,
    /// without storing anything the key can be found from.
    check: String,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DataKeyError {
    #[error("the data key must be 64 hexadecimal digits (32 bytes); `valgvagt data-key` makes one")]
    Shape,
}

/// A stored value that does not open under this key.
#[derive(Debug, thiserror::Error)]
#[error("a sealed CPR number does not open with this data key")]
pub struct Unsealable;

impl DataKey {
    pub fn random() -> DataKey {
        DataKey::from_bytes(rand::random())
    }

    /// Reads 64 hexadecimal digits.
    pub fn parse(hex: &str) -> Result<DataKey, DataKeyError> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DataKeyError::Shape);
        }
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| DataKeyError::Shape)?;
        }
        Ok(DataKey::from_bytes(bytes))
    }

    /// A fresh key as 64 hexadecimal digits.
    pub fn random_hex() -> String {
        let bytes: [u8; 32] = rand::random();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The key in a file beside a SQLite database (`<file>.key`), made
    /// the first time, readable by its owner only. Two processes starting
    /// at once read the same key: a new key is written whole to a file of
    /// its own and linked into place only if none is there.
    pub fn beside(database: &Path) -> anyhow::Result<DataKey> {
        let mut name = database.as_os_str().to_owned();
        name.push(".key");
        let path = std::path::PathBuf::from(name);
        if !path.exists() {
            make_key_file(&path)?;
        }
        let hex = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("the data key file {}: {e}", path.display()))?;
        DataKey::parse(&hex)
            .map_err(|e| anyhow::anyhow!("the data key file {}: {e}", path.display()))
    }

    fn from_bytes(master: [u8; 32]) -> DataKey {
        let derive = |purpose: &[u8]| -> [u8; 32] {
            let mut mac = Hmac::<Sha256>::new_from_slice(&master).expect("any key length");
            mac.update(purpose);
            mac.finalize().into_bytes().into()
        };
        let seal_key = derive(b"valgvagt data key: seal cpr v1");
        let seal = LessSafeKey::new(
            UnboundKey::new(&CHACHA20_POLY1305, &seal_key).expect("a 32-byte key"),
        );
        let check = URL_SAFE_NO_PAD.encode(derive(b"valgvagt data key: check v1"));
        DataKey {
            seal,
            lookup: derive(b"valgvagt data key: cpr lookup v1"),
            check,
        }
    }

    /// The value stored to prove the key at the next start.
    pub fn check_value(&self) -> &str {
        &self.check
    }

    /// The keyed hash a CPR number is found by.
    pub fn lookup(&self, cpr: &Cpr) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.lookup).expect("any key length");
        mac.update(cpr.as_string().as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The CPR number sealed for storage: `v1.` and the nonce and
    /// ciphertext with its tag, base64url.
    pub fn seal(&self, cpr: &Cpr) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let mut data = cpr.as_string().into_bytes();
        self.seal
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(AAD),
                &mut data,
            )
            .expect("a CPR number is far below the AEAD's length limit");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// The CPR number a stored value holds; `None` for an erased person
    /// ([`ERASED_PREFIX`]).
    pub fn open(&self, stored: &str) -> Result<Option<Cpr>, Unsealable> {
        if stored.starts_with(ERASED_PREFIX) {
            return Ok(None);
        }
        let body = stored.strip_prefix(SEALED_PREFIX).ok_or(Unsealable)?;
        let mut bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| Unsealable)?;
        if bytes.len() < NONCE_LEN {
            return Err(Unsealable);
        }
        let mut data = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).map_err(|_| Unsealable)?;
        let clear = self
            .seal
            .open_in_place(nonce, Aad::from(AAD), &mut data)
            .map_err(|_| Unsealable)?;
        let text = std::str::from_utf8(clear).map_err(|_| Unsealable)?;
        Cpr::parse(text).map(Some).map_err(|_| Unsealable)
    }
}

/// Writes a fresh key to a temporary file only its owner can read, flushed
/// to disk, and links it to `path` unless a key is there already.
fn make_key_file(path: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    let mut temp = path.as_os_str().to_owned();
    temp.push(format!(".{:016x}.tmp", rand::random::<u64>()));
    let temp = std::path::PathBuf::from(temp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let made = (|| -> std::io::Result<()> {
        let mut file = options.open(&temp)?;
        file.write_all(DataKey::random_hex().as_bytes())?;
        file.sync_all()?;
        match std::fs::hard_link(&temp, path) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_file(&temp);
    made.map_err(|e| anyhow::anyhow!("making the data key file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpr() -> Cpr {
        Cpr::parse("120385-1234").unwrap()
    }

    #[test]
    fn a_sealed_number_opens_under_its_key_only_and_holds_no_digits_in_clear() {
        let key = DataKey::random();
        let sealed = key.seal(&cpr());
        assert!(
            !sealed.contains("120385") && !sealed.contains("1234"),
            "{sealed}"
        );
        assert_eq!(key.open(&sealed).unwrap(), Some(cpr()));
        assert!(DataKey::random().open(&sealed).is_err());
        // Two seals of one number differ (fresh nonces); the lookup is stable.
        assert_ne!(sealed, key.seal(&cpr()));
        assert_eq!(key.lookup(&cpr()), key.lookup(&cpr()));
        assert_ne!(key.lookup(&cpr()), DataKey::random().lookup(&cpr()));
    }

    #[test]
    fn a_tampered_or_clear_value_does_not_open() {
        let key = DataKey::random();
        let mut sealed = key.seal(&cpr()).into_bytes();
        let last = sealed.len() - 1;
        sealed[last] = if sealed[last] == b'A' { b'B' } else { b'A' };
        assert!(key.open(std::str::from_utf8(&sealed).unwrap()).is_err());
        assert!(key.open("120385-1234").is_err());
        assert!(key.open("").is_err());
        assert_eq!(key.open("slettet-7").unwrap(), None);
    }

    #[test]
    fn a_key_is_64_hex_digits() {
        assert!(DataKey::parse(&DataKey::random_hex()).is_ok());
        assert_eq!(DataKey::parse("abc").unwrap_err(), DataKeyError::Shape);
        assert_eq!(
            DataKey::parse(&"g".repeat(64)).unwrap_err(),
            DataKeyError::Shape
        );
    }
}
