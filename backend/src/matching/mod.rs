//! Proposing teams for orders with the search index: ranking with priors and load spreading,
//! proposals stored with reasons, and keeping the index in step with the database.

pub mod ranker;
pub mod service;
