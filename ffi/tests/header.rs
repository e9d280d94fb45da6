//! The committed C header must be exactly what cbindgen generates from this crate, and its
//! version macros must match Cargo.toml and the ABI constants.

use std::path::PathBuf;

fn header_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../include/mlflow.h")
}

fn generate() -> String {
    let crate_dir = env!("CARGO_MANIFEST_DIR");
    let config = cbindgen::Config::from_file(format!("{crate_dir}/cbindgen.toml")).expect("cbindgen.toml");
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut out);
    String::from_utf8(out).expect("utf-8 header")
}

#[test]
fn committed_header_is_up_to_date() {
    let generated = generate();
    if std::env::var_os("MLFLOW_BLESS").is_some() {
        std::fs::write(header_path(), &generated).expect("write include/mlflow.h");
        return;
    }
    let committed = std::fs::read_to_string(header_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "include/mlflow.h is stale: run `MLFLOW_BLESS=1 cargo test -p mlflow-ffi --test header` and commit it"
    );
}

#[test]
fn header_versions_match_the_crate() {
    let header = std::fs::read_to_string(header_path()).expect("include/mlflow.h");
    assert!(header.contains(&format!("#define MLFLOW_VERSION \"{}\"", env!("CARGO_PKG_VERSION"))));
    assert!(header.contains(&format!("#define MLFLOW_ABI_VERSION_MAJOR {}", mlflow::version::MLFLOW_ABI_VERSION_MAJOR)));
    assert!(header.contains(&format!("#define MLFLOW_ABI_VERSION_MINOR {}", mlflow::version::MLFLOW_ABI_VERSION_MINOR)));
    assert_eq!(
        mlflow::version::mlflow_abi_version(),
        (mlflow::version::MLFLOW_ABI_VERSION_MAJOR << 16) | mlflow::version::MLFLOW_ABI_VERSION_MINOR
    );
}
