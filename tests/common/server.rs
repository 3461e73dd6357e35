//! A real HTTP/1.1 server on 127.0.0.1 that counts the bytes it reads, and
//! real clients: hyper's for well-formed requests, raw TCP for lies.
#![allow(dead_code)]

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A running test server.
pub struct TestServer {
    pub addr: SocketAddr,
    read: Arc<AtomicU64>,
}

impl TestServer {
    /// Bytes the server has read from all its connections so far.
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::SeqCst)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Serves `service` (an axum `Router`, or any tower service) on 127.0.0.1:0.
pub async fn serve<S, B>(service: S) -> TestServer
where
    S: tower::Service<Request<hyper::body::Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let read = Arc::new(AtomicU64::new(0));
    let counter = read.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let io = TokioIo::new(Counting {
                inner: stream,
                read: counter.clone(),
            });
            let service = hyper_util::service::TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    TestServer { addr, read }
}

/// A TCP stream that counts the bytes read from it.
struct Counting {
    inner: TcpStream,
    read: Arc<AtomicU64>,
}

impl AsyncRead for Counting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = (buf.filled().len() - before) as u64;
        self.read.fetch_add(n, Ordering::SeqCst);
        result
    }
}

impl AsyncWrite for Counting {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// An HTTP/1.1 client (hyper's, pooled).
pub type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A response, read to the end.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// The `error` code of a JSON rejection.
    pub fn code(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

/// POSTs `body` with `headers` to `url`.
pub async fn post(
    client: &HttpClient,
    url: &str,
    headers: &http::HeaderMap,
    body: impl Into<Bytes>,
) -> Reply {
    let mut request = Request::post(url).body(Full::new(body.into())).unwrap();
    request.headers_mut().extend(headers.clone());
    let response = client.request(request).await.expect("request sent");
    let (parts, body) = response.into_parts();
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: body.collect().await.expect("response body").to_bytes(),
    }
}

/// Writes `head` then `body` over a raw TCP connection (in the background,
/// ignoring a server that stops reading or closes), and returns the status
/// line's code and the response bytes read until the server closes or
/// `Connection: close` arrives.
pub async fn raw_exchange(
    addr: SocketAddr,
    head: String,
    body: Vec<u8>,
    shutdown: bool,
) -> (u16, String) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        if writer.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for chunk in body.chunks(64 * 1024) {
            if writer.write_all(chunk).await.is_err() {
                return;
            }
        }
        if shutdown {
            let _ = writer.shutdown().await;
        }
        // Keep the write half open until the reader is done.
        std::future::pending::<()>().await;
    });
    let response = read_response(&mut reader).await;
    writing.abort();
    parse_status(&response)
}

/// Reads a response until it is complete, the server closes, or 10 s pass.
async fn read_response(reader: &mut tokio::net::tcp::OwnedReadHalf) -> Vec<u8> {
    let mut response = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, reader.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => response.extend_from_slice(&buf[..n]),
        }
        if complete_response(&response) {
            break;
        }
    }
    response
}

/// The status code of a raw response (0 when there is none) and its text.
fn parse_status(response: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// Whether `bytes` hold a whole response with a `Content-Length` body.
fn complete_response(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some(end) = text.find("\r\n\r\n") else {
        return false;
    };
    let head = text[..end].to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    matches!(len, Some(len) if bytes.len() >= end + 4 + len)
}

/// A request head for a raw exchange.
pub fn raw_head(path: &str, headers: &http::HeaderMap, extra: &str) -> String {
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str(extra);
    head.push_str("\r\n");
    head
}

/// Like [`raw_exchange`], but the client socket has a small send buffer and
/// writes 4 KiB at a time, and the bytes the kernel accepted are counted: the
/// server cannot have read more than that.
pub async fn raw_exchange_measured(
    addr: SocketAddr,
    head: String,
    body: Vec<u8>,
) -> (u16, String, u64) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_send_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    socket.set_nonblocking(true).unwrap();
    let stream = TcpStream::from_std(socket.into()).unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let written = Arc::new(AtomicU64::new(0));
    let counter = written.clone();
    let writing = tokio::spawn(async move {
        if writer.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for chunk in body.chunks(4096) {
            match writer.write(chunk).await {
                Ok(n) => {
                    counter.fetch_add(n as u64, Ordering::SeqCst);
                    if n < chunk.len() && writer.write_all(&chunk[n..]).await.is_ok() {
                        counter.fetch_add((chunk.len() - n) as u64, Ordering::SeqCst);
                    }
                }
                Err(_) => return,
            }
        }
        std::future::pending::<()>().await;
    });
    let response = read_response(&mut reader).await;
    // Let the writer run into the closed connection.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    writing.abort();
    let (status, text) = parse_status(&response);
    (status, text, written.load(Ordering::SeqCst))
}

/// `body` in HTTP/1.1 chunked transfer encoding, `piece` bytes per chunk.
pub fn chunked(body: &[u8], piece: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in body.chunks(piece) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}
