//! Running a deployment: backups (`danvan backup`), restores (`danvan restore`) and the watchdog
//! that starts the private PostgreSQL cluster again when it dies under `danvan serve`.
//!
//! Backups are PostgreSQL's own custom-format archives (`pg_dump -Fc`), written and read by the
//! newest `pg_dump`/`pg_restore` installed (they read older servers). An archive carries its
//! own proof: `restore` counts the rows of every table in the archive (reading its data through
//! `pg_restore`) and compares them with the restored database, so no companion file has to
//! travel with it.

mod archive;
pub mod backup;
mod counts;
pub mod restore;
mod tools;
pub mod watchdog;
