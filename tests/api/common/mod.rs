//! Test harness: a real `oipd serve` on a loopback port with a temp data dir, plus CLI helpers.

pub mod corpus;
pub mod expect;
pub mod fixture;
pub mod gateway;
pub mod node;

use serde_json::Value;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A token for `public_key` signed with [`SECRET`], valid for an hour (or expired a minute ago).
pub fn token(public_key: &str, calendar: bool, expired: bool) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = oipd::auth::Claims {
        public_key: Some(public_key.into()),
        email: Some(format!("{}@example.org", &public_key[..6])),
        user_id: Some(format!("user-{}", &public_key[..6])),
        scope: calendar.then(|| oipd::auth::CALENDAR_SCOPE.into()),
        token_type: calendar.then(|| "calendar".into()),
        exp: if expired { now - 60 } else { now + 3600 },
        iat: now - 120,
        ..Default::default()
    };
    oipd::auth::mint(&claims, &oipd::auth::JwtSecret::new(SECRET.into())).unwrap()
}

/// The `oipd` binary under test.
pub fn oipd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_oipd"))
}

/// Writes `records` as NDJSON into `dir/name` and returns the path.
pub fn write_ndjson(dir: &Path, name: &str, records: &[Value]) -> PathBuf {
    let path = dir.join(name);
    let mut text = String::new();
    for r in records {
        text.push_str(&serde_json::to_string(r).unwrap());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `oipd import --data-dir DIR FILES…`.
pub fn import(data_dir: &Path, files: &[&Path]) -> Output {
    let out = oipd()
        .arg("import")
        .arg("--data-dir")
        .arg(data_dir)
        .args(files)
        .output()
        .unwrap();
    out
}

/// A running server; killed and cleaned up on drop.
pub struct TestServer {
    child: Child,
    /// Base URL, `http://127.0.0.1:PORT`.
    pub base: String,
    /// The temp dir holding the data dir: removed when the server is dropped.
    dir: Option<tempfile::TempDir>,
    /// The data dir.
    pub data: PathBuf,
}

/// The secret test servers sign tokens with.
pub const SECRET: &str = "test-secret-0123456789";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl TestServer {
    /// Imports `records` into a fresh data dir and serves it with `args`.
    pub fn start(records: &[Value], args: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        if !records.is_empty() {
            let file = write_ndjson(dir.path(), "fixture.ndjson", records);
            let out = import(&data, &[&file]);
            assert!(
                out.status.success(),
                "import failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Self::serve(dir, &data, args)
    }

    /// Serves an existing data dir.
    pub fn serve(dir: tempfile::TempDir, data: &Path, args: &[&str]) -> TestServer {
        Self::serve_env(dir, data, args, &[])
    }

    /// Serves an existing data dir with extra environment variables.
    pub fn serve_env(
        dir: tempfile::TempDir,
        data: &Path,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> TestServer {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let child = oipd()
            .arg("serve")
            .arg("--data-dir")
            .arg(data)
            .args(["--bind", &format!("127.0.0.1:{port}"), "--workers", "2"])
            .args(args)
            .env("RUST_LOG", "warn")
            .env("TMPDIR", dir.path())
            .env_remove("OIPD_JWT_SECRET")
            .env_remove("JWT_SECRET")
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("server.log")).unwrap())
            .spawn()
            .unwrap();
        let server = TestServer {
            child,
            base,
            dir: Some(dir),
            data: data.to_path_buf(),
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if ureq::get(&self.url("/api/health")).call().is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not become ready");
    }

    /// What the server has logged so far (stderr, `RUST_LOG=warn`).
    pub fn log(&self) -> String {
        let dir = self.dir.as_ref().unwrap();
        std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default()
    }

    /// Kills the server with SIGKILL (no shutdown of any kind) and hands back its temp dir.
    pub fn crash(mut self) -> tempfile::TempDir {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.dir.take().unwrap()
    }

    /// `base + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET → (status, content type, body bytes) with optional extra headers.
    pub fn get_raw(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
        let mut req = ureq::get(&self.url(path));
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let resp = match req.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {path}: {e}"),
        };
        let status = resp.status();
        let ctype = resp.header("content-type").unwrap_or("").to_owned();
        let mut body = Vec::new();
        resp.into_reader().read_to_end(&mut body).unwrap();
        (status, ctype, body)
    }

    /// GET → (status, JSON body).
    pub fn get(&self, path: &str) -> (u16, Value) {
        self.get_as(path, None)
    }

    /// GET with an optional bearer token → (status, JSON body).
    pub fn get_as(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        let (status, _, body) = self.get_raw(path, &headers);
        let value = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "GET {path}: body is not JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        });
        (status, value)
    }

    /// A request with any method → (status, JSON body or Null).
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        self.request_as(method, path, body, None)
    }

    /// A request with an optional bearer token → (status, JSON body or Null).
    pub fn request_as(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        token: Option<&str>,
    ) -> (u16, Value) {
        let mut req = ureq::request(method, &self.url(path));
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        let result = match body {
            Some(b) => req.set("content-type", "application/json").send_string(b),
            None => req.call(),
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = resp.status();
        let text = resp.into_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A field of `/proc/PID/status` in KiB (`VmRSS`, `VmHWM`).
    pub fn proc_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // The server may already have exited; either way it must not outlive the test.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The stdout of a command that must have succeeded (its stderr is the failure message).
pub fn stdout_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// `oipd export` of the store in `data`, as the text it writes: byte-for-byte what a store holds.
pub fn export_text(data: &Path) -> String {
    stdout_of(
        &oipd()
            .args(["export", "--data-dir"])
            .arg(data)
            .output()
            .unwrap(),
    )
}

/// A replicate-scope token (`oipd token --scope replicate`) signed with [`SECRET`].
pub fn replicate_token() -> String {
    let out = oipd()
        .args(["token", "--scope", "replicate", "--jwt-secret", SECRET])
        .output()
        .unwrap();
    stdout_of(&out).trim().to_owned()
}
