//! JSON [`Encoder`]: compact output, commas placed from a stack of "first member written" flags.

use super::Encoder;
use serde_json::Value;
use std::io::{self, Write};

/// Writes compact JSON to `W`.
pub struct JsonEncoder<W: Write> {
    out: W,
    /// One flag per open map/array: whether a member has been written (so a comma is due).
    open: Vec<bool>,
    /// A key was just written, so the next value follows its colon without a comma.
    after_key: bool,
}

impl<W: Write> JsonEncoder<W> {
    /// An encoder writing to `out`.
    pub fn new(out: W) -> Self {
        JsonEncoder {
            out,
            open: Vec::new(),
            after_key: false,
        }
    }

    /// The writer back, e.g. to flush it.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn separate(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.after_key) {
            return Ok(());
        }
        if let Some(written) = self.open.last_mut() {
            if std::mem::replace(written, true) {
                self.out.write_all(b",")?;
            }
        }
        Ok(())
    }

    fn scalar<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> io::Result<()> {
        self.separate()?;
        serde_json::to_writer(&mut self.out, v).map_err(io::Error::from)
    }
}

impl<W: Write> Encoder for JsonEncoder<W> {
    fn begin_map(&mut self, _len: usize) -> io::Result<()> {
        self.separate()?;
        self.open.push(false);
        self.out.write_all(b"{")
    }

    fn end_map(&mut self) -> io::Result<()> {
        self.open.pop();
        self.out.write_all(b"}")
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        self.separate()?;
        serde_json::to_writer(&mut self.out, key).map_err(io::Error::from)?;
        self.out.write_all(b":")?;
        self.after_key = true;
        Ok(())
    }

    fn begin_array(&mut self, _len: usize) -> io::Result<()> {
        self.separate()?;
        self.open.push(false);
        self.out.write_all(b"[")
    }

    fn end_array(&mut self) -> io::Result<()> {
        self.open.pop();
        self.out.write_all(b"]")
    }

    fn str(&mut self, s: &str) -> io::Result<()> {
        self.scalar(s)
    }

    fn u64(&mut self, n: u64) -> io::Result<()> {
        self.scalar(&n)
    }

    fn i64(&mut self, n: i64) -> io::Result<()> {
        self.scalar(&n)
    }

    fn bool(&mut self, b: bool) -> io::Result<()> {
        self.scalar(&b)
    }

    fn null(&mut self) -> io::Result<()> {
        self.scalar(&())
    }

    fn value(&mut self, v: &Value) -> io::Result<()> {
        self.scalar(v)
    }

    fn raw_json(&mut self, json: &[u8]) -> io::Result<bool> {
        self.separate()?;
        self.out.write_all(json)?;
        Ok(true)
    }

    fn copies_json(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn places_commas_and_colons() {
        let mut e = JsonEncoder::new(Vec::new());
        e.begin_map(3).unwrap();
        e.key("a").unwrap();
        e.begin_array(3).unwrap();
        e.u64(1).unwrap();
        e.raw_json(br#"{"x":null}"#).unwrap();
        e.str("q\"").unwrap();
        e.end_array().unwrap();
        e.key("b").unwrap();
        e.value(&json!({"c": [true]})).unwrap();
        e.key("d").unwrap();
        e.begin_map(0).unwrap();
        e.end_map().unwrap();
        e.end_map().unwrap();
        let text = String::from_utf8(e.into_inner()).unwrap();
        assert_eq!(
            text,
            r#"{"a":[1,{"x":null},"q\""],"b":{"c":[true]},"d":{}}"#
        );
    }
}
