//! Process exit: flush and close every live client so a normal exit loses nothing and ends open
//! runs as MLflow does at interpreter exit — bounded by each client's close timeout, so exit
//! never hangs.

use std::sync::{Mutex, Once};

use crate::client::WeakClient;

static CLIENTS: Mutex<Vec<WeakClient>> = Mutex::new(Vec::new());
static INSTALL: Once = Once::new();

/// Remembers a client for the exit handler (installing the handler the first time).
pub(crate) fn register(client: WeakClient) {
    INSTALL.call_once(|| {
        // SAFETY: `at_exit` is an `extern "C" fn()` that never unwinds (see below).
        unsafe {
            libc::atexit(at_exit);
        }
    });
    if let Ok(mut clients) = CLIENTS.lock() {
        clients.retain(|c| c.strong_count() > 0);
        clients.push(client);
    }
}

extern "C" fn at_exit() {
    // A panic must not unwind into libc's exit path.
    let _ = std::panic::catch_unwind(|| {
        let clients: Vec<WeakClient> = match CLIENTS.lock() {
            Ok(mut c) => std::mem::take(&mut *c),
            Err(_) => return,
        };
        for client in clients.iter().filter_map(|c| c.upgrade()) {
            let timeout = client_close_timeout(&client);
            let report = client.close(timeout);
            if let Some(e) = crate::client::close_report_error(&report) {
                eprintln!("libmlflow: at exit: {}", e.message());
            }
        }
    });
}

fn client_close_timeout(client: &crate::client::ClientInner) -> std::time::Duration {
    client.close_timeout()
}
