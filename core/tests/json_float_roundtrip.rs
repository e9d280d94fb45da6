//! Metric values cross JSON twice on the way to a tracking server (spool record, request body)
//! and once back (server answers): each crossing must give back the exact f64. serde_json's
//! default float parser may be one ulp off; core enables its `float_roundtrip` feature.

#[test]
fn json_text_of_an_f64_parses_back_to_the_same_bits() {
    let awkward =
        [0.5 + 41.0 / 100.0, 632.0 / 7.0, 0.1 + 0.2, 1.0 / 3.0, f64::MAX, f64::MIN_POSITIVE, f64::from_bits(1)];
    for value in awkward {
        let text = serde_json::to_string(&value).unwrap();
        let back: f64 = serde_json::from_str(&text).unwrap();
        assert_eq!(back.to_bits(), value.to_bits(), "{value:?} written as {text} read back as {back:?}");
        let in_object: serde_json::Value = serde_json::from_str(&format!("{{\"value\":{text}}}")).unwrap();
        assert_eq!(in_object["value"].as_f64().unwrap().to_bits(), value.to_bits(), "{text} inside an object");
    }
}
