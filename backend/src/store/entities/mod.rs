//! sea-orm entities, one per table. Relations are queried explicitly in the store modules.

pub mod audit_event;
pub mod idempotency_key;
pub mod membership;
pub mod order;
pub mod organization;
pub mod refresh_token;
pub mod session;
pub mod team;
pub mod team_match;
pub mod team_member;
pub mod user;
