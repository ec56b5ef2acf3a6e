//! Parameter parsing for `GET /api/records`.
//!
//! Unknown parameters are accepted and echoed in `queryParams`, as the original does, so clients
//! that send extra keys keep working.

use super::{QueryError, QueryLimits, Sort};
use crate::model::{Did, RecordType};

/// Parameters that may be repeated (decisions.md "Query parameters"); every other one is scalar.
const REPEATABLE: [&str; 3] = ["fieldName", "fieldSearch", "resolveFieldName"];

/// Most entries one list parameter (`tags`, `resolveFieldName`, `fieldName`, search words,
/// `exactMatch` members, …) may hold. Each entry is compared against every record or field a
/// request visits, so a 64 KB list made one request burn 20 CPU-seconds (issue 15 finding 6);
/// real clients send a handful.
pub const MAX_LIST_ITEMS: usize = 64;

/// Most `name=value` pairs in one query string.
pub const MAX_PARAMS: usize = 256;

/// `Err` when `got` entries of `what` exceed `limit`.
pub(super) fn at_most(what: &'static str, limit: usize, got: usize) -> Result<(), QueryError> {
    if got > limit {
        return Err(QueryError::TooMany { what, limit, got });
    }
    Ok(())
}

/// The query as received: decoded `(name, value)` pairs in order.
#[derive(Debug, Clone, Default)]
pub struct RawRecordsQuery {
    /// Pairs in request order.
    pub pairs: Vec<(String, String)>,
}

/// Response encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json`.
    Json,
    /// `application/msgpack`.
    MsgPack,
}

impl std::str::FromStr for Format {
    type Err = ();

    /// `json` or `msgpack`, any case (`?format=`).
    fn from_str(s: &str) -> Result<Format, ()> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "msgpack" => Ok(Format::MsgPack),
            _ => Err(()),
        }
    }
}

impl Format {
    /// The media type a response in this format is sent as.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::MsgPack => "application/msgpack",
        }
    }
}

/// How references are resolved (decisions.md "Resolution").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolveOptions {
    /// Levels to embed: 0 = none.
    pub depth: u32,
    /// At the deepest level, replace references with the referenced record's `basic.name`.
    pub names_only: bool,
    /// Only fields matching one of these targets are resolved, at every level (empty = all).
    pub fields: Vec<String>,
}

/// Output shaping that applies to every record written, embedded ones included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeOptions {
    /// Keep `oip.signature`.
    pub include_sigs: bool,
    /// Keep `oip.creator.publicKey`.
    pub include_pub_keys: bool,
    /// Add `data.basic.dateReadable` to top-level records.
    pub date_readable: bool,
    /// Drop `null` members and array elements everywhere.
    pub hide_nulls: bool,
    /// Add nutrition summaries to recipes (`summarizeRecipe`).
    pub summarize_recipe: bool,
}

/// A validated `GET /api/records` query.
#[derive(Debug, Clone)]
pub struct RecordsQuery {
    /// `did` / `didTx`: one record by DID.
    pub did: Option<Did>,
    /// `recordType` (matched case-insensitively).
    pub record_type: Option<RecordType>,
    /// `source` (or `storage`): DID method such as `arweave` or `gun`; `None` = all.
    pub source: Option<String>,
    /// `includeDeleteMessages`; `None` when absent.
    pub include_deletes: Option<bool>,
    /// Page size, 1..=max.
    pub limit: u32,
    /// Page number, from 1.
    pub page: u64,
    /// `sortBy`.
    pub sort: Sort,
    /// Resolution settings.
    pub resolve: ResolveOptions,
    /// Output shaping.
    pub shape: ShapeOptions,
    /// `format`, when given.
    pub format: Option<Format>,
    /// `soul`: an ownership gate checked against the caller's key.
    pub soul: Option<String>,
    /// Filters, scores and shaping beyond the core parameters.
    pub filters: super::Filters,
    /// What `queryParams` echoes: every parameter as sent, repeated ones as arrays.
    pub echo: Vec<(String, Vec<String>)>,
}

impl RecordsQuery {
    /// Validates `raw` against `limits`.
    pub fn parse(raw: RawRecordsQuery, limits: QueryLimits) -> Result<RecordsQuery, QueryError> {
        let p = Params::group(raw)?;
        let did = match (p.text("did"), p.text("didTx")) {
            (Some(a), Some(b)) if a != b => {
                return Err(invalid(
                    "didTx",
                    "the same DID as did when both are given",
                    b,
                ))
            }
            (Some(v), _) | (None, Some(v)) => {
                Some(Did::parse(v).ok_or_else(|| invalid("did", "a DID starting with did:", v))?)
            }
            (None, None) => None,
        };
        let source = p
            .text("source")
            .or_else(|| p.text("storage"))
            .filter(|s| *s != "all")
            .map(str::to_owned);
        let limit = match p.text("limit") {
            None => 20,
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=limits.max_limit).contains(&n) => n,
                _ => {
                    let expected = format!("an integer from 1 to {}", limits.max_limit);
                    return Err(invalid("limit", &expected, v));
                }
            },
        };
        let page = match p.text("page") {
            None => 1,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| invalid("page", "an integer of at least 1", v))?,
        };
        let depth = match p.text("resolveDepth") {
            None => 0,
            Some(v) => v
                .parse::<u64>()
                .map_err(|_| invalid("resolveDepth", "an integer of at least 0", v))?
                .min(u64::from(limits.max_resolve_depth)) as u32,
        };
        Ok(RecordsQuery {
            did,
            record_type: p.text("recordType").map(RecordType::new),
            source,
            include_deletes: p.flag("includeDeleteMessages")?,
            limit,
            page,
            sort: default_sort(&p)?,
            resolve: ResolveOptions {
                depth,
                names_only: p.flag("resolveNamesOnly")?.unwrap_or(false),
                fields: p.list("resolveFieldName")?,
            },
            shape: ShapeOptions {
                include_sigs: p.flag("includeSigs")?.unwrap_or(true),
                include_pub_keys: p.flag("includePubKeys")?.unwrap_or(true),
                date_readable: !p.flag("hideDateReadable")?.unwrap_or(false),
                hide_nulls: p.flag("hideNullValues")?.unwrap_or(false),
                summarize_recipe: p.flag("summarizeRecipe")?.unwrap_or(false),
            },
            format: p.format()?,
            soul: p.text("soul").map(str::to_owned),
            filters: super::Filters::parse(&p)?,
            echo: p.groups,
        })
    }

    /// Records skipped before this page.
    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(u64::from(self.limit))
    }
}

/// `sortBy`, else the name filters' own order (score, then matched count, descending:
/// records-api.md §3.3.6), else `inArweaveBlock:desc`.
fn default_sort(p: &Params) -> Result<Sort, QueryError> {
    if let Some(v) = p.text("sortBy") {
        return Sort::parse(v);
    }
    let by_score = |key| Sort {
        key: super::SortKey::Score(key),
        direction: super::Direction::Desc,
    };
    if p.text("exerciseNames").is_some() || p.text("exerciseDIDs").is_some() {
        return Ok(by_score(super::ScoreKey::ExerciseScore));
    }
    if p.text("ingredientNames").is_some() {
        return Ok(by_score(super::ScoreKey::IngredientScore));
    }
    Ok(Sort::default())
}

pub(super) fn invalid(param: &'static str, expected: &str, got: &str) -> QueryError {
    QueryError::Invalid {
        param,
        expected: expected.to_owned(),
        got: got.to_owned(),
    }
}

/// Pairs grouped by name, first-seen order kept.
pub(super) struct Params {
    groups: Vec<(String, Vec<String>)>,
}

impl Params {
    fn group(raw: RawRecordsQuery) -> Result<Params, QueryError> {
        at_most("the query string", MAX_PARAMS, raw.pairs.len())?;
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for (name, value) in raw.pairs {
            match groups.iter_mut().find(|(n, _)| *n == name) {
                Some((_, values)) if REPEATABLE.contains(&name.as_str()) => values.push(value),
                Some(_) => return Err(QueryError::Repeated { param: name }),
                None => groups.push((name, vec![value])),
            }
        }
        Ok(Params { groups })
    }

    /// The value of a scalar parameter; an empty value counts as absent (forms send `x=`).
    pub(super) fn text(&self, name: &str) -> Option<&str> {
        self.groups
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.first())
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    pub(super) fn flag(&self, name: &'static str) -> Result<Option<bool>, QueryError> {
        let Some(v) = self.text(name) else {
            return Ok(None);
        };
        match v.to_ascii_lowercase().as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => Err(invalid(name, "true or false", v)),
        }
    }

    /// Every value of a repeatable parameter, as sent (at most [`MAX_LIST_ITEMS`]).
    pub(super) fn all(&self, name: &'static str) -> Result<Vec<String>, QueryError> {
        let all: Vec<String> = self
            .groups
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, values)| values.iter().cloned())
            .collect();
        at_most(name, MAX_LIST_ITEMS, all.len())?;
        Ok(all)
    }

    /// Every value of a repeatable parameter, each split on commas, trimmed, empties dropped (at
    /// most [`MAX_LIST_ITEMS`]).
    pub(super) fn list(&self, name: &'static str) -> Result<Vec<String>, QueryError> {
        let list: Vec<String> = self
            .groups
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, values)| values.iter())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        at_most(name, MAX_LIST_ITEMS, list.len())?;
        Ok(list)
    }

    fn format(&self) -> Result<Option<Format>, QueryError> {
        self.text("format")
            .map(|v| {
                v.parse()
                    .map_err(|()| invalid("format", "json or msgpack", v))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::SortKey;

    const LIMITS: QueryLimits = QueryLimits {
        max_limit: 1000,
        max_resolve_depth: 5,
    };

    fn parse(qs: &[(&str, &str)]) -> Result<RecordsQuery, QueryError> {
        let pairs = qs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        RecordsQuery::parse(RawRecordsQuery { pairs }, LIMITS)
    }

    fn param_of(err: QueryError) -> String {
        match err {
            QueryError::Invalid { param, .. } => param.to_owned(),
            QueryError::Repeated { param } => param,
            QueryError::TooMany { what, .. } => what.to_owned(),
        }
    }

    #[test]
    fn issue_13_scheduled_on_at_the_ends_of_i64_does_not_overflow() {
        for (sent, day) in [
            (i64::MIN, (i64::MIN, i64::MIN + 86_399)),
            (i64::MAX, (i64::MAX - i64::MAX.rem_euclid(86_400), i64::MAX)),
            (86_400 * 3 + 5, (86_400 * 3, 86_400 * 4 - 1)),
            (-1, (-86_400, -1)),
        ] {
            let q = parse(&[("scheduledOn", &sent.to_string())]).unwrap();
            assert_eq!(q.filters.scheduled_on, Some(day), "{sent}");
        }
    }

    #[test]
    fn issue_13_tag_paging_is_validated_without_summarize_tags() {
        for (name, value) in [("tagPage", "18446744073709551616"), ("tagCount", "0")] {
            let err = parse(&[(name, value)]).unwrap_err();
            assert_eq!(param_of(err), name);
        }
        assert!(parse(&[("tagPage", "3"), ("tagCount", "5")]).is_ok());
    }

    #[test]
    fn defaults() {
        let q = parse(&[]).unwrap();
        assert_eq!((q.limit, q.page, q.resolve.depth), (20, 1, 0));
        assert_eq!(q.sort.key, SortKey::Block);
        assert!(
            q.sort.direction == super::super::Direction::Desc
                && q.shape.include_sigs
                && q.shape.date_readable
        );
        assert_eq!(q.source, None);
    }

    #[test]
    fn bad_values_name_their_parameter() {
        for (name, value) in [
            ("limit", "abc"),
            ("limit", "0"),
            ("limit", "1001"),
            ("page", "0"),
            ("resolveDepth", "-1"),
            ("resolveDepth", "x"),
            ("sortBy", "bogus:desc"),
            ("includeSigs", "yes"),
            ("did", "arweave:x"),
            ("format", "xml"),
        ] {
            assert_eq!(
                param_of(parse(&[(name, value)]).unwrap_err()),
                name,
                "{name}={value}"
            );
        }
        assert_eq!(
            param_of(parse(&[("tags", "a"), ("tags", "b")]).unwrap_err()),
            "tags"
        );
    }

    #[test]
    fn values_are_typed_and_echoed() {
        let q = parse(&[
            ("didTx", "did:arweave:x"),
            ("resolveDepth", "9"),
            ("resolveFieldName", "workout.exercise, basic"),
            ("resolveFieldName", "exercise"),
            ("source", "all"),
            ("hideNullValues", "TRUE"),
            ("unknown", "kept"),
        ])
        .unwrap();
        assert_eq!(q.did.unwrap().as_str(), "did:arweave:x");
        assert_eq!(q.resolve.depth, 5, "clamped to the maximum");
        assert_eq!(q.resolve.fields, ["workout.exercise", "basic", "exercise"]);
        assert_eq!(q.source, None);
        assert!(q.shape.hide_nulls);
        assert_eq!(
            q.echo.last().unwrap(),
            &("unknown".to_string(), vec!["kept".to_string()])
        );
        assert_eq!(q.echo[2].1.len(), 2);
    }

    /// Fuzzing the query parser (issue 15): any pairs, of known names or not, with values from
    /// the shapes parameters take and arbitrary text, are answered with a query or an error,
    /// never a panic.
    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        const NAMES: &[&str] = &[
            "did",
            "source",
            "recordType",
            "limit",
            "page",
            "sortBy",
            "resolveDepth",
            "search",
            "searchMatchMode",
            "tags",
            "tagsMatchMode",
            "dateStart",
            "dateEnd",
            "scheduledOn",
            "exactMatch",
            "fieldName",
            "fieldSearch",
            "fieldMatchMode",
            "resolveFieldName",
            "inArweaveBlock",
            "equipmentRequired",
            "exerciseType",
            "ingredientNames",
            "summarizeTags",
            "tagCount",
            "tagPage",
            "noteSearchQuery",
            "format",
            "hasAudio",
            "noDuplicates",
            "includeSigs",
            "didTxRef",
            "cuisine",
            "model",
            "exerciseNames",
        ];

        fn value() -> impl Strategy<Value = String> {
            prop_oneof![
                ".{0,16}",
                "-?[0-9]{1,25}",
                "(true|false|TRUE|yes)",
                "[a-zA-Z]{1,12}:(asc|desc|up)",
                "[0-9]{4}-[0-9]{2}-[0-9]{2}",
                "\\{(\"[a-z.]{1,10}\":(\"[a-z]{0,4}\"|[0-9]{1,3}|true|null),?){0,4}\\}",
                "([a-z]{0,3},){0,80}",
            ]
        }

        fn pair() -> impl Strategy<Value = (String, String)> {
            let name = prop_oneof![
                prop::sample::select(NAMES).prop_map(str::to_owned),
                "[a-zA-Z]{0,10}",
            ];
            (name, value())
        }

        proptest! {
            #[test]
            fn any_query_is_answered(pairs in prop::collection::vec(pair(), 0..12)) {
                let _ = RecordsQuery::parse(RawRecordsQuery { pairs }, LIMITS);
            }
        }
    }
}
