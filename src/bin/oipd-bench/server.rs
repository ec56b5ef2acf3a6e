//! The `oipd` processes a benchmark drives: `oipd import` (timed), `oipd serve` on a free
//! loopback port (logging to a file, ready when `/api/health` answers 200), and a [`Sampler`]
//! that reads the server's `VmRSS` every 100 ms. Also the scratch directory they work in.
//!
//! Owns: spawning, readiness, `/proc/<pid>/status`, and cleanup on drop (the server is killed,
//! the scratch directory removed). Must not: measure requests (the modes do that).

use crate::client::{self, Local};
use anyhow::{bail, Context};
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longest the server may take to answer its first `/api/health`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How often readiness is polled: fine enough to time a sub-second start-up.
const READY_POLL: Duration = Duration::from_millis(2);
/// Sampling period of the RSS sampler.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// Most samples kept: two hours at 10 per second, then the sampler stops.
const MAX_SAMPLES: usize = 72_000;

/// A scratch directory under the system temp dir, removed on drop.
pub struct Scratch(PathBuf);

impl Scratch {
    /// Creates `oipd-bench-<pid>-<nanos>` under [`std::env::temp_dir`].
    pub fn create() -> anyhow::Result<Scratch> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("oipd-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Scratch(dir))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    /// Removes the directory, unless `OIPD_BENCH_KEEP` is set (to profile against its store).
    fn drop(&mut self) {
        if std::env::var_os("OIPD_BENCH_KEEP").is_some() {
            eprintln!("oipd-bench: kept {}", self.0.display());
            return;
        }
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            eprintln!("oipd-bench: could not remove {}: {e}", self.0.display());
        }
    }
}

/// The release `oipd` binary next to this one.
pub fn oipd_binary() -> anyhow::Result<PathBuf> {
    let bin = std::env::current_exe()
        .context("locating oipd-bench")?
        .with_file_name("oipd");
    if !bin.is_file() {
        bail!(
            "{} not found: build both binaries with `cargo build --release --bins`",
            bin.display()
        );
    }
    Ok(bin)
}

/// Runs `oipd import --data-dir DATA FILE`, sampling its peak RSS while it runs.
pub fn import(bin: &Path, data: &Path, file: &Path) -> anyhow::Result<Imported> {
    let args = [
        "import".as_ref(),
        "--data-dir".as_ref(),
        data.as_os_str(),
        file.as_os_str(),
    ];
    run(bin, &args)
}

/// Runs `oipd ARGS…` to its end, sampling its peak RSS while it runs; its last stdout line is
/// the summary.
pub fn run(bin: &Path, args: &[&std::ffi::OsStr]) -> anyhow::Result<Imported> {
    let what = args.first().map_or("oipd".into(), |a| a.to_string_lossy());
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running oipd {what}"))?;
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                // A pipe that fails mid-read leaves what was read; the exit status still counts.
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    // VmHWM only grows: its last reading before the exit is the import's peak RSS.
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().context("waiting for oipd")? {
            break status;
        }
        peak_kib = proc_kib(child.id(), "VmHWM").unwrap_or(peak_kib);
        std::thread::sleep(Duration::from_millis(100));
    };
    let took = start.elapsed();
    let stdout = stdout.join().unwrap_or_default();
    if !status.success() {
        let stderr = stderr.join().unwrap_or_default();
        bail!("oipd {what} failed ({status}): {}", tail(&stderr, 2000));
    }
    let summary = stdout.lines().last().unwrap_or_default().to_owned();
    Ok(Imported {
        took,
        summary,
        peak_kib,
    })
}

/// What [`run`] measured.
pub struct Imported {
    /// Wall time of the process.
    pub took: Duration,
    /// Its last stdout line (an import's `imported N, replaced M, rejected K`).
    pub summary: String,
    /// Its peak RSS (VmHWM, read every 100 ms), KiB.
    pub peak_kib: u64,
}

/// The number after `word` in an import summary, e.g. `imported` → N.
pub fn summary_count(summary: &str, word: &str) -> Option<u64> {
    summary.split(',').find_map(|part| {
        let part = part.trim();
        part.strip_prefix(word)?.trim().parse().ok()
    })
}

fn tail(text: &str, max: usize) -> &str {
    let start = text.len().saturating_sub(max);
    let start = (start..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text.get(start..).unwrap_or_default()
}

/// A running `oipd serve`; killed on drop.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: Local,
    /// Time from spawn to the first 200 from `/api/health`.
    pub ready_after: Duration,
    log: PathBuf,
}

impl Server {
    /// Spawns `oipd serve --data-dir DATA --bind 127.0.0.1:<free port>` (default settings
    /// otherwise), logging to `log`, and waits until `/api/health` answers 200.
    pub fn start(bin: &Path, data: &Path, log: &Path) -> anyhow::Result<Server> {
        Self::start_with(bin, data, log, &[], &[])
    }

    /// [`Server::start`] with extra `serve` arguments and environment variables.
    pub fn start_with(
        bin: &Path,
        data: &Path,
        log: &Path,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> anyhow::Result<Server> {
        let port = free_port()?;
        let addr = Local::port(port);
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let start = Instant::now();
        let child = Command::new(bin)
            .arg("serve")
            .arg("--data-dir")
            .arg(data)
            .arg("--bind")
            .arg(addr.authority())
            .args(args)
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .context("spawning oipd serve")?;
        let mut server = Server {
            child,
            addr,
            ready_after: Duration::ZERO,
            log: log.to_owned(),
        };
        server.ready_after = server.wait_ready(start)?;
        Ok(server)
    }

    fn wait_ready(&mut self, start: Instant) -> anyhow::Result<Duration> {
        while start.elapsed() < READY_TIMEOUT {
            if let Some(status) = self.child.try_wait()? {
                bail!("oipd serve exited with {status}; log:\n{}", self.log_tail());
            }
            if let Ok(r) = client::get(self.addr, "/api/health", 0) {
                if r.status == 200 {
                    return Ok(start.elapsed());
                }
            }
            std::thread::sleep(READY_POLL);
        }
        bail!(
            "oipd serve not ready after {READY_TIMEOUT:?}; log:\n{}",
            self.log_tail()
        )
    }

    /// The last lines of the server's log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        tail(&text, 2000).to_owned()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A `kB` field of the server's `/proc/<pid>/status`, e.g. `VmRSS` or `VmHWM`, in KiB.
    pub fn proc_kib(&self, field: &str) -> anyhow::Result<u64> {
        proc_kib(self.pid(), field)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Already exited is fine: either way the process is gone after `wait`.
        if let Err(e) = self.child.kill() {
            eprintln!("oipd-bench: killing oipd serve: {e}");
        }
        if let Err(e) = self.child.wait() {
            eprintln!("oipd-bench: waiting for oipd serve: {e}");
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// A `kB` field of `/proc/<pid>/status`, in KiB.
pub fn proc_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in {path}"))
}

type Samples = Arc<Mutex<Vec<(Duration, u64)>>>;

/// Reads a process's `VmRSS` every 100 ms on its own thread until dropped.
pub struct Sampler {
    start: Instant,
    stop: Arc<AtomicBool>,
    samples: Samples,
    thread: Option<JoinHandle<()>>,
}

impl Sampler {
    /// Starts sampling `pid`.
    pub fn spawn(pid: u32) -> Sampler {
        let start = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let samples: Samples = Arc::default();
        let thread = {
            let (stop, samples) = (stop.clone(), samples.clone());
            std::thread::spawn(move || {
                for _ in 0..MAX_SAMPLES {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let Ok(kib) = proc_kib(pid, "VmRSS") else {
                        return;
                    };
                    match samples.lock() {
                        Ok(mut s) => s.push((start.elapsed(), kib)),
                        Err(_) => return,
                    }
                    std::thread::sleep(SAMPLE_EVERY);
                }
            })
        };
        Sampler {
            start,
            stop,
            samples,
            thread: Some(thread),
        }
    }

    /// Time since the sampler started: the clock [`Sampler::max_between`] takes.
    pub fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// The largest sample taken in `from..=to`, in KiB.
    pub fn max_between(&self, from: Duration, to: Duration) -> Option<u64> {
        let samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        samples
            .iter()
            .filter(|(t, _)| (from..=to).contains(t))
            .map(|&(_, kib)| kib)
            .max()
    }

    /// The largest sample so far, in KiB.
    pub fn max(&self) -> Option<u64> {
        self.max_between(Duration::ZERO, self.now())
    }

    /// How many samples were taken.
    pub fn count(&self) -> usize {
        self.samples.lock().map_or(0, |s| s.len())
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                eprintln!("oipd-bench: the RSS sampler panicked");
            }
        }
    }
}

/// `oipd token ARGS…` signed with `secret` (the secret the benchmark's servers run with).
pub fn token(bin: &Path, secret: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(bin)
        .arg("token")
        .args(args)
        .env("OIPD_JWT_SECRET", secret)
        .output()
        .context("running oipd token")?;
    if !out.status.success() {
        bail!("oipd token: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}
