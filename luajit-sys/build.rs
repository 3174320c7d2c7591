//! Finds or builds LuaJIT for the target, links it statically and generates bindings.
//!
//! `LUAJIT_SYS_DIR` (or `<TARGET>_LUAJIT_SYS_DIR`, e.g.
//! `AARCH64_UNKNOWN_LINUX_GNU_LUAJIT_SYS_DIR`) names a LuaJIT tree already
//! built by `make`: its `src/` holds `libluajit.a` and the public headers.
//! The xtask sets it to each prepared variant. Without it, the tree vendored
//! by the `luajit-src` crate is built for the target.
//!
//! A prebuilt tree whose `src/` holds `lj_asm.gcno` was built with gcov
//! instrumentation (the xtask's coverage variant): libgcov of the target's C
//! compiler (`CC_<target>`, `TARGET_CC`, else `aarch64-linux-gnu-gcc` when
//! cross-compiling to aarch64, else `cc`) is linked too, and dependents see
//! `DEP_LUAJIT_COVERAGE=1`.

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    // The build's own src/ (internal headers, generated files) is passed on to
    // dependents as DEP_LUAJIT_SRC: the suite compiles its emit_lso harness there.
    let (include_dir, lib_dir, lib_name, src_dir) = match prebuilt_dir(&target) {
        Some(dir) => {
            let src = dir.join("src");
            if !src.join("libluajit.a").is_file() {
                panic!(
                    "luajit-sys: {} has no src/libluajit.a; build the tree with `make` first \
                     (or unset LUAJIT_SYS_DIR to build the vendored tree)",
                    dir.display()
                );
            }
            println!("luajit-sys: linking the prebuilt tree at {}", dir.display());
            (src.clone(), src.clone(), "luajit".to_owned(), src)
        }
        None => {
            println!(
                "luajit-sys: LUAJIT_SYS_DIR unset, building the vendored luajit-src tree for {target}"
            );
            let build_root = out_dir.join("luajit-build");
            let artifacts = luajit_src::Build::new().out_dir(&build_root).build();
            let lib_name = artifacts
                .libs()
                .first()
                .cloned()
                .unwrap_or_else(|| "luajit".to_owned());
            (
                artifacts.include_dir().to_owned(),
                artifacts.lib_dir().to_owned(),
                lib_name,
                build_root.join("build").join("src"),
            )
        }
    };
    println!("luajit-sys: include dir {}", include_dir.display());

    println!("cargo:rustc-link-search=native={}", lib_dir.display());
    println!("cargo:rustc-link-lib=static={lib_name}");
    if target.contains("linux") {
        println!("cargo:rustc-link-lib=dylib=m");
        println!("cargo:rustc-link-lib=dylib=dl");
    }
    let instrumented = src_dir.join("lj_asm.gcno").is_file();
    println!(
        "cargo:rerun-if-changed={}",
        src_dir.join("lj_asm.gcno").display()
    );
    if instrumented {
        let libgcov = libgcov_dir(&target);
        println!(
            "luajit-sys: the tree is instrumented for gcov; linking libgcov from {}",
            libgcov.display()
        );
        println!("cargo:rustc-link-search=native={}", libgcov.display());
        println!("cargo:rustc-link-lib=static=gcov");
    }
    println!("cargo:coverage={}", u8::from(instrumented));
    // Dependent build scripts (DEP_LUAJIT_INCLUDE) can compile against the same headers.
    println!("cargo:include={}", include_dir.display());
    println!("cargo:src={}", src_dir.display());
    println!("cargo:rerun-if-changed=wrapper.h");
    println!(
        "cargo:rerun-if-changed={}",
        include_dir.join("luaconf.h").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        lib_dir.join(format!("lib{lib_name}.a")).display()
    );

    generate_bindings(&include_dir, &out_dir.join("bindings.rs"));
}

/// The prebuilt tree named by the environment, the target-specific name first.
fn prebuilt_dir(target: &str) -> Option<PathBuf> {
    let specific = format!("{}_LUAJIT_SYS_DIR", target.to_uppercase().replace('-', "_"));
    for name in [specific.as_str(), "LUAJIT_SYS_DIR"] {
        println!("cargo:rerun-if-env-changed={name}");
    }
    for name in [specific.as_str(), "LUAJIT_SYS_DIR"] {
        if let Some(value) = env::var_os(name).filter(|v| !v.is_empty()) {
            println!("luajit-sys: {name}={}", Path::new(&value).display());
            return Some(PathBuf::from(value));
        }
    }
    None
}

/// The folder of the target C compiler's libgcov.a.
fn libgcov_dir(target: &str) -> PathBuf {
    let underscored = target.replace('-', "_");
    let names = [
        format!("CC_{target}"),
        format!("CC_{underscored}"),
        "TARGET_CC".to_owned(),
    ];
    for name in &names {
        println!("cargo:rerun-if-env-changed={name}");
    }
    let host = env::var("HOST").unwrap_or_default();
    let compiler = names
        .iter()
        .find_map(|name| env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| {
            if target.starts_with("aarch64") && !host.starts_with("aarch64") {
                "aarch64-linux-gnu-gcc".to_owned()
            } else {
                "cc".to_owned()
            }
        });
    let output = std::process::Command::new(&compiler)
        .arg("-print-file-name=libgcov.a")
        .output()
        .unwrap_or_else(|e| panic!("luajit-sys: cannot run {compiler} to find libgcov.a: {e}"));
    let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    match path.parent().filter(|_| path.is_file()) {
        Some(dir) => dir.to_owned(),
        None => panic!(
            "luajit-sys: {compiler} has no libgcov.a (it printed {}); the instrumented tree needs the compiler that built it",
            path.display()
        ),
    }
}

/// bindgen passes the cargo target to clang, so the layouts are the target's.
fn generate_bindings(include_dir: &Path, out: &Path) {
    bindgen::Builder::default()
        .header("wrapper.h")
        .clang_arg(format!("-I{}", include_dir.display()))
        .allowlist_function("lua_.*|luaL_.*|luaopen_.*|luaJIT_.*")
        .allowlist_type("lua_.*|luaL_.*")
        .allowlist_var("LUA_.*|LUAJIT_.*")
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("luajit-sys: bindgen could not generate bindings for the LuaJIT headers")
        .write_to_file(out)
        .expect("luajit-sys: could not write bindings.rs");
}
