//! Integration tests: the real `oipd` binary on loopback, spoken to over HTTP.

mod common;

mod arweave;
mod auth;
mod changes;
mod cli;
mod disk;
mod errors;
mod follow;
mod formats;
mod hardening;
mod in_process;
mod memory;
mod mirror;
mod operator;
mod privacy;
mod query;
mod records;
mod resolve;
mod writes;
