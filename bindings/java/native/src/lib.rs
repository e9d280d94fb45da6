//! The native half of the `org.libmlflow` Java binding: JNI entry points of the Java class
//! `org.libmlflow.NativeBridge`, calling libmlflow's core directly (no C ABI in between).
//!
//! Conventions every entry point follows:
//! - it runs inside `EnvUnowned::with_env`, which catches panics, and resolves its outcome with
//!   [`failure::ThrowJava`], so a Rust error or panic becomes a Java exception, never a crash;
//! - native state (a client, a run) lives in a `Box` whose address is a Java `long`; the Java side
//!   guards each handle with a lock so it is never used after it is freed (see `NativeHandle.java`);
//! - results are plain Java objects built here (see [`entities`]), so Java needs no JSON parser.

mod args;
mod artifacts;
mod client;
mod entities;
mod failure;
mod handles;
mod models;
mod progress;
mod projects;
mod registry;
mod registry_entities;
mod run;
mod spool;

use jni::objects::{JClass, JString};
use jni::EnvUnowned;

use crate::failure::ThrowJava;

/// The crate version, compared by the Java loader with the jar's own version so a stale library
/// picked up from `java.library.path` is refused with a clear message.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_version<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> JString<'local> {
    env.with_env(|env| -> Result<_, failure::Failure> { Ok(env.new_string(env!("CARGO_PKG_VERSION"))?) })
        .resolve::<ThrowJava>()
}
