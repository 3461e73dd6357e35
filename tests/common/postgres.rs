//! A real PostgreSQL server on a free loopback port, in a cluster of its own
//! made by `initdb` in a fresh temporary directory, started and stopped by
//! the tests (the way `redis_server.rs` runs `redis-server`).
//!
//! Debian's `postgresql` package keeps `initdb`, `pg_ctl` and `postgres` in
//! `/usr/lib/postgresql/<version>/bin`, off `PATH`: the highest version found
//! there is used (`HOOKWARDEN_PG_BIN` names another directory). The package's
//! own cluster (port 5432) is never used or needed.
//!
//! `initdb` and `postgres` refuse to run as root: as root (CI), every server
//! command runs as the `postgres` user (`runuser -u postgres --`), and the
//! cluster's directory is handed to that user.
//!
//! The server keeps PostgreSQL's default durability (`fsync` on, synchronous
//! commits): what it acknowledged survives [`Postgres::restart_immediate`].
//! Only `initdb` runs with `--no-sync` (a fresh cluster has nothing to keep).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The command that installs what these tests need.
pub const INSTALL: &str = "apt-get install -y postgresql";

/// The environment variable that turns a missing PostgreSQL into a failure
/// (set by `.ci/run`).
pub const REQUIRE: &str = "HOOKWARDEN_REQUIRE_POSTGRES";

/// The directory holding `initdb`, `pg_ctl`, `postgres`, `pg_isready` and
/// `psql`, or why PostgreSQL cannot be run here (with the install command).
pub fn bin_dir() -> Result<PathBuf, String> {
    let dir = match std::env::var_os("HOOKWARDEN_PG_BIN") {
        Some(dir) => PathBuf::from(dir),
        None => highest_version_dir()
            .ok_or_else(|| format!("PostgreSQL is not installed ({INSTALL})"))?,
    };
    for tool in ["initdb", "pg_ctl", "postgres", "pg_isready", "psql"] {
        if !dir.join(tool).is_file() {
            return Err(format!(
                "{} has no {tool}: PostgreSQL is not fully installed ({INSTALL})",
                dir.display()
            ));
        }
    }
    if as_root() {
        let user = Command::new("id")
            .args(["-u", "postgres"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !user.is_ok_and(|s| s.success()) {
            return Err(format!(
                "running as root, PostgreSQL must run as the `postgres` user, which does not exist ({INSTALL} creates it)"
            ));
        }
        if !Path::new("/usr/sbin/runuser").exists() && !Path::new("/sbin/runuser").exists() {
            return Err(
                "running as root, `runuser` (util-linux) is needed to run PostgreSQL as `postgres`"
                    .into(),
            );
        }
    }
    Ok(dir)
}

/// `None` when PostgreSQL can be run here; otherwise why not, with the
/// command that installs it (the tests are then shown as ignored).
pub fn missing() -> Option<String> {
    bin_dir().err()
}

/// Why PostgreSQL cannot run here (its `what` are then reported ignored),
/// or `None`; exits with a failure instead where it is required
/// ([`REQUIRE`]).
pub fn missing_unless_required(what: &str) -> Option<String> {
    let why = missing()?;
    if std::env::var_os(REQUIRE).is_some() {
        eprintln!("PostgreSQL is required here ({REQUIRE}): {why}");
        std::process::exit(1);
    }
    println!("{why}: {what} are ignored");
    Some(why)
}

/// Whether PostgreSQL can be run here.
pub fn available() -> bool {
    missing().is_none()
}

/// `/usr/lib/postgresql/<highest version>/bin`, if any.
fn highest_version_dir() -> Option<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    std::fs::read_dir(root)
        .ok()?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let version: Vec<u32> = name
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<_>>()?;
            let bin = root.join(&name).join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, bin)| bin)
}

fn as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running PostgreSQL server with a cluster of its own; stopped (an
/// immediate shutdown) and its directory removed when dropped.
pub struct Postgres {
    bin: PathBuf,
    /// Holds `data/` (the cluster), `socket/` and `server.log`.
    dir: PathBuf,
    port: u16,
    root: bool,
    /// Extra `-c name=value` settings given to every start.
    settings: Vec<String>,
    running: bool,
}

impl Postgres {
    /// A new cluster on a free port, with the server's default settings.
    /// Panics (with the install command) where PostgreSQL cannot be run:
    /// check [`available`] first.
    pub fn start() -> Postgres {
        Self::start_with(&[])
    }

    /// As [`start`](Self::start), with extra server settings
    /// (`"name=value"`, each passed as `-c name=value`).
    pub fn start_with(settings: &[&str]) -> Postgres {
        let bin = bin_dir().unwrap_or_else(|why| panic!("{why}"));
        let root = as_root();
        let dir = std::env::temp_dir().join(format!(
            "hookwarden-pg-{}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("socket")).unwrap();
        let mut server = Postgres {
            bin,
            dir,
            port: 0,
            root,
            settings: settings.iter().map(|s| s.to_string()).collect(),
            running: false,
        };
        if root {
            server.hand_to_postgres_user();
        }
        server.initdb();
        // The port is free when picked but may be taken before the server
        // binds it: a few tries on fresh ports.
        let mut last = String::new();
        for _ in 0..5 {
            server.port = free_port();
            match server.try_start() {
                Ok(()) => return server,
                Err(why) if why.contains("could not bind") || why.contains("in use") => last = why,
                Err(why) => panic!("{why}"),
            }
        }
        panic!("PostgreSQL found no free port: {last}");
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The TCP port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Stops it as a crash would (`pg_ctl stop -m immediate`: no checkpoint,
    /// connections cut) and starts it again on the same port and data:
    /// recovery replays the WAL, so every acknowledged commit is kept.
    pub fn restart_immediate(&mut self) {
        self.restart_after(Duration::ZERO);
    }

    /// As [`restart_immediate`](Self::restart_immediate), down for `down`.
    pub fn restart_after(&mut self, down: Duration) {
        self.stop();
        std::thread::sleep(down);
        self.try_start().unwrap_or_else(|why| panic!("{why}"));
    }

    /// Stops it immediately (`pg_ctl stop -m immediate`); [`start_again`]
    /// brings it back.
    ///
    /// [`start_again`]: Self::start_again
    pub fn stop(&mut self) {
        if !self.running {
            return;
        }
        let data = self.data_dir();
        let out = self.server_command("pg_ctl", |c| {
            c.arg("stop")
                .arg("-D")
                .arg(&data)
                .args(["-m", "immediate", "-w", "-t", "30"]);
        });
        self.running = false;
        assert!(
            out.status.success(),
            "pg_ctl stop failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts a stopped server again, on the same port and data.
    pub fn start_again(&mut self) {
        self.try_start().unwrap_or_else(|why| panic!("{why}"));
    }

    /// Runs `sql` through `psql` (as the `postgres` role, over TCP) and
    /// returns what it printed, unaligned and without headers.
    pub fn psql(&self, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres"])
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-c")
            .arg(sql)
            .env("PGCONNECT_TIMEOUT", "10")
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql failed on {sql:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Terminates every client connection but the one doing it
    /// (`pg_terminate_backend`), as an administrator or a failover would;
    /// returns how many were terminated.
    pub fn terminate_connections(&self) -> usize {
        self.psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
        )
        .parse()
        .expect("a count")
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    fn hand_to_postgres_user(&self) {
        let out = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&self.dir)
            .output()
            .expect("chown runs");
        assert!(
            out.status.success(),
            "chown of {} to postgres failed: {}",
            self.dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn initdb(&self) {
        let data = self.data_dir();
        let out = self.server_command("initdb", |c| {
            c.arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8"])
                .args(["--no-sync", "--no-instructions"]);
        });
        assert!(
            out.status.success(),
            "initdb failed{}: {}{}",
            if self.root {
                " (as the postgres user: it needs to reach the temporary directory)"
            } else {
                ""
            },
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn try_start(&mut self) -> Result<(), String> {
        let log_before = self.log().len();
        let mut options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {}",
            self.port,
            self.dir.join("socket").display()
        );
        for setting in &self.settings {
            options.push_str(" -c ");
            options.push_str(setting);
        }
        let data = self.data_dir();
        let log = self.dir.join("server.log");
        let out = self.server_command("pg_ctl", |c| {
            c.arg("start")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .arg("-o")
                .arg(&options)
                .args(["-w", "-t", "60"]);
        });
        if !out.status.success() {
            // pg_ctl may leave a postmaster that never became ready.
            let _ = self.server_command("pg_ctl", |c| {
                c.arg("stop").arg("-D").arg(&data).args(["-m", "immediate"]);
            });
            let log = self.log();
            return Err(format!(
                "PostgreSQL did not start on port {}: {}\n{}",
                self.port,
                String::from_utf8_lossy(&out.stderr),
                log.get(log_before..).unwrap_or(&log)
            ));
        }
        self.running = true;
        self.wait_until_ready()
    }

    /// `pg_ctl -w` waits for the postmaster; this also waits until it takes
    /// connections on the TCP port.
    fn wait_until_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-t", "2"])
                .arg("-p")
                .arg(self.port.to_string())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "PostgreSQL on port {} is not accepting connections:\n{}",
                    self.port,
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs one of the server's tools, as `postgres` when running as root.
    fn server_command(&self, tool: &str, args: impl FnOnce(&mut Command)) -> Output {
        let program = self.bin.join(tool);
        let mut command = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        args(&mut command);
        // A working directory the server's user can enter (not root's home).
        command
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.running {
            let data = self.data_dir();
            let _ = self.server_command("pg_ctl", |c| {
                c.arg("stop")
                    .arg("-D")
                    .arg(&data)
                    .args(["-m", "immediate", "-w", "-t", "30"]);
            });
            self.running = false;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
