// Finds libmixcut for the FFI: MIXCUT_LIB_DIR, else pkg-config, else a CMake
// build of this checkout into OUT_DIR. Fails with a message naming every try.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    for var in ["MIXCUT_LIB_DIR", "MIXCUT_STATIC", "PKG_CONFIG_PATH"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    let want_static = env::var("MIXCUT_STATIC").is_ok_and(|v| v == "1");
    let mut tried = Vec::new();

    if let Some(dir) = env::var_os("MIXCUT_LIB_DIR") {
        let dir = PathBuf::from(dir);
        let file = dir.join(lib_file_name(want_static));
        if file.is_file() {
            println!("cargo:rerun-if-changed={}", file.display());
            link(&dir, want_static);
            return;
        }
        tried.push(format!(
            "MIXCUT_LIB_DIR={}: no {} there{}",
            dir.display(),
            lib_file_name(want_static),
            if want_static {
                " (MIXCUT_STATIC=1)"
            } else {
                " (set MIXCUT_STATIC=1 for libmixcut.a)"
            }
        ));
        fail(&tried);
    }

    match pkg_config(want_static) {
        Ok(()) => return,
        Err(why) => tried.push(why),
    }

    match cmake_build() {
        Ok((dir, is_static)) => link(&dir, is_static),
        Err(why) => {
            tried.push(why);
            fail(&tried);
        }
    }
}

fn lib_file_name(want_static: bool) -> &'static str {
    if want_static {
        "libmixcut.a"
    } else {
        "libmixcut.so"
    }
}

/// Links libmixcut from `dir`. A shared library gets an rpath, for this crate's
/// own tests here and, through the `DEP_MIXCUT_RPATH` metadata, for the `mixcut`
/// crate's tests and examples (link arguments do not pass to dependents).
fn link(dir: &Path, is_static: bool) {
    println!("cargo:rustc-link-search=native={}", dir.display());
    if is_static {
        println!("cargo:rustc-link-lib=static=mixcut");
        // What the C++ and OpenMP code inside libmixcut.a needs (GCC's runtimes).
        println!("cargo:rustc-link-lib=dylib=stdc++");
        println!("cargo:rustc-link-lib=dylib=gomp");
    } else {
        println!("cargo:rustc-link-lib=dylib=mixcut");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
        println!("cargo:rpath={}", dir.display());
    }
}

/// `pkg-config --libs mixcut`, run as a program (no pkg-config crate).
fn pkg_config(want_static: bool) -> Result<(), String> {
    let mut cmd = Command::new(env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into()));
    cmd.arg("--libs");
    if want_static {
        cmd.arg("--static");
    }
    cmd.arg("mixcut");
    let out = cmd
        .output()
        .map_err(|e| format!("pkg-config: could not run it ({e})"))?;
    if !out.status.success() {
        return Err(format!(
            "pkg-config --libs mixcut: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let flags = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut dirs = Vec::new();
    for flag in flags.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
            dirs.push(dir.to_owned());
        } else if let Some(lib) = flag.strip_prefix("-l") {
            let kind = if want_static && lib == "mixcut" {
                "static"
            } else {
                "dylib"
            };
            println!("cargo:rustc-link-lib={kind}={lib}");
        }
    }
    if !want_static {
        for dir in &dirs {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        }
        if let Some(dir) = dirs.first() {
            println!("cargo:rpath={dir}");
        }
    }
    Ok(())
}

/// Builds the library target of the checkout this crate sits in
/// (bindings/rust/mixcut-sys -> ../../..) into OUT_DIR, static where the
/// CMake build has MIXCUT_SHARED=OFF. Returns its directory and whether it is
/// the static library.
fn cmake_build() -> Result<(PathBuf, bool), String> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.join("../../..");
    if !root.join("CMakeLists.txt").is_file() || !root.join("include/mixcut/mixcut.h").is_file() {
        return Err(format!(
            "CMake build: {} is not a mixcut checkout (no CMakeLists.txt and include/mixcut/mixcut.h)",
            root.display()
        ));
    }
    for dir in ["src", "capi", "include", "CMakeLists.txt"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    let build = PathBuf::from(env::var("OUT_DIR").unwrap()).join("cmake-build");
    let mut configure = Command::new("cmake");
    configure.arg("-S").arg(&root).arg("-B").arg(&build).args([
        "-DCMAKE_BUILD_TYPE=Release",
        "-DMIXCUT_BUILD_TESTS=OFF",
        "-DMIXCUT_BUILD_BENCH=OFF",
        "-DMIXCUT_BUILD_EXAMPLES=OFF",
        // Only libmixcut.a where the build offers it, so that programs run
        // without LD_LIBRARY_PATH; a build without the option makes the .so.
        "-DMIXCUT_SHARED=OFF",
        "--no-warn-unused-cli",
    ]);
    if succeeds("ninja", "--version") && !build.join("CMakeCache.txt").exists() {
        configure.args(["-G", "Ninja"]);
    }
    if succeeds("ccache", "--version") {
        configure.args([
            "-DCMAKE_C_COMPILER_LAUNCHER=ccache",
            "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache",
        ]);
    }
    run(&mut configure, "CMake configure")?;
    let jobs = env::var("NUM_JOBS").unwrap_or_else(|_| "2".into());
    let mut compile = Command::new("cmake");
    compile
        .arg("--build")
        .arg(&build)
        .args(["--target", "mixcut", "--parallel", &jobs]);
    run(&mut compile, "CMake build")?;
    if build.join("libmixcut.a").is_file() {
        Ok((build, true))
    } else if build.join("libmixcut.so").is_file() {
        Ok((build, false))
    } else {
        Err(format!("CMake build: no libmixcut in {}", build.display()))
    }
}

fn succeeds(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: could not run {cmd:?} ({e})"))?;
    if out.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(30)..].join("\n");
    Err(format!("{what} failed: {cmd:?}\n{tail}"))
}

fn fail(tried: &[String]) -> ! {
    let mut msg = String::from("mixcut-sys could not find or build libmixcut. Tried, in order:\n");
    for (i, why) in tried.iter().enumerate() {
        msg += &format!("  {}. {}\n", i + 1, why.replace('\n', "\n     "));
    }
    msg += "Set MIXCUT_LIB_DIR to the directory holding libmixcut.so (or libmixcut.a with \
            MIXCUT_STATIC=1), or make `pkg-config --libs mixcut` work (PKG_CONFIG_PATH).";
    eprintln!("{msg}");
    std::process::exit(1);
}
