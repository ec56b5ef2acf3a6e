//! Import formats: owns format detection and splitting an input stream into
//! candidate records for `oipd import`.
//!
//! It never touches the store and does not validate records (another module
//! checks `data` / `oip.did`); it only decides, per file, which of the known
//! layouts the bytes are in and cuts them into items.
//!
//! Input: any [`BufRead`] (a file or stdin). Output: `(line, Result<Value, String>)`
//! items delivered in input order through a callback, where `line` is the
//! 1-based line on which the item starts. Memory is bounded by the largest
//! single item (one line, one array element, or one Elasticsearch response
//! page), never by the size of the input.
//!
//! Size: most of this file is the byte scanner that splits arrays and concatenated values
//! without parsing them whole (one state machine; splitting it would scatter its states).

use std::fmt;
use std::io::{self, BufRead, Cursor, Read};

use serde_json::{Map, Value};

/// Largest single item (line, array element, or Elasticsearch response page)
/// held in memory at once.
///
/// Why 256 MiB: far above any real record or scroll page, yet small enough
/// that a file with a lost bracket or no newlines fails with a clear error
/// instead of growing one buffer until the process is killed.
pub const MAX_ITEM_BYTES: usize = 256 * 1024 * 1024;

/// Member under which an item carries its Elasticsearch `_index` (see `source_record`).
pub const INDEX_MEMBER: &str = "_index";

/// UTF-8 byte order mark, which some editors put at the start of JSON files.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Formats a file can be in, detected from its first value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One record per line. Also reported for concatenated pretty-printed
    /// records (e.g. `jq .` output), which are read as a stream of values.
    Ndjson,
    /// One top-level JSON array of records, streamed element by element.
    Array,
    /// Concatenated Elasticsearch search/scroll responses; each
    /// `hits.hits[i]._source` is a record.
    EsResponses,
    /// elasticdump output: one `{"_id":..,"_source":{record}}` per line.
    Elasticdump,
}

/// A fault that stops reading the file (as opposed to one bad item, which is
/// reported and skipped).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The underlying reader failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
    /// One item exceeded the size limit; the input cannot be cut safely.
    #[error("line {line}: item larger than {limit} bytes")]
    TooLarge {
        /// Line on which the oversized item starts.
        line: u64,
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
}

/// Why [`read_items`] stopped early: the input could not be read, or the sink
/// asked to stop.
#[derive(Debug)]
pub enum ReadOrSinkError<E> {
    /// Reading the input failed.
    Read(ReadError),
    /// The sink returned this error; reading stopped right after it.
    Sink(E),
}

impl<E: fmt::Display> fmt::Display for ReadOrSinkError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(e) => e.fmt(f),
            Self::Sink(e) => e.fmt(f),
        }
    }
}

// Hand-written rather than derived so that sink errors which are not
// `std::error::Error` themselves (e.g. `anyhow::Error`) still work.
impl<E: fmt::Debug + fmt::Display> std::error::Error for ReadOrSinkError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read(e) => Some(e),
            Self::Sink(_) => None,
        }
    }
}

impl<E> From<ReadError> for ReadOrSinkError<E> {
    fn from(e: ReadError) -> Self {
        Self::Read(e)
    }
}

impl<E> From<io::Error> for ReadOrSinkError<E> {
    fn from(e: io::Error) -> Self {
        Self::Read(ReadError::Io(e))
    }
}

/// One candidate record, or the reason the item cannot be one.
type Item = Result<Value, String>;

/// The callback, type-erased so the helpers below stay non-generic over it.
type Sink<'a, E> = dyn FnMut(u64, Item) -> Result<(), E> + 'a;

/// Reads every item of `input`, calling `sink(line, item)` for each candidate
/// record in input order: `Ok(record_value)` or `Err(reason)` for an item that
/// cannot be a record (bad JSON, not an object, ES hit without `_source`, ...).
/// `line` is the 1-based line where the item starts. Returns the detected
/// format (`None` for empty input). A sink error stops reading and is returned.
pub fn read_items<R: BufRead, E>(
    input: R,
    mut sink: impl FnMut(u64, Item) -> Result<(), E>,
) -> Result<Option<Format>, ReadOrSinkError<E>> {
    read_items_limited(input, MAX_ITEM_BYTES, &mut sink)
}

/// [`read_items`] with the item size limit as a parameter, so tests can use a
/// small one.
fn read_items_limited<R: BufRead, E>(
    mut input: R,
    limit: usize,
    sink: &mut Sink<'_, E>,
) -> Result<Option<Format>, ReadOrSinkError<E>> {
    skip_bom(&mut input)?;
    let mut scanner = Scanner::new(input, limit);
    let Some(first) = scanner.skip_ws()? else {
        return Ok(None);
    };
    if first == b'[' {
        scanner.consume_byte();
        scanner.read_array(sink)?;
        return Ok(Some(Format::Array));
    }
    // The first line decides between line mode (NDJSON, elasticdump) and
    // value-stream mode (ES responses, pretty-printed values).
    let pos = scanner.pos();
    let mut input = scanner.input;
    let mut first_line = Vec::new();
    read_line_limited(&mut input, limit, pos.line, &mut first_line)?;
    match serde_json::from_slice::<Value>(trim_line_end(&first_line)) {
        Ok(value) if !has_hits(&value) => {
            let format = shape_format(&value);
            emit_value(pos, value, &[], sink)?;
            read_lines(&mut input, pos.line + 1, limit, sink)?;
            Ok(Some(format))
        }
        Err(e) if !opens_multiline_value(&first_line) => {
            give(sink, pos.line, Err(describe(&e, pos)))?;
            read_lines(&mut input, pos.line + 1, limit, sink)?;
            Ok(Some(Format::Ndjson))
        }
        _ => {
            // Replay the first line in front of the rest of the input.
            let mut scanner = Scanner::new(Cursor::new(first_line).chain(input), limit);
            scanner.line = pos.line;
            scanner.col = pos.col;
            let format = scanner.read_stream(sink)?;
            Ok(Some(format.unwrap_or(Format::Ndjson)))
        }
    }
}

/// Consumes a leading UTF-8 BOM, one byte at a time so that any buffer size
/// works. A partial match can only precede invalid JSON, so eating it is
/// harmless.
fn skip_bom<R: BufRead>(input: &mut R) -> io::Result<()> {
    for &expected in BOM {
        match input.fill_buf()?.first() {
            Some(&b) if b == expected => input.consume(1),
            _ => break,
        }
    }
    Ok(())
}

/// Where an item starts: 1-based line, and bytes already consumed on it.
#[derive(Debug, Clone, Copy)]
struct Pos {
    line: u64,
    col: u64,
}

/// Reads one line (terminator included) into `buf`, failing if its content
/// exceeds `limit`.
fn read_line_limited<R: BufRead>(
    input: &mut R,
    limit: usize,
    line: u64,
    buf: &mut Vec<u8>,
) -> Result<usize, ReadError> {
    buf.clear();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let n = input.by_ref().take(cap).read_until(b'\n', buf)?;
    if trim_line_end(buf).len() > limit {
        return Err(ReadError::TooLarge { line, limit });
    }
    Ok(n)
}

/// Line mode: every non-blank line is one item, so a bad line can never
/// swallow the lines after it.
fn read_lines<R: BufRead, E>(
    input: &mut R,
    mut line: u64,
    limit: usize,
    sink: &mut Sink<'_, E>,
) -> Result<(), ReadOrSinkError<E>> {
    let mut buf = Vec::new();
    while read_line_limited(input, limit, line, &mut buf)? > 0 {
        // Without the terminator, an unclosed string reads as "EOF" on this
        // line rather than as a control character on the next.
        let content = trim_line_end(&buf);
        if !is_blank(content) {
            let pos = Pos { line, col: 0 };
            match parse(content, pos) {
                Ok(value) => emit_value(pos, value, &[], sink)?,
                Err(reason) => give(sink, line, Err(reason))?,
            }
        }
        line += 1;
    }
    Ok(())
}

/// `bytes` without a trailing `\n` or `\r\n`.
fn trim_line_end(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// True if `line` is the start of a value that continues on later lines
/// (e.g. a lone `{` of a pretty-printed response), as opposed to a complete
/// but broken line. A string cannot span a raw newline, so ending inside one
/// means broken.
fn opens_multiline_value(line: &[u8]) -> bool {
    let mut state = ScanState::new(Mode::Stream);
    for &b in line {
        if !matches!(state.step(b, 0), Step::Continue) {
            return false;
        }
    }
    state.depth > 0 && !state.in_str
}

/// Parses one item's bytes, turning serde's item-relative position into an
/// absolute one.
fn parse(bytes: &[u8], pos: Pos) -> Result<Value, String> {
    if is_blank(bytes) {
        return Err("empty array element".to_string());
    }
    serde_json::from_slice(bytes).map_err(|e| describe(&e, pos))
}

/// `invalid JSON: <serde message> at line L column C`, with L and C counted
/// from the start of the input rather than of the item.
fn describe(e: &serde_json::Error, pos: Pos) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = full.strip_suffix(&suffix).unwrap_or(&full);
    if e.line() == 0 {
        return format!("invalid JSON: {msg}");
    }
    let rel_line = u64::try_from(e.line()).unwrap_or(u64::MAX);
    let col = u64::try_from(e.column()).unwrap_or(u64::MAX);
    let line = pos.line.saturating_add(rel_line - 1);
    // Only the item's first line is offset by where the item starts.
    let col = if rel_line == 1 {
        col.saturating_add(pos.col)
    } else {
        col
    };
    format!("invalid JSON: {msg} at line {line} column {col}")
}

/// Hands one item to the sink, wrapping its error.
fn give<E>(sink: &mut Sink<'_, E>, line: u64, item: Item) -> Result<(), ReadOrSinkError<E>> {
    sink(line, item).map_err(ReadOrSinkError::Sink)
}

fn has_hits(value: &Value) -> bool {
    value.pointer("/hits/hits").is_some()
}

/// The format a value's shape suggests.
fn shape_format(value: &Value) -> Format {
    if has_hits(value) {
        Format::EsResponses
    } else if value.get("_source").is_some() {
        Format::Elasticdump
    } else {
        Format::Ndjson
    }
}

/// Classifies one parsed value by shape and emits the record(s) in it: an ES
/// response expands to its hits, an elasticdump line to its `_source`,
/// anything else is the record itself. `hit_lines` are the start lines of
/// the hits if the scanner found them (ignored unless the count matches).
fn emit_value<E>(
    pos: Pos,
    mut value: Value,
    hit_lines: &[u64],
    sink: &mut Sink<'_, E>,
) -> Result<(), ReadOrSinkError<E>> {
    match value.pointer_mut("/hits/hits").map(Value::take) {
        Some(Value::Array(hits)) => {
            let lines_fit = hit_lines.len() == hits.len();
            for (i, hit) in hits.into_iter().enumerate() {
                let line = match hit_lines.get(i) {
                    Some(&l) if lines_fit => l,
                    _ => pos.line,
                };
                give(sink, line, source_record(hit))?;
            }
            Ok(())
        }
        Some(_) => give(sink, pos.line, Err("hits.hits is not an array".into())),
        None if value.get("_source").is_some() => give(sink, pos.line, source_record(value)),
        None if value.is_object() => give(sink, pos.line, Ok(value)),
        None => give(sink, pos.line, Err(format!("not a JSON object: {value}"))),
    }
}

/// The record inside an ES hit / elasticdump line. If the record carries no
/// DID but the wrapper's `_id` is one, the DID is taken from `_id`, because
/// old indexes stored the DID only as the document id.
fn source_record(hit: Value) -> Item {
    let Value::Object(mut wrapper) = hit else {
        return Err(format!("hit is not a JSON object: {hit}"));
    };
    let id = match wrapper.get("_id") {
        Some(Value::String(id)) => Some(id.clone()),
        _ => None,
    };
    let Some(source) = wrapper.remove("_source") else {
        return Err(match id {
            Some(id) => format!("hit {id} has no _source"),
            None => "hit has no _source".to_string(),
        });
    };
    let Value::Object(mut record) = source else {
        return Err("_source is not a JSON object".to_string());
    };
    if let Some(id) = id.filter(|id| id.starts_with("did:")) {
        fill_did(&mut record, id);
    }
    // The index name tells templates, creators and organizations from records (`import`
    // routes them to their collections); records carry nothing more.
    if let Some(Value::String(index)) = wrapper.remove("_index") {
        if crate::store::collections::Collection::of_index(&index).is_some() {
            record.insert(INDEX_MEMBER.to_string(), Value::String(index));
        }
    }
    Ok(Value::Object(record))
}

/// Sets `oip.did = id` unless `oip.did` or `oip.didTx` is present; creates
/// `oip` if it is missing or null. A non-object `oip` is left for the
/// validator to reject.
fn fill_did(record: &mut Map<String, Value>, id: String) {
    let absent = |m: &Map<String, Value>, key: &str| matches!(m.get(key), None | Some(Value::Null));
    if absent(record, "oip") {
        record.insert("oip".to_string(), Value::Object(Map::new()));
    }
    if let Some(Value::Object(oip)) = record.get_mut("oip") {
        if absent(oip, "did") && absent(oip, "didTx") {
            oip.insert("did".to_string(), Value::String(id));
        }
    }
}

/// How the scanner delimits items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Elements of a top-level array: end at a depth-0 `,` or `]`.
    Array,
    /// Concatenated top-level values: end when the value closes.
    Stream,
}

/// Why the scanner stopped taking bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Array element ended at a `,` (consumed).
    Comma,
    /// Array element ended at the closing `]` (consumed).
    ArrayEnd,
    /// A stream value is complete.
    Complete,
    /// Input ended first.
    Eof,
}

/// What to do with one byte.
enum Step {
    /// Part of the item; keep going.
    Continue,
    /// Last byte of the item.
    After(Stop),
    /// Consumed but not part of the item (`,` / `]` in array mode).
    Separator(Stop),
    /// Not part of the item and left unconsumed (starts the next value).
    Before(Stop),
}

/// Byte-level JSON structure tracker: string/escape state and bracket depth.
/// Brackets are counted without matching their kinds; a mismatch only makes
/// the item fail to parse, which serde reports.
struct ScanState {
    mode: Mode,
    depth: u32,
    in_str: bool,
    esc: bool,
    started: bool,
    hits: HitTracker,
}

impl ScanState {
    fn new(mode: Mode) -> Self {
        Self {
            mode,
            depth: 0,
            in_str: false,
            esc: false,
            started: false,
            hits: HitTracker::default(),
        }
    }

    /// True if input may end here without losing part of a value.
    fn is_clean(&self) -> bool {
        self.depth == 0 && !self.in_str
    }

    fn step(&mut self, b: u8, line: u64) -> Step {
        if self.in_str {
            return self.step_in_string(b);
        }
        // In stream mode a byte at depth 0 after a started scalar token
        // (`42 {..}`) belongs to the next value.
        let ends_scalar = self.mode == Mode::Stream && self.depth == 0 && self.started;
        match b {
            b'"' | b'{' | b'[' if ends_scalar => Step::Before(Stop::Complete),
            b'"' => {
                self.in_str = true;
                self.started = true;
                self.hits.string_start(self.depth);
                Step::Continue
            }
            b'{' | b'[' => {
                self.hits.open(b, self.depth, line);
                self.depth += 1;
                self.started = true;
                Step::Continue
            }
            b'}' | b']' => self.close(b),
            b',' if self.mode == Mode::Array && self.depth == 0 => Step::Separator(Stop::Comma),
            _ if b.is_ascii_whitespace() && ends_scalar => Step::Before(Stop::Complete),
            _ if b.is_ascii_whitespace() => Step::Continue,
            _ => {
                self.started = true;
                Step::Continue
            }
        }
    }

    fn step_in_string(&mut self, b: u8) -> Step {
        if self.esc {
            self.esc = false;
        } else if b == b'\\' {
            self.esc = true;
        } else if b == b'"' {
            self.in_str = false;
            self.hits.string_end();
            if self.mode == Mode::Stream && self.depth == 0 {
                return Step::After(Stop::Complete);
            }
            return Step::Continue;
        }
        self.hits.string_byte(b);
        Step::Continue
    }

    fn close(&mut self, b: u8) -> Step {
        if self.depth == 0 {
            if self.mode == Mode::Array && b == b']' {
                return Step::Separator(Stop::ArrayEnd);
            }
            // A stray closer: keep it so the item fails to parse.
            self.started = true;
            return match self.mode {
                Mode::Stream => Step::After(Stop::Complete),
                Mode::Array => Step::Continue,
            };
        }
        self.depth -= 1;
        self.hits.close(self.depth);
        if self.mode == Mode::Stream && self.depth == 0 {
            Step::After(Stop::Complete)
        } else {
            Step::Continue
        }
    }
}

/// Records the start line of each object directly inside `hits.hits`, so
/// ES hits get their own line instead of their response's. Keys with
/// escapes are not recognised; then the counts differ and the response line
/// is used instead.
#[derive(Default)]
struct HitTracker {
    tracking: bool,
    key_match: Option<usize>,
    key_is_hits: bool,
    in_hits: bool,
    in_hits_array: bool,
    lines: Vec<u64>,
}

impl HitTracker {
    const KEY: &'static [u8] = b"hits";

    fn string_start(&mut self, depth: u32) {
        // Only keys of the response object (depth 1) and of `hits` (2) matter.
        self.tracking = depth == 1 || depth == 2;
        self.key_match = Some(0);
    }

    fn string_byte(&mut self, b: u8) {
        if self.tracking {
            self.key_match = match self.key_match {
                Some(i) if Self::KEY.get(i) == Some(&b) => Some(i + 1),
                _ => None,
            };
        }
    }

    fn string_end(&mut self) {
        if self.tracking {
            // A key always directly precedes its value, so the last string
            // seen at this depth is the key of the container being opened.
            self.key_is_hits = self.key_match == Some(Self::KEY.len());
            self.tracking = false;
        }
    }

    fn open(&mut self, b: u8, depth: u32, line: u64) {
        match (depth, b) {
            (1, b'{') => self.in_hits = self.key_is_hits,
            (2, b'[') => self.in_hits_array = self.in_hits && self.key_is_hits,
            (3, b'{') if self.in_hits_array => self.lines.push(line),
            _ => {}
        }
    }

    fn close(&mut self, new_depth: u32) {
        match new_depth {
            1 => self.in_hits = false,
            2 => self.in_hits_array = false,
            _ => {}
        }
    }
}

/// Cuts a byte stream into items without parsing it, tracking line and
/// column for error positions.
struct Scanner<R> {
    input: R,
    line: u64,
    col: u64,
    limit: usize,
}

impl<R: BufRead> Scanner<R> {
    fn new(input: R, limit: usize) -> Self {
        Self {
            input,
            line: 1,
            col: 0,
            limit,
        }
    }

    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    /// Consumes one byte already peeked by [`Self::skip_ws`] (never a newline).
    fn consume_byte(&mut self) {
        self.input.consume(1);
        self.col += 1;
    }

    /// Skips whitespace; returns the next byte without consuming it, or
    /// `None` at end of input.
    fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                return Ok(None);
            }
            let mut n = 0;
            for &b in chunk.iter().take_while(|b| b.is_ascii_whitespace()) {
                n += 1;
                if b == b'\n' {
                    self.line += 1;
                    self.col = 0;
                } else {
                    self.col += 1;
                }
            }
            let next = chunk.get(n).copied();
            self.input.consume(n);
            if next.is_some() {
                return Ok(next);
            }
        }
    }

    /// Moves the bytes of one item into `buf`, a buffer-full at a time.
    fn take(&mut self, buf: &mut Vec<u8>, state: &mut ScanState) -> Result<Stop, ReadError> {
        buf.clear();
        let start_line = self.line;
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                return Ok(Stop::Eof);
            }
            let (mut keep, mut eat, mut stop) = (0, 0, None);
            for &b in chunk {
                let step = state.step(b, self.line);
                if let Step::Before(s) = step {
                    stop = Some(s);
                    break;
                }
                eat += 1;
                if b == b'\n' {
                    self.line += 1;
                    self.col = 0;
                } else {
                    self.col += 1;
                }
                match step {
                    Step::Continue => keep = eat,
                    Step::After(s) => {
                        keep = eat;
                        stop = Some(s);
                        break;
                    }
                    Step::Separator(s) | Step::Before(s) => {
                        stop = Some(s);
                        break;
                    }
                }
            }
            buf.extend_from_slice(chunk.get(..keep).unwrap_or_default());
            self.input.consume(eat);
            if buf.len() > self.limit {
                let limit = self.limit;
                return Err(ReadError::TooLarge {
                    line: start_line,
                    limit,
                });
            }
            if let Some(stop) = stop {
                return Ok(stop);
            }
        }
    }

    /// Array mode, after the opening `[`: one item per element, then at most
    /// one error for anything after the closing `]`.
    fn read_array<E>(&mut self, sink: &mut Sink<'_, E>) -> Result<(), ReadOrSinkError<E>> {
        let mut buf = Vec::new();
        let mut first = true;
        loop {
            self.skip_ws()?;
            let pos = self.pos();
            let mut state = ScanState::new(Mode::Array);
            let stop = self.take(&mut buf, &mut state)?;
            if stop == Stop::Eof {
                let reason = if is_blank(&buf) {
                    "array not closed: input ended"
                } else {
                    "unterminated array element: input ended"
                };
                return give(sink, pos.line, Err(reason.to_string()));
            }
            // `[]` and `[ ]` have no elements; any other empty slot is an error.
            if !(first && stop == Stop::ArrayEnd && buf.is_empty()) {
                match parse(&buf, pos) {
                    Ok(value) => emit_value(pos, value, &state.hits.lines, sink)?,
                    Err(reason) => give(sink, pos.line, Err(reason))?,
                }
            }
            first = false;
            if stop == Stop::ArrayEnd {
                break;
            }
        }
        if self.skip_ws()?.is_some() {
            let reason = "unexpected data after the closing ]".to_string();
            give(sink, self.line, Err(reason))?;
        }
        Ok(())
    }

    /// Stream mode: concatenated top-level values, each classified by shape.
    /// Returns the format suggested by the first value that parsed.
    fn read_stream<E>(
        &mut self,
        sink: &mut Sink<'_, E>,
    ) -> Result<Option<Format>, ReadOrSinkError<E>> {
        let mut buf = Vec::new();
        let mut format = None;
        while self.skip_ws()?.is_some() {
            let pos = self.pos();
            let mut state = ScanState::new(Mode::Stream);
            let stop = self.take(&mut buf, &mut state)?;
            if stop == Stop::Eof && !state.is_clean() {
                // Lost sync: everything from here on is one broken value.
                let reason = "unterminated JSON value: input ended".to_string();
                give(sink, pos.line, Err(reason))?;
                break;
            }
            match parse(&buf, pos) {
                Ok(value) => {
                    format.get_or_insert(shape_format(&value));
                    emit_value(pos, value, &state.hits.lines, sink)?;
                }
                Err(reason) => give(sink, pos.line, Err(reason))?,
            }
        }
        Ok(format)
    }
}

#[cfg(test)]
mod tests;
