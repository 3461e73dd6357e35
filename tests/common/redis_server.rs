//! A real `redis-server` on a free loopback port, started and stopped by the
//! tests (and the Redis benchmark), optionally with persistence so that it
//! can be restarted with its data.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether `redis-server` can be run here.
pub fn available() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `redis-server`; stopped when dropped.
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    /// With persistence: the directory holding its append-only file.
    dir: Option<PathBuf>,
}

impl RedisServer {
    /// Without persistence, on a free port.
    pub fn start() -> RedisServer {
        Self::launch(free_port(), None)
    }

    /// With an append-only file fsynced on every write, on a free port:
    /// what it acknowledged survives [`restart`](Self::restart).
    pub fn start_persistent() -> RedisServer {
        let dir = std::env::temp_dir().join(format!(
            "hookwarden-redis-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self::launch(free_port(), Some(dir))
    }

    fn launch(port: u16, dir: Option<PathBuf>) -> RedisServer {
        let mut args = vec![
            "--port".to_owned(),
            port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--save".into(),
            String::new(),
        ];
        match &dir {
            Some(dir) => args.extend([
                "--appendonly".into(),
                "yes".into(),
                "--appendfsync".into(),
                "always".into(),
                "--dir".into(),
                dir.display().to_string(),
            ]),
            None => args.extend(["--appendonly".into(), "no".into()]),
        }
        let child = Command::new("redis-server")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts (apt-get install -y redis-server)");
        let server = RedisServer {
            child: Some(child),
            port,
            dir,
        };
        server.wait_until_up();
        server
    }

    fn wait_until_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (as a crash would: no save on the way out).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills and starts it again on the same port (and data directory).
    pub fn restart(&mut self) {
        self.restart_after(Duration::ZERO);
    }

    /// Kills it, leaves it down for `down`, and starts it again.
    pub fn restart_after(&mut self, down: Duration) {
        self.kill();
        std::thread::sleep(down);
        let again = Self::launch(self.port, self.dir.clone());
        self.child = again.into_child();
    }

    fn into_child(mut self) -> Option<Child> {
        self.dir = None;
        self.child.take()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
