//! Deterministic pseudo-random text for the generated stores: a SplitMix64 generator, word lists,
//! and the ids, names, sentences and tags built from them.
//!
//! Owns: everything random in `oipd-bench`, seeded so that two runs generate the same store.
//! Must not: do I/O. Input: a seed or a record index → output: strings and numbers.

/// SplitMix64: small, fast, and good enough for test data (not for anything secret).
pub struct Rng(u64);

impl Rng {
    /// A generator whose sequence depends only on `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A number in `0..n` (`n` > 0; the tiny modulo bias does not matter here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = self.below(items.len() as u64) as usize;
        items.get(i).copied().unwrap_or("")
    }
}

/// The SplitMix64 finaliser: a pure hash of one `u64`, used to derive per-record facts from an
/// index without keeping state (so a record can name another by recomputing its DID).
pub fn mix(x: u64) -> u64 {
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const ID_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A 43-character base64url id, like an Arweave transaction id, derived from `key`.
pub fn arweave_id(key: u64) -> String {
    let mut rng = Rng::new(mix(key ^ 0xA4E7_E4A1));
    (0..43)
        .map(|_| char::from(ID_ALPHABET[(rng.next_u64() % 64) as usize]))
        .collect()
}

/// Adjectives: the first half of names and tags.
pub const ADJECTIVES: &[&str] = &[
    "quiet", "bright", "rapid", "gentle", "bold", "crisp", "early", "fresh", "golden", "hidden",
    "honest", "lively", "lunar", "mellow", "modern", "narrow", "open", "plain", "proud", "rare",
    "rustic", "silent", "simple", "solar", "steady",
];

/// Nouns: the second half of names and tags.
pub const NOUNS: &[&str] = &[
    "garden", "river", "kitchen", "market", "bridge", "harbor", "forest", "studio", "valley",
    "canyon", "meadow", "engine", "archive", "signal", "lantern", "orchard", "summit", "harvest",
    "journey", "circuit",
];

/// Filler for sentences.
const FILLER: &[&str] = &[
    "the", "a", "with", "and", "for", "over", "under", "after", "before", "across", "new", "local",
    "daily", "notes", "about", "people", "city", "water", "light", "recipe", "training", "morning",
    "evening", "weekend", "season", "report", "guide", "story", "plan", "method",
];

/// Number of distinct tags [`tag`] produces: every adjective × noun pair.
pub const TAG_VOCABULARY: u64 = (ADJECTIVES.len() * NOUNS.len()) as u64;

/// Tag number `n` (mod [`TAG_VOCABULARY`]), e.g. `quiet-garden`.
pub fn tag(n: u64) -> String {
    let n = n % TAG_VOCABULARY;
    let adjective = ADJECTIVES[(n % ADJECTIVES.len() as u64) as usize];
    let noun = NOUNS[(n / ADJECTIVES.len() as u64) as usize];
    format!("{adjective}-{noun}")
}

/// A title of two or three capitalised words.
pub fn name(rng: &mut Rng) -> String {
    let mut words = vec![rng.pick(ADJECTIVES), rng.pick(NOUNS)];
    if rng.below(2) == 0 {
        words.push(rng.pick(NOUNS));
    }
    words
        .iter()
        .map(|w| capitalise(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sentences of mixed words, about `chars` characters in all.
pub fn text(rng: &mut Rng, chars: usize) -> String {
    let mut out = String::with_capacity(chars + 16);
    while out.len() < chars {
        let words = rng.range(6, 14);
        for k in 0..words {
            let word = match rng.below(4) {
                0 => rng.pick(ADJECTIVES),
                1 => rng.pick(NOUNS),
                _ => rng.pick(FILLER),
            };
            if k == 0 {
                out.push_str(&capitalise(word));
            } else {
                out.push(' ');
                out.push_str(word);
            }
        }
        out.push_str(". ");
    }
    out.truncate(out.trim_end().len());
    out
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect::<String>()
    })
}
