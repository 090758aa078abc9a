//! The process's log subscriber: human-readable text by default, JSON lines with
//! `DANVAN_LOG_FORMAT=json` (one object per line, for a log collector), filtered by `DANVAN_LOG`
//! as before. Beside it, a listener that turns sqlx's timing of each connection acquisition into
//! the [`super::POOL_ACQUIRE`] histogram, whatever the log filter says.

use std::io::IsTerminal;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

/// Chooses the log format: `text` (the default) or `json`.
pub const FORMAT_ENV: &str = "DANVAN_LOG_FORMAT";
/// The filter (`info`, `danvan=debug,sqlx=warn` …).
pub const FILTER_ENV: &str = "DANVAN_LOG";
/// The filter when [`FILTER_ENV`] is unset or invalid.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=warn";

/// The log formats [`FORMAT_ENV`] can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl Format {
    /// `json` or `text` (any case; empty is text); anything else is `None`.
    pub fn parse(text: &str) -> Option<Format> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Installs the global subscriber (once, at the top of `main`). An unknown format falls back
/// to text with a warning on stderr: the logs must not be what stops a server from starting.
pub fn init() {
    let format = match std::env::var(FORMAT_ENV) {
        Ok(text) => Format::parse(&text).unwrap_or_else(|| {
            eprintln!("{FORMAT_ENV}={text}: không hiểu, dùng dạng văn bản (text hoặc json) / unknown, using text");
            Format::Text
        }),
        Err(_) => Format::Text,
    };
    let filter = EnvFilter::try_from_env(FILTER_ENV).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let output = match format {
        // Colours on a terminal only: a log file gets no escape codes.
        Format::Text => fmt::layer().with_ansi(std::io::stdout().is_terminal()).boxed(),
        // Fields at the top level of each object; the request's id under "span".
        Format::Json => fmt::layer().json().flatten_event(true).with_current_span(true).with_span_list(false).boxed(),
    };
    let acquisitions = Targets::new().with_target("sqlx::pool::acquire", Level::TRACE);
    let installed = tracing_subscriber::registry()
        .with(output.with_filter(filter))
        .with(AcquireTimes.with_filter(acquisitions))
        .try_init();
    if let Err(error) = installed {
        eprintln!("không cài được bộ ghi nhật ký / cannot install the log subscriber: {error}");
    }
}

/// Records `acquired_after_secs` of sqlx's "acquired connection" events (emitted at TRACE by
/// the request pools, see `db::pool_for`) into [`super::POOL_ACQUIRE`].
struct AcquireTimes;

impl<S: Subscriber> Layer<S> for AcquireTimes {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        struct Seconds(Option<f64>);
        impl Visit for Seconds {
            fn record_f64(&mut self, field: &Field, value: f64) {
                if field.name() == "acquired_after_secs" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
        }
        let mut seconds = Seconds(None);
        event.record(&mut seconds);
        if let Some(seconds) = seconds.0 {
            metrics::histogram!(super::POOL_ACQUIRE).record(seconds);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_read_in_any_case() {
        assert_eq!(Format::parse("json"), Some(Format::Json));
        assert_eq!(Format::parse(" JSON "), Some(Format::Json));
        assert_eq!(Format::parse(""), Some(Format::Text));
        assert_eq!(Format::parse("Text"), Some(Format::Text));
        assert_eq!(Format::parse("logfmt"), None);
    }
}
