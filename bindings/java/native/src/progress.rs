//! A Java `org.libmlflow.ProgressListener` as the core's progress callback. The core reports on
//! the calling thread, during the call, so the listener is called with the entry point's own
//! `Env`. A Java exception must not stay pending across the core's further work (JNI forbids most
//! calls then), and the core cannot be aborted from inside a report: the first exception is
//! taken and cleared, later reports are not delivered, and it is rethrown as is once the call has
//! returned — with the call's own error, if it failed too, attached as suppressed.

use std::cell::RefCell;

use jni::errors::Error as JniError;
use jni::objects::{JObject, JThrowable, JValue};
use jni::{jni_sig, jni_str, Env};
use mlflow_core::artifacts::ProgressFn;
use mlflow_core::Error as CoreError;

use crate::failure::{mlflow_exception, Failure};

/// Why the listener is no longer called.
enum Stopped<'l> {
    /// `onProgress` threw this (taken from the JVM and cleared).
    Threw(JThrowable<'l>),
    /// The JNI call itself failed without a Java exception.
    Failed(JniError),
}

struct Listener<'e, 'l, 'o> {
    env: RefCell<&'e mut Env<'l>>,
    listener: &'e JObject<'o>,
    stopped: RefCell<Option<Stopped<'l>>>,
}

impl Listener<'_, '_, '_> {
    fn report(&self, done: u64, total: u64) {
        if self.stopped.borrow().is_some() {
            return;
        }
        let mut env = self.env.borrow_mut();
        let result = env.call_method(
            self.listener,
            jni_str!("onProgress"),
            jni_sig!("(JJ)V"),
            &[JValue::Long(clamp(done)), JValue::Long(clamp(total))],
        );
        let stopped = match env.exception_occurred() {
            Some(thrown) => {
                env.exception_clear();
                Stopped::Threw(thrown)
            }
            None => match result {
                Ok(_) => return,
                Err(e) => Stopped::Failed(e),
            },
        };
        *self.stopped.borrow_mut() = Some(stopped);
    }
}

/// Java's `long` is signed; no transfer comes near 2^63 bytes, but never wrap to negative.
fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Runs a core call with `listener` (a `ProgressListener`, or null for none) as its progress
/// callback; see the module documentation for what a throwing listener does.
pub fn with_listener<'l, R>(
    env: &mut Env<'l>,
    listener: &JObject<'_>,
    call: impl FnOnce(Option<ProgressFn<'_>>) -> Result<R, CoreError>,
) -> Result<R, Failure> {
    if listener.is_null() {
        return Ok(call(None)?);
    }
    let trampoline = Listener { env: RefCell::new(env), listener, stopped: RefCell::new(None) };
    let result = call(Some(&|done, total| trampoline.report(done, total)));
    let Listener { env, stopped, .. } = trampoline;
    let env = env.into_inner();
    match stopped.into_inner() {
        None => Ok(result?),
        Some(Stopped::Failed(e)) => Err(Failure::Jni(e)),
        Some(Stopped::Threw(thrown)) => {
            if let Err(e) = &result {
                let suppressed = mlflow_exception(env, e)?;
                env.call_method(
                    &thrown,
                    jni_str!("addSuppressed"),
                    jni_sig!("(Ljava/lang/Throwable;)V"),
                    &[JValue::Object(&suppressed)],
                )?;
            }
            // Pending from here on: the entry point's error policy then leaves it as it is.
            let _ = env.throw(thrown);
            Err(Failure::Jni(JniError::JavaException))
        }
    }
}
