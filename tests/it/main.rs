//! The integration tests: one binary (one link step instead of one per file), one module per
//! area of the app. Run one area with `cargo test --test it dashboards::`, one test with its
//! full name (`cargo test --test it reports::the_commune_submits -- --exact`).
//!
//! All areas share one process: one private PostgreSQL cluster and one template database
//! (`common`), each test with a database of its own copied from the template.

mod common;

mod accounts;
mod catalogue;
mod cli;
mod dashboards;
mod directives;
mod e2e;
mod exports;
mod foundation;
mod reports;
