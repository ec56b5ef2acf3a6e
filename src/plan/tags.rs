//! `summarizeTags`: tag counts over every match (decisions.md: not a window), ranked by count,
//! ties by tag (the original kept first-seen order of its window; over all matches, visited in
//! index order, that order would mean nothing to a client), paged by `tagCount`/`tagPage`.

use crate::query::TagSummary;
use crate::store::indexes::Summary;
use std::collections::HashMap;

/// One page of the tag summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPage {
    /// `(tag, count)` of the requested tag page.
    pub tags: Vec<(String, u64)>,
    /// Distinct tags among all matches (the original's `tagCount` member).
    pub distinct: usize,
}

/// Tag counts being gathered; one entry per distinct tag among the matches.
pub struct Tally {
    want: Option<TagSummary>,
    counts: HashMap<String, u64>,
}

impl Tally {
    /// A tally that counts only when `want` is set.
    pub fn new(want: Option<TagSummary>) -> Tally {
        Tally {
            want,
            counts: HashMap::new(),
        }
    }

    /// Whether a summary was asked for.
    pub fn wanted(&self) -> bool {
        self.want.is_some()
    }

    /// Counts a match's tags (as stored, case-sensitive, as the original).
    pub fn add(&mut self, s: &Summary) {
        self.add_tags(&s.tags);
    }

    /// Counts one match's tags.
    pub fn add_tags(&mut self, tags: &[String]) {
        if self.want.is_none() {
            return;
        }
        for tag in tags {
            *self.counts.entry(tag.clone()).or_insert(0) += 1;
        }
    }

    /// The requested page of the summary.
    pub fn page(self) -> Option<TagPage> {
        let want = self.want?;
        let distinct = self.counts.len();
        let mut ranked: Vec<(String, u64)> = self.counts.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let tags = ranked
            .into_iter()
            .skip((want.page - 1).saturating_mul(want.count))
            .take(want.count)
            .collect();
        Some(TagPage { tags, distinct })
    }
}
