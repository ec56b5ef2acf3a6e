//! Indexing OIP records from Arweave (arweave-indexing.md): discovery through gateways, tags,
//! template-based expansion, creator signatures, and the cycle that writes into the store.
//!
//! ```text
//! gateway (GraphQL pages, payloads) ──► cycle ──► tags (dispatch) ──► verify (RSA-PSS)
//!                                        │                          ──► expand (templates)
//!                                        ▼
//!                         store: records, templates, creators, organizations, pending
//! ```
//!
//! A data source beside `import`: it writes through the `Store` API only and never serves HTTP.

pub mod expand;
pub mod js;
pub mod tags;
pub mod verify;
