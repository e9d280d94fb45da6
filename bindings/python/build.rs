//! Tells the crate whether SQLite is linked from the system (`sqlite_linked`) or bundled:
//! libsqlite3-sys announces `link-target` (DEP_SQLITE3_LINK_TARGET) only when it links one.
//! Decided here rather than by this crate's features because a workspace build unifies
//! mlflow-core's `bundled-sqlite` into this crate's dependency without turning on its own.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(sqlite_linked)");
    println!("cargo:rerun-if-env-changed=DEP_SQLITE3_LINK_TARGET");
    if std::env::var_os("DEP_SQLITE3_LINK_TARGET").is_some() {
        println!("cargo:rustc-cfg=sqlite_linked");
    }
}
