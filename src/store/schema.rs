//! The store's layout: its keyspaces and its version. `migrations/0001-initial.md` describes the
//! same layout for operators; a change here bumps [`LAYOUT_VERSION`] and adds a migration file.
//!
//! Each keyspace is a one-byte prefix in the engine's single table (see `sled_kv` for why one).
//! Must not: encode keys (that is `keys`).

/// The layout this binary reads and writes. A store with a higher version is refused.
pub const LAYOUT_VERSION: u32 = 4;

/// `m` ++ name → value. Holds `layout` (u32 big-endian).
pub const META: u8 = b'm';
/// `r` ++ did → the record's document id (u64 big-endian); its summary and body are under the id
/// in `DOC_IDS`. (Layout 2 kept the body here after the id, layout 1 the bare JSON and the
/// summary under `i` ++ did; see `migrate`.)
pub const RECORDS: u8 = b'r';
/// `a` ++ didTx → did, for records whose `oip.didTx` differs from their key.
pub const ALIASES: u8 = b'a';
/// `s` ++ audience ++ 0 ++ `t:`type ++ 0 ++ field ++ class ++ value(8) ++ did → empty. Sorted
/// listings per record type: class 1 = the field has a value (`value`), class 0 = it has none
/// (`value` = indexedAt). Listings of several types merge the type partitions.
pub const SORTED: u8 = b's';
/// `c` ++ audience ++ 0 ++ scope → count (u64 big-endian) ++ display name. Totals in O(1).
pub const COUNTS: u8 = b'c';
/// `b` ++ block(8) → count (u64 big-endian) of the confirmed (non-pending) records in that block:
/// `latestArweaveBlockInDB` is the last key. (Layout 1 kept one key per record, `b` ++ block ++ did.)
pub const BLOCKS: u8 = b'b';
/// `o` ++ `a` ++ 0 ++ admin key ++ 0 ++ organization did → empty, and `o` ++ `o` ++ 0 ++
/// organization did → empty for open-join organizations: who is a member of what.
pub const ORGS: u8 = b'o';
/// `p` ++ field ++ term ++ 0 ++ block number → the ids of that range: posting lists (see
/// `postings`; layout 1 kept runs of ids under `P`, see `migrate`).
pub const POSTINGS: u8 = b'p';
/// `D` ++ field ++ term → empty: the words posting lists exist for (prefix and fuzzy search; other
/// fields are looked up exactly, and layouts before 3 listed them too).
pub const DICTIONARY: u8 = b'D';
/// `d` ++ document id (u64 big-endian) → DID length (u16) ++ DID ++ summary length (u32) ++
/// summary ++ body (see `body`): what a posting list's id names, and the record, readable in
/// one get. Ids are allocated in write order, so an import appends here.
pub const DOC_IDS: u8 = b'd';
/// `v` ++ column ++ block number (u64 big-endian) → fixed-width entries by document id (see
/// `columns`).
pub const COLUMNS: u8 = b'v';
/// `n` ++ kind ++ name → u32 big-endian: record types and DID methods interned for `COLUMNS`.
pub const NAMES: u8 = b'n';
/// `t` ++ did → deletion time (ISO-8601). Deleted DIDs, so an import does not resurrect them.
pub const TOMBSTONES: u8 = b't';

/// `F` ++ sequence number (u64 big-endian) → MessagePack `[op, did, now, seen]`: the change log,
/// one entry per DID (see `changes`; added in layout 4).
pub const CHANGES: u8 = b'F';
/// `f` ++ did → the sequence number (u64 big-endian) of the DID's entry in `CHANGES`.
pub const CHANGE_OF: u8 = b'f';

/// Meta key of the layout version.
pub const LAYOUT_KEY: &[u8] = b"layout";
/// Meta key of the next interned-name id (u32 big-endian).
pub const NEXT_NAME_KEY: &[u8] = b"next_name";
/// Meta key of the next document id (u64 big-endian).
pub const NEXT_DOC_KEY: &[u8] = b"next_doc";
/// Meta key of the zstd dictionary record bodies are compressed with (see `body`); absent until
/// the store has had enough records to train one.
pub const DICT_KEY: &[u8] = b"dict";

// Keyspaces of `oipd index` (issue 11, `collections`). Stores written before they existed read
// as having none of them, so adding them changed no existing key and needed no new layout.

/// `T` ++ did → template document (compact JSON `{data, oip}`, arweave-indexing.md §4.4).
pub const TEMPLATES: u8 = b'T';
/// `K` ++ did → creator registration document (§5.1).
pub const CREATORS: u8 = b'K';
/// `A` ++ creator didAddress ++ 0 ++ registration did → `oip.inArweaveBlock` (i64 big-endian,
/// sign bit flipped; -1 when unknown): a creator's registrations, for signature checks.
pub const CREATOR_ADDRESSES: u8 = b'A';
/// `O` ++ did → organization document (§5.4).
pub const ORGANIZATIONS: u8 = b'O';
/// `Q` ++ reason ++ subject ++ 0 ++ txid → JSON of a transaction waiting for something (a
/// template `t`, a creator `c`, its payload `f`) before it can be indexed.
pub const PENDING: u8 = b'Q';
/// `X` ++ name → the indexer's state (JSON), e.g. `X` ++ `arweave` → resume height.
pub const INDEXER: u8 = b'X';
