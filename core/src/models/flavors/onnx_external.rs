//! The external-data files an ONNX model references. A model saved with external data keeps its
//! tensors in sidecar files whose locations (relative to the model file) are recorded in the
//! tensors themselves (`TensorProto.external_data`, key `location`); without them MLflow's loader
//! fails only when onnxruntime opens the model. We read just enough of the protobuf wire format
//! (field numbers from `onnx/onnx.proto`) to list those locations, and to refuse a file that is
//! not an ONNX model at all.

use std::collections::BTreeSet;

use crate::error::{Error, Result};

/// Field numbers of `onnx.proto` that lead to tensors.
const MODEL_GRAPH: u64 = 7;
const MODEL_FUNCTIONS: u64 = 25;
const FUNCTION_NODE: u64 = 7;
const GRAPH_NODE: u64 = 1;
const GRAPH_INITIALIZER: u64 = 5;
const GRAPH_SPARSE_INITIALIZER: u64 = 15;
const NODE_ATTRIBUTE: u64 = 5;
const ATTR_T: u64 = 5;
const ATTR_G: u64 = 6;
const ATTR_TENSORS: u64 = 10;
const ATTR_GRAPHS: u64 = 11;
const ATTR_SPARSE_TENSOR: u64 = 22;
const ATTR_SPARSE_TENSORS: u64 = 23;
const SPARSE_VALUES: u64 = 1;
const SPARSE_INDICES: u64 = 2;
const TENSOR_EXTERNAL_DATA: u64 = 13;
const ENTRY_KEY: u64 = 1;
const ENTRY_VALUE: u64 = 2;

/// Nesting bound: graphs inside attributes inside graphs… A real model is a few levels deep.
const MAX_DEPTH: usize = 64;

enum Field<'a> {
    Varint,
    Bytes(&'a [u8]),
    Fixed,
}

fn malformed() -> Error {
    Error::invalid("not a valid protobuf message")
}

fn varint(buf: &[u8], pos: &mut usize) -> Result<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos).ok_or_else(malformed)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(malformed())
}

/// The fields of one message, in order.
fn fields(buf: &[u8]) -> Result<Vec<(u64, Field<'_>)>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let (number, wire) = (key >> 3, key & 7);
        if number == 0 {
            return Err(malformed());
        }
        let field = match wire {
            0 => {
                varint(buf, &mut pos)?;
                Field::Varint
            }
            1 | 5 => {
                pos += if wire == 1 { 8 } else { 4 };
                if pos > buf.len() {
                    return Err(malformed());
                }
                Field::Fixed
            }
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).map_err(|_| malformed())?;
                let end = pos.checked_add(len).filter(|e| *e <= buf.len()).ok_or_else(malformed)?;
                let bytes = &buf[pos..end];
                pos = end;
                Field::Bytes(bytes)
            }
            _ => return Err(malformed()),
        };
        out.push((number, field));
    }
    Ok(out)
}

fn sub_messages(buf: &[u8], number: u64) -> Result<Vec<&[u8]>> {
    Ok(fields(buf)?
        .into_iter()
        .filter_map(|(n, f)| match f {
            Field::Bytes(b) if n == number => Some(b),
            _ => None,
        })
        .collect())
}

fn tensor(buf: &[u8], out: &mut BTreeSet<String>) -> Result<()> {
    for entry in sub_messages(buf, TENSOR_EXTERNAL_DATA)? {
        let (mut key, mut value) = (None, None);
        for (n, f) in fields(entry)? {
            if let Field::Bytes(b) = f {
                let s = std::str::from_utf8(b).map_err(|_| malformed())?;
                match n {
                    ENTRY_KEY => key = Some(s),
                    ENTRY_VALUE => value = Some(s),
                    _ => {}
                }
            }
        }
        if let (Some("location"), Some(location)) = (key, value) {
            out.insert(location.to_string());
        }
    }
    Ok(())
}

fn sparse(buf: &[u8], out: &mut BTreeSet<String>) -> Result<()> {
    for t in sub_messages(buf, SPARSE_VALUES)?.into_iter().chain(sub_messages(buf, SPARSE_INDICES)?) {
        tensor(t, out)?;
    }
    Ok(())
}

fn nodes(nodes: Vec<&[u8]>, out: &mut BTreeSet<String>, depth: usize) -> Result<()> {
    for node in nodes {
        for attr in sub_messages(node, NODE_ATTRIBUTE)? {
            for (n, f) in fields(attr)? {
                let Field::Bytes(b) = f else { continue };
                match n {
                    ATTR_T | ATTR_TENSORS => tensor(b, out)?,
                    ATTR_SPARSE_TENSOR | ATTR_SPARSE_TENSORS => sparse(b, out)?,
                    ATTR_G | ATTR_GRAPHS => graph(b, out, depth + 1)?,
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

fn graph(buf: &[u8], out: &mut BTreeSet<String>, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::invalid("graphs nested too deeply"));
    }
    for t in sub_messages(buf, GRAPH_INITIALIZER)? {
        tensor(t, out)?;
    }
    for s in sub_messages(buf, GRAPH_SPARSE_INITIALIZER)? {
        sparse(s, out)?;
    }
    nodes(sub_messages(buf, GRAPH_NODE)?, out, depth)
}

/// The external-data locations (relative to the model file) an ONNX model's tensors reference.
/// Fails when the bytes are not an ONNX `ModelProto` with a graph.
pub fn external_data_locations(model: &[u8]) -> Result<BTreeSet<String>> {
    let graphs = sub_messages(model, MODEL_GRAPH)?;
    let [main] = graphs.as_slice() else {
        return Err(Error::invalid("it has no graph"));
    };
    let mut out = BTreeSet::new();
    graph(main, &mut out, 0)?;
    for function in sub_messages(model, MODEL_FUNCTIONS)? {
        nodes(sub_messages(function, FUNCTION_NODE)?, &mut out, 0)?;
    }
    Ok(out)
}
