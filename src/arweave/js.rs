//! The few JavaScript value semantics the original's formats depend on: `JSON.stringify` (key
//! order and number text, which signed messages are made of), `parseInt`, `parseFloat` and
//! `Number.prototype.toString`.
//!
//! Owns: those conversions on `serde_json` values. Must not: know templates, tags or the store.
//! Input: JSON values and strings; output: JS-identical text or numbers.

use serde_json::{Map, Number, Value};

/// `JSON.stringify(value)`: compact, integer-like keys first in ascending order, then the rest
/// in insertion order (the order a JS object enumerates), numbers in JS form.
pub fn stringify(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null | Value::Bool(_) | Value::String(_) => out.push_str(&value.to_string()),
        Value::Number(n) => out.push_str(&number_text(n)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in ordered(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// Members in JS enumeration order: array-index keys ascending, then the others as inserted.
pub fn ordered(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut indexed: Vec<(u32, (&String, &Value))> = Vec::new();
    let mut named = Vec::new();
    for entry in map {
        match array_index(entry.0) {
            Some(i) => indexed.push((i, entry)),
            None => named.push(entry),
        }
    }
    indexed.sort_by_key(|(i, _)| *i);
    indexed.into_iter().map(|(_, e)| e).chain(named).collect()
}

/// A canonical array index (`0`, `17`, never `07`), below 2³² − 1 as in ECMAScript.
fn array_index(key: &str) -> Option<u32> {
    if key.is_empty() || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    if !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse::<u32>().ok().filter(|&i| i != u32::MAX)
}

/// A JSON number as JS prints it (`1.0` → `1`, `1e21` → `1e+21`).
pub fn number_text(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    n.as_f64().map_or_else(|| n.to_string(), float_text)
}

/// `Number.prototype.toString()` of a double: shortest round-trip digits, exponent form below
/// 1e-6 and from 1e21 on.
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if f == 0.0 {
        return "0".into();
    }
    let abs = f.abs();
    if (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let text = format!("{f:e}");
    match text.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => text,
    }
}

/// The value as JS's `String(value)` gives it, for the parsers below.
fn as_js_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(number_text(n)),
        _ => None,
    }
}

/// `parseInt(value, 10)` of a string or number: optional sign and leading digits; `None` for
/// NaN (which `JSON.stringify` writes as `null`).
pub fn parse_int(value: &Value) -> Option<f64> {
    let text = as_js_text(value)?;
    let s = text.trim_start();
    let (sign, digits) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    let lead = &digits[..end];
    if lead.is_empty() {
        return None;
    }
    lead.parse::<f64>().ok().map(|f| sign * f)
}

/// `parseFloat(value)` of a string or number: the longest decimal prefix (or `Infinity`).
pub fn parse_float(value: &Value) -> Option<f64> {
    let text = as_js_text(value)?;
    let s = text.trim_start();
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if unsigned.starts_with("Infinity") {
        return Some(if s.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    // Longest prefix that parses: decimal literals are short, so trying each end is cheap.
    (1..=s.len())
        .rev()
        .filter(|&end| s.is_char_boundary(end))
        .find_map(|end| {
            let prefix = &s[..end];
            let plain = prefix
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
            plain.then(|| prefix.parse::<f64>().ok()).flatten()
        })
}

/// A double as the JSON number `JSON.stringify` writes (integral values without a fraction);
/// `null` for NaN and infinities.
pub fn number_value(f: f64) -> Value {
    if !f.is_finite() {
        return Value::Null;
    }
    if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        return Value::from(f as i64);
    }
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stringify_orders_keys_and_numbers_like_js() {
        let v: Value =
            serde_json::from_str(r#"{"b":1.0,"10":2,"a":[1e21,0.5,1e-7],"2":"x\n","01":true}"#)
                .unwrap();
        assert_eq!(
            stringify(&v),
            r#"{"2":"x\n","10":2,"b":1,"a":[1e+21,0.5,1e-7],"01":true}"#
        );
    }

    #[test]
    fn parsers_follow_js() {
        assert_eq!(parse_int(&json!("42abc")), Some(42.0));
        assert_eq!(parse_int(&json!(" -7.9")), Some(-7.0));
        assert_eq!(parse_int(&json!(1.9)), Some(1.0));
        assert_eq!(parse_int(&json!(1e21)), Some(1.0));
        assert_eq!(parse_int(&json!("x1")), None);
        assert_eq!(parse_int(&json!(true)), None);
        assert_eq!(parse_float(&json!("3.25kg")), Some(3.25));
        assert_eq!(parse_float(&json!("-1e3x")), Some(-1000.0));
        assert_eq!(parse_float(&json!(".5")), Some(0.5));
        assert_eq!(parse_float(&json!("kg")), None);
        assert_eq!(float_text(1.2345678901234567e36), "1.2345678901234567e+36");
        assert_eq!(float_text(123.0), "123");
        assert_eq!(number_value(3.0), json!(3));
        assert_eq!(number_value(f64::NAN), Value::Null);
    }
}
