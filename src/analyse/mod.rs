//! Analysis: the layered IAM decision over a snapshot ([`Authorizer`]) and the access
//! capabilities derived from it ([`Grant`]).

mod access;
mod authorizer;

pub use access::Grant;
pub use authorizer::{Authorizer, Overrides, Who, principal_context};
