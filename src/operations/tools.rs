//! The PostgreSQL client programs (`pg_dump`, `pg_restore`) and how they reach a database.

use std::path::PathBuf;

use anyhow::anyhow;
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgSslMode};

/// A PostgreSQL client program of the installed version `danvan` uses.
#[derive(Debug, Clone)]
pub struct Tool {
    path: PathBuf,
}

impl Tool {
    /// `program` (e.g. `pg_dump`) from the directory [`crate::db::find_postgres_binaries`]
    /// picks: `DANVAN_PG_BIN`, else the newest of Debian's versions, else `PATH`.
    /// Errors in one Vietnamese line saying what to install.
    pub fn find(program: &str) -> anyhow::Result<Tool> {
        let path = crate::db::find_postgres_binaries().map(|dir| dir.join(program)).filter(|path| path.is_file());
        path.map(|path| Tool { path }).ok_or_else(|| {
            anyhow!(
                "Không tìm thấy {program} của PostgreSQL: hãy cài `apt-get install postgresql-client` \
                 (hoặc đặt DANVAN_PG_BIN). / {program} not found: install postgresql-client."
            )
        })
    }

    /// The program, reaching the database of `options` through libpq's environment variables
    /// (the password never appears on a command line, where `ps` would show it), and never
    /// prompting for a password.
    pub fn command(&self, options: &PgConnectOptions) -> std::process::Command {
        let mut command = self.offline();
        let host = match options.get_socket() {
            Some(socket) => socket.to_string_lossy().into_owned(),
            None => options.get_host().to_owned(),
        };
        command
            .env("PGHOST", host)
            .env("PGPORT", options.get_port().to_string())
            .env("PGUSER", options.get_username())
            .env("PGSSLMODE", ssl_mode(options.get_ssl_mode()))
            .env("PGAPPNAME", "danvan");
        if let Some(database) = options.get_database() {
            command.env("PGDATABASE", database);
        }
        if let Some(password) = password(options) {
            command.env("PGPASSWORD", password);
        }
        command.arg("--no-password");
        command
    }

    /// The program for work without a database (reading an archive).
    pub fn offline(&self) -> std::process::Command {
        let mut command = std::process::Command::new(&self.path);
        // Settings of the operator's shell must not point the program at another database
        // (TLS and password-file settings stay: they complete the connection).
        for name in ["PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE", "PGPASSWORD", "PGOPTIONS"] {
            command.env_remove(name);
        }
        command
    }
}

/// The password of `options`, if it has one (sqlx exposes it only through its URL form).
fn password(options: &PgConnectOptions) -> Option<String> {
    // sqlx builds that URL from the host and user as given and panics when they do not parse
    // (a socket directory as host, an IPv6 address): neither matters for the password.
    let url = options.clone().host("localhost").username("u").to_url_lossy();
    let encoded = url.password()?;
    Some(percent_encoding::percent_decode_str(encoded).decode_utf8_lossy().into_owned())
}

fn ssl_mode(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// The last lines a failed program wrote to stderr, for an error message.
pub fn stderr_tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|line| !line.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn the_password_goes_to_the_environment_decoded() {
        let options = PgConnectOptions::from_str("postgres://chu:m%40t%20khau@db.example:6543/danvan?sslmode=require")
            .expect("url");
        assert_eq!(password(&options).as_deref(), Some("m@t khau"));
        let tool = Tool { path: PathBuf::from("/bin/true") };
        let command = tool.command(&options);
        let env: Vec<(String, String)> = command
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_string_lossy().into_owned(), v?.to_string_lossy().into_owned())))
            .collect();
        let get = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        assert_eq!(get("PGHOST"), Some("db.example"));
        assert_eq!(get("PGPORT"), Some("6543"));
        assert_eq!(get("PGUSER"), Some("chu"));
        assert_eq!(get("PGDATABASE"), Some("danvan"));
        assert_eq!(get("PGPASSWORD"), Some("m@t khau"));
        assert_eq!(get("PGSSLMODE"), Some("require"));
        let args: Vec<String> = command.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert!(args.iter().all(|a| !a.contains("khau")), "no password on the command line: {args:?}");
    }

    #[test]
    fn a_socket_directory_is_the_host() {
        let options = PgConnectOptions::new().socket("/srv/danvan/pg").port(5432).username("danvan");
        let command = Tool { path: PathBuf::from("/bin/true") }.command(&options);
        let host = command.get_envs().find(|(k, _)| *k == "PGHOST").and_then(|(_, v)| v);
        assert_eq!(host.map(|h| h.to_string_lossy().into_owned()).as_deref(), Some("/srv/danvan/pg"));
        assert_eq!(password(&options), None);
        let options = PgConnectOptions::new().host("/srv/danvan/pg").username("danvan").password("bí mật");
        assert_eq!(password(&options).as_deref(), Some("bí mật"), "a socket path as host does not panic");
        let options = PgConnectOptions::new().host("::1").username("a@b/c").password("x");
        assert_eq!(password(&options).as_deref(), Some("x"));
    }
}
