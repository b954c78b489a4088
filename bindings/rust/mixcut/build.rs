// Gives the mixcut crate's tests and examples the rpath of a shared libmixcut
// that mixcut-sys linked (cargo does not pass link arguments to dependents).
fn main() {
    if let Ok(dir) = std::env::var("DEP_MIXCUT_RPATH") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
    println!("cargo:rerun-if-env-changed=DEP_MIXCUT_RPATH");
}
