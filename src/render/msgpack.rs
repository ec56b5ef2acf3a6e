//! MessagePack [`Encoder`]: maps with string keys (never struct-as-array), lengths written up
//! front, integers in their full 64-bit range (decisions.md "Formats").

use super::Encoder;
use rmp::encode;
use serde_json::Value;
use std::io::{self, Write};

/// Writes MessagePack to `W`.
pub struct MsgPackEncoder<W: Write> {
    out: W,
}

impl<W: Write> MsgPackEncoder<W> {
    /// An encoder writing to `out`.
    pub fn new(out: W) -> Self {
        MsgPackEncoder { out }
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.out
    }
}

fn io_err(e: encode::ValueWriteError<io::Error>) -> io::Error {
    match e {
        encode::ValueWriteError::InvalidMarkerWrite(e)
        | encode::ValueWriteError::InvalidDataWrite(e) => e,
    }
}

fn len32(len: usize) -> io::Result<u32> {
    u32::try_from(len)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "container too large"))
}

impl<W: Write> Encoder for MsgPackEncoder<W> {
    fn begin_map(&mut self, len: usize) -> io::Result<()> {
        encode::write_map_len(&mut self.out, len32(len)?)
            .map(drop)
            .map_err(io_err)
    }

    fn end_map(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        self.str(key)
    }

    fn begin_array(&mut self, len: usize) -> io::Result<()> {
        encode::write_array_len(&mut self.out, len32(len)?)
            .map(drop)
            .map_err(io_err)
    }

    fn end_array(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn str(&mut self, s: &str) -> io::Result<()> {
        encode::write_str(&mut self.out, s).map_err(io_err)
    }

    fn u64(&mut self, n: u64) -> io::Result<()> {
        encode::write_uint(&mut self.out, n)
            .map(drop)
            .map_err(io_err)
    }

    fn i64(&mut self, n: i64) -> io::Result<()> {
        encode::write_sint(&mut self.out, n)
            .map(drop)
            .map_err(io_err)
    }

    fn bool(&mut self, b: bool) -> io::Result<()> {
        encode::write_bool(&mut self.out, b).map_err(|e| io::Error::other(e.to_string()))
    }

    fn null(&mut self) -> io::Result<()> {
        encode::write_nil(&mut self.out).map_err(|e| io::Error::other(e.to_string()))
    }

    fn value(&mut self, v: &Value) -> io::Result<()> {
        match v {
            Value::Null => self.null(),
            Value::Bool(b) => self.bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => self.u64(u),
                (None, Some(i), _) => self.i64(i),
                (_, _, Some(f)) => encode::write_f64(&mut self.out, f).map_err(io_err),
                _ => self.null(),
            },
            Value::String(s) => self.str(s),
            Value::Array(items) => {
                self.begin_array(items.len())?;
                items.iter().try_for_each(|item| self.value(item))
            }
            Value::Object(map) => {
                self.begin_map(map.len())?;
                for (k, item) in map {
                    self.str(k)?;
                    self.value(item)?;
                }
                Ok(())
            }
        }
    }

    fn raw_json(&mut self, _json: &[u8]) -> io::Result<bool> {
        Ok(false)
    }

    fn copies_json(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_to_the_same_value() {
        let v = json!({"a": [1, -2, 1.5, u64::MAX, i64::MIN, null, true, "s"], "b": {"c": {}}});
        let mut e = MsgPackEncoder::new(Vec::new());
        e.value(&v).unwrap();
        let back: Value = rmp_serde::from_slice(&e.into_inner()).unwrap();
        assert_eq!(back, v);
    }
}
