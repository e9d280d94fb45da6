//! Which SQLite the core runs on, so the Python layer can check it is the very library Python's
//! `sqlite3` module (MLflow's store) uses: two SQLite copies in one process that open the same
//! database file do not see each other's POSIX locks, and closing the file in one drops the
//! other's locks (https://www.sqlite.org/howtocorrupt.html, section 2.2).

/// The SQLite version the core calls into at run time (`sqlite3_libversion()`), e.g. "3.40.1".
#[uniffi::export]
pub fn sqlite_library_version() -> String {
    rusqlite::version().to_string()
}

/// The address `sqlite3_libversion` has for the core: which mapped image holds it tells whether
/// the core's SQLite is the system library or a copy compiled into this module.
#[uniffi::export]
pub fn sqlite_library_address() -> u64 {
    rusqlite::ffi::sqlite3_libversion as *const () as usize as u64
}

/// Takes SQLite's allocator mutex; called just before fork() so the child does not inherit it
/// locked. A SQLite that counts memory (the system library does; the bundled one is compiled
/// without it) takes that process-wide mutex on every allocation, so a fork() while the writer
/// thread allocates left the child blocked forever in its first SQLite call. The mutex is a leaf
/// (SQLite takes no other mutex while holding it), so waiting for it here cannot deadlock.
#[uniffi::export]
pub fn sqlite_hold_allocator() {
    // SAFETY: static mutexes need no initialization beyond what sqlite3_mutex_alloc does; NULL
    // (single-thread mode) is accepted by enter/leave as a no-op.
    unsafe { rusqlite::ffi::sqlite3_mutex_enter(allocator_mutex()) }
}

/// Releases what `sqlite_hold_allocator` took, after fork() in the parent and in the child.
#[uniffi::export]
pub fn sqlite_release_allocator() {
    // SAFETY: as above; the same thread that took the mutex (the forking one) releases it.
    unsafe { rusqlite::ffi::sqlite3_mutex_leave(allocator_mutex()) }
}

fn allocator_mutex() -> *mut rusqlite::ffi::sqlite3_mutex {
    // SAFETY: SQLITE_MUTEX_STATIC_MEM names a static mutex; nothing is allocated.
    unsafe { rusqlite::ffi::sqlite3_mutex_alloc(rusqlite::ffi::SQLITE_MUTEX_STATIC_MEM) }
}
