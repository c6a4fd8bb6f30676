//! Under `OAUTH_CODEX_SECRET_SWEEP`, a process running the fakes records the secrets they mint
//! and installs the TRACE recorder (the sweep's own scanner is tested in xtask).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use codex_testkit::sweep::ENV;

#[test]
fn the_fake_binary_records_the_tokens_it_issues() {
    let dir: PathBuf = std::env::temp_dir().join(format!("codex-testkit-sweep-{:016x}", rand_suffix()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_codex-fake"))
        .env(ENV, &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("codex-fake starts");
    let mut printed = std::collections::HashMap::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line == "ready" {
            break;
        }
        if let Some((key, value)) = line.split_once('=') {
            printed.insert(key.to_owned(), value.to_owned());
        }
    }
    let pid = child.id();
    child.kill().unwrap();
    child.wait().unwrap();

    let secrets = std::fs::read_to_string(dir.join(format!("secrets-{pid}.txt"))).expect("a secrets file");
    let lines: Vec<&str> = secrets.lines().collect();
    assert!(lines.contains(&format!("access_token\t{}", printed["access_token"]).as_str()), "{lines:?}");
    assert!(lines.contains(&format!("refresh_token\t{}", printed["refresh_token"]).as_str()), "{lines:?}");
    assert!(dir.join(format!("trace-{pid}.log")).is_file(), "the TRACE recorder was installed");
    assert!(dir.join(format!("panics-{pid}.log")).is_file(), "the panic hook was installed");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn rand_suffix() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    (u64::from(std::process::id()) << 32) | u64::from(nanos)
}
