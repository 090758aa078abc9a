// `sqlx::migrate!` embeds the files of `migrations/` at compile time; without this, adding a
// migration would not rebuild the crate (the sqlx documentation's recommendation).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
