pub fn generate_run_name() -> String {
    format!("brave-owl-{}", fastrand::u32(0..1000))
}
