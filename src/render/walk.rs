//! The record walk: writes one record, resolving its references on the way down.
//!
//! Rules (decisions.md "Resolution"; records-api.md §4): a reference is a string starting with
//! `did:` held in `data.<section>.<field>` or in an array there; `oip` is never traversed. A
//! record reached with remaining depth 0 is written as stored. A record already on the ancestor
//! path that would be expanded further becomes the `_circular` stub. At the deepest level
//! `resolveNamesOnly` writes the referenced record's `basic.name` instead, with the recipe
//! comment merge (§4.6). `resolveFieldName` selects fields at every level (§4.7).

use super::{Encoder, RenderError};
use crate::model::is_reference;
use crate::plan::score::{ScoreValue, Scores};
use crate::query::{ResolveOptions, ScoreKey, ShapeOptions};
use crate::resolve::cache::CachedRecord;
use crate::resolve::Resolver;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Writes records through an encoder with one request's options.
pub struct Walk<'w, 'r, E: Encoder> {
    /// Where output goes.
    pub enc: &'w mut E,
    /// Lookups, path and budget.
    pub resolver: &'w mut Resolver<'r>,
    /// Resolution settings.
    pub opts: &'w ResolveOptions,
    /// Output shaping.
    pub shape: ShapeOptions,
}

type Fields = Map<String, Value>;

impl<E: Encoder> Walk<'_, '_, E> {
    /// Writes `record` with `remaining` levels of references to resolve; `top` marks a record of
    /// the page itself (only those get `dateReadable`).
    pub fn record(
        &mut self,
        record: &CachedRecord,
        remaining: u32,
        top: bool,
    ) -> Result<(), RenderError> {
        self.write(record, remaining, top, &[])
    }

    /// Writes a record of the page with its score members after `data` and `oip`.
    pub fn top_record(
        &mut self,
        record: &CachedRecord,
        scores: &Scores,
    ) -> Result<(), RenderError> {
        self.write(record, self.opts.depth, true, scores)
    }

    fn write(
        &mut self,
        record: &CachedRecord,
        remaining: u32,
        top: bool,
        scores: &[(ScoreKey, ScoreValue)],
    ) -> Result<(), RenderError> {
        let verbatim = self.shape.include_sigs
            && self.shape.include_pub_keys
            && !self.shape.hide_nulls
            && !self.shape.summarize_recipe;
        if !top && remaining == 0 && verbatim && self.enc.raw_json(&record.json)? {
            return Ok(());
        }
        let split =
            (self.enc.copies_json() && !self.shape.hide_nulls && !self.shape.summarize_recipe)
                .then(|| split(record))
                .flatten();
        self.resolver.push(record.did.clone());
        self.enc.begin_map(2 + scores.len())?;
        self.enc.key("data")?;
        match split {
            Some(Split { data, oip }) => {
                self.sections(record, &data, remaining, top)?;
                self.enc.key("oip")?;
                self.oip_members(record, &oip)?;
            }
            None => {
                let (data, oip) = decode(record)?;
                self.data(&data, remaining, top)?;
                self.enc.key("oip")?;
                self.oip(&oip)?;
            }
        }
        for (member, value) in scores {
            self.enc.key(member.name())?;
            match value {
                ScoreValue::Fixed(f) => self.enc.str(&format!("{f:.3}"))?,
                ScoreValue::Count(n) => self.enc.u64(*n)?,
                ScoreValue::Number(f) => self.enc.value(&Value::from(*f))?,
                ScoreValue::Json(v) => self.enc.value(v)?,
            }
        }
        self.enc.end_map()?;
        self.resolver.pop();
        Ok(())
    }

    fn data(&mut self, data: &Fields, remaining: u32, top: bool) -> Result<(), RenderError> {
        let hide = self.shape.hide_nulls;
        let summary = match data.get("recipe").and_then(Value::as_object) {
            Some(recipe) if self.shape.summarize_recipe => self.nutrition(recipe)?,
            _ => None,
        };
        let members = data.iter().filter(|(_, v)| keep(hide, v));
        self.enc
            .begin_map(members.clone().count() + 2 * usize::from(summary.is_some()))?;
        for (name, value) in members {
            self.enc.key(name)?;
            match value {
                Value::Object(fields) => self.section(name, fields, remaining, top)?,
                other => self.plain(other)?,
            }
        }
        if let Some((total, per_serving)) = summary {
            // Top-level and embedded recipes name them differently (records-api.md §4.8).
            let (a, b) = if top {
                (
                    "calculatedSummaryNutritionalInfo",
                    "calculatedSummaryNutritionalInfoPerServing",
                )
            } else {
                ("summaryNutritionalInfo", "summaryNutritionalInfoPerServing")
            };
            self.enc.key(a)?;
            self.enc.value(&total)?;
            self.enc.key(b)?;
            self.enc.value(&per_serving)?;
        }
        Ok(self.enc.end_map()?)
    }

    /// [`Walk::data`] of a record read as [`Members`]: a section that may hold a reference to
    /// resolve, or gains `dateReadable`, is split into members ([`Walk::section_members`]), and
    /// everything else is copied as stored. Parsing each record whole into values was half of
    /// rendering a listing (README "Performance").
    fn sections(
        &mut self,
        record: &CachedRecord,
        data: &Members<'_>,
        remaining: u32,
        top: bool,
    ) -> Result<(), RenderError> {
        self.enc.begin_map(data.0.len())?;
        for (name, raw) in &data.0 {
            self.enc.key(name)?;
            let json = raw.get();
            let dated = top && *name == "basic" && self.shape.date_readable;
            if json.starts_with('{') && (dated || linked(json, remaining)) {
                self.section_members(record, name, raw, remaining, top)?;
            } else {
                self.raw(record, raw)?;
            }
        }
        Ok(self.enc.end_map()?)
    }

    /// [`Walk::section`] of a section's members as stored: only a value that may be or hold a
    /// reference is parsed (an exercise's 20 KB of instructions is copied, not parsed twice).
    fn section_members(
        &mut self,
        record: &CachedRecord,
        name: &str,
        raw: &RawValue,
        remaining: u32,
        top: bool,
    ) -> Result<(), RenderError> {
        let Ok(members) = serde_json::from_str::<Members<'_>>(raw.get()) else {
            let fields: Fields = parse(record, raw)?;
            return self.section(name, &fields, remaining, top);
        };
        let member = |wanted: &str| members.0.iter().find(|(k, _)| *k == wanted).map(|m| m.1);
        let readable = match member("date") {
            Some(date) if top && name == "basic" && self.shape.date_readable => {
                date_readable(&parse(record, date)?)
            }
            _ => None,
        };
        let comments: Option<Value> = match member("ingredient_comment") {
            Some(c) if self.opts.names_only && remaining == 1 && name == "recipe" => {
                Some(parse(record, c)?)
            }
            _ => None,
        };
        let comments = comments.as_ref().and_then(Value::as_array);
        let kept = members
            .0
            .iter()
            .filter(|(k, _)| !(readable.is_some() && *k == "dateReadable"));
        self.enc
            .begin_map(kept.clone().count() + usize::from(readable.is_some()))?;
        for (field, value) in kept {
            self.enc.key(field)?;
            if !linked(value.get(), remaining) || !selected(&self.opts.fields, name, field) {
                self.raw(record, value)?;
                continue;
            }
            match parse(record, value)? {
                Value::String(s) if is_reference(&s) => self.reference(&s, remaining)?,
                Value::Array(items) => {
                    let merge = comments.filter(|_| *field == "ingredient");
                    self.references(&items, remaining, merge)?
                }
                other => self.plain(&other)?,
            }
        }
        if let Some(text) = readable {
            self.enc.key("dateReadable")?;
            self.enc.str(&text)?;
        }
        Ok(self.enc.end_map()?)
    }

    /// Writes a stored value as it is (JSON copies it; other formats parse it first).
    fn raw(&mut self, record: &CachedRecord, raw: &RawValue) -> Result<(), RenderError> {
        if !self.enc.raw_json(raw.get().as_bytes())? {
            self.enc.value(&parse(record, raw)?)?;
        }
        Ok(())
    }

    /// The recipe's nutrition summaries from its (visible) ingredients' `nutritionalInfo`.
    fn nutrition(&mut self, recipe: &Fields) -> Result<Option<(Value, Value)>, RenderError> {
        let Some(ingredients) = recipe.get("ingredient").and_then(Value::as_array) else {
            return Ok(None);
        };
        let mut infos = Vec::with_capacity(ingredients.len());
        for item in ingredients {
            let info = match item.as_str().filter(|s| is_reference(s)) {
                Some(did) => match self.resolver.follow(did)? {
                    Some(found) => decode(&found)?
                        .0
                        .get("nutritionalInfo")
                        .and_then(Value::as_object)
                        .cloned(),
                    None => None,
                },
                None => None,
            };
            infos.push(info);
        }
        Ok(super::nutrition::summarize(recipe, &infos))
    }

    fn section(
        &mut self,
        name: &str,
        fields: &Fields,
        remaining: u32,
        top: bool,
    ) -> Result<(), RenderError> {
        let readable = (top && name == "basic" && self.shape.date_readable)
            .then(|| fields.get("date").and_then(date_readable))
            .flatten();
        let hide = self.shape.hide_nulls;
        let members = fields
            .iter()
            .filter(|(k, v)| keep(hide, v) && !(readable.is_some() && *k == "dateReadable"));
        self.enc
            .begin_map(members.clone().count() + usize::from(readable.is_some()))?;
        let comments = (self.opts.names_only && remaining == 1 && name == "recipe")
            .then(|| fields.get("ingredient_comment").and_then(Value::as_array))
            .flatten();
        for (field, value) in members {
            self.enc.key(field)?;
            if remaining == 0 || !selected(&self.opts.fields, name, field) {
                self.plain(value)?;
                continue;
            }
            match value {
                Value::String(s) if is_reference(s) => self.reference(s, remaining)?,
                Value::Array(items) => {
                    let merge = comments.filter(|_| *field == "ingredient");
                    self.references(items, remaining, merge)?
                }
                other => self.plain(other)?,
            }
        }
        if let Some(text) = readable {
            self.enc.key("dateReadable")?;
            self.enc.str(&text)?;
        }
        Ok(self.enc.end_map()?)
    }

    fn references(
        &mut self,
        items: &[Value],
        remaining: u32,
        comments: Option<&Vec<Value>>,
    ) -> Result<(), RenderError> {
        let hide = self.shape.hide_nulls;
        self.enc
            .begin_array(items.iter().filter(|v| keep(hide, v)).count())?;
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) if is_reference(s) => match comments {
                    Some(comments) => {
                        let name = self.name_of(s)?;
                        let comment = comments.get(i).and_then(Value::as_str).unwrap_or("");
                        self.enc.str(&merge_comment(&name, comment))?;
                    }
                    None => self.reference(s, remaining)?,
                },
                other if self.keep(other) => self.plain(other)?,
                _ => {}
            }
        }
        Ok(self.enc.end_array()?)
    }

    fn reference(&mut self, did: &str, remaining: u32) -> Result<(), RenderError> {
        if self.opts.names_only && remaining == 1 {
            let name = self.name_of(did)?;
            return Ok(self.enc.str(&name)?);
        }
        let Some(target) = self.resolver.follow(did)? else {
            return Ok(self.enc.str(did)?);
        };
        if !self.resolver.take_embed() {
            return Ok(self.enc.str(did)?);
        }
        if remaining > 1 && self.resolver.on_path(&target.did) {
            return self.stub(&target);
        }
        self.record(&target, remaining - 1, false)
    }

    /// `basic.name` of the referenced record, or the DID when it is missing, hidden or unnamed.
    fn name_of(&mut self, did: &str) -> Result<String, RenderError> {
        let Some(target) = self.resolver.follow(did)? else {
            return Ok(did.to_owned());
        };
        let (data, _) = decode(&target)?;
        let name = data
            .get("basic")
            .and_then(|b| b.get("name"))
            .and_then(Value::as_str);
        Ok(name.unwrap_or(did).to_owned())
    }

    fn stub(&mut self, target: &CachedRecord) -> Result<(), RenderError> {
        let (data, oip) = decode(target)?;
        self.enc.begin_map(3)?;
        self.enc.key("oip")?;
        self.oip(&oip)?;
        self.enc.key("data")?;
        self.enc.begin_map(1)?;
        self.enc.key("basic")?;
        match data.get("basic") {
            Some(basic) if self.keep(basic) => self.plain(basic)?,
            _ => {
                self.enc.begin_map(0)?;
                self.enc.end_map()?;
            }
        }
        self.enc.end_map()?;
        self.enc.key("_circular")?;
        self.enc.bool(true)?;
        Ok(self.enc.end_map()?)
    }

    fn oip(&mut self, oip: &Fields) -> Result<(), RenderError> {
        let (hide, sigs) = (self.shape.hide_nulls, self.shape.include_sigs);
        let members = oip
            .iter()
            .filter(|(k, v)| keep(hide, v) && (sigs || *k != "signature"));
        self.enc.begin_map(members.clone().count())?;
        for (key, value) in members {
            self.enc.key(key)?;
            match value {
                Value::Object(creator) if key == "creator" && !self.shape.include_pub_keys => {
                    self.creator_without_key(creator)?
                }
                other => self.plain(other)?,
            }
        }
        Ok(self.enc.end_map()?)
    }

    /// [`Walk::oip`] of members as stored (`hideNullValues` is off on this path).
    fn oip_members(&mut self, record: &CachedRecord, oip: &Members<'_>) -> Result<(), RenderError> {
        let sigs = self.shape.include_sigs;
        let members = oip.0.iter().filter(|(k, _)| sigs || *k != "signature");
        self.enc.begin_map(members.clone().count())?;
        for (key, value) in members {
            self.enc.key(key)?;
            if *key == "creator" && !self.shape.include_pub_keys && value.get().starts_with('{') {
                self.creator_without_key(&parse(record, value)?)?;
            } else {
                self.raw(record, value)?;
            }
        }
        Ok(self.enc.end_map()?)
    }

    /// `oip.creator` without its `publicKey` (`includePubKeys=false`).
    fn creator_without_key(&mut self, creator: &Fields) -> Result<(), RenderError> {
        let hide = self.shape.hide_nulls;
        let kept = creator
            .iter()
            .filter(|(k, v)| *k != "publicKey" && keep(hide, v));
        self.enc.begin_map(kept.clone().count())?;
        for (k, v) in kept {
            self.enc.key(k)?;
            self.plain(v)?;
        }
        Ok(self.enc.end_map()?)
    }

    fn keep(&self, v: &Value) -> bool {
        keep(self.shape.hide_nulls, v)
    }

    /// Writes a value that holds no references, dropping nulls when asked (records-api.md
    /// §9.35: this shortens arrays, so parallel arrays can lose their alignment).
    fn plain(&mut self, v: &Value) -> Result<(), RenderError> {
        if !self.shape.hide_nulls {
            return Ok(self.enc.value(v)?);
        }
        match v {
            Value::Array(items) => {
                self.enc
                    .begin_array(items.iter().filter(|i| !i.is_null()).count())?;
                for item in items.iter().filter(|i| !i.is_null()) {
                    self.plain(item)?;
                }
                Ok(self.enc.end_array()?)
            }
            Value::Object(map) => {
                self.enc
                    .begin_map(map.values().filter(|i| !i.is_null()).count())?;
                for (k, item) in map.iter().filter(|(_, i)| !i.is_null()) {
                    self.enc.key(k)?;
                    self.plain(item)?;
                }
                Ok(self.enc.end_map()?)
            }
            other => Ok(self.enc.value(other)?),
        }
    }
}

fn keep(hide_nulls: bool, v: &Value) -> bool {
    !(hide_nulls && v.is_null())
}

/// Whether stored JSON may hold a reference to resolve with `remaining` levels left. Stored
/// bodies are serde_json's compact output (`Record::to_bytes`), where a string starting with
/// `did:` always reads `"did:`.
fn linked(json: &str, remaining: u32) -> bool {
    remaining > 0 && json.contains("\"did:")
}

/// A stored record with the members of `data` and `oip` left as stored.
#[derive(serde::Deserialize)]
struct Split<'a> {
    #[serde(borrow)]
    data: Members<'a>,
    #[serde(borrow)]
    oip: Members<'a>,
}

/// A JSON object's members in their order: names borrowed, values left as their JSON text. A
/// name with an escape cannot be borrowed and fails the read, which the callers answer with the
/// whole parse.
struct Members<'a>(Vec<(&'a str, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// `record` split for [`Walk::sections`]; `None` when a name has an escape or the record nests
/// past serde_json's recursion limit, for [`decode`] (which has neither limit) to take it or
/// report it.
fn split(record: &CachedRecord) -> Option<Split<'_>> {
    serde_json::from_slice(&record.json).ok()
}

/// A stored value parsed.
fn parse<T: serde::de::DeserializeOwned>(
    record: &CachedRecord,
    raw: &RawValue,
) -> Result<T, RenderError> {
    crate::store::parse_stored(raw.get().as_bytes()).map_err(|e| corrupt(record, e))
}

fn corrupt(record: &CachedRecord, e: serde_json::Error) -> RenderError {
    RenderError::Corrupt {
        did: record.did.to_string(),
        reason: e.to_string(),
    }
}

fn decode(record: &CachedRecord) -> Result<(Fields, Fields), RenderError> {
    #[derive(serde::Deserialize)]
    struct Stored {
        data: Fields,
        oip: Fields,
    }
    let stored: Stored =
        crate::store::parse_stored(&record.json).map_err(|e| corrupt(record, e))?;
    Ok((stored.data, stored.oip))
}

/// `dateReadable` for a truthy `basic.date` (JavaScript truthiness, as the original tests it).
fn date_readable(date: &Value) -> Option<String> {
    let seconds = crate::model::as_integer(date)?;
    (seconds != 0).then(|| crate::time::date_readable(seconds))
}

/// Whether `resolveFieldName` selects `data.<section>.<field>` (records-api.md §4.7).
pub fn selected(targets: &[String], section: &str, field: &str) -> bool {
    if targets.is_empty() {
        return true;
    }
    let short = format!("{section}.{field}");
    let long = format!("data.{short}");
    targets.iter().any(|t| {
        let prefix = format!("{t}.");
        *t == long || *t == short || long.starts_with(&prefix) || short.starts_with(&prefix)
    })
}

/// The names-only recipe comment merge (records-api.md §4.6).
pub fn merge_comment(ingredient: &str, comment: &str) -> String {
    let comment = comment.trim();
    if comment.is_empty() {
        return ingredient.to_owned();
    }
    if comment.contains("ground") && !ingredient.contains("ground") {
        return format!("{comment} {ingredient}");
    }
    if comment.contains("virgin") && ingredient.contains("oil") {
        let (front, rest): (Vec<&str>, Vec<&str>) = comment
            .split_whitespace()
            .partition(|w| w.contains("virgin") || w.contains("extra"));
        let mut out = format!("{} {ingredient}", front.join(" "));
        if !rest.is_empty() {
            out.push_str(", ");
            out.push_str(&rest.join(" "));
        }
        return out;
    }
    if comment.contains("boneless") || comment.contains("skinless") {
        return format!("{comment} {ingredient}");
    }
    format!("{ingredient}, {comment}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_selection_follows_the_original() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(selected(&t(&[]), "basic", "avatar"));
        for ok in [
            "basic.avatar",
            "data.basic.avatar",
            "basic",
            "data.basic",
            "data",
        ] {
            assert!(selected(&t(&[ok]), "basic", "avatar"), "{ok}");
        }
        assert!(!selected(&t(&["work"]), "workout", "exercise"));
        assert!(!selected(
            &t(&["workout.exercise"]),
            "exercise",
            "equipmentRequired"
        ));
    }

    #[test]
    fn merges_comments_like_the_original() {
        assert_eq!(merge_comment("garlic", "minced"), "garlic, minced");
        assert_eq!(
            merge_comment("chicken thighs", "boneless skinless"),
            "boneless skinless chicken thighs"
        );
        assert_eq!(
            merge_comment("olive oil", "extra virgin"),
            "extra virgin olive oil"
        );
        assert_eq!(
            merge_comment("olive oil", "extra virgin cold pressed"),
            "extra virgin olive oil, cold pressed"
        );
        assert_eq!(merge_comment("cumin", "ground"), "ground cumin");
        assert_eq!(merge_comment("salt", " "), "salt");
    }
}
