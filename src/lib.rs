//! oipd serves Open Index Protocol records from an embedded store, in bounded memory.
//!
//! A `GET /api/records` request flows through one module per stage:
//!
//! ```text
//! http ──► query ──► plan ──► resolve ⇄ render ──► socket
//!  (actix)  (typed     (page DIDs   (references    (JSON / MessagePack,
//!           params)    + totals)    via ByteLru)   streamed in chunks)
//!                 ╲       │          │
//!                  ╲      ▼          ▼
//!                   store (redb or sled behind `KvStore`: records, sorted indexes, posting
//!                          bitmaps, doc-value columns, counters, Arweave collections)
//!                            ▲                ▲                  ▲
//!                   import / export (CLI)   arweave (`oipd index`,   write (newRecord,
//!                   mirror (`oipd mirror`,  `serve --index-arweave`)  deleteRecord)
//!                   `serve --follow`)
//! ```
//!
//! The change feed (`GET /api/records/changes`, issue 12) is a second read path through the same
//! stages: `query::changes` → `plan::changes` (the store's change log, judged by `access`) →
//! `render::changes`; `import::remote` reads it from another node for `oipd export --from`.
//!
//! Imports point down the flow only: `http` uses the stages, the stages use `store`, everything
//! uses `model`. `access` holds the one visibility rule used by `plan` and `resolve` alike. Writes
//! reach the store from four sides (imports, mirrors of another node, the Arweave indexer, the
//! write routes); every one
//! goes through `Store`'s batch, its disk-space guard and its writer lock.
#![warn(missing_docs)]
#![warn(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod access;
pub mod arweave;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod http;
pub mod import;
pub mod memory;
pub mod mirror;
pub mod model;
pub mod plan;
pub mod probe;
pub mod progress;
pub mod query;
pub mod render;
pub mod resolve;
pub mod store;
pub mod time;
pub mod write;
