//! GraphQL and partner REST server (axum).
