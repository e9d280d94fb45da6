//! Java arguments to Rust values. Required arguments that are null fail with the argument's
//! name (the Java layer checks first; this is the backstop that keeps a null from crashing).

use jni::objects::{JByteArray, JDoubleArray, JLongArray, JObjectArray, JString};
use jni::Env;

use crate::failure::Failure;

/// Calls `f` with the contents of a required Java string, without copying when the string is
/// plain UTF-8 (the hot path: metric keys).
pub fn with_str<R>(
    env: &Env,
    s: &JString,
    name: &'static str,
    f: impl FnOnce(&str) -> Result<R, Failure>,
) -> Result<R, Failure> {
    if s.is_null() {
        return Err(Failure::Null(name));
    }
    let chars = s.mutf8_chars(env)?;
    f(&chars.to_str())
}

pub fn string(env: &Env, s: &JString, name: &'static str) -> Result<String, Failure> {
    with_str(env, s, name, |s| Ok(s.to_owned()))
}

/// An optional Java string: null is `None`.
pub fn opt_string(env: &Env, s: &JString) -> Result<Option<String>, Failure> {
    if s.is_null() {
        return Ok(None);
    }
    Ok(Some(s.mutf8_chars(env)?.to_str().into_owned()))
}

/// A `String[]`; a null array is empty, a null element is refused.
pub fn strings(env: &mut Env, array: &JObjectArray<JString>, name: &'static str) -> Result<Vec<String>, Failure> {
    if array.is_null() {
        return Ok(Vec::new());
    }
    let len = array.len(env)?;
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        let element = array.get_element(env, i)?;
        out.push(string(env, &element, name)?);
        env.delete_local_ref(element);
    }
    Ok(out)
}

pub fn doubles(env: &Env, array: &JDoubleArray, name: &'static str) -> Result<Vec<f64>, Failure> {
    if array.is_null() {
        return Err(Failure::Null(name));
    }
    let mut out = vec![0.0; array.len(env)?];
    array.get_region(env, 0, &mut out)?;
    Ok(out)
}

pub fn bytes(env: &Env, array: &JByteArray, name: &'static str) -> Result<Vec<u8>, Failure> {
    if array.is_null() {
        return Err(Failure::Null(name));
    }
    Ok(env.convert_byte_array(array)?)
}

pub fn longs(env: &Env, array: &JLongArray, name: &'static str) -> Result<Vec<i64>, Failure> {
    if array.is_null() {
        return Err(Failure::Null(name));
    }
    let mut out = vec![0; array.len(env)?];
    array.get_region(env, 0, &mut out)?;
    Ok(out)
}

/// Parallel key and value arrays as pairs (tags, params); lengths must agree.
pub fn pairs(
    env: &mut Env,
    keys: &JObjectArray<JString>,
    values: &JObjectArray<JString>,
    name: &'static str,
) -> Result<Vec<(String, String)>, Failure> {
    let keys = strings(env, keys, name)?;
    let values = strings(env, values, name)?;
    if keys.len() != values.len() {
        return Err(Failure::Mlflow(mlflow_core::Error::invalid(format!(
            "{name}: {} keys but {} values",
            keys.len(),
            values.len()
        ))));
    }
    Ok(keys.into_iter().zip(values).collect())
}
