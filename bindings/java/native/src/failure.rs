//! How a failure in native code reaches Java: MLflow errors become `MlflowClientException`
//! (carrying MLflow's error code string), null arguments `NullPointerException`, use of a closed
//! client `IllegalStateException`, and a panic an `MlflowClientException` with `INTERNAL_ERROR`.

use jni::errors::{Error as JniError, ErrorPolicy};
use jni::objects::{JThrowable, JValue};
use jni::strings::JNIString;
use jni::{jni_sig, jni_str, Env};
use mlflow_core::{Error as CoreError, ErrorKind};

/// Everything a native entry point can fail with.
#[derive(Debug)]
pub enum Failure {
    /// An error of libmlflow's core, with MLflow's error code.
    Mlflow(CoreError),
    /// A JNI call failed; `JniError::JavaException` means a Java exception is already pending.
    Jni(JniError),
    /// A required argument (named) was null.
    Null(&'static str),
}

impl From<JniError> for Failure {
    fn from(e: JniError) -> Self {
        Failure::Jni(e)
    }
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Self {
        Failure::Mlflow(e)
    }
}

/// The `ErrorPolicy` of every entry point: throws the Java exception for a [`Failure`] (unless
/// one is already pending) and returns the Java default value (`null`, `0`, `false`).
pub struct ThrowJava;

impl<T: Default> ErrorPolicy<T, Failure> for ThrowJava {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut (),
        err: Failure,
    ) -> jni::errors::Result<T> {
        if env.exception_check() {
            // A Java exception (thrown by a callback or a JNI call) says more than we could.
            return Ok(T::default());
        }
        // Throwing returns Err(JavaException) once the exception is pending: that is success here.
        let _ = match err {
            Failure::Mlflow(e) if e.kind() == ErrorKind::Closed => {
                env.throw_new(jni_str!("java/lang/IllegalStateException"), JNIString::from(e.message()))
            }
            Failure::Mlflow(e) => throw_mlflow(env, e.mlflow_code(), kind_name(e.kind()), e.message()),
            Failure::Null(name) => env.throw_new(
                jni_str!("java/lang/NullPointerException"),
                JNIString::from(format!("{name} must not be null")),
            ),
            Failure::Jni(JniError::NullPtr(what)) => env.throw_new(
                jni_str!("java/lang/NullPointerException"),
                JNIString::from(format!("null argument: {what}")),
            ),
            Failure::Jni(JniError::JavaException) => Ok(()),
            Failure::Jni(other) => {
                throw_mlflow(env, "INTERNAL_ERROR", "INTERNAL", &format!("JNI call failed: {other}"))
            }
        };
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut (),
        payload: Box<dyn std::any::Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        if !env.exception_check() {
            let _ = throw_mlflow(env, "INTERNAL_ERROR", "INTERNAL", &format!("libmlflow bug (panic): {what}"));
        }
        Ok(T::default())
    }
}

fn throw_mlflow(env: &mut Env, code: &str, kind: &str, message: &str) -> jni::errors::Result<()> {
    let exception = new_mlflow_exception(env, code, kind, message)?;
    env.throw(exception)
}

/// The `MlflowClientException` for a core error, not thrown (e.g. to attach as suppressed).
pub fn mlflow_exception<'l>(env: &mut Env<'l>, e: &CoreError) -> jni::errors::Result<JThrowable<'l>> {
    new_mlflow_exception(env, e.mlflow_code(), kind_name(e.kind()), e.message())
}

fn new_mlflow_exception<'l>(
    env: &mut Env<'l>,
    code: &str,
    kind: &str,
    message: &str,
) -> jni::errors::Result<JThrowable<'l>> {
    let code = env.new_string(code)?;
    let kind = env.new_string(kind)?;
    let message = env.new_string(message)?;
    let exception = env.new_object(
        jni_str!("org/libmlflow/MlflowClientException"),
        jni_sig!("(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)V"),
        &[JValue::Object(&code), JValue::Object(&kind), JValue::Object(&message)],
    )?;
    env.cast_local::<JThrowable>(exception)
}

/// The name of the Java enum constant `org.libmlflow.ErrorKind` for a core error kind.
pub fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
        ErrorKind::NotFound => "NOT_FOUND",
        ErrorKind::AlreadyExists => "ALREADY_EXISTS",
        ErrorKind::InvalidState => "INVALID_STATE",
        ErrorKind::SchemaMismatch => "SCHEMA_MISMATCH",
        ErrorKind::Storage => "STORAGE",
        ErrorKind::QueueFull => "QUEUE_FULL",
        ErrorKind::WriteFailed => "WRITE_FAILED",
        ErrorKind::Closed => "CLOSED",
        ErrorKind::Unavailable => "UNAVAILABLE",
        ErrorKind::PermissionDenied => "PERMISSION_DENIED",
        _ => "INTERNAL",
    }
}
