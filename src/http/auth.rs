//! Who is calling: the optional bearer token of a request, verified once per request, turned into
//! a [`Caller`] (with organization memberships) and the envelope's `auth` member. Handlers take it
//! as an argument: [`Identity`] for reads, [`Writer`] for writes (extractors, so no handler
//! verifies a token itself).
//!
//! Reads: no token, or an invalid or expired one, is anonymous (as the original); a replicate
//! token reads every record. Writes: a valid token with a `publicKey` claim is required (401
//! otherwise); calendar and replicate tokens may not write (403); a follower (`serve --follow`)
//! refuses every write with 403 naming its primary, so every write route, present or future,
//! that takes a [`Writer`] is refused the same way.

use super::AppState;
use crate::access::Caller;
use crate::auth::{self, Claims};
use crate::error::ApiError;
use crate::render::{AuthView, UserView};
use crate::store::blocking;
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

/// The identity of one request.
pub struct Identity {
    /// For visibility.
    pub caller: Caller,
    /// The envelope's `auth` member.
    pub view: AuthView,
    /// The verified claims, if any.
    pub claims: Option<Claims>,
}

/// A handler argument of type `Identity` is the request's optional identity (reads).
impl FromRequest for Identity {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Identity, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = web::Data::<AppState>::extract(&req).await?;
            Ok(identify(&req, &state).await?)
        })
    }
}

/// `caller` ready for a listing: a replicate caller walks every audience the store holds, looked
/// up here (one range read per audience) rather than for every request, since the change feed,
/// which replicas poll, needs none of them. Runs on the blocking pool.
pub fn listing_caller(
    mut caller: Caller,
    store: &crate::store::Store,
) -> Result<Caller, crate::store::StoreError> {
    if caller.replica.is_some() {
        caller.replica = Some(store.audiences()?);
    }
    Ok(caller)
}

/// The identity of a write, as a handler argument: extracting it answers 401/403 for a caller
/// who may not write, before the body is read.
pub struct Writer(pub Identity);

impl FromRequest for Writer {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Writer, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = web::Data::<AppState>::extract(&req).await?;
            Ok(Writer(require_writer(&req, &state).await?))
        })
    }
}

/// The token of `Authorization: Bearer <token>`, verified with the configured secret. The
/// original takes the second word whatever the first says; oipd reads only the `Bearer` scheme
/// (any case, RFC 6750), so `Basic` credentials meant for a proxy are never taken for a token.
fn claims(req: &HttpRequest, state: &AppState) -> Option<Claims> {
    let secret = state.config.jwt_secret.as_ref()?;
    let header = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let mut words = header.split_whitespace();
    if !words.next()?.eq_ignore_ascii_case("bearer") {
        return None;
    }
    auth::verify(words.next()?, secret)
}

/// The optional identity of a read.
async fn identify(req: &HttpRequest, state: &AppState) -> Result<Identity, ApiError> {
    let claims = claims(req, state);
    let key = claims.as_ref().and_then(|c| c.public_key.clone());
    // Filled by `listing_caller` where a listing needs it: the feed judges by `may_see` alone.
    let replica = claims
        .as_ref()
        .is_some_and(Claims::is_replicate)
        .then(Vec::new);
    let orgs = match &key {
        Some(key) => {
            let (store, key) = (state.store.clone(), key.clone());
            blocking(move || store.orgs_of(&key)).await??
        }
        None => Vec::new(),
    };
    let view = AuthView {
        user: claims.as_ref().map(|c| UserView {
            email: c.email.clone(),
            user_id: c.user_id.clone(),
            public_key: c.public_key.clone(),
            scope: c.scope.clone().unwrap_or_else(|| "full".into()),
            token_type: c.token_type.clone().unwrap_or_else(|| "standard".into()),
        }),
    };
    Ok(Identity {
        caller: Caller {
            public_key: key,
            orgs,
            replica,
        },
        view,
        claims,
    })
}

/// The identity of a write: a valid, non-calendar token with a `publicKey` claim.
async fn require_writer(req: &HttpRequest, state: &AppState) -> Result<Identity, ApiError> {
    // A follower's records are the primary's: a local write would be overwritten or diverge.
    if let Some(follow) = &state.config.follow {
        return Err(ApiError::Replica(follow.primary().to_owned()));
    }
    if state.config.jwt_secret.is_none() {
        return Err(ApiError::Unauthorized(
            "this node has no token secret configured (set OIPD_JWT_SECRET), so it accepts no writes".into(),
        ));
    }
    let identity = identify(req, state).await?;
    let Some(claims) = &identity.claims else {
        return Err(ApiError::Unauthorized(
            "send a valid, unexpired token as Authorization: Bearer <token>".into(),
        ));
    };
    if claims.is_calendar() {
        return Err(ApiError::Calendar(
            "Calendar tokens are read-only and cannot modify records".into(),
        ));
    }
    if claims.is_replicate() {
        return Err(ApiError::ReadOnly(
            "replicate tokens read every record but cannot write; write with a user's token".into(),
        ));
    }
    if identity.caller.public_key.is_none() {
        return Err(ApiError::Unauthorized(
            "the token has no publicKey claim, so it cannot own records".into(),
        ));
    }
    Ok(identity)
}

/// What a request asks of the records, for the calendar scope.
pub enum Reads<'q> {
    /// A listing or lookup, with its `recordType` if any.
    Listing(Option<&'q str>),
    /// Note search (`noteSearchQuery`): it reads `notes` and `noteChunks` whatever `recordType` says.
    NoteSearch,
    /// Anything else (`recordTypes`, `clear-cache`): not a calendar's business.
    Other(&'static str),
}

/// Calendar tokens list only their allowed record types, and must name one (records-api.md
/// §9.23); every other route and mode is refused, so the scope holds wherever records are read
/// (issue 15 finding 5). References inside an allowed record resolve with the token's identity,
/// as the original does: a meal plan's recipes and a workout's exercises are what a calendar shows.
pub fn check_calendar(identity: &Identity, reads: Reads<'_>) -> Result<(), ApiError> {
    let Some(claims) = identity.claims.as_ref().filter(|c| c.is_calendar()) else {
        return Ok(());
    };
    let allowed = claims.calendar_types();
    let may = |t: &str| allowed.iter().any(|a| a.eq_ignore_ascii_case(t));
    let requested = match reads {
        Reads::Listing(Some(t)) if may(t) => return Ok(()),
        Reads::NoteSearch if may("notes") && may("noteChunks") => return Ok(()),
        Reads::Listing(t) => t.unwrap_or("all record types").to_owned(),
        Reads::NoteSearch => "note search (notes, noteChunks)".to_owned(),
        Reads::Other(what) => what.to_owned(),
    };
    Err(ApiError::Calendar(format!(
        "Calendar tokens can only access: {}. Requested: {requested}",
        allowed.join(", "),
    )))
}

/// `soul` is an ownership gate: it must start with the caller's key hash (records-api.md §6.7).
pub fn check_soul(identity: &Identity, soul: Option<&str>) -> Result<(), ApiError> {
    let Some(soul) = soul else {
        return Ok(());
    };
    match &identity.caller.public_key {
        Some(key) if soul.starts_with(&auth::key_hash(key)) => Ok(()),
        _ => Err(ApiError::SoulDenied),
    }
}
