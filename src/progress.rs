//! Progress of long jobs (`import`, `index`, and any later one such as `mirror`): a bar on a
//! terminal, and off one (journald, `docker logs`, a pipe) an info log line every few seconds,
//! with counts and a rate either way.
//!
//! Owns: choosing bar or lines (is stderr a terminal?), sampling and drawing on a thread of its
//! own, the rate, and the logger, which writes log records above a bar instead of through it.
//! Must not: know what a job counts. A job hands [`Console::meter`] a sampler that reads the
//! job's own counters (atomics, a shared view), so its loop pays for nothing else.

use indicatif::{HumanBytes, HumanCount, MultiProgress, ProgressBar, ProgressStyle};
use std::collections::VecDeque;
use std::io::IsTerminal;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a bar is sampled and redrawn: smooth to the eye, cheap for the job.
const DRAW_EVERY: Duration = Duration::from_millis(200);

/// The rate is taken over about this long: recent enough to show a stall, long enough to smooth
/// the steps of a batched job.
const RATE_WINDOW: Duration = Duration::from_secs(10);

/// Standard error as the jobs' progress sees it: with bars when it is a terminal.
pub struct Console {
    bars: Option<MultiProgress>,
}

impl Console {
    /// Installs the logger (`RUST_LOG`, else `default_filter`) and decides bars or lines. Call
    /// once, before anything logs. On a terminal, log records are written above the bars.
    pub fn init(default_filter: &str) -> Console {
        let env = env_logger::Env::default().default_filter_or(default_filter);
        let mut builder = env_logger::Builder::from_env(env);
        if !std::io::stderr().is_terminal() {
            builder.init();
            return Console { bars: None };
        }
        let bars = MultiProgress::new();
        let logger = builder.build();
        let level = logger.filter();
        // Only fails when a logger is already installed, which `init` is documented to precede.
        if log::set_boxed_logger(Box::new(AboveBars {
            inner: logger,
            bars: bars.clone(),
        }))
        .is_ok()
        {
            log::set_max_level(level);
        }
        Console { bars: Some(bars) }
    }

    /// Starts showing `job`'s progress from what `sample` reads, until the [`Meter`] is dropped.
    pub fn meter<F>(&self, job: Job, sample: F) -> Meter
    where
        F: FnMut() -> Sample + Send + 'static,
    {
        let (bar, every) = match &self.bars {
            Some(bars) => (Some(bars.add(ProgressBar::new_spinner())), DRAW_EVERY),
            None => match job.lines_every {
                Some(every) => (None, every),
                None => return Meter::idle(None),
            },
        };
        let (stop, stopped) = mpsc::channel();
        let (drawn, name) = (bar.clone(), job.name);
        let thread = std::thread::Builder::new()
            .name(format!("{name}-progress"))
            .spawn(move || show(&job, sample, drawn.as_ref(), every, &stopped));
        match thread {
            Ok(thread) => Meter {
                bars: self.bars.clone(),
                bar,
                stop: Some(stop),
                thread: Some(thread),
            },
            // Progress is a courtesy: a job goes on without it.
            Err(e) => {
                log::warn!("no progress display for {name}: {e}");
                Meter::idle(self.bars.clone())
            }
        }
    }
}

/// A job as its progress shows it.
#[derive(Debug, Clone)]
pub struct Job {
    /// Its name, first on every line (`import`).
    pub name: &'static str,
    /// What [`Sample::items`] counts, as it reads after a number (`records read`).
    pub items: &'static str,
    /// Off a terminal, a line this often; `None` when the job logs its own progress.
    pub lines_every: Option<Duration>,
}

/// What a job has done so far.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Items done: the count the rate is taken from.
    pub items: u64,
    /// How far through a known whole the job is, when it knows one.
    pub part: Option<Part>,
    /// Other counts worth showing (`3 rejected`), or empty.
    pub detail: String,
}

/// Progress towards a known whole: what the bar fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Done so far, at most `total`.
    pub done: u64,
    /// The whole.
    pub total: u64,
    /// What `done` and `total` count.
    pub unit: Unit,
}

/// The unit of a [`Part`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes, shown as KiB, MiB, GiB.
    Bytes,
    /// Things of this name (`blocks`).
    Count(&'static str),
}

/// A running progress display; dropping it stops and clears it.
pub struct Meter {
    bars: Option<MultiProgress>,
    bar: Option<ProgressBar>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Meter {
    fn idle(bars: Option<MultiProgress>) -> Meter {
        Meter {
            bars,
            bar: None,
            stop: None,
            thread: None,
        }
    }

    /// Writes `line` to stderr, above the bar when there is one.
    pub fn println(&self, line: &str) {
        match &self.bars {
            Some(bars) => bars.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // A panicked display thread has nothing left to clean up.
            let _ = thread.join();
        }
        if let (Some(bars), Some(bar)) = (&self.bars, self.bar.take()) {
            bar.finish_and_clear();
            bars.remove(&bar);
        }
    }
}

/// The display thread: every `every`, sample and draw (a bar) or log (a line), until `stopped`
/// hears that the meter was dropped.
fn show(
    job: &Job,
    mut sample: impl FnMut() -> Sample,
    bar: Option<&ProgressBar>,
    every: Duration,
    stopped: &mpsc::Receiver<()>,
) {
    let mut rate = Rate::new(Instant::now());
    let mut styled = None;
    while stopped.recv_timeout(every) == Err(RecvTimeoutError::Timeout) {
        let now = sample();
        let per_second = rate.add(Instant::now(), now.items);
        let text = describe(job, &now, per_second);
        let Some(bar) = bar else {
            log::info!("{}: {text}", job.name);
            continue;
        };
        if styled != Some(now.part.is_some()) {
            styled = Some(now.part.is_some());
            bar.set_style(style(now.part.is_some()));
            bar.set_prefix(job.name);
        }
        if let Some(part) = now.part {
            bar.set_length(part.total);
            bar.set_position(part.done);
        }
        bar.set_message(text);
        bar.tick();
    }
}

/// The bar of a job that knows its whole.
const BAR: &str = "{prefix} [{bar:24}] ETA {eta:<4} {wide_msg}";

/// The spinner of a job that does not.
const SPINNER: &str = "{spinner} {prefix}: {wide_msg}";

fn style(known_whole: bool) -> ProgressStyle {
    let template = if known_whole { BAR } else { SPINNER };
    // The templates are constants, checked by a unit test.
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// One line of progress: `12,345 records read (1,234/s), 3 rejected; 45.00 MiB of 120.00 MiB
/// (37%)`.
pub fn describe(job: &Job, sample: &Sample, per_second: f64) -> String {
    let mut text = format!(
        "{} {} ({}/s)",
        HumanCount(sample.items),
        job.items,
        HumanCount(per_second.round() as u64)
    );
    if !sample.detail.is_empty() {
        text.push_str(", ");
        text.push_str(&sample.detail);
    }
    if let Some(part) = sample.part {
        let percent = part.done.saturating_mul(100) / part.total.max(1);
        let amounts = match part.unit {
            Unit::Bytes => format!("{} of {}", HumanBytes(part.done), HumanBytes(part.total)),
            Unit::Count(name) => {
                format!(
                    "{} of {} {name}",
                    HumanCount(part.done),
                    HumanCount(part.total)
                )
            }
        };
        text.push_str(&format!("; {amounts} ({percent}%)"));
    }
    text
}

/// Items per second over the last [`RATE_WINDOW`].
struct Rate {
    seen: VecDeque<(Instant, u64)>,
}

impl Rate {
    fn new(start: Instant) -> Rate {
        Rate {
            seen: VecDeque::from([(start, 0)]),
        }
    }

    /// Records `items` done at `at`, and returns the rate since the oldest sample kept.
    fn add(&mut self, at: Instant, items: u64) -> f64 {
        self.seen.push_back((at, items));
        // Keep one sample at or past the window's start, so the window is never empty.
        while self
            .seen
            .get(1)
            .is_some_and(|(t, _)| at.duration_since(*t) >= RATE_WINDOW)
        {
            self.seen.pop_front();
        }
        let (since, before) = self.seen[0];
        let seconds = at.duration_since(since).as_secs_f64();
        match seconds > 0.0 {
            true => items.saturating_sub(before) as f64 / seconds,
            false => 0.0,
        }
    }
}

/// The logger on a terminal: env_logger's records, written with the bars hidden for a moment
/// so a line never lands inside a bar.
struct AboveBars {
    inner: env_logger::Logger,
    bars: MultiProgress,
}

impl log::Log for AboveBars {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.inner.matches(record) {
            self.bars.suspend(|| self.inner.log(record));
        }
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMPORT: Job = Job {
        name: "import",
        items: "records read",
        lines_every: None,
    };

    #[test]
    fn a_line_has_counts_rate_detail_and_the_part_done() {
        let sample = Sample {
            items: 12_345,
            part: Some(Part {
                done: 45 << 20,
                total: 120 << 20,
                unit: Unit::Bytes,
            }),
            detail: "3 rejected".into(),
        };
        assert_eq!(
            describe(&IMPORT, &sample, 1234.4),
            "12,345 records read (1,234/s), 3 rejected; 45.00 MiB of 120.00 MiB (37%)"
        );
        let blocks = Sample {
            items: 7,
            part: Some(Part {
                done: 1_500,
                total: 6_000,
                unit: Unit::Count("blocks"),
            }),
            detail: String::new(),
        };
        assert_eq!(
            describe(&IMPORT, &blocks, 0.4),
            "7 records read (0/s); 1,500 of 6,000 blocks (25%)"
        );
    }

    #[test]
    fn the_rate_covers_the_last_window_only() {
        let start = Instant::now();
        let mut rate = Rate::new(start);
        let at = |s| start + Duration::from_secs(s);
        assert_eq!(rate.add(at(5), 500), 100.0);
        assert_eq!(rate.add(at(10), 1000), 100.0);
        // A stall shows: 10 s without progress after 1,000 items.
        assert_eq!(rate.add(at(20), 1000), 0.0);
        // The window starts at the oldest sample kept, 10 to 15 s back.
        assert_eq!(rate.add(at(25), 2000), 1000.0 / 15.0);
    }

    #[test]
    fn both_templates_parse() {
        assert!(ProgressStyle::with_template(BAR).is_ok());
        assert!(ProgressStyle::with_template(SPINNER).is_ok());
    }
}
