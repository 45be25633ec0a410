//! The capability index of Yigong: analyzers for mixed Chinese/English text, the tantivy schema
//! and query building. It knows nothing of HTTP or the database.
//!
//! So far: the analyzer and the on-disk team index (upsert, delete, commit, search with reasons).
//! Batched background commits, the concept lexicon and matching follow (issue 3).

pub mod analyzer;
pub mod index;
