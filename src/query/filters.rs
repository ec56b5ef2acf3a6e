//! The filtering, scoring and shaping parameters of `GET /api/records` (records-api.md §3.3–§3.9
//! as corrected by decisions.md), parsed into [`Filters`].
//!
//! Every parameter is its own conjunct. Domain filters (`equipmentRequired`, `cuisine`, …) apply
//! whatever the `recordType`: a record without the section they read does not match (the
//! original ignored them unless `recordType` named the type, so a mistyped type silently
//! returned everything).

use super::params::{at_most, invalid, Params, MAX_LIST_ITEMS};
use super::QueryError;
use crate::model::Did;
use serde_json::Value;

/// `AND` / `OR` for list parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchMode {
    /// Every item must match.
    And,
    /// At least one item must match.
    Or,
}

impl std::str::FromStr for MatchMode {
    type Err = ();

    /// `AND` or `OR`, any case.
    fn from_str(s: &str) -> Result<MatchMode, ()> {
        match s.to_ascii_lowercase().as_str() {
            "and" => Ok(MatchMode::And),
            "or" => Ok(MatchMode::Or),
            _ => Err(()),
        }
    }
}

/// `exact` / `partial` string comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextMatch {
    /// Case-insensitive equality of the whole value.
    Exact,
    /// Case-insensitive substring.
    Partial,
}

impl std::str::FromStr for TextMatch {
    type Err = ();

    /// `exact` or `partial`, any case.
    fn from_str(s: &str) -> Result<TextMatch, ()> {
        match s.to_ascii_lowercase().as_str() {
            "exact" => Ok(TextMatch::Exact),
            "partial" => Ok(TextMatch::Partial),
            _ => Err(()),
        }
    }
}

/// A list parameter with its mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFilter {
    /// Items, trimmed, as sent.
    pub items: Vec<String>,
    /// How items combine.
    pub mode: MatchMode,
}

/// One `fieldName`/`fieldSearch` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSearch {
    /// Path from the record root: `data.…` (a path without a root means `data.`) or `oip.…`.
    pub path: Vec<String>,
    /// The value searched for.
    pub value: String,
}

/// `inArweaveBlock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockFilter {
    /// Records in this block.
    At(i64),
    /// Records without a block (`bad`).
    Missing,
}

/// `ingredientNames` with its 0.9 modes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameFilter {
    /// Requested names, lower-cased.
    pub names: Vec<String>,
    /// How a requested name compares with a record's.
    pub compare: TextMatch,
    /// Whether every requested name must be present.
    pub mode: MatchMode,
}

/// `summarizeTags` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagSummary {
    /// Tags per tag page (`tagCount`).
    pub count: usize,
    /// Tag page (`tagPage`), from 1.
    pub page: usize,
}

/// `noteSearchQuery` mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSearch {
    /// The query's lower-cased words longer than 2 characters.
    pub terms: Vec<String>,
    /// `noteAttendees`, lower-cased.
    pub attendees: Vec<String>,
    /// Notes returned: `limit`, 10 by default in this mode.
    pub limit: u32,
    /// `dateStart`, Unix seconds, inclusive: the only filter on chunks in this mode.
    pub date_start: Option<i64>,
    /// `dateEnd`, Unix seconds, inclusive.
    pub date_end: Option<i64>,
}

impl NoteSearch {
    /// Whether a chunk dated `date` (Unix seconds) is within `dateStart`/`dateEnd`; with
    /// either bound set, an undated chunk is not.
    pub fn dated(&self, date: Option<i64>) -> bool {
        (self.date_start.is_none() && self.date_end.is_none())
            || date.is_some_and(|d| {
                self.date_start.is_none_or(|lo| d >= lo) && self.date_end.is_none_or(|hi| d <= hi)
            })
    }
}

/// Every filter and score parameter of a query. `None`/empty = not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// `search` terms (lower-cased, split on whitespace and commas) and `searchMatchMode`.
    pub search: Option<ListFilter>,
    /// `tags` (matched case-insensitively) and `tagsMatchMode`.
    pub tags: Option<ListFilter>,
    /// `template`: a section name, lower-cased.
    pub template: Option<String>,
    /// `creatorHandle`, exact.
    pub creator_handle: Option<String>,
    /// `creator_did_address`, exact.
    pub creator_address: Option<String>,
    /// `inArweaveBlock`.
    pub block: Option<BlockFilter>,
    /// `dateStart`, Unix seconds, inclusive.
    pub date_start: Option<i64>,
    /// `dateEnd`, Unix seconds, inclusive.
    pub date_end: Option<i64>,
    /// `scheduledOn`: one UTC day, inclusive bounds in Unix seconds.
    pub scheduled_on: Option<(i64, i64)>,
    /// `exactMatch`: path → value.
    pub exact_match: Vec<(Vec<String>, Value)>,
    /// `fieldName`/`fieldSearch` pairs.
    pub field_search: Vec<FieldSearch>,
    /// `fieldMatchMode`.
    pub field_match: Option<TextMatch>,
    /// `didTxRef`: a DID held anywhere in `data`.
    pub did_ref: Option<Did>,
    /// `url`: `basic.url` or `basic.webUrl`.
    pub url: Option<String>,
    /// `equipmentRequired` (names or DIDs) and `equipmentMatchMode` (default AND).
    pub equipment: Option<ListFilter>,
    /// `exerciseType`, normalised (`warmup` → `Warm-Up`, …), and its mode (default OR).
    pub exercise_type: Option<ListFilter>,
    /// `cuisine` and its mode (default OR).
    pub cuisine: Option<ListFilter>,
    /// `model` and its mode (default OR).
    pub model: Option<ListFilter>,
    /// `exerciseNames`, lower-cased.
    pub exercise_names: Option<Vec<String>>,
    /// `exerciseDIDs`.
    pub exercise_dids: Option<Vec<String>>,
    /// `ingredientNames` with `ingredientMatchMode` and `ingredientNamesMatchMode`.
    pub ingredient_names: Option<NameFilter>,
    /// `excludeIngredientNames` with `excludeIngredientMatchMode`.
    pub exclude_ingredients: Option<NameFilter>,
    /// `unresolveable=true`: only records holding a reference that does not resolve.
    pub unresolvable: bool,
    /// `hasAudio`.
    pub has_audio: Option<bool>,
    /// `noDuplicates`.
    pub no_duplicates: bool,
    /// `summarizeTags`, `tagCount`, `tagPage`.
    pub tag_summary: Option<TagSummary>,
    /// `noteSearchQuery` mode.
    pub note_search: Option<NoteSearch>,
}

fn mode(p: &Params, name: &'static str, default: MatchMode) -> Result<MatchMode, QueryError> {
    match p.text(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|()| invalid(name, "AND or OR", v)),
    }
}

fn text_match(p: &Params, name: &'static str) -> Result<Option<TextMatch>, QueryError> {
    p.text(name)
        .map(|v| v.parse().map_err(|()| invalid(name, "exact or partial", v)))
        .transpose()
}

fn items(p: &Params, name: &'static str) -> Result<Option<Vec<String>>, QueryError> {
    let list = p.list(name)?;
    Ok((!list.is_empty()).then_some(list))
}

fn list_filter(
    p: &Params,
    name: &'static str,
    mode_name: &'static str,
    default: MatchMode,
) -> Result<Option<ListFilter>, QueryError> {
    // The mode is validated even without its list: a typo there is still a client bug.
    let mode = mode(p, mode_name, default)?;
    Ok(items(p, name)?.map(|items| ListFilter { items, mode }))
}

fn lower(v: Vec<String>) -> Vec<String> {
    v.into_iter().map(|s| s.to_lowercase()).collect()
}

/// `YYYY-MM-DD` (UTC midnight, or the day's last second with `end_of_day`) or Unix seconds.
fn instant(p: &Params, name: &'static str, end_of_day: bool) -> Result<Option<i64>, QueryError> {
    let Some(v) = p.text(name) else {
        return Ok(None);
    };
    if let Ok(secs) = v.parse::<i64>() {
        return Ok(Some(secs));
    }
    let day = crate::time::parse_ymd(v)
        .ok_or_else(|| invalid(name, "Unix seconds or a real date YYYY-MM-DD (UTC)", v))?;
    Ok(Some(day * 86_400 + if end_of_day { 86_399 } else { 0 }))
}

fn count(p: &Params, name: &'static str, default: usize) -> Result<usize, QueryError> {
    match p.text(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| invalid(name, "an integer of at least 1", v)),
    }
}

/// `warmup` → `Warm-Up`, `main` → `Main`, `cooldown` → `Cool-Down` (records-api.md §3.3.6).
fn exercise_type(item: &str) -> String {
    match item.to_lowercase().as_str() {
        "warmup" | "warm-up" => "Warm-Up".into(),
        "main" => "Main".into(),
        "cooldown" | "cool-down" => "Cool-Down".into(),
        other => other.to_owned(),
    }
}

fn path(raw: &str) -> Vec<String> {
    let mut parts: Vec<String> = raw.split('.').map(str::to_owned).collect();
    if !matches!(parts.first().map(String::as_str), Some("data" | "oip")) {
        parts.insert(0, "data".into());
    }
    parts
}

fn exact_match(p: &Params) -> Result<Vec<(Vec<String>, Value)>, QueryError> {
    let Some(raw) = p.text("exactMatch") else {
        return Ok(Vec::new());
    };
    let expected = "a JSON object of path → value, e.g. {\"data.basic.language\":\"en\"}";
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(map)) => Ok(at_most("exactMatch", MAX_LIST_ITEMS, map.len())
            .map(|()| map)?
            .into_iter()
            .map(|(k, v)| (k.split('.').map(str::to_owned).collect(), v))
            .collect()),
        _ => Err(invalid("exactMatch", expected, raw)),
    }
}

fn field_search(p: &Params) -> Result<Vec<FieldSearch>, QueryError> {
    let names = p.all("fieldName")?;
    let values = p.all("fieldSearch")?;
    if names.is_empty() {
        return match values.first() {
            Some(v) => Err(invalid(
                "fieldName",
                "a field path to go with fieldSearch",
                v,
            )),
            None => Ok(Vec::new()),
        };
    }
    let Some(last) = values.last().cloned() else {
        return Err(invalid("fieldSearch", "a value for each fieldName", ""));
    };
    // A missing search value reuses the last one (records-api.md §3.3.5).
    Ok(names
        .iter()
        .enumerate()
        .map(|(i, name)| FieldSearch {
            path: path(name.trim()),
            value: values.get(i).cloned().unwrap_or_else(|| last.clone()),
        })
        .collect())
}

fn name_filter(
    p: &Params,
    name: &'static str,
    compare: &'static str,
    mode_name: Option<&'static str>,
) -> Result<Option<NameFilter>, QueryError> {
    let compare = text_match(p, compare)?.unwrap_or(TextMatch::Exact);
    let mode = match mode_name {
        Some(m) => mode(p, m, MatchMode::Or)?,
        None => MatchMode::Or,
    };
    Ok(items(p, name)?.map(|names| NameFilter {
        names: lower(names),
        compare,
        mode,
    }))
}

impl Filters {
    pub(super) fn parse(p: &Params) -> Result<Filters, QueryError> {
        let block = match p.text("inArweaveBlock") {
            None => None,
            Some("bad") => Some(BlockFilter::Missing),
            Some(v) => {
                Some(BlockFilter::At(v.parse().map_err(|_| {
                    invalid("inArweaveBlock", "a block number or bad", v)
                })?))
            }
        };
        let scheduled_on = match instant(p, "scheduledOn", false)? {
            None => None,
            // Saturating: any i64 is a valid instant, and a day at the ends of the range matches
            // nothing anyway (schemathesis found `scheduledOn=-9223372036854775808` overflowing).
            Some(t) => {
                let day = t.saturating_sub(t.rem_euclid(86_400));
                Some((day, day.saturating_add(86_399)))
            }
        };
        let search_mode = mode(p, "searchMatchMode", MatchMode::And)?;
        let search = match p.text("search") {
            None => None,
            Some(v) => {
                let items: Vec<String> = v
                    .split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|t| !t.is_empty())
                    .map(str::to_lowercase)
                    .collect();
                at_most("search", MAX_LIST_ITEMS, items.len())?;
                Some(ListFilter {
                    items,
                    mode: search_mode,
                })
            }
        };
        let did_ref = match p.text("didTxRef") {
            None => None,
            Some(v) => Some(
                Did::parse(v).ok_or_else(|| invalid("didTxRef", "a DID starting with did:", v))?,
            ),
        };
        let mut exercise_type_filter =
            list_filter(p, "exerciseType", "exerciseTypeMatchMode", MatchMode::Or)?;
        if let Some(f) = &mut exercise_type_filter {
            f.items = f.items.iter().map(|i| exercise_type(i)).collect();
        }
        // Validated without summarizeTags too, like the match modes: a bad value is a client bug
        // either way (schemathesis: `tagPage=18446744073709551616` alone was accepted).
        let (tag_count, tag_page) = (count(p, "tagCount", 20)?, count(p, "tagPage", 1)?);
        let tag_summary = match p.flag("summarizeTags")? {
            Some(true) => Some(TagSummary {
                count: tag_count,
                page: tag_page,
            }),
            _ => None,
        };
        let note_search = match p.text("noteSearchQuery") {
            None => None,
            Some(q) => Some(NoteSearch {
                terms: q
                    .split_whitespace()
                    .map(str::to_lowercase)
                    .filter(|t| t.chars().count() > 2)
                    .collect(),
                attendees: lower(p.list("noteAttendees")?),
                limit: match p.text("limit") {
                    None => 10,
                    Some(v) => v
                        .parse()
                        .map_err(|_| invalid("limit", "a positive integer", v))?,
                },
                // Set from the parsed filters below, so errors keep the order of the parameters.
                date_start: None,
                date_end: None,
            }),
        };
        // Accepted for compatibility; oipd has no cache a client would need to bypass.
        p.flag("forceRefresh")?;
        let mut filters = Filters {
            search: search.filter(|s| !s.items.is_empty()),
            tags: list_filter(p, "tags", "tagsMatchMode", MatchMode::Or)?,
            template: p.text("template").map(str::to_lowercase),
            creator_handle: p.text("creatorHandle").map(str::to_owned),
            creator_address: p.text("creator_did_address").map(str::to_owned),
            block,
            date_start: instant(p, "dateStart", false)?,
            date_end: instant(p, "dateEnd", true)?,
            scheduled_on,
            exact_match: exact_match(p)?,
            field_search: field_search(p)?,
            field_match: text_match(p, "fieldMatchMode")?,
            did_ref,
            url: p.text("url").map(str::to_owned),
            equipment: list_filter(p, "equipmentRequired", "equipmentMatchMode", MatchMode::And)?,
            exercise_type: exercise_type_filter,
            cuisine: list_filter(p, "cuisine", "cuisineMatchMode", MatchMode::Or)?,
            model: list_filter(p, "model", "modelMatchMode", MatchMode::Or)?,
            exercise_names: items(p, "exerciseNames")?.map(lower),
            exercise_dids: items(p, "exerciseDIDs")?,
            ingredient_names: name_filter(
                p,
                "ingredientNames",
                "ingredientMatchMode",
                Some("ingredientNamesMatchMode"),
            )?,
            exclude_ingredients: name_filter(
                p,
                "excludeIngredientNames",
                "excludeIngredientMatchMode",
                None,
            )?,
            unresolvable: p.flag("unresolveable")?.unwrap_or(false),
            has_audio: p.flag("hasAudio")?,
            no_duplicates: p.flag("noDuplicates")?.unwrap_or(false),
            tag_summary,
            note_search,
        };
        if let Some(notes) = &mut filters.note_search {
            (notes.date_start, notes.date_end) = (filters.date_start, filters.date_end);
        }
        Ok(filters)
    }
}
