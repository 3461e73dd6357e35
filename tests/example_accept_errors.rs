//! The example axum server (`examples/shared`, `serve_axum_with`) out of
//! file descriptors: every `accept` fails (EMFILE) while connections wait
//! in the backlog. The loop must pause between attempts, not spin at 100%
//! CPU, and serve the waiting connections once descriptors are free again.
//! This file holds a single test: it lowers the process's descriptor limit.
#![cfg(target_os = "linux")]

#[path = "../examples/shared/mod.rs"]
mod shared;

use std::io::{Read, Write};
use std::time::Duration;

/// CPU time this process used so far (user + system): no descriptor needed.
fn cpu_seconds() -> f64 {
    // SAFETY: a zeroed rusage is a valid value, and the pointer is valid.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut usage), 0);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

fn open_descriptors() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

/// Sets the soft limit on open descriptors; returns the previous limits.
fn limit_descriptors(soft: u64) -> libc::rlimit {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid pointers to rlimit values.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut old), 0);
        let new = libc::rlimit {
            rlim_cur: soft,
            rlim_max: old.rlim_max,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &new), 0);
    }
    old
}

#[test]
fn out_of_descriptors_the_accept_loop_pauses_instead_of_spinning() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (mittr, mitpo) = shared::verifiers(
        &[shared::DEFAULT_MITTR_SECRET.to_owned()],
        &[shared::DEFAULT_MITPO_SECRET.to_owned()],
    )
    .unwrap();
    let app = shared::axum_receiver(mittr, mitpo);
    // Connections waiting in the backlog, then no descriptor left to accept them.
    let mut waiting: Vec<_> = (0..4)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    let previous = limit_descriptors(open_descriptors() + 16);
    let filler: Vec<_> = std::iter::from_fn(|| std::fs::File::open("/dev/null").ok()).collect();
    runtime.spawn(shared::serve_axum_with(
        listener,
        app,
        std::future::pending(),
        shared::ServeLimits::default(),
    ));
    std::thread::sleep(Duration::from_millis(200));
    let before = cpu_seconds();
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_seconds() - before;
    // Descriptors free again: the waiting connections are served.
    drop(filler);
    // SAFETY: a valid pointer to an rlimit value.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &previous) };
    assert!(
        used < 0.3,
        "the accept loop spun: {used:.2} s of CPU in 1 s"
    );
    let client = &mut waiting[0];
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    client
        .write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; 12];
    client.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 404");
}
