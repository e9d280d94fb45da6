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
    refuse_lone_surrogate(chars.to_bytes(), name)?;
    f(&chars.to_str())
}

/// A Java string holding half of a surrogate pair is not Unicode text: jni's conversion would
/// turn it into U+FFFD silently, storing a key or path other than the one given. Refused, as
/// invalid UTF-8 is refused at the C boundary. (Modified UTF-8 encodes each UTF-16 surrogate as
/// its own three bytes `ED A0..BF xx`: a high one must be followed by a low one.)
fn refuse_lone_surrogate(mutf8: &[u8], name: &str) -> Result<(), Failure> {
    let surrogate = |i: usize| -> Option<bool> {
        // Some(true) = high (D800-DBFF), Some(false) = low (DC00-DFFF).
        (mutf8.get(i) == Some(&0xED)).then(|| mutf8.get(i + 1).copied()).flatten().and_then(|b| match b {
            0xA0..=0xAF => Some(true),
            0xB0..=0xBF => Some(false),
            _ => None,
        })
    };
    let mut i = 0;
    let mut chars = 0usize;
    while i < mutf8.len() {
        match surrogate(i) {
            Some(true) if surrogate(i + 3) == Some(false) => i += 6,
            Some(_) => {
                return Err(Failure::Mlflow(mlflow_core::Error::invalid(format!(
                    "'{name}' holds a lone UTF-16 surrogate at character {chars}: not valid Unicode text"
                ))))
            }
            None => {
                let b = mutf8[i];
                i += if b < 0x80 {
                    1
                } else if b >= 0xE0 {
                    3
                } else {
                    2
                };
            }
        }
        chars += 1;
    }
    Ok(())
}

pub fn string(env: &Env, s: &JString, name: &'static str) -> Result<String, Failure> {
    with_str(env, s, name, |s| Ok(s.to_owned()))
}

/// An optional Java string: null is `None`.
pub fn opt_string(env: &Env, s: &JString) -> Result<Option<String>, Failure> {
    if s.is_null() {
        return Ok(None);
    }
    let chars = s.mutf8_chars(env)?;
    refuse_lone_surrogate(chars.to_bytes(), "argument")?;
    Ok(Some(chars.to_str().into_owned()))
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

#[cfg(test)]
mod tests {
    use super::refuse_lone_surrogate;

    #[test]
    fn lone_surrogates_are_refused_pairs_are_not() {
        // "a" + U+1F600 as a surrogate pair in modified UTF-8 + "é"
        let pair = [b'a', 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80, 0xC3, 0xA9];
        assert!(refuse_lone_surrogate(&pair, "key").is_ok());
        assert!(refuse_lone_surrogate(&[b'a', 0xED, 0xA0, 0xBD], "key").is_err());
        assert!(refuse_lone_surrogate(&[0xED, 0xB8, 0x80, b'b'], "key").is_err());
        assert!(refuse_lone_surrogate("plain ascii and ü".as_bytes(), "key").is_ok());
    }
}
