//! Doc values: fixed-width columns indexed by document id, so a posting-list candidate's
//! visibility, type, source and sort key are known without reading its summary.
//!
//! Owns: the column encodings and which summary fields they hold. Must not: decide what a query
//! accepts (planning does, from [`Meta`]). Keys: `v` ++ column ++ block number (u64 big-endian)
//! → the entries of documents `block × BLOCK_DOCS ..` in id order, each 8 bytes;
//! a value may end before its block does (the rest are not live).
//!
//! Why: posting lists yield ids in ascending order, so a query reads each column block once and
//! judges thousands of candidates from it. Reading each candidate's summary instead cost ~10 µs a
//! candidate (a sled point read and a decode): a tag matching 80,000 of a million records took a
//! second. Records get a new id on every write, so a column entry is written once and only its
//! live flag is cleared later.

pub use super::block::position;
use super::block::{doc_id, Bits};
use super::indexes::Summary;
use super::keys;
use super::kv::Shared;
use super::schema::{COLUMNS, NAMES};

/// The columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    /// [`Meta`].
    Meta = b'm' as isize,
    /// `oip.inArweaveBlock`, i64.
    Block = b'b' as isize,
    /// `oip.indexedAt` (ms), i64.
    IndexedAt = b'i' as isize,
    /// `data.basic.date` (s), i64.
    Date = b'd' as isize,
    /// The schedule or meal date (s), i64.
    Schedule = b's' as isize,
}

/// Bytes per document in every column.
const WIDTH: usize = 8;

impl Column {
    /// The flag telling whether a document has a value in this sort column.
    fn presence(self) -> u16 {
        match self {
            Column::Meta => LIVE,
            Column::Block => HAS_BLOCK,
            Column::IndexedAt => HAS_INDEXED,
            Column::Date => HAS_DATE,
            Column::Schedule => HAS_SCHEDULE,
        }
    }
}

/// A source id too large for [`Meta`]: the source must be read from the summary.
pub const SOURCE_UNKNOWN: u16 = u16::MAX;

/// The record still exists under this id (cleared when it is replaced or deleted).
pub const LIVE: u16 = 1;
/// Anyone may see the record (its audiences include the public).
pub const PUBLIC: u16 = 2;
const HAS_BLOCK: u16 = 4;
const HAS_INDEXED: u16 = 8;
const HAS_DATE: u16 = 16;
const HAS_SCHEDULE: u16 = 32;
/// Non-empty `post.audioItems` or `basic.audioItems` (`hasAudio`).
const AUDIO: u16 = 64;

/// The `Meta` entry of a document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Interned lower-cased `recordType` (see [`Kind::Type`]).
    pub type_id: u32,
    /// Interned DID method (`arweave`, `gun`, …), or [`SOURCE_UNKNOWN`].
    pub source_id: u16,
    /// [`LIVE`], [`PUBLIC`], has-audio and which sort columns hold a value.
    pub flags: u16,
}

impl Meta {
    /// Whether the document is a live record.
    pub fn live(self) -> bool {
        self.flags & LIVE != 0
    }

    /// Whether anyone may see it.
    pub fn public(self) -> bool {
        self.flags & PUBLIC != 0
    }

    /// Whether the record has audio (`hasAudio`, decisions.md).
    pub fn has_audio(self) -> bool {
        self.flags & AUDIO != 0
    }

    /// Whether `column` holds a value for it.
    pub fn has(self, column: Column) -> bool {
        self.flags & column.presence() != 0
    }

    fn encode(self) -> [u8; 8] {
        let mut out = [0; 8];
        out[..4].copy_from_slice(&self.type_id.to_be_bytes());
        out[4..6].copy_from_slice(&self.source_id.to_be_bytes());
        out[6..].copy_from_slice(&self.flags.to_be_bytes());
        out
    }

    fn decode(b: &[u8]) -> Meta {
        let at = |i: usize| b.get(i).copied().unwrap_or(0);
        Meta {
            type_id: u32::from_be_bytes([at(0), at(1), at(2), at(3)]),
            source_id: u16::from_be_bytes([at(4), at(5)]),
            flags: u16::from_be_bytes([at(6), at(7)]),
        }
    }
}

/// What interned names name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Lower-cased record types.
    Type = b't' as isize,
    /// DID methods.
    Source = b's' as isize,
}

/// `NAMES` key of an interned name.
pub fn name_key(kind: Kind, name: &str) -> Vec<u8> {
    let mut k = vec![NAMES, kind as u8];
    k.extend_from_slice(name.as_bytes());
    k
}

/// The key of a column block.
pub fn block_key(column: Column, block: u64) -> Vec<u8> {
    let mut k = vec![COLUMNS, column as u8];
    k.extend_from_slice(&block.to_be_bytes());
    k
}

/// One block of documents as planning reads it: its meta column block and one sort column's.
pub struct DocBlock {
    number: u64,
    meta: Shared,
    values: Shared,
}

impl DocBlock {
    /// Block `number` over its `meta` and `values` column blocks.
    pub fn new(number: u64, meta: Shared, values: Shared) -> DocBlock {
        DocBlock {
            number,
            meta,
            values,
        }
    }

    /// The slots of the block, for a scan: the engine's values are reached once here (a
    /// dynamic call), not once per slot.
    pub fn view(&self) -> BlockView<'_> {
        BlockView {
            number: self.number,
            meta: &self.meta,
            values: &self.values,
        }
    }
}

/// The typed view of a [`DocBlock`]: each slot's document id, meta entry and sort value.
pub struct BlockView<'b> {
    number: u64,
    meta: &'b [u8],
    values: &'b [u8],
}

impl BlockView<'_> {
    /// The document id at `slot`.
    #[inline]
    pub fn doc(&self, slot: usize) -> u64 {
        doc_id(self.number, slot)
    }

    /// The meta entry at `slot` (not live when absent).
    #[inline]
    pub fn meta(&self, slot: usize) -> Meta {
        meta_at(self.meta, slot)
    }

    /// The sort column's value at `slot`.
    #[inline]
    pub fn value(&self, slot: usize) -> Option<i64> {
        value_at(self.values, slot)
    }
}

/// One column's block as planning reads it by document id (`plan::docs` holds one per column
/// while candidate ids climb through the block): which block holds an id, and its slot there,
/// are worked out here.
pub struct ColumnBlock {
    number: u64,
    value: Shared,
}

impl ColumnBlock {
    /// Block `number` of a column, over its stored value.
    pub fn new(number: u64, value: Shared) -> ColumnBlock {
        ColumnBlock { number, value }
    }

    /// Whether document `doc` lives in this block.
    #[inline]
    pub fn holds(&self, doc: u64) -> bool {
        position(doc).0 == self.number
    }

    /// The meta entry of `doc`, read from the `Meta` column's block (not live when absent or
    /// when `doc` lives in another block).
    #[inline]
    pub fn meta(&self, doc: u64) -> Meta {
        match self.slot(doc) {
            Some(slot) => meta_at(&self.value, slot),
            None => Meta::default(),
        }
    }

    /// The value of `doc` in a sort column's block, `None` when it has none here.
    #[inline]
    pub fn value(&self, doc: u64) -> Option<i64> {
        value_at(&self.value, self.slot(doc)?)
    }

    fn slot(&self, doc: u64) -> Option<usize> {
        let (block, slot) = position(doc);
        (block == self.number).then_some(slot)
    }
}

/// The entry of `column` at `slot` of a block value; `None` beyond its end.
fn entry(value: &[u8], slot: usize) -> Option<&[u8]> {
    value.get(slot * WIDTH..slot * WIDTH + WIDTH)
}

/// The meta entry at `slot` of a `Meta` block value (not live when absent).
pub fn meta_at(value: &[u8], slot: usize) -> Meta {
    entry(value, slot).map(Meta::decode).unwrap_or_default()
}

/// The value at `slot` of a sort column's block value.
pub fn value_at(value: &[u8], slot: usize) -> Option<i64> {
    entry(value, slot).and_then(keys::decode_i64)
}

/// Overwrites the entry at `slot` of a block value, growing it as needed.
pub fn set(value: &mut Vec<u8>, slot: usize, bytes: [u8; WIDTH]) {
    let end = slot * WIDTH + WIDTH;
    if value.len() < end {
        value.resize(end, 0);
    }
    value[end - WIDTH..end].copy_from_slice(&bytes);
}

/// The entries a record with `summary`, type id and source id gets, per column.
pub fn entries(summary: &Summary, type_id: u32, source_id: u16) -> Vec<(Column, [u8; 8])> {
    let sorts = [
        (Column::Block, summary.block),
        (Column::IndexedAt, summary.indexed_at),
        (Column::Date, summary.date),
        (Column::Schedule, summary.schedule_date),
    ];
    let mut flags = LIVE;
    if summary.audiences.iter().any(|a| a == "p") {
        flags |= PUBLIC;
    }
    if summary.has_audio {
        flags |= AUDIO;
    }
    let mut out = Vec::with_capacity(5);
    for (column, value) in sorts {
        if let Some(v) = value {
            flags |= column.presence();
            out.push((column, keys::encode_i64(v)));
        }
    }
    out.push((
        Column::Meta,
        Meta {
            type_id,
            source_id,
            flags,
        }
        .encode(),
    ));
    out
}

/// The sort columns, in the order [`Listing`] keeps their ranges.
pub const SORTS: [Column; 4] = [
    Column::Block,
    Column::IndexedAt,
    Column::Date,
    Column::Schedule,
];

/// Per block: which documents a public listing shows, and the range of each sort column's values,
/// so a query over public records counts a block's candidates with one AND and a popcount, and
/// skips ranking a block that cannot reach its page. Key `v` ++ `L` ++ block number; value the
/// 512-byte bitmap then, per [`SORTS`] column, a presence byte and min and max (i64 big-endian).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Listing {
    /// Live public records other than delete messages.
    pub shown: Bits,
    ranges: [Option<(i64, i64)>; 4],
}

impl Listing {
    /// The range of values `column` holds in the block (of any document, live or not: a bound).
    pub fn range(&self, column: Column) -> Option<(i64, i64)> {
        SORTS
            .iter()
            .position(|c| *c == column)
            .and_then(|i| self.ranges[i])
    }

    /// The listing of a block from its meta and sort column values (`sorts` in [`SORTS`] order);
    /// `deletes` are the type ids of delete messages.
    pub fn of(meta: &[u8], sorts: [&[u8]; 4], deletes: &[u32]) -> Listing {
        let mut listing = Listing::default();
        for slot in 0..meta.len() / WIDTH {
            let m = meta_at(meta, slot);
            if m.live() && m.public() && !deletes.contains(&m.type_id) {
                listing.shown.set(slot);
            }
            for (i, column) in SORTS.iter().enumerate() {
                let Some(v) = m.has(*column).then(|| value_at(sorts[i], slot)).flatten() else {
                    continue;
                };
                let range = &mut listing.ranges[i];
                *range = Some(range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
            }
        }
        listing
    }

    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.shown.to_words();
        for range in &self.ranges {
            let (present, (lo, hi)) = (range.is_some(), range.unwrap_or((0, 0)));
            out.push(u8::from(present));
            out.extend_from_slice(&lo.to_be_bytes());
            out.extend_from_slice(&hi.to_be_bytes());
        }
        out
    }

    /// Decodes a stored listing; a missing or malformed one shows nothing and bounds nothing.
    pub fn decode(v: &[u8]) -> Option<Listing> {
        let (words, rest) = v.split_at_checked(Bits::WORDS_BYTES)?;
        let mut listing = Listing {
            shown: Bits::from_words(words),
            ranges: [None; 4],
        };
        for (i, entry) in rest.chunks_exact(17).take(4).enumerate() {
            let num = |b: &[u8]| i64::from_be_bytes(b.try_into().unwrap_or([0; 8]));
            if entry[0] == 1 {
                listing.ranges[i] = Some((num(&entry[1..9]), num(&entry[9..17])));
            }
        }
        Some(listing)
    }
}

/// The key of a block's [`Listing`].
pub fn listing_key(block: u64) -> Vec<u8> {
    vec![COLUMNS, b'L']
        .into_iter()
        .chain(block.to_be_bytes())
        .collect()
}

/// The meta entry of a replaced or deleted document.
pub fn dead() -> [u8; 8] {
    Meta::default().encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_a_block() {
        let mut s = sample();
        s.block = Some(-5);
        s.date = None;
        let mut meta_block = Vec::new();
        let mut block_block = Vec::new();
        for (column, bytes) in entries(&s, 7, 3) {
            match column {
                Column::Meta => set(&mut meta_block, 9, bytes),
                Column::Block => set(&mut block_block, 9, bytes),
                _ => {}
            }
        }
        let m = meta_at(&meta_block, 9);
        assert_eq!((m.type_id, m.source_id), (7, 3));
        assert!(m.live() && m.public() && m.has(Column::Block) && !m.has(Column::Date));
        assert_eq!(value_at(&block_block, 9), Some(-5));
        assert!(!meta_at(&meta_block, 3).live(), "a gap is not live");
        assert!(!meta_at(&meta_block, 10).live(), "past the end is not live");
    }

    #[test]
    fn a_column_block_answers_for_the_ids_it_holds_only() {
        use super::super::block::BLOCK_DOCS;
        let mut s = sample();
        s.block = Some(42);
        let (mut meta, mut blocks) = (Vec::new(), Vec::new());
        for (column, bytes) in entries(&s, 1, 2) {
            match column {
                Column::Meta => set(&mut meta, 5, bytes),
                Column::Block => set(&mut blocks, 5, bytes),
                _ => {}
            }
        }
        let doc = 3 * BLOCK_DOCS + 5;
        let meta = ColumnBlock::new(3, Shared::new(meta));
        let blocks = ColumnBlock::new(3, Shared::new(blocks));
        assert!(meta.holds(doc) && meta.holds(3 * BLOCK_DOCS) && meta.holds(4 * BLOCK_DOCS - 1));
        assert!(!meta.holds(doc - BLOCK_DOCS) && !meta.holds(4 * BLOCK_DOCS));
        assert!(meta.meta(doc).live() && meta.meta(doc).has(Column::Block));
        assert_eq!(blocks.value(doc), Some(42));
        assert!(
            !meta.meta(doc + 1).live(),
            "a slot past the entries is not live"
        );
        // The same slot of another block is not this block's entry.
        assert!(!meta.meta(doc + BLOCK_DOCS).live());
        assert_eq!(blocks.value(doc - BLOCK_DOCS), None);
    }

    fn sample() -> Summary {
        let record = crate::model::Record::from_value(serde_json::json!({
            "data": {"basic": {"name": "n"}},
            "oip": {"did": "did:arweave:x", "recordType": "post"}}))
        .unwrap();
        Summary::of(&record)
    }
}
