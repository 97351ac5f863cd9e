//! Subcommands beyond the core ones in `main.rs`, one file per area.

pub mod collect;
pub mod report;
pub mod serve;
pub mod store;
