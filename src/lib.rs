//! pathhound: who can do what to which AWS resource, directly or through chains of role
//! assumption. See ARCHITECTURE.md for the code map.

pub mod arn;
pub mod policy;
pub mod snapshot;
pub mod analyse;
pub mod capability;
pub mod graph;
