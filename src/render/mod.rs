//! Serialisation: the envelope and every record, embedded ones included, written incrementally to
//! an `io::Write` as JSON or MessagePack.
//!
//! Owns: the [`Encoder`] contract both formats implement, the record walk (which asks `resolve`
//! for each reference and writes it at once — no resolved tree is ever built), and the envelope
//! member order. Must not: see a socket, plan pages, or hold more than the record being written
//! and its ancestors. Input: a page of DIDs → output: bytes on the writer.

pub mod changes;
mod envelope;
mod json;
mod msgpack;
mod nutrition;
mod walk;

pub use envelope::{
    write_notes_response, write_records_response, AuthView, Head, RecordsResponse, UserView,
};
pub use json::JsonEncoder;
pub use msgpack::MsgPackEncoder;
pub use walk::Walk;

use serde_json::Value;
use std::io;

/// A fault while writing a response.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The writer failed (for a socket: the client went away).
    #[error("write failed: {0}")]
    Io(#[from] io::Error),
    /// A store read failed mid-response.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A stored record did not decode.
    #[error("stored record {did} does not decode: {reason}")]
    Corrupt {
        /// The record.
        did: String,
        /// The decoder's message.
        reason: String,
    },
}

/// A streaming writer of one JSON-like value. Maps and arrays announce their length up front so
/// MessagePack never buffers; JSON ignores the lengths.
pub trait Encoder {
    /// Starts a map of `len` members; each member is [`Encoder::key`] then one value.
    fn begin_map(&mut self, len: usize) -> io::Result<()>;
    /// Ends the current map.
    fn end_map(&mut self) -> io::Result<()>;
    /// Writes a member name.
    fn key(&mut self, key: &str) -> io::Result<()>;
    /// Starts an array of `len` elements.
    fn begin_array(&mut self, len: usize) -> io::Result<()>;
    /// Ends the current array.
    fn end_array(&mut self) -> io::Result<()>;
    /// Writes a string.
    fn str(&mut self, s: &str) -> io::Result<()>;
    /// Writes an unsigned integer.
    fn u64(&mut self, n: u64) -> io::Result<()>;
    /// Writes a signed integer.
    fn i64(&mut self, n: i64) -> io::Result<()>;
    /// Writes a boolean.
    fn bool(&mut self, b: bool) -> io::Result<()>;
    /// Writes null.
    fn null(&mut self) -> io::Result<()>;
    /// Writes a whole value as is.
    fn value(&mut self, v: &Value) -> io::Result<()>;
    /// Writes `json` (one complete compact JSON value) verbatim if this format is JSON and
    /// returns true; other formats return false and write nothing.
    fn raw_json(&mut self, json: &[u8]) -> io::Result<bool>;
    /// Whether [`Encoder::raw_json`] writes: only then is a record worth reading as stored text
    /// (`Walk::sections`); other formats parse it whole once.
    fn copies_json(&self) -> bool;
}
