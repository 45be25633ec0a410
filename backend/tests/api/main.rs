//! The API through real HTTP: each test spawns the application on a random port with its own
//! fresh database (SQLite in a temporary directory, or a new PostgreSQL database when
//! `TEST_DATABASE_URL` is set) and data directory.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

mod bad_input;
mod bidding;
mod cli;
mod digests;
mod helpers;
mod idempotency;
mod lifecycle;
mod mail_crash;
mod maildev;
mod matching;
mod migrations;
mod organizations;
mod pages;
mod permissions;
mod service;
mod smtp;
mod teams;
mod tokens;
mod webhooks;
