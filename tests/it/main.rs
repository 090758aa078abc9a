//! The integration tests: one binary (one link step, not one per area), one module per area of
//! the app. One area runs as `cargo test --locked --test it dashboards::`, one test by its full
//! name: `cargo test --locked --test it reports::a_form_save_keeps_the_figure_of_a_retired_element`.
//!
//! Every area shares the process: one private PostgreSQL cluster with one template database
//! (see `common`), each test on a database of its own copied from the template.

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
