//! The capability index of Yigong: analyzers for mixed Chinese/English text, the bilingual concept
//! lexicon, the tantivy schema and the matcher that turns an order into a ranked list of teams with
//! reasons. It knows nothing of HTTP or the database.

pub mod analyzer;
pub mod concepts;
pub mod index;
pub mod lexicon;
pub mod matcher;
pub mod ranking;
