//! A TCP proxy on loopback that forwards both ways and can hold the
//! server's answers back for a while: a store that answers late.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy to `target`.
pub struct DelayProxy {
    pub addr: SocketAddr,
    /// Milliseconds to hold the next answer back (then 0 again).
    delay_next: Arc<AtomicU64>,
}

impl DelayProxy {
    pub async fn start(target: SocketAddr) -> DelayProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let delay_next = Arc::new(AtomicU64::new(0));
        let delay = delay_next.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(target).await else {
                    continue;
                };
                tokio::spawn(pipe(client, server, delay.clone()));
            }
        });
        DelayProxy { addr, delay_next }
    }

    /// Holds the server's next answer back by `delay` (what follows waits
    /// behind it, as on a slow link).
    pub fn delay_next_answer(&self, delay: Duration) {
        self.delay_next
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        format!("redis://{}/", self.addr)
    }
}

async fn pipe(client: TcpStream, server: TcpStream, delay: Arc<AtomicU64>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    };
    let downstream = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let hold = delay.swap(0, Ordering::SeqCst);
            if hold > 0 {
                tokio::time::sleep(Duration::from_millis(hold)).await;
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    tokio::join!(upstream, downstream);
}
