//! The capability index of Yigong: tantivy schema, analyzers for mixed Chinese/English text, the
//! bilingual concept lexicon and query building. It knows nothing of HTTP or the database.
//!
//! The crate is in the workspace from the start so the dependency direction is fixed
//! (`backend` → `search-index`); the index itself arrives with the matching service.
