//! Native state handed to Java as a `long`: the address of a `Box`. The Java side (`NativeHandle`)
//! holds a lock around every call and zeroes its copy before freeing, so an address that reaches
//! here is live; 0 is still checked so a bug there throws instead of crashing the JVM.

use jni::sys::jlong;
use mlflow_core::{Error, ErrorKind};

use crate::failure::Failure;

pub fn into_handle<T>(value: T) -> jlong {
    Box::into_raw(Box::new(value)) as jlong
}

/// Borrows the value behind a live handle.
///
/// # Safety
/// `handle` is 0 or came from [`into_handle::<T>`] and has not been passed to [`free`] yet.
pub unsafe fn borrow<'a, T>(handle: jlong, what: &str) -> Result<&'a T, Failure> {
    if handle == 0 {
        return Err(Failure::Mlflow(Error::new(ErrorKind::Closed, format!("the {what} is closed"))));
    }
    // SAFETY: per the contract above.
    Ok(unsafe { &*(handle as *const T) })
}

/// Takes back ownership of the value behind a handle (None for 0).
///
/// # Safety
/// As for [`borrow`]; the handle must not be used again afterwards.
pub unsafe fn free<T>(handle: jlong) -> Option<Box<T>> {
    if handle == 0 {
        return None;
    }
    // SAFETY: per the contract above.
    Some(unsafe { Box::from_raw(handle as *mut T) })
}
