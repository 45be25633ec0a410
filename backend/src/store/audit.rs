//! The append-only audit log: who did what to which object, with the object before and after.
//! Written in the same transaction as the change it records.
//!
//! Each organisation's events form a hash chain (events without an organisation form the
//! `platform` chain): event n stores the hash of event n−1, and its own hash covers that link and
//! every field. The chain's head row (`audit_chains`) serialises writers and remembers the last
//! link, so rewriting, removing or reordering any event — even the newest — is found by
//! [`verify`].

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::entities::{audit_chain, audit_event};

/// The chain of events that belong to no organisation (accounts, sessions).
pub const PLATFORM_CHAIN: &str = "platform";

/// One thing that happened.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// Whose chain the event joins: the organisation that owns the object.
    pub organization_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: Uuid,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl AuditEntry<'_> {
    fn chain_key(&self) -> String {
        self.organization_id
            .map_or_else(|| PLATFORM_CHAIN.to_owned(), |id| id.to_string())
    }
}

pub async fn record(
    db: &impl ConnectionTrait,
    entry: AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    record_all(db, vec![entry], now).await
}

/// Appends several events of one transaction. Chains are locked in one fixed order (by key), so
/// two transactions touching the same chains never wait on each other in a cycle.
pub async fn record_all(
    db: &impl ConnectionTrait,
    entries: Vec<AuditEntry<'_>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut keyed: Vec<(String, AuditEntry<'_>)> =
        entries.into_iter().map(|e| (e.chain_key(), e)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut head: Option<(String, i64, String)> = None;
    for (key, entry) in keyed {
        let (seq, prev_hash) = match &head {
            Some((open, seq, hash)) if *open == key => (*seq + 1, hash.clone()),
            _ => {
                if let Some((open, seq, hash)) = head.take() {
                    save_head(db, &open, seq, &hash).await?;
                }
                let (seq, hash) = lock_head(db, &key).await?;
                (seq + 1, hash)
            }
        };
        let link = Link {
            chain_key: &key,
            seq,
            prev_hash: &prev_hash,
            actor_id: entry.actor_id,
            action: entry.action,
            object_type: entry.object_type,
            object_id: entry.object_id,
            occurred_at: now,
            before: entry.before.as_ref(),
            after: entry.after.as_ref(),
        };
        let hash = link.hash();
        audit_event::ActiveModel {
            actor_id: Set(entry.actor_id),
            action: Set(entry.action.to_owned()),
            object_type: Set(entry.object_type.to_owned()),
            object_id: Set(entry.object_id),
            occurred_at: Set(now),
            before: Set(entry.before),
            after: Set(entry.after),
            chain_key: Set(Some(key.clone())),
            seq: Set(Some(seq)),
            prev_hash: Set(Some(prev_hash)),
            hash: Set(Some(hash.clone())),
            ..Default::default()
        }
        .insert(db)
        .await?;
        head = Some((key, seq, hash));
    }
    if let Some((key, seq, hash)) = head {
        save_head(db, &key, seq, &hash).await?;
    }
    Ok(())
}

/// The chain's last sequence number and hash, with the head row locked until the transaction
/// ends (SQLite has one writer at a time anyway).
async fn lock_head(db: &impl ConnectionTrait, key: &str) -> Result<(i64, String), DbErr> {
    audit_chain::Entity::insert(audit_chain::ActiveModel {
        chain_key: Set(key.to_owned()),
        last_seq: Set(0),
        last_hash: Set(String::new()),
    })
    .on_conflict(
        OnConflict::column(audit_chain::Column::ChainKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let mut query = audit_chain::Entity::find_by_id(key.to_owned());
    if db.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let head = query
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("audit chain {key}")))?;
    Ok((head.last_seq, head.last_hash))
}

async fn save_head(
    db: &impl ConnectionTrait,
    key: &str,
    seq: i64,
    hash: &str,
) -> Result<(), DbErr> {
    audit_chain::Entity::update_many()
        .col_expr(audit_chain::Column::LastSeq, Expr::value(seq))
        .col_expr(audit_chain::Column::LastHash, Expr::value(hash))
        .filter(audit_chain::Column::ChainKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Everything an event's hash covers.
struct Link<'a> {
    chain_key: &'a str,
    seq: i64,
    prev_hash: &'a str,
    actor_id: Option<Uuid>,
    action: &'a str,
    object_type: &'a str,
    object_id: Uuid,
    occurred_at: DateTime<Utc>,
    before: Option<&'a Value>,
    after: Option<&'a Value>,
}

impl Link<'_> {
    /// SHA-256 over a canonical JSON array of the fields (object keys sorted, times in RFC 3339
    /// with microseconds), so the same event hashes the same on SQLite and PostgreSQL.
    fn hash(&self) -> String {
        let mut text = String::new();
        let fields = [
            Value::from(self.chain_key),
            Value::from(self.seq),
            Value::from(self.prev_hash),
            self.actor_id
                .map_or(Value::Null, |id| Value::from(id.to_string())),
            Value::from(self.action),
            Value::from(self.object_type),
            Value::from(self.object_id.to_string()),
            Value::from(
                self.occurred_at
                    .to_rfc3339_opts(SecondsFormat::Micros, true),
            ),
            self.before.cloned().unwrap_or(Value::Null),
            self.after.cloned().unwrap_or(Value::Null),
        ];
        canonical_json(&Value::Array(fields.to_vec()), &mut text);
        Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn canonical_json(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push(':');
                canonical_json(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The first link of a chain that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub chain_key: String,
    /// The audit event's row id, when one event is to blame.
    pub event_id: Option<i64>,
    pub seq: i64,
    pub reason: String,
}

/// What `yigong audit verify` found.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    pub chains: usize,
    pub events: usize,
    /// Events written before the chains existed (no hash): listed, not verifiable.
    pub unchained: usize,
    pub broken: Vec<BrokenLink>,
}

/// Walks every chain from its first event and reports, per chain, the first link that does not
/// hold: a changed event, a missing or reordered one, or missing newest events.
pub async fn verify(db: &impl ConnectionTrait) -> Result<VerifyReport, DbErr> {
    let events = audit_event::Entity::find()
        .order_by_asc(audit_event::Column::ChainKey)
        .order_by_asc(audit_event::Column::Seq)
        .order_by_asc(audit_event::Column::Id)
        .all(db)
        .await?;
    let heads = audit_chain::Entity::find().all(db).await?;
    let mut report = VerifyReport {
        chains: heads.len(),
        ..VerifyReport::default()
    };
    let mut walked: std::collections::HashMap<String, (i64, String, bool)> =
        std::collections::HashMap::new();
    for event in &events {
        let (Some(key), Some(seq), Some(prev), Some(stored)) =
            (&event.chain_key, event.seq, &event.prev_hash, &event.hash)
        else {
            report.unchained += 1;
            continue;
        };
        report.events += 1;
        let state = walked
            .entry(key.clone())
            .or_insert_with(|| (0, String::new(), false));
        if state.2 {
            continue; // this chain is already reported broken
        }
        let broken = |reason: String| BrokenLink {
            chain_key: key.clone(),
            event_id: Some(event.id),
            seq,
            reason,
        };
        let problem = if seq != state.0 + 1 {
            Some(broken(format!(
                "expected event {} of the chain, found {seq}: events are missing or reordered",
                state.0 + 1
            )))
        } else if *prev != state.1 {
            Some(broken("does not link to the event before it".to_owned()))
        } else {
            let link = Link {
                chain_key: key,
                seq,
                prev_hash: prev,
                actor_id: event.actor_id,
                action: &event.action,
                object_type: &event.object_type,
                object_id: event.object_id,
                occurred_at: event.occurred_at,
                before: event.before.as_ref(),
                after: event.after.as_ref(),
            };
            (link.hash() != *stored)
                .then(|| broken("its content no longer matches its hash".to_owned()))
        };
        match problem {
            Some(problem) => {
                state.2 = true;
                report.broken.push(problem);
            }
            None => *state = (seq, stored.clone(), false),
        }
    }
    for head in heads {
        let (seq, hash, already_broken) =
            walked
                .get(&head.chain_key)
                .cloned()
                .unwrap_or((0, String::new(), false));
        if !already_broken && (seq != head.last_seq || hash != head.last_hash) {
            report.broken.push(BrokenLink {
                chain_key: head.chain_key.clone(),
                event_id: None,
                seq: head.last_seq,
                reason: format!(
                    "the chain ends at event {seq}, but {} were written: the newest events are missing or changed",
                    head.last_seq
                ),
            });
        }
    }
    Ok(report)
}

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<audit_event::Model>, DbErr> {
    audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Id)
        .all(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value: Value = serde_json::from_str(r#"{"b":1,"a":{"d":[{"z":1,"y":2}],"c":"文"}}"#)
            .unwrap_or_default();
        let mut out = String::new();
        canonical_json(&value, &mut out);
        assert_eq!(out, r#"{"a":{"c":"文","d":[{"y":2,"z":1}]},"b":1}"#);
    }

    #[test]
    fn one_changed_byte_changes_the_hash() {
        let now = Utc::now();
        let after = serde_json::json!({"title": "术中出血"});
        let link = |action: &'static str| Link {
            chain_key: "org",
            seq: 1,
            prev_hash: "",
            actor_id: None,
            action,
            object_type: "order",
            object_id: Uuid::nil(),
            occurred_at: now,
            before: None,
            after: Some(&after),
        };
        assert_eq!(link("order.create").hash(), link("order.create").hash());
        assert_ne!(link("order.create").hash(), link("order.creatf").hash());
    }
}
