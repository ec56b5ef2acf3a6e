//! The unit posting lists (`postings`) and doc-value columns (`columns`) share: document ids in
//! fixed ranges of [`BLOCK_DOCS`], a block's ids as a bitmap ([`Bits`]), and the arithmetic
//! between a document id and its (block, slot) — written once here, so neither module needs the
//! other and planning never computes an id.
//!
//! Owns: the block size, the bitmap and its stored form. Must not: know keys or trees.

use crate::model::Direction;

/// Documents per block (32 KiB of a sort column, 512 bytes of bitmap).
pub const BLOCK_DOCS: u64 = 4096;

/// Most ids a block stores as a list of offsets before it becomes a bitmap (same size).
pub const SPARSE_MAX: usize = 256;

const WORDS: usize = (BLOCK_DOCS / 64) as usize;

/// The id of the document at `slot` of block `block`.
pub fn doc_id(block: u64, slot: usize) -> u64 {
    block * BLOCK_DOCS + slot as u64
}

/// The block a document lives in, and its slot there.
pub fn position(doc: u64) -> (u64, usize) {
    (doc / BLOCK_DOCS, (doc % BLOCK_DOCS) as usize)
}

/// The slot a scan of a block in `direction` starts from.
pub fn first_slot(direction: Direction) -> usize {
    direction.first(0, BLOCK_DOCS as usize - 1)
}

/// The ids of one block range, as a bitmap of offsets.
#[derive(Clone, PartialEq, Eq)]
pub struct Bits([u64; WORDS]);

impl std::fmt::Debug for Bits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.offsets()).finish()
    }
}

impl Default for Bits {
    fn default() -> Bits {
        Bits([0; WORDS])
    }
}

impl Bits {
    /// Decodes a stored block; a malformed one reads as empty.
    pub fn decode(v: &[u8]) -> Bits {
        let mut bits = Bits::default();
        match v.split_first() {
            Some((0, offsets)) => {
                for c in offsets.chunks_exact(2) {
                    bits.set(usize::from(u16::from_be_bytes([c[0], c[1]])));
                }
            }
            Some((1, map)) if map.len() == WORDS * 8 => bits = Bits::from_words(map),
            _ => {}
        }
        bits
    }

    /// The stored form: offsets while there are few, else the bitmap.
    pub fn encode(&self) -> Vec<u8> {
        if self.count() <= SPARSE_MAX {
            let mut out = vec![0];
            for offset in self.offsets() {
                out.extend_from_slice(&(offset as u16).to_be_bytes());
            }
            return out;
        }
        let mut out = vec![1];
        out.extend(self.to_words());
        out
    }

    /// Bytes of [`Bits::to_words`].
    pub const WORDS_BYTES: usize = WORDS * 8;

    /// The bitmap as little-endian words, whatever the count.
    pub fn to_words(&self) -> Vec<u8> {
        self.0.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Inverse of [`Bits::to_words`] (missing words read as zero).
    pub fn from_words(v: &[u8]) -> Bits {
        let mut bits = Bits::default();
        for (word, c) in bits.0.iter_mut().zip(v.chunks_exact(8)) {
            *word = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        }
        bits
    }

    /// Adds an offset (< [`BLOCK_DOCS`]; others are ignored).
    pub fn set(&mut self, offset: usize) {
        if let Some(word) = self.0.get_mut(offset / 64) {
            *word |= 1 << (offset % 64);
        }
    }

    /// Removes an offset.
    pub fn clear(&mut self, offset: usize) {
        if let Some(word) = self.0.get_mut(offset / 64) {
            *word &= !(1 << (offset % 64));
        }
    }

    /// Keeps the offsets also in `other`.
    pub fn and(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= b);
    }

    /// Adds the offsets of `other`.
    pub fn or(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }

    /// How many offsets are set.
    pub fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether no offset is set.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// The first set offset at or beyond `from` in `direction` (≤ descending, ≥ ascending).
    pub fn next(&self, from: usize, direction: Direction) -> Option<usize> {
        let (mut w, bit) = (from / 64, from % 64);
        if w >= WORDS {
            return None;
        }
        let mut word = match direction {
            Direction::Desc => self.0[w] & (u64::MAX >> (63 - bit)),
            Direction::Asc => self.0[w] & (u64::MAX << bit),
        };
        loop {
            if word != 0 {
                let at = match direction {
                    Direction::Desc => 63 - word.leading_zeros() as usize,
                    Direction::Asc => word.trailing_zeros() as usize,
                };
                return Some(w * 64 + at);
            }
            w = match direction {
                Direction::Desc => w.checked_sub(1)?,
                Direction::Asc => w + 1,
            };
            word = *self.0.get(w)?;
        }
    }

    /// The set offsets, ascending.
    pub fn offsets(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots(Direction::Asc)
    }

    /// The set offsets in `direction`.
    pub fn slots(&self, direction: Direction) -> impl Iterator<Item = usize> + '_ {
        let mut from = Some(first_slot(direction));
        std::iter::from_fn(move || {
            let at = self.next(from?, direction)?;
            from = direction.step(at as u64).map(|o| o as usize);
            Some(at)
        })
    }
}
