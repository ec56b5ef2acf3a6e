//! The `scale` store: N records of about 1 KB with a realistic mix, streamed to NDJSON one record
//! at a time (nothing held in memory).
//!
//! Every fact about record `i` (type, DID, GUN or Arweave, private or public) is a pure function
//! of `i`, so a record can reference an earlier one by recomputing its DID. Types come in exact
//! proportions per block of 100 (post 30, note 20, image 15, recipe 10, exercise 10,
//! nutritionalInfo 10, workout 5), so at 1,000,000 records `note` has exactly 200,000. About 3 %
//! are GUN records (`did:gun:…`, no block) and 5 % private to one of 50 owner keys. Owns: the
//! records. Must not: talk to the server.

use crate::words::{self, mix, Rng};
use anyhow::Context;
use serde_json::{json, Map, Value};
use std::io::{BufWriter, Write};
use std::path::Path;

/// Record types and their share of every 100 records.
const TYPES: [(&str, u64); 7] = [
    ("post", 30),
    ("image", 15),
    ("recipe", 10),
    ("exercise", 10),
    ("nutritionalInfo", 10),
    ("workout", 5),
    ("note", 20),
];
/// Creators (and owner keys of private records).
const CREATORS: u64 = 50;
/// 2022-01-01: `basic.date` spreads over the three years after it.
const DATE_BASE: i64 = 1_640_995_200;
const DATE_SPAN: u64 = 3 * 365 * 86_400;
/// 2023-06-01 in ms: `indexedAt` of record 0; each later record 30 s after.
const INDEXED_BASE_MS: i64 = 1_685_577_600_000;
const FIRST_BLOCK: u64 = 1_400_000;
/// Records per Arweave block.
const PER_BLOCK: u64 = 20;

/// The type of record `i`: a bijection of `i mod 100` onto the 100 slots of [`TYPES`].
pub fn record_type(i: u64) -> &'static str {
    let mut slot = (i % 100) * 37 % 100;
    for (name, share) in TYPES {
        if slot < share {
            return name;
        }
        slot -= share;
    }
    "note"
}

fn is_gun(i: u64) -> bool {
    mix(i ^ (0x6E_u64 << 40)) % 100 < 3
}

fn is_private(i: u64) -> bool {
    mix(i ^ (0x70_u64 << 48)) % 100 < 5
}

fn did(i: u64) -> String {
    let id = words::arweave_id(i);
    if is_gun(i) {
        let soul = mix(i ^ 0x5E) & 0xFFFF_FFFF_FFFF;
        format!("did:gun:{soul:012x}:{}", id.get(..16).unwrap_or(&id))
    } else {
        format!("did:arweave:{id}")
    }
}

fn key(creator: u64) -> String {
    let parts: Vec<String> = (0..4)
        .map(|k| format!("{:016x}", mix(creator * 4 + k)))
        .collect();
    format!("02{}", parts.concat())
}

/// A public record of type `t` before `i`, near a random point, if one is close by.
fn earlier(rng: &mut Rng, i: u64, t: &str) -> Option<String> {
    if i == 0 {
        return None;
    }
    let start = rng.below(i);
    (start.saturating_sub(200)..=start)
        .rev()
        .find(|&j| record_type(j) == t && !is_private(j))
        .map(did)
}

fn refs(rng: &mut Rng, i: u64, t: &str, lo: u64, hi: u64) -> Vec<String> {
    let n = rng.range(lo, hi);
    (0..n).filter_map(|_| earlier(rng, i, t)).collect()
}

fn section(rng: &mut Rng, i: u64, t: &str) -> Value {
    match t {
        "post" => json!({"articleText": words::text(rng, 450), "bylineWriter": words::name(rng),
                         "imageItems": refs(rng, i, "image", 0, 2)}),
        "image" => {
            json!({"webUrl": format!("https://media.example.org/{}.jpg", words::arweave_id(i)),
                          "contentType": "image/jpeg", "width": rng.range(640, 4000),
                          "height": rng.range(480, 3000), "size": rng.range(40_000, 4_000_000),
                          "caption": words::text(rng, 380)})
        }
        "recipe" => {
            let ingredients = refs(rng, i, "nutritionalInfo", 3, 6);
            let amounts: Vec<u64> = ingredients.iter().map(|_| rng.range(1, 500)).collect();
            json!({"ingredient": ingredients, "ingredient_amount": amounts,
                   "instructions": words::text(rng, 300), "prep_time_mins": rng.range(5, 60),
                   "cook_time_mins": rng.range(0, 180), "servings": rng.range(1, 8)})
        }
        "exercise" => json!({"instructions": [words::text(rng, 150), words::text(rng, 150),
                                              words::text(rng, 150)],
                             "muscleGroups": [rng.pick(words::NOUNS), rng.pick(words::NOUNS)],
                             "difficulty": rng.pick(&["beginner", "intermediate", "advanced"])}),
        "nutritionalInfo" => json!({"standardAmount": 100, "standardUnit": "g",
                                    "calories": rng.range(10, 900), "proteinG": rng.range(0, 80),
                                    "fatG": rng.range(0, 90), "carbohydratesG": rng.range(0, 95),
                                    "notes": words::text(rng, 380)}),
        "workout" => json!({"exercise": refs(rng, i, "exercise", 4, 8),
                            "total_duration_minutes": rng.range(15, 90),
                            "notes": words::text(rng, 150)}),
        _ => json!({"noteText": words::text(rng, 500),
                    "noteType": rng.pick(&["journal", "meeting", "idea", "reading"])}),
    }
}

/// Record `i`, always the same for the same `i`.
pub fn record(i: u64) -> Value {
    let mut rng = Rng::new(mix(i ^ 0x5CA1E));
    let t = record_type(i);
    let did = did(i);
    let creator = rng.below(CREATORS);
    let tags: Vec<String> = (0..rng.range(2, 5))
        // A skewed pick: low tag numbers are common, as popular tags are.
        .map(|_| {
            let bound = rng.below(words::TAG_VOCABULARY) + 1;
            words::tag(rng.below(bound))
        })
        .collect();
    let date = DATE_BASE + rng.below(DATE_SPAN) as i64;
    // One or two sentences.
    let description_chars = rng.range(80, 220) as usize;
    let description = words::text(&mut rng, description_chars);
    let mut data = Map::new();
    data.insert(
        "basic".into(),
        json!({"name": words::name(&mut rng), "description": description, "date": date,
               "language": "en", "tagItems": tags}),
    );
    data.insert(t.into(), section(&mut rng, i, t));
    if is_private(i) {
        data.insert(
            "accessControl".into(),
            json!({"access_level": "private", "owner_public_key": key(creator)}),
        );
    }
    let mut oip = json!({"did": did, "didTx": did, "recordType": t,
        "indexedAt": oipd::time::iso_from_ms(INDEXED_BASE_MS + i as i64 * 30_000),
        "creator": {"creatorHandle": format!("creator{creator}"), "publicKey": key(creator)}});
    if !is_gun(i) {
        oip["inArweaveBlock"] = json!(FIRST_BLOCK + i / PER_BLOCK);
    }
    json!({"data": data, "oip": oip})
}

/// Writes records `0..n` to `path` as NDJSON; returns the file's size in bytes.
pub fn write(path: &Path, n: u64) -> anyhow::Result<u64> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    for i in 0..n {
        serde_json::to_writer(&mut out, &record(i))?;
        out.write_all(b"\n")?;
    }
    out.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(std::fs::metadata(path)?.len())
}

/// Two tags that are common in the store (the skewed pick favours low numbers).
pub fn common_tags() -> (String, String) {
    (words::tag(0), words::tag(1))
}

/// Two words that occur in names and descriptions.
pub fn common_words() -> (&'static str, &'static str) {
    (words::ADJECTIVES[1], words::NOUNS[0])
}
