//! `noteSearchQuery` mode (records-api.md §3.9): notes ranked by how well their chunks match the
//! query, plus an attendee bonus.
//!
//! Owns: scoring `noteChunks` records (3 per tag containing a term, 1 per word of the chunk text
//! starting with a term; terms are the query's lower-cased words longer than 2 characters),
//! grouping by `noteChunks.note_ref`, the +5 per (requested attendee, participant) pair where one
//! name contains the other, and ranking. Differs from the original on purpose: every visible chunk
//! in the date range is scored (the original looked at 100), and ties rank by DID.
//! Memory: one entry per referenced note.

use super::candidates;
use super::coverage::{self, Selection};
use crate::access::Caller;
use crate::model::{Did, Direction, Record, RecordType};
use crate::query::NoteSearch;
use crate::resolve::cache::ByteLru;
use crate::resolve::Visible;
use crate::store::keys::SortField;
use crate::store::{Store, StoreError};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One ranked note.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteHit {
    /// The note.
    pub did: Did,
    /// `searchScores` as the original names its members.
    pub scores: Value,
}

/// The outcome of a note search.
#[derive(Debug, Clone, PartialEq)]
pub struct NotePage {
    /// `message`.
    pub message: &'static str,
    /// Ranked notes, at most `limit`.
    pub hits: Vec<NoteHit>,
    /// Notes that had a matching chunk and could be read (`totalNotesScored`).
    pub notes_scored: usize,
    /// Chunks examined (`totalChunksSearched`); `None` when there were none.
    pub chunks_searched: Option<usize>,
}

#[derive(Default)]
struct Tally {
    chunk_score: u64,
    tag_matches: u64,
    text_matches: u64,
    chunk_count: u64,
}

fn score_chunk(record: &Record, terms: &[String]) -> (u64, u64) {
    let tags = record
        .data()
        .get("basic")
        .and_then(|b| b.get("tagItems"))
        .and_then(Value::as_array);
    let tag_matches = tags
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|tag| {
            terms
                .iter()
                .filter(|t| tag.to_lowercase().contains(t.as_str()))
                .count() as u64
        })
        .sum();
    let text = record
        .data()
        .get("noteChunks")
        .and_then(|n| n.get("text"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let text_matches = terms
        .iter()
        .map(|t| words.iter().filter(|w| w.starts_with(t.as_str())).count() as u64)
        .sum();
    (tag_matches, text_matches)
}

/// Runs the note search for `caller`. Chunks are the GUN `noteChunks` records the caller may
/// see whose `basic.date` is within the search's range (records-api.md §3.9: every other
/// parameter is ignored in this mode), walked by block, newest first; the notes they name are
/// read through `cache` with the caller's visibility, as resolution reads them.
pub fn execute(
    store: &Store,
    cache: &ByteLru,
    caller: &Caller,
    search: &NoteSearch,
) -> Result<NotePage, StoreError> {
    let chunk_type = RecordType::new("noteChunks");
    let chunks_of = Selection {
        record_type: Some(&chunk_type),
        source: Some("gun"),
        deletes: false,
    };
    let cov = coverage::covering(store, caller, &chunks_of)?;
    let mut notes: BTreeMap<String, Tally> = BTreeMap::new();
    let mut chunks = 0;
    for candidate in candidates::walk(store, &cov, SortField::Block, Direction::Desc) {
        let Some(did) = candidate?.did else {
            continue;
        };
        let Some((stored, record)) = store.decoded(&did)? else {
            continue;
        };
        if !caller.may_see(&stored.summary.access()) || !search.dated(stored.summary.date) {
            continue;
        }
        chunks += 1;
        let (tag_matches, text_matches) = score_chunk(&record, &search.terms);
        let score = 3 * tag_matches + text_matches;
        let note_ref = record
            .data()
            .get("noteChunks")
            .and_then(|n| n.get("note_ref"))
            .and_then(Value::as_str);
        if let (true, Some(note)) = (score > 0, note_ref) {
            let t = notes.entry(note.to_owned()).or_default();
            t.chunk_score += score;
            t.tag_matches += tag_matches;
            t.text_matches += text_matches;
            t.chunk_count += 1;
        }
    }
    if chunks == 0 {
        return Ok(NotePage {
            message: "No notes found in the specified date range",
            hits: Vec::new(),
            notes_scored: 0,
            chunks_searched: None,
        });
    }
    if notes.is_empty() {
        return Ok(NotePage {
            message: "No notes found matching the search query",
            hits: Vec::new(),
            notes_scored: 0,
            chunks_searched: None,
        });
    }
    let mut hits = rank(Visible::new(store, cache, caller), notes, search)?;
    let notes_scored = hits.len();
    hits.truncate(search.limit as usize);
    Ok(NotePage {
        message: "Note search results",
        hits: hits.into_iter().map(|(_, h)| h).collect(),
        notes_scored,
        chunks_searched: Some(chunks),
    })
}

fn rank(
    visible: Visible<'_>,
    notes: BTreeMap<String, Tally>,
    search: &NoteSearch,
) -> Result<Vec<(u64, NoteHit)>, StoreError> {
    let store = visible.store();
    let mut ranked = Vec::new();
    for (note_did, t) in notes {
        // A `note_ref` that is no DID names no note.
        let Some(did) = Did::parse(&note_did) else {
            continue;
        };
        let Some(found) = store.get(&did)? else {
            continue;
        };
        if visible.fetch(&did)?.is_none() || found.summary.type_key() != "notes" {
            continue;
        }
        let Some(record) = super::judge::load(store, &found.did)? else {
            continue;
        };
        let participants: Vec<String> = record
            .data()
            .get("notes")
            .and_then(|n| n.get("participant_display_names"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        let attendee_matches = search
            .attendees
            .iter()
            .map(|a| {
                participants
                    .iter()
                    .filter(|p| p.contains(a.as_str()) || a.contains(p.as_str()))
                    .count() as u64
            })
            .sum::<u64>();
        let attendee_score = 5 * attendee_matches;
        let final_score = t.chunk_score + attendee_score;
        let scores = json!({"noteDid": note_did, "chunkScore": t.chunk_score, "totalMatches": t.tag_matches + t.text_matches,
            "tagMatches": t.tag_matches, "textMatches": t.text_matches, "chunkCount": t.chunk_count,
            "attendeeScore": attendee_score, "attendeeMatches": attendee_matches, "finalScore": final_score});
        ranked.push((
            final_score,
            NoteHit {
                did: found.did,
                scores,
            },
        ));
    }
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.did.cmp(&b.1.did)));
    Ok(ranked)
}
