//! The app's cookies, built with the cookie crate (the one axum-extra reads them with) instead
//! of by hand: every one is `Path=/`, `HttpOnly` and `SameSite=Lax`, and `Secure` behind HTTPS
//! (`--secure-cookies`).

use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, SameSite};

/// The cookie `name` holding `value` for `max_age_seconds` (0: the browser deletes it now).
pub fn build(name: &'static str, value: String, max_age_seconds: i64, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(max_age_seconds))
        .secure(secure)
        .build()
}

/// Adds `cookie` to the response's `Set-Cookie` headers (a value no header can carry is
/// dropped: the values the app writes are tokens, hex and percent-encoded text).
pub fn set(response: &mut Response, cookie: &Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_carry_every_attribute() {
        let text = build("danvan_session", "abc".to_owned(), 120, true).to_string();
        for part in ["danvan_session=abc", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=120", "Secure"] {
            assert!(text.contains(part), "{part} in {text}");
        }
        assert!(!build("x", String::new(), 0, false).to_string().contains("Secure"));
    }
}
