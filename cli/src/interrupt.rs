//! Ctrl-C (SIGINT) and SIGTERM while a project runs: the entry point runs in a process group of
//! its own, so the terminal's signal reaches only this program, which must cancel the run (the
//! run is then ended KILLED) rather than die and leave it RUNNING. The handler only records the
//! signal; the waiting loop acts on it.

use std::sync::atomic::{AtomicI32, Ordering};

/// The last signal received (0: none).
static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn record(signal: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    RECEIVED.store(signal, Ordering::SeqCst);
}

/// Replaces the default action of SIGINT and SIGTERM (terminate) by recording them.
pub fn install() -> Result<(), String> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `record` is async-signal-safe (one atomic store) and lives for the whole program.
        let previous = unsafe { libc::signal(signal, record as extern "C" fn(libc::c_int) as libc::sighandler_t) };
        if previous == libc::SIG_ERR {
            return Err(format!("cannot handle signal {signal}: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

/// The signal received since `install` (SIGINT or SIGTERM), if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}
