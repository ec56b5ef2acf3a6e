//! Score arithmetic of the original (records-api.md §3.3.3, §3.3.5, §3.3.6, §3.6): pure functions
//! of requested items and a record's values. Must not: read the store.

use crate::query::ScoreKey;

/// A score member's value; JSON types follow the original (decisions.md principle 1).
#[derive(Debug, Clone, PartialEq)]
pub enum ScoreValue {
    /// 3-decimal string (`score`, `equipmentScore`, `exerciseTypeScore`, `cuisineScore`, `modelScore`).
    Fixed(f64),
    /// Integer (`matchCount`, `…MatchedCount`).
    Count(u64),
    /// Number (`fieldSearchScore`, `exerciseScore`, `ingredientScore`).
    Number(f64),
    /// Any value (note search's `did` and `searchScores`).
    Json(serde_json::Value),
}

impl ScoreValue {
    /// The value to sort by.
    pub fn as_f64(&self) -> f64 {
        match self {
            ScoreValue::Fixed(f) | ScoreValue::Number(f) => *f,
            ScoreValue::Count(n) => *n as f64,
            ScoreValue::Json(v) => v.as_f64().unwrap_or(0.0),
        }
    }
}

/// Score members of one record, in the order they are written.
pub type Scores = Vec<(ScoreKey, ScoreValue)>;

/// `matched ÷ total`, 0 when nothing was requested.
pub fn ratio(matched: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        matched as f64 / total as f64
    }
}

/// Requested items present in `list`, plus 0.1 for each that keeps the requested order (by first
/// index), both divided by the number requested (range 0 … 1.1).
pub fn order_score(requested: &[String], list: &[String]) -> (f64, u64) {
    let n = requested.len();
    let mut matched = 0;
    let mut bonus = 0.0;
    let mut last: isize = -1;
    for item in requested {
        if let Some(idx) = list.iter().position(|l| l == item) {
            matched += 1;
            if idx as isize > last {
                bonus += 0.1;
                last = idx as isize;
            }
        }
    }
    if n == 0 {
        return (0.0, 0);
    }
    (matched as f64 / n as f64 + bonus / n as f64, matched as u64)
}

/// Levenshtein distance over characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Similarity of a field value to a searched value: 1000 equal, 900 prefix, 800 suffix, 700
/// whole word, 600 substring, else ⌊500 × (1 − distance ÷ longer length)⌋, on trimmed
/// lower-cased strings.
pub fn similarity(value: &str, query: &str) -> f64 {
    let v = value.trim().to_lowercase();
    let q = query.trim().to_lowercase();
    if v == q {
        return 1000.0;
    }
    if q.is_empty() {
        return 0.0;
    }
    if v.starts_with(&q) {
        return 900.0;
    }
    if v.ends_with(&q) {
        return 800.0;
    }
    if v.split(|c: char| !c.is_alphanumeric()).any(|w| w == q) {
        return 700.0;
    }
    if v.contains(&q) {
        return 600.0;
    }
    let longest = v.chars().count().max(q.chars().count()).max(1);
    (500.0 * (1.0 - levenshtein(&v, &q) as f64 / longest as f64)).floor()
}

/// Edits Elasticsearch's `AUTO` fuzziness allows for a term: 0 up to 2 characters, 1 up to 5,
/// else 2.
pub fn auto_fuzziness(term: &str) -> usize {
    match term.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn order_score_matches_the_worked_example() {
        assert_eq!(
            order_score(&s(&["plank", "deadlifts"]), &s(&["deadlifts", "plank"])),
            (1.05, 2)
        );
        assert_eq!(order_score(&s(&["a", "b"]), &s(&["a", "b"])), (1.1, 2));
        assert_eq!(order_score(&s(&["a", "z"]), &s(&["a"])).1, 1);
    }

    #[test]
    fn similarity_tiers() {
        assert_eq!(similarity(" Garlic ", "garlic"), 1000.0);
        assert_eq!(similarity("garlic powder", "garlic"), 900.0);
        assert_eq!(similarity("fresh garlic", "garlic"), 800.0);
        assert_eq!(similarity("fresh garlic cloves", "garlic"), 700.0);
        assert_eq!(similarity("garlicky", "arlic"), 600.0);
        assert_eq!(similarity("onion", "union"), 400.0);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(
            (
                auto_fuzziness("ab"),
                auto_fuzziness("abcde"),
                auto_fuzziness("abcdef")
            ),
            (0, 1, 2)
        );
    }
}
