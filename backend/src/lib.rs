//! Yigong (医工): a marketplace that turns hospitals' clinical needs into engineering projects.
//! This crate is the `yigong` binary's library: configuration, domain rules, persistence, the
//! REST API, and the command line, wired together in [`startup`].

pub mod api;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod config;
pub mod digest_command;
pub mod domain;
pub mod error;
pub mod evaluation;
pub mod mail;
pub mod matching;
pub mod metrics;
pub mod notify;
pub mod progress;
pub mod seed;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod templates;
pub mod web;
pub mod webhooks;
