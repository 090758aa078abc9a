//! A catalogue entry's code (`TL_DVHV`, `GS_TONG`, `VD_TO_CHUC`), the `{code}` of
//! `/admin/catalogue/{entity}/{code}`, read at the boundary: a path that is no code's shape is
//! answered 404 before the database is asked.

use std::fmt;
use std::str::FromStr;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;

use crate::error::AppError;

/// The longest code of any catalogue table (validation rules: 64; the others allow fewer).
pub const MAX_LEN: usize = 64;

/// Whether `code` has the shape every catalogue table checks (migration 0003:
/// `^[A-Z][A-Z0-9_]{0,63}$`, fewer characters in some tables): an upper-case ASCII letter, then
/// upper-case letters, digits and underscores.
pub fn is_code_shape(code: &str) -> bool {
    let mut chars = code.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// A well-formed catalogue code, at most [`MAX_LEN`] characters; whether an entry carries it is
/// the store's to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueCode(String);

impl CatalogueCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CatalogueCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Not a catalogue code's shape (or longer than [`MAX_LEN`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotACode;

impl FromStr for CatalogueCode {
    type Err = NotACode;

    /// As stored: no trimming, no upper-casing (`tl_dvhv` names no entry).
    fn from_str(text: &str) -> Result<Self, NotACode> {
        if text.len() <= MAX_LEN && is_code_shape(text) { Ok(CatalogueCode(text.to_owned())) } else { Err(NotACode) }
    }
}

/// Reads the route's `{code}` segment. Not `Path<CatalogueCode>`: axum would answer a malformed
/// code with a 400, while a code no entry carries, malformed or unknown, is the same 404.
impl<S: Send + Sync> FromRequestParts<S> for CatalogueCode {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(|_| AppError::NotFound)?;
        let raw = params.iter().find(|(name, _)| *name == "code").map(|(_, value)| value);
        raw.and_then(|raw| raw.parse().ok()).ok_or(AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_read_as_the_tables_store_it() {
        assert_eq!("TL_DVHV".parse::<CatalogueCode>().map(|c| c.to_string()), Ok("TL_DVHV".to_owned()));
        assert!("GS_2020".parse::<CatalogueCode>().is_ok());
        assert_eq!("tl_dvhv".parse::<CatalogueCode>(), Err(NotACode), "stored codes are upper-case");
        assert_eq!("1ABC".parse::<CatalogueCode>(), Err(NotACode));
        assert_eq!("A-B".parse::<CatalogueCode>(), Err(NotACode));
        assert_eq!("ĐOÀN".parse::<CatalogueCode>(), Err(NotACode));
        assert_eq!("".parse::<CatalogueCode>(), Err(NotACode));
        assert!("A".repeat(MAX_LEN).parse::<CatalogueCode>().is_ok());
        assert_eq!("A".repeat(MAX_LEN + 1).parse::<CatalogueCode>(), Err(NotACode));
    }
}
