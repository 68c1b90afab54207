//! Replays every crash ever found (`fuzz/regressions/<target>/*`) and every committed corpus
//! file (`fuzz/corpus/<target>/*`) through the same harness functions the fuzz targets call,
//! in a plain `cargo test` (no libFuzzer, no sanitizer). A harness panics on any broken
//! property, so a regression fails here with the file's name.

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn replay(target: &str) {
    let (_, run) = keystead_fuzz::TARGETS.iter().find(|(name, _)| *name == target).expect("known target");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = files(&root.join("corpus").join(target));
    assert!(!corpus.is_empty(), "fuzz/corpus/{target} has no seeds (run `make fuzz-corpus`)");
    let regressions = files(&root.join("regressions").join(target));
    for file in regressions.iter().chain(&corpus) {
        let data = std::fs::read(file).expect("read input");
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target}: {} fails", file.display());
    }
    println!("{target}: {} regression files, {} corpus files replayed", regressions.len(), corpus.len());
}

macro_rules! targets {
    ($($name:ident),+) => {
        $(
            #[test]
            fn $name() {
                replay(stringify!($name));
            }
        )+
        /// Every fuzz target has its replay test above.
        #[test]
        fn every_target_is_replayed() {
            let listed: Vec<&str> = vec![$(stringify!($name)),+];
            let known: Vec<&str> = keystead_fuzz::TARGETS.iter().map(|(name, _)| *name).collect();
            assert_eq!(listed, known);
        }
    };
}

targets!(
    blob,
    context,
    decrypt,
    envelope_header,
    envelope_stream,
    open_range,
    import,
    c_abi,
    policy,
    audit_log,
    kms_json
);
