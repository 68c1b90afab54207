//! Generates `include/keystead.h` from this crate's sources with cbindgen.
//!
//! The header is committed; `bindings/c/test.sh` regenerates it into a temporary file and fails
//! when the committed copy differs (`KEYSTEAD_HEADER_OUT` redirects the output).

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR is set by cargo"));
    let out = env::var_os("KEYSTEAD_HEADER_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir.join("../../include/keystead.h"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=KEYSTEAD_HEADER_OUT");
    // A hand edit of the header reruns this script, which restores it: the edit shows up in
    // `git diff` and fails the staleness check of bindings/c/test.sh.
    println!("cargo:rerun-if-changed={}", out.display());

    let version = env::var("CARGO_PKG_VERSION").expect("CARGO_PKG_VERSION is set by cargo");
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo");
    let minor = env::var("CARGO_PKG_VERSION_MINOR").expect("set by cargo");
    let patch = env::var("CARGO_PKG_VERSION_PATCH").expect("set by cargo");
    let mut config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("bindings/c/cbindgen.toml parses");
    config.after_includes = Some(format!(
        "\n/** The version of the library this header was generated from. */\n\
         #define KEYSTEAD_VERSION \"{version}\"\n\
         #define KEYSTEAD_VERSION_MAJOR {major}\n\
         #define KEYSTEAD_VERSION_MINOR {minor}\n\
         #define KEYSTEAD_VERSION_PATCH {patch}\n\
         /** MAJOR * 10000 + MINOR * 100 + PATCH. */\n\
         #define KEYSTEAD_VERSION_NUMBER ({major} * 10000 + {minor} * 100 + {patch})\n"
    ));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen generates include/keystead.h");
    bindings.write_to_file(out);
}
