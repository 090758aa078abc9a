// `sqlx::migrate!` embeds the files of `migrations/` at compile time; without this, adding a
// migration would not rebuild the crate (the sqlx documentation's recommendation).
//
// sqlx's query macros read `.sqlx/` and the two variables below from inside the compiler,
// which cargo does not see: without these lines a new `.sqlx/`, or the online build of
// `scripts/sqlx-prepare` (a fresh SQLX_OFFLINE_DIR every time), would not run them again.
// DATABASE_URL is left out on purpose: offline (`.cargo/config.toml`) it changes nothing, and
// tracking it would recompile the crate whenever it changes between two commands.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=.sqlx");
    println!("cargo:rerun-if-env-changed=SQLX_OFFLINE");
    println!("cargo:rerun-if-env-changed=SQLX_OFFLINE_DIR");
}
