//! A minimal HTTP/1.1 client over `std::net::TcpStream`, for talking to the local server only.
//!
//! Owns: one `GET` per connection (`Connection: close`), the status line, and the body read to
//! its end with its size counted as payload bytes: a `Transfer-Encoding: chunked` body is
//! de-chunked (chunk-size lines and CRLFs are not counted), a `Content-Length` body is checked
//! against its length. Must not: connect anywhere but 127.0.0.1 ([`Local`] has no other
//! constructor) or wait forever (every socket has a read and write timeout).

use anyhow::{bail, Context};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// Longest a single read or write may block: a stalled server fails the run instead of hanging.
const IO_TIMEOUT: Duration = Duration::from_secs(120);
/// Header lines accepted before giving up (the server sends about ten).
const MAX_HEADER_LINES: usize = 100;

/// The server's address: always 127.0.0.1.
#[derive(Clone, Copy, Debug)]
pub struct Local(SocketAddr);

impl Local {
    /// `127.0.0.1:port`.
    pub fn port(port: u16) -> Local {
        Local(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
    }

    /// `127.0.0.1:port` as text.
    pub fn authority(&self) -> String {
        self.0.to_string()
    }
}

/// What came back from one request.
pub struct Response {
    /// The status code from the status line.
    pub status: u16,
    /// Payload bytes of the body (after de-chunking).
    pub body_bytes: u64,
    /// The first `keep` bytes of the body (see [`get`]).
    pub body: Vec<u8>,
    /// The last [`TAIL`] bytes of the body (or all of it, if shorter).
    pub tail: Vec<u8>,
}

/// Bytes of a body's end kept in [`Response::tail`]: enough for the envelope's closing members.
pub const TAIL: usize = 4096;

/// Counts everything written and keeps the first `limit` bytes and the last [`TAIL`].
struct Sink {
    bytes: u64,
    kept: Vec<u8>,
    limit: usize,
    tail: Vec<u8>,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len() as u64;
        let room = self.limit.saturating_sub(self.kept.len()).min(buf.len());
        self.kept
            .extend_from_slice(buf.get(..room).unwrap_or_default());
        let last = buf
            .get(buf.len().saturating_sub(TAIL)..)
            .unwrap_or_default();
        let keep_old = (TAIL - last.len()).min(self.tail.len());
        self.tail.drain(..self.tail.len() - keep_old);
        self.tail.extend_from_slice(last);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A connection to the server with the I/O timeouts set.
fn connect(addr: Local) -> anyhow::Result<TcpStream> {
    let socket = TcpStream::connect(addr.0)
        .with_context(|| format!("connecting to {}", addr.authority()))?;
    socket.set_read_timeout(Some(IO_TIMEOUT))?;
    socket.set_write_timeout(Some(IO_TIMEOUT))?;
    socket.set_nodelay(true)?;
    Ok(socket)
}

/// Connects and sends `GET path` with `Connection: close`.
pub fn send(addr: Local, path: &str) -> anyhow::Result<TcpStream> {
    send_as(addr, path, None)
}

/// [`send`] with an optional bearer token.
fn send_as(addr: Local, path: &str, token: Option<&str>) -> anyhow::Result<TcpStream> {
    let mut socket = connect(addr)?;
    let host = addr.authority();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        socket,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nUser-Agent: oipd-bench\r\n{auth}\r\n"
    )
    .with_context(|| format!("sending GET {path}"))?;
    Ok(socket)
}

/// `POST path` with a JSON `body` and a bearer `token`, keeping the reply's first `keep` bytes.
pub fn post(
    addr: Local,
    path: &str,
    token: &str,
    body: &[u8],
    keep: usize,
) -> anyhow::Result<Response> {
    let mut socket = connect(addr)?;
    let host = addr.authority();
    write!(
        socket,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nUser-Agent: oipd-bench\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )?;
    socket
        .write_all(body)
        .with_context(|| format!("sending POST {path}"))?;
    read_response(socket, path, keep)
}

/// `GET path`, reading the whole body and keeping its first `keep` bytes.
pub fn get(addr: Local, path: &str, keep: usize) -> anyhow::Result<Response> {
    read_response(send(addr, path)?, path, keep)
}

/// Reads a response from `socket` to its end, keeping the body's first `keep` bytes.
fn read_response(socket: TcpStream, path: &str, keep: usize) -> anyhow::Result<Response> {
    let mut reader = BufReader::with_capacity(64 * 1024, socket);
    let head = read_head(&mut reader).with_context(|| format!("reading the head of GET {path}"))?;
    let mut sink = Sink {
        bytes: 0,
        kept: Vec::new(),
        limit: keep,
        tail: Vec::with_capacity(TAIL),
    };
    let body = if head.chunked {
        read_chunked(&mut reader, &mut sink)
    } else if let Some(len) = head.content_length {
        let n = std::io::copy(&mut (&mut reader).take(len), &mut sink)?;
        if n != len {
            bail!("body ended after {n} of {len} bytes");
        }
        Ok(())
    } else {
        std::io::copy(&mut reader, &mut sink).map(drop)
    };
    body.with_context(|| format!("reading the body of GET {path} after {} bytes", sink.bytes))?;
    Ok(Response {
        status: head.status,
        body_bytes: sink.bytes,
        body: sink.kept,
        tail: sink.tail,
    })
}

/// `GET path` expecting 200 and a JSON body (at most 16 MiB).
pub fn get_json(addr: Local, path: &str) -> anyhow::Result<serde_json::Value> {
    get_json_as(addr, path, None)
}

/// [`get_json`] with an optional bearer token.
pub fn get_json_as(
    addr: Local,
    path: &str,
    token: Option<&str>,
) -> anyhow::Result<serde_json::Value> {
    let response = read_response(send_as(addr, path, token)?, path, 16 << 20)?;
    if response.status != 200 {
        bail!(
            "GET {path}: status {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
    }
    serde_json::from_slice(&response.body).with_context(|| format!("GET {path}: body is not JSON"))
}

struct Head {
    status: u16,
    chunked: bool,
    content_length: Option<u64>,
}

fn read_head(reader: &mut impl BufRead) -> anyhow::Result<Head> {
    let status_line = read_line(reader)?;
    let status = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse::<u16>().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let mut head = Head {
        status,
        chunked: false,
        content_length: None,
    };
    for _ in 0..MAX_HEADER_LINES {
        let line = read_line(reader)?;
        if line.is_empty() {
            return Ok(head);
        }
        let Some((name, value)) = line.split_once(':') else {
            bail!("bad header line {line:?}");
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            head.content_length = Some(value.parse().context("bad Content-Length")?);
        }
    }
    bail!("more than {MAX_HEADER_LINES} header lines")
}

/// One CRLF-terminated line without its terminator; EOF is an error.
fn read_line(reader: &mut impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        bail!("connection closed mid-message");
    }
    line.truncate(line.trim_end_matches(['\r', '\n']).len());
    Ok(line)
}

/// De-chunks a body into `sink`; ends at the zero-size chunk and its (empty) trailer. Every
/// iteration consumes input, so EOF or the read timeout ends a broken stream.
fn read_chunked(reader: &mut impl BufRead, sink: &mut Sink) -> std::io::Result<()> {
    let bad = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    loop {
        let line = read_line(reader).map_err(|e| bad(e.to_string()))?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size_text, 16)
            .map_err(|_| bad(format!("bad chunk size line {line:?}")))?;
        if size == 0 {
            for _ in 0..MAX_HEADER_LINES {
                if read_line(reader)
                    .map_err(|e| bad(e.to_string()))?
                    .is_empty()
                {
                    return Ok(());
                }
            }
            return Err(bad("endless trailer".into()));
        }
        let n = std::io::copy(&mut reader.by_ref().take(size), sink)?;
        if n != size {
            return Err(bad(format!("chunk ended after {n} of {size} bytes")));
        }
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
        if &crlf != b"\r\n" {
            return Err(bad("chunk not followed by CRLF".into()));
        }
    }
}

/// Percent-encodes a query value (unreserved characters pass through).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
