// Gives libmlflow.so a SONAME, so programs linked against it record "libmlflow.so" rather than
// the absolute path of the build directory.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmlflow.so");
}
