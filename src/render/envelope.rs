//! The `GET /api/records` envelope, members in the order clients expect (decisions.md: message,
//! latestArweaveBlockInDB, indexingProgress, totalRecords, pageSize, currentPage, searchResults,
//! queryParams, totalPages, records, resolution, auth).

use super::{Encoder, JsonEncoder, MsgPackEncoder, RenderError, Walk};
use crate::model::Did;
use crate::plan::score::{ScoreValue, Scores};
use crate::plan::TagPage;
use crate::query::{Format, ResolveOptions, ScoreKey, ShapeOptions};
use crate::resolve::Resolver;

/// The envelope members known before the records are written.
#[derive(Debug, Clone)]
pub struct Head {
    /// `latestArweaveBlockInDB`.
    pub latest_block: i64,
    /// `indexingProgress`, e.g. `100%` (see `http::records::indexing_progress`).
    pub indexing_progress: String,
    /// `totalRecords`: records visible to the caller's class.
    pub total_records: u64,
    /// `pageSize`.
    pub page_size: u32,
    /// `currentPage`.
    pub current_page: u64,
    /// `searchResults`: records matching the query.
    pub search_results: u64,
    /// `totalPages`: ceil(searchResults ÷ pageSize).
    pub total_pages: u64,
    /// `queryParams`: the parameters as sent; repeated ones as arrays.
    pub query_params: Vec<(String, Vec<String>)>,
}

/// `auth.user` for an authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    /// `email` claim.
    pub email: Option<String>,
    /// `userId` claim.
    pub user_id: Option<String>,
    /// `publicKey` claim.
    pub public_key: Option<String>,
    /// `scope` claim, `full` by default.
    pub scope: String,
    /// `tokenType` claim, `standard` by default.
    pub token_type: String,
}

/// The `auth` member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthView {
    /// `None` for anonymous callers.
    pub user: Option<UserView>,
}

impl AuthView {
    fn write<E: Encoder>(&self, enc: &mut E) -> std::io::Result<()> {
        enc.begin_map(2)?;
        enc.key("authenticated")?;
        enc.bool(self.user.is_some())?;
        enc.key("user")?;
        let Some(user) = &self.user else {
            return enc.null().and_then(|()| enc.end_map());
        };
        enc.begin_map(5)?;
        for (key, value) in [
            ("email", &user.email),
            ("userId", &user.user_id),
            ("publicKey", &user.public_key),
        ] {
            enc.key(key)?;
            match value {
                Some(v) => enc.str(v)?,
                None => enc.null()?,
            }
        }
        for (key, value) in [("scope", &user.scope), ("tokenType", &user.token_type)] {
            enc.key(key)?;
            enc.str(value)?;
        }
        enc.end_map()?;
        enc.end_map()
    }
}

/// Everything a records response needs besides the resolver.
#[derive(Debug, Clone)]
pub struct RecordsResponse {
    /// Members before `records`.
    pub head: Head,
    /// The page, in order.
    pub dids: Vec<Did>,
    /// Resolution settings.
    pub opts: ResolveOptions,
    /// Output shaping.
    pub shape: ShapeOptions,
    /// The `auth` member.
    pub auth: AuthView,
    /// Score members per record, aligned with `dids`.
    pub scores: Vec<Scores>,
    /// With `summarizeTags`: the tag page, and the envelope takes the tag-summary shape.
    pub tags: Option<TagPage>,
}

/// Writes the whole response in `format` to `out`, resolving each record as it goes.
pub fn write_records_response<W: std::io::Write>(
    out: W,
    format: Format,
    response: &RecordsResponse,
    resolver: &mut Resolver<'_>,
) -> Result<(), RenderError> {
    match format {
        Format::Json => write_envelope(&mut JsonEncoder::new(out), response, resolver),
        Format::MsgPack => write_envelope(&mut MsgPackEncoder::new(out), response, resolver),
    }
}

fn write_envelope<E: Encoder>(
    enc: &mut E,
    response: &RecordsResponse,
    resolver: &mut Resolver<'_>,
) -> Result<(), RenderError> {
    let head = &response.head;
    enc.begin_map(if response.tags.is_some() { 13 } else { 12 })?;
    enc.key("message")?;
    enc.str("Records retrieved successfully")?;
    enc.key("latestArweaveBlockInDB")?;
    enc.i64(head.latest_block)?;
    enc.key("indexingProgress")?;
    enc.str(&head.indexing_progress)?;
    match &response.tags {
        // records-api.md §3.8.2, with true figures (decisions.md): no queryParams.
        Some(tags) => {
            counts(
                enc,
                &[
                    ("totalRecords", head.total_records),
                    ("searchResults", head.search_results),
                ],
            )?;
            enc.key("tagSummary")?;
            enc.begin_array(tags.tags.len())?;
            for (tag, count) in &tags.tags {
                enc.begin_map(2)?;
                enc.key("tag")?;
                enc.str(tag)?;
                enc.key("count")?;
                enc.u64(*count)?;
                enc.end_map()?;
            }
            enc.end_array()?;
            counts(
                enc,
                &[
                    ("tagCount", tags.distinct as u64),
                    ("pageSize", u64::from(head.page_size)),
                    ("currentPage", head.current_page),
                    ("totalPages", head.total_pages),
                ],
            )?;
        }
        None => {
            counts(
                enc,
                &[
                    ("totalRecords", head.total_records),
                    ("pageSize", u64::from(head.page_size)),
                    ("currentPage", head.current_page),
                    ("searchResults", head.search_results),
                ],
            )?;
            query_params(enc, &head.query_params)?;
            counts(enc, &[("totalPages", head.total_pages)])?;
        }
    }
    let listing = Listing {
        dids: &response.dids,
        scores: &response.scores,
        opts: &response.opts,
        shape: response.shape,
    };
    records(enc, &listing, resolver)?;
    let (embedded, truncated) = resolver.report();
    enc.key("resolution")?;
    enc.begin_map(2)?;
    enc.key("embedded")?;
    enc.u64(embedded)?;
    enc.key("truncated")?;
    enc.bool(truncated)?;
    enc.end_map()?;
    enc.key("auth")?;
    response.auth.write(enc)?;
    Ok(enc.end_map()?)
}

fn counts<E: Encoder>(enc: &mut E, members: &[(&str, u64)]) -> std::io::Result<()> {
    for (key, n) in members {
        enc.key(key)?;
        enc.u64(*n)?;
    }
    Ok(())
}

fn query_params<E: Encoder>(enc: &mut E, params: &[(String, Vec<String>)]) -> std::io::Result<()> {
    enc.key("queryParams")?;
    enc.begin_map(params.len())?;
    for (name, values) in params {
        enc.key(name)?;
        match values.as_slice() {
            [one] => enc.str(one)?,
            many => {
                enc.begin_array(many.len())?;
                for v in many {
                    enc.str(v)?;
                }
                enc.end_array()?;
            }
        }
    }
    enc.end_map()
}

/// What the `records` array is written from.
struct Listing<'r> {
    dids: &'r [Did],
    scores: &'r [Scores],
    opts: &'r ResolveOptions,
    shape: ShapeOptions,
}

fn records<E: Encoder>(
    enc: &mut E,
    listing: &Listing<'_>,
    resolver: &mut Resolver<'_>,
) -> Result<(), RenderError> {
    enc.key("records")?;
    enc.begin_array(listing.dids.len())?;
    let no_scores = Vec::new();
    for (i, did) in listing.dids.iter().enumerate() {
        match resolver.fetch(did)? {
            Some(record) => {
                let mut walk = Walk {
                    enc: &mut *enc,
                    resolver: &mut *resolver,
                    opts: listing.opts,
                    shape: listing.shape,
                };
                walk.top_record(&record, listing.scores.get(i).unwrap_or(&no_scores))?;
            }
            // Deleted between planning and writing: the array length is already promised, so the
            // slot keeps the DID, as an unresolvable reference does.
            None => enc.str(did.as_str())?,
        }
    }
    Ok(enc.end_array()?)
}

/// The `noteSearchQuery` envelope (records-api.md §3.9): `message, searchResults,
/// totalNotesScored, totalChunksSearched, records, auth`; each note gets `did` and
/// `searchScores` after `data` and `oip`. The two counts are absent when nothing matched.
pub fn write_notes_response<W: std::io::Write>(
    out: W,
    format: Format,
    page: &crate::plan::notes::NotePage,
    auth: &AuthView,
    resolver: &mut Resolver<'_>,
) -> Result<(), RenderError> {
    let dids: Vec<Did> = page.hits.iter().map(|h| h.did.clone()).collect();
    let scores: Vec<Scores> = page
        .hits
        .iter()
        .map(|h| {
            vec![
                (ScoreKey::Did, ScoreValue::Json(h.did.to_string().into())),
                (ScoreKey::SearchScores, ScoreValue::Json(h.scores.clone())),
            ]
        })
        .collect();
    // Notes are written as stored: this mode ignores every shaping parameter (records-api.md §3.9).
    let shape = ShapeOptions {
        include_sigs: true,
        include_pub_keys: true,
        date_readable: true,
        hide_nulls: false,
        summarize_recipe: false,
    };
    let opts = ResolveOptions::default();
    let listing = Listing {
        dids: &dids,
        scores: &scores,
        opts: &opts,
        shape,
    };
    match format {
        Format::Json => notes_envelope(&mut JsonEncoder::new(out), page, &listing, auth, resolver),
        Format::MsgPack => notes_envelope(
            &mut MsgPackEncoder::new(out),
            page,
            &listing,
            auth,
            resolver,
        ),
    }
}

fn notes_envelope<E: Encoder>(
    enc: &mut E,
    page: &crate::plan::notes::NotePage,
    listing: &Listing<'_>,
    auth: &AuthView,
    resolver: &mut Resolver<'_>,
) -> Result<(), RenderError> {
    enc.begin_map(if page.chunks_searched.is_some() { 6 } else { 4 })?;
    enc.key("message")?;
    enc.str(page.message)?;
    counts(enc, &[("searchResults", page.hits.len() as u64)])?;
    if let Some(chunks) = page.chunks_searched {
        counts(
            enc,
            &[
                ("totalNotesScored", page.notes_scored as u64),
                ("totalChunksSearched", chunks as u64),
            ],
        )?;
    }
    records(enc, listing, resolver)?;
    enc.key("auth")?;
    auth.write(enc)?;
    Ok(enc.end_map()?)
}
