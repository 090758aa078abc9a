// `sqlx::migrate!` embeds the files of `migrations/` at compile time; without this, adding a
// migration would not rebuild the crate (the sqlx documentation's recommendation).
//
// The query macros read `.sqlx/` and these variables from inside the compiler, which cargo does
// not see: without telling it, changing them would not run the macros again (a new `.sqlx/` from
// `scripts/sqlx-prepare`, or the script's own build that writes it).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=.sqlx");
    println!("cargo:rerun-if-env-changed=SQLX_OFFLINE");
    println!("cargo:rerun-if-env-changed=SQLX_OFFLINE_DIR");
}
