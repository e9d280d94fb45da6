//! `sqlite3_set_clientdata` for a system SQLite older than 3.44, where it does not exist.
//!
//! rusqlite 0.41 calls it on every connection (even `busy_timeout` clears the busy handler's
//! client data through it), so the wheel, which links the system libsqlite3 to share it with
//! Python's `sqlite3` module, would not even load on Debian 12 (SQLite 3.40). This definition
//! lives in the native module and is what the module's own calls bind to: it forwards to the
//! system library's function when that has one, and otherwise keeps the client data itself.
//! Compiled only when SQLite is linked, not bundled (build.rs sets `sqlite_linked`): the
//! bundled SQLite defines the real function.

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::{Mutex, OnceLock};

use rusqlite::ffi;

type Destructor = Option<unsafe extern "C" fn(*mut c_void)>;
type SetClientdata = unsafe extern "C" fn(*mut ffi::sqlite3, *const c_char, *mut c_void, Destructor) -> c_int;

/// The system SQLite's own `sqlite3_set_clientdata`, if it has one (3.44+): the next definition
/// after this module's in the lookup order.
fn system_set_clientdata() -> Option<SetClientdata> {
    static FOUND: OnceLock<Option<usize>> = OnceLock::new();
    let address = *FOUND.get_or_init(|| {
        // SAFETY: dlsym with a NUL-terminated name; RTLD_NEXT is valid from a shared object.
        let symbol = unsafe { libc::dlsym(libc::RTLD_NEXT, c"sqlite3_set_clientdata".as_ptr()) };
        (!symbol.is_null()).then_some(symbol as usize)
    });
    // SAFETY: the symbol is SQLite's sqlite3_set_clientdata, whose C signature SetClientdata is.
    address.map(|a| unsafe { std::mem::transmute::<usize, SetClientdata>(a) })
}

struct ClientData {
    data: usize,
    destructor: Destructor,
}

/// Client data by (connection, name), for a SQLite without its own store of it.
fn table() -> &'static Mutex<HashMap<(usize, CString), ClientData>> {
    static TABLE: OnceLock<Mutex<HashMap<(usize, CString), ClientData>>> = OnceLock::new();
    TABLE.get_or_init(Mutex::default)
}

/// SQLite's `sqlite3_set_clientdata` (https://www.sqlite.org/c3ref/get_clientdata.html): attaches
/// `data` to connection `db` under `name`, running the destructor of what it replaces. Without the
/// system function, data outlives its connection (SQLite would destroy it at close): only the
/// callbacks of rusqlite hooks are ever stored, and the core sets none (only `busy_timeout`,
/// which stores nothing).
///
/// # Safety
/// `db` is an open connection and `name` a NUL-terminated string, as SQLite requires.
#[no_mangle]
pub unsafe extern "C" fn sqlite3_set_clientdata(
    db: *mut ffi::sqlite3,
    name: *const c_char,
    data: *mut c_void,
    destructor: Destructor,
) -> c_int {
    if let Some(system) = system_set_clientdata() {
        return system(db, name, data, destructor);
    }
    if db.is_null() || name.is_null() {
        return ffi::SQLITE_MISUSE;
    }
    let key = (db as usize, CStr::from_ptr(name).to_owned());
    let replaced = {
        let mut table = table().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if data.is_null() {
            table.remove(&key)
        } else {
            table.insert(key, ClientData { data: data as usize, destructor })
        }
    };
    if let Some(ClientData { data, destructor: Some(destroy) }) = replaced {
        destroy(data as *mut c_void);
    }
    ffi::SQLITE_OK
}
