//! Record bodies as stored: the compact JSON `{data, oip}`, compressed with zstd and a dictionary
//! trained on the store's own records once it has enough of them.
//!
//! Owns: the body encoding (a codec byte, then the bytes), training the dictionary, and the zstd
//! contexts that encode and decode with it. Must not: know keys, or where the dictionary is kept
//! (`Store` stores it under `m` `dict` and hands it here).
//!
//! Why a trained dictionary: a record is ~1.3 KB of JSON whose member names, DID prefixes and
//! common words repeat from record to record but rarely within one, so compressing each record
//! alone finds little (zstd 1.7×, lz4 1.3× on the scale records) while a 64 KiB dictionary of
//! what records share makes them 3.8× smaller (README "Disk"). Records are decoded one at a time
//! (a response resolves them one by one), so the bodies stay independent frames rather than
//! compressed blocks of many records.

use super::StoreError;
use std::sync::Mutex;

/// Codec byte of a body stored as plain JSON (stores below [`TRAIN_AFTER`] records, and records
/// written before the dictionary existed).
const PLAIN: u8 = 0;
/// Codec byte of a body stored as one zstd frame made with the store's dictionary.
const ZSTD_DICT: u8 = 1;

/// Records an import batch must hold before a dictionary is trained on them: fewer samples make
/// a dictionary that helps little (and a small store has no disk to save).
pub const TRAIN_AFTER: usize = 1_000;
/// Most records a dictionary is trained on (~5 MB of JSON: a second or so of training).
pub const TRAIN_SAMPLES: usize = 4_096;
/// Most bytes of dictionary: the ratio gained past 64 KiB was under 3 % on the scale records.
const DICT_BYTES: usize = 64 << 10;
/// zstd's level: 3 is its default; higher levels gained under 5 % on records for 2–3× the time.
const LEVEL: i32 = 3;
/// zstd contexts kept for reuse: a context costs ~200 KiB and a few µs to make.
const POOLED: usize = 4;
/// Largest body a frame may claim (a damaged frame must not make us allocate its claim).
const MAX_BODY: u64 = 1 << 30;

/// A body as stored: [`PLAIN`] then the JSON.
pub fn plain(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + json.len());
    out.push(PLAIN);
    out.extend_from_slice(json);
    out
}

/// Whether `body` is stored plain (tests look at what was stored).
#[cfg(test)]
pub fn is_plain(body: &[u8]) -> bool {
    body.first() == Some(&PLAIN)
}

/// The JSON of a body stored plain, without copying; `None` if it is compressed.
pub fn plain_json(body: &[u8]) -> Option<&[u8]> {
    body.split_first()
        .filter(|(codec, _)| **codec == PLAIN)
        .map(|(_, json)| json)
}

/// A dictionary trained from `samples` (record JSON), or `None` if zstd finds too little to
/// learn from them.
pub fn train(samples: &[&[u8]]) -> Option<Vec<u8>> {
    let total: usize = samples.iter().map(|s| s.len()).sum();
    // zstd needs about 10× the dictionary in samples to train well; a smaller dictionary it is.
    let size = DICT_BYTES.min(total / 10);
    match zstd::dict::from_samples(samples, size) {
        Ok(dict) => Some(dict),
        Err(e) => {
            log::warn!("record dictionary not trained ({e}); records stay uncompressed");
            None
        }
    }
}

/// The store's dictionary and the contexts that use it.
pub struct Codec {
    dict: Vec<u8>,
    encoders: Mutex<Vec<zstd::bulk::Compressor<'static>>>,
    decoders: Mutex<Vec<zstd::bulk::Decompressor<'static>>>,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Codec({} bytes of dictionary)", self.dict.len())
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("record body: {e}"))
}

impl Codec {
    /// A codec over `dict` (as trained by [`train`]).
    pub fn new(dict: Vec<u8>) -> Codec {
        Codec {
            dict,
            encoders: Mutex::default(),
            decoders: Mutex::default(),
        }
    }

    /// `json` as stored: compressed, or plain when that is not smaller.
    pub fn encode(&self, json: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut encoder = match self.encoders.lock().ok().and_then(|mut p| p.pop()) {
            Some(e) => e,
            None => zstd::bulk::Compressor::with_dictionary(LEVEL, &self.dict).map_err(corrupt)?,
        };
        let mut out = vec![ZSTD_DICT];
        out.resize(1 + zstd::zstd_safe::compress_bound(json.len()), 0);
        let written = encoder
            .compress_to_buffer(json, &mut out[1..])
            .map_err(corrupt)?;
        out.truncate(1 + written);
        self.give_back(&self.encoders, encoder);
        if out.len() > json.len() {
            return Ok(plain(json));
        }
        out.shrink_to_fit();
        Ok(out)
    }

    /// The JSON of a stored body.
    pub fn decode(&self, body: &[u8]) -> Result<Vec<u8>, StoreError> {
        match body.split_first() {
            Some((&PLAIN, json)) => Ok(json.to_vec()),
            Some((&ZSTD_DICT, frame)) => {
                let size = zstd::zstd_safe::get_frame_content_size(frame)
                    .ok()
                    .flatten()
                    .filter(|n| *n <= MAX_BODY)
                    .ok_or_else(|| corrupt("no content size in its frame"))?;
                let mut decoder = match self.decoders.lock().ok().and_then(|mut p| p.pop()) {
                    Some(d) => d,
                    None => {
                        zstd::bulk::Decompressor::with_dictionary(&self.dict).map_err(corrupt)?
                    }
                };
                let json = decoder.decompress(frame, size as usize).map_err(corrupt);
                self.give_back(&self.decoders, decoder);
                json
            }
            Some((codec, _)) => Err(corrupt(format!("unknown codec {codec}"))),
            None => Err(corrupt("empty")),
        }
    }

    fn give_back<T>(&self, pool: &Mutex<Vec<T>>, context: T) {
        if let Ok(mut pool) = pool.lock() {
            if pool.len() < POOLED {
                pool.push(context);
            }
        }
    }
}

/// The JSON of a stored body when the store has no dictionary: only plain bodies decode.
pub fn decode_without(body: &[u8]) -> Result<Vec<u8>, StoreError> {
    plain_json(body)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| corrupt("compressed, but the store has no dictionary"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(i: usize) -> Vec<u8> {
        format!(
            r#"{{"data":{{"basic":{{"name":"record {i}","tagItems":["t{}","t{}"],"language":"en"}}}},"oip":{{"did":"did:arweave:{i:043}","recordType":"post"}}}}"#,
            i % 7,
            i % 11
        )
        .into_bytes()
    }

    #[test]
    fn bodies_round_trip_plain_and_compressed_and_refuse_damage() {
        let samples: Vec<Vec<u8>> = (0..TRAIN_AFTER).map(sample).collect();
        let refs: Vec<&[u8]> = samples.iter().map(Vec::as_slice).collect();
        let codec = Codec::new(train(&refs).unwrap());
        let json = sample(5_000);
        let body = codec.encode(&json).unwrap();
        assert!(!is_plain(&body));
        assert!(
            body.len() * 2 < json.len(),
            "{} of {}",
            body.len(),
            json.len()
        );
        assert_eq!(codec.decode(&body).unwrap(), json);
        assert_eq!(codec.decode(&plain(&json)).unwrap(), json);
        assert_eq!(decode_without(&plain(&json)).unwrap(), json);
        assert!(decode_without(&body).is_err());
        let mut cut = body.clone();
        cut.truncate(body.len() / 2);
        assert!(matches!(codec.decode(&cut), Err(StoreError::Corrupt(_))));
        assert!(codec.decode(&[9, 1, 2]).is_err());
    }
}
