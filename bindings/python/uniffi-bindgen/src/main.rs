//! `uniffi-bindgen` at exactly the uniffi version `mlflow-python` is built with. maturin looks for
//! this binary in the workspace when it generates the Python module of the wheel.

fn main() {
    uniffi::uniffi_bindgen_main()
}
