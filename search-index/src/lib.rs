//! The capability index of Yigong: analyzers for mixed Chinese/English text, the tantivy schema
//! and query building. It knows nothing of HTTP or the database.
//!
//! So far: the analyzer. The schema, the incremental writer, the concept lexicon and matching
//! follow (issue 3).

pub mod analyzer;
