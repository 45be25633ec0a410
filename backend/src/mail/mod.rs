//! Mail: digests composed into an outbox, sent by a leasing sender over SMTP (or written as
//! `.eml` files when no server is configured), with one-click unsubscribe links.
//!
//! Nothing here runs inside a request: `yigong serve` runs [`worker`] in the background and
//! `yigong digest` runs the same steps once.

pub mod compose;
pub mod message;
pub mod sender;
pub mod transport;
pub mod unsubscribe;
