//! pathhound: who can do what to which AWS resource, directly or through chains of role
//! assumption. See ARCHITECTURE.md for the code map.

pub mod analyse;
pub mod api;
pub mod arn;
pub mod cancel;
pub mod capability;
pub mod collect;
pub mod demo;
pub mod escalation;
pub mod graph;
pub mod policy;
pub mod publish;
pub mod report;
pub mod snapshot;
pub mod store;
pub mod synth;
pub mod tenant;
pub mod text;
