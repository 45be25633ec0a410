//! sea-orm entities, one per table. Relations are queried explicitly in the store modules.

pub mod audit_chain;
pub mod audit_event;
pub mod bid;
pub mod bid_partner;
pub mod digest_preference;
pub mod email_suppression;
pub mod idempotency_key;
pub mod membership;
pub mod notification;
pub mod order;
pub mod organization;
pub mod outbox_mail;
pub mod outbox_mail_item;
pub mod project;
pub mod project_milestone;
pub mod project_rating;
pub mod refresh_token;
pub mod session;
pub mod team;
pub mod team_match;
pub mod team_member;
pub mod user;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
