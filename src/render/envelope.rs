//! The `GET /api/records` envelope, members in the order clients expect (decisions.md: message,
//! latestArweaveBlockInDB, indexingProgress, totalRecords, pageSize, currentPage, searchResults,
//! queryParams, totalPages, records, resolution, auth).

use super::{Encoder, JsonEncoder, MsgPackEncoder, RenderError, Walk};
use crate::model::Did;
use crate::query::{Format, ResolveOptions, ShapeOptions};
use crate::resolve::Resolver;

/// The envelope members known before the records are written.
#[derive(Debug, Clone)]
pub struct Head {
    /// `latestArweaveBlockInDB`.
    pub latest_block: i64,
    /// `indexingProgress`: this node does not index Arweave, so `100%` with records, else `0%`.
    pub indexing_progress: &'static str,
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
    let RecordsResponse {
        head,
        dids,
        opts,
        shape,
        auth,
    } = response;
    let shape = *shape;
    enc.begin_map(12)?;
    enc.key("message")?;
    enc.str("Records retrieved successfully")?;
    enc.key("latestArweaveBlockInDB")?;
    enc.i64(head.latest_block)?;
    enc.key("indexingProgress")?;
    enc.str(head.indexing_progress)?;
    for (key, n) in [
        ("totalRecords", head.total_records),
        ("pageSize", u64::from(head.page_size)),
        ("currentPage", head.current_page),
        ("searchResults", head.search_results),
    ] {
        enc.key(key)?;
        enc.u64(n)?;
    }
    enc.key("queryParams")?;
    enc.begin_map(head.query_params.len())?;
    for (name, values) in &head.query_params {
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
    enc.end_map()?;
    enc.key("totalPages")?;
    enc.u64(head.total_pages)?;
    enc.key("records")?;
    enc.begin_array(dids.len())?;
    for did in dids {
        match resolver.fetch(did.as_str())? {
            Some(record) => {
                let mut walk = Walk {
                    enc: &mut *enc,
                    resolver: &mut *resolver,
                    opts,
                    shape,
                };
                walk.record(&record, opts.depth, true)?;
            }
            // Deleted between planning and writing: the array length is already promised, so the
            // slot keeps the DID, as an unresolvable reference does.
            None => enc.str(did.as_str())?,
        }
    }
    enc.end_array()?;
    let (embedded, truncated) = resolver.report();
    enc.key("resolution")?;
    enc.begin_map(2)?;
    enc.key("embedded")?;
    enc.u64(embedded)?;
    enc.key("truncated")?;
    enc.bool(truncated)?;
    enc.end_map()?;
    enc.key("auth")?;
    auth.write(enc)?;
    Ok(enc.end_map()?)
}
