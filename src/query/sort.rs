//! `sortBy=field[:asc|desc]` (decisions.md "sortBy"; records-api.md §3.5).

use super::QueryError;
pub use crate::model::Direction;
use std::str::FromStr;

/// The sort orders `GET /api/records` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// `inArweaveBlock` (the default).
    Block,
    /// `indexedAt`.
    IndexedAt,
    /// `date` (`data.basic.date`).
    Date,
    /// `recordType`, case-insensitive.
    RecordType,
    /// `creatorHandle` (`oip.creator.creatorHandle`).
    CreatorHandle,
    /// `ver` (`oip.ver`), compared as dotted version numbers.
    Ver,
    /// `scheduleDate`: `workoutSchedule.scheduled_date` or `mealPlan.meal_date`.
    ScheduleDate,
    /// A score member: `score` (alias `tags`), `matchCount`, `equipmentScore`, … (see
    /// [`ScoreKey::SORTABLE`]).
    Score(ScoreKey),
}

/// A score member a listed record carries after `data` and `oip` (records-api.md §3.6), named
/// as the response names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScoreKey {
    /// `score`: tags matched over tags asked (3 decimals).
    Score,
    /// `matchCount`: `search` terms found.
    MatchCount,
    /// `equipmentScore`.
    EquipmentScore,
    /// `equipmentMatchedCount`.
    EquipmentMatchedCount,
    /// `exerciseTypeScore`.
    ExerciseTypeScore,
    /// `exerciseTypeMatchedCount`.
    ExerciseTypeMatchedCount,
    /// `cuisineScore`.
    CuisineScore,
    /// `cuisineMatchedCount`.
    CuisineMatchedCount,
    /// `modelScore`.
    ModelScore,
    /// `modelMatchedCount`.
    ModelMatchedCount,
    /// `fieldSearchScore`.
    FieldSearchScore,
    /// `fieldSearchMatchedCount`.
    FieldSearchMatchedCount,
    /// `exerciseScore`.
    ExerciseScore,
    /// `exerciseMatchedCount`.
    ExerciseMatchedCount,
    /// `ingredientScore`.
    IngredientScore,
    /// `ingredientMatchedCount`.
    IngredientMatchedCount,
    /// note search: the note's `did`.
    Did,
    /// note search: `searchScores`.
    SearchScores,
}

impl ScoreKey {
    /// Members a listing may be sorted by (`sortBy`).
    pub const SORTABLE: [ScoreKey; 9] = [
        ScoreKey::Score,
        ScoreKey::MatchCount,
        ScoreKey::EquipmentScore,
        ScoreKey::ExerciseTypeScore,
        ScoreKey::CuisineScore,
        ScoreKey::ModelScore,
        ScoreKey::FieldSearchScore,
        ScoreKey::ExerciseScore,
        ScoreKey::IngredientScore,
    ];

    /// The member's name in the response.
    pub fn name(self) -> &'static str {
        match self {
            ScoreKey::Score => "score",
            ScoreKey::MatchCount => "matchCount",
            ScoreKey::EquipmentScore => "equipmentScore",
            ScoreKey::EquipmentMatchedCount => "equipmentMatchedCount",
            ScoreKey::ExerciseTypeScore => "exerciseTypeScore",
            ScoreKey::ExerciseTypeMatchedCount => "exerciseTypeMatchedCount",
            ScoreKey::CuisineScore => "cuisineScore",
            ScoreKey::CuisineMatchedCount => "cuisineMatchedCount",
            ScoreKey::ModelScore => "modelScore",
            ScoreKey::ModelMatchedCount => "modelMatchedCount",
            ScoreKey::FieldSearchScore => "fieldSearchScore",
            ScoreKey::FieldSearchMatchedCount => "fieldSearchMatchedCount",
            ScoreKey::ExerciseScore => "exerciseScore",
            ScoreKey::ExerciseMatchedCount => "exerciseMatchedCount",
            ScoreKey::IngredientScore => "ingredientScore",
            ScoreKey::IngredientMatchedCount => "ingredientMatchedCount",
            ScoreKey::Did => "did",
            ScoreKey::SearchScores => "searchScores",
        }
    }
}

impl FromStr for ScoreKey {
    type Err = ();

    /// A sortable member by its response name.
    fn from_str(s: &str) -> Result<ScoreKey, ()> {
        ScoreKey::SORTABLE
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or(())
    }
}

/// Names of the accepted keys, as the error message lists them.
pub const SORT_KEYS: &str = "inArweaveBlock, indexedAt, date, recordType, creatorHandle, ver, scheduleDate, score, tags, matchCount, equipmentScore, exerciseTypeScore, cuisineScore, modelScore, fieldSearchScore, exerciseScore, ingredientScore";

impl FromStr for SortKey {
    type Err = ();

    fn from_str(s: &str) -> Result<SortKey, ()> {
        Ok(match s {
            "inArweaveBlock" => SortKey::Block,
            "indexedAt" => SortKey::IndexedAt,
            "date" => SortKey::Date,
            "recordType" => SortKey::RecordType,
            "creatorHandle" => SortKey::CreatorHandle,
            "ver" => SortKey::Ver,
            "scheduleDate" => SortKey::ScheduleDate,
            "tags" => SortKey::Score(ScoreKey::Score),
            other => SortKey::Score(other.parse()?),
        })
    }
}

/// A sort order: key and direction. Missing values sort last in both directions; ties are
/// broken by DID ascending, so the order is total and paging never repeats or skips a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// What to sort by.
    pub key: SortKey,
    /// Descending when no direction is given, as the original.
    pub direction: Direction,
}

impl Default for Sort {
    fn default() -> Sort {
        Sort {
            key: SortKey::Block,
            direction: Direction::Desc,
        }
    }
}

impl Sort {
    /// Parses `field[:order]`; `order` is `asc` or `desc`, case-insensitive.
    pub fn parse(value: &str) -> Result<Sort, QueryError> {
        let invalid = |expected: String| QueryError::Invalid {
            param: "sortBy",
            expected,
            got: value.to_owned(),
        };
        let (field, order) = value.split_once(':').unwrap_or((value, "desc"));
        let key = field
            .parse::<SortKey>()
            .map_err(|()| invalid(format!("field[:asc|desc] with field one of {SORT_KEYS}")))?;
        let direction = order
            .parse()
            .map_err(|()| invalid("an order of asc or desc after the colon".into()))?;
        Ok(Sort { key, direction })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_orders() {
        assert_eq!(
            Sort::parse("date:ASC").unwrap(),
            Sort {
                key: SortKey::Date,
                direction: Direction::Asc
            }
        );
        assert_eq!(
            Sort::parse("indexedAt").unwrap(),
            Sort {
                key: SortKey::IndexedAt,
                direction: Direction::Desc
            }
        );
        assert_eq!(
            Sort::parse("tags:asc").unwrap().key,
            SortKey::Score(ScoreKey::Score)
        );
        assert_eq!(
            Sort::parse("fieldSearchScore").unwrap().key,
            SortKey::Score(ScoreKey::FieldSearchScore)
        );
        let err = Sort::parse("bogus:desc").unwrap_err().to_string();
        assert!(err.contains("inArweaveBlock, indexedAt"), "{err}");
        assert!(Sort::parse("date:sideways").is_err());
    }
}
