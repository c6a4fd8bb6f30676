//! The file token store under crashes and disk faults.
//!
//! * `kill -9` during saves: a child process saves numbered token sets in a loop and is killed
//!   at random moments, many times over; afterwards the file always parses and holds the last
//!   set the child reported saved or the one it was saving, and stray temporary files do not
//!   pile up.
//! * A read-only directory (a read-only bind mount, which stops root too) and a full disk (a
//!   small tmpfs filled to the brim), each in a private mount namespace made with `unshare`:
//!   saving fails with `AuthError::TokenStoreWrite` and the old file stays byte for byte.
//! * A corrupt file: `AuthError::TokenStoreRead`, and the file stays byte for byte, through the
//!   file store, the fallback store and the token manager.
//!
//! The namespace tests need `unshare` and permission to mount (root, or unprivileged user
//! namespaces). Without them they are skipped, except when `OAUTH_CODEX_PEER_TESTS=1` (as in CI),
//! where they fail.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use codex_auth::{
    AccessToken, AuthError, FallbackTokenStore, FileTokenStore, IdToken, KeyringBackend, KeyringError,
    OAuthClient, OAuthConfig, RefreshToken, TokenManager, TokenSet, TokenStore, TokenStoreLocations,
};
use codex_testkit::TokenRegistry;
use zeroize::Zeroizing;

/// Which child role the test binary plays (unset: the ordinary test run).
const ROLE: &str = "OAUTH_CODEX_STORE_FAULT_ROLE";
/// The token file a child works on.
const FILE: &str = "OAUTH_CODEX_STORE_FAULT_FILE";
/// A seed for the kill timings, to replay a run.
const SEED: &str = "OAUTH_CODEX_STORE_FAULT_SEED";
/// How many times the saving child is killed.
const KILLS: usize = 150;

/// A token set whose refresh token carries `serial` (and a length that varies with it, so a
/// newer file may be longer or shorter than the one it replaces).
fn token_set(registry: &TokenRegistry, serial: u64) -> TokenSet {
    let padding = "p".repeat((serial % 97) as usize);
    TokenSet::from_tokens(
        AccessToken::new(registry.mint_access_token()),
        RefreshToken::new(format!("rt_serial_{serial:08}_{padding}")),
        IdToken::new(registry.mint_id_token()),
        None,
    )
    .expect("the testkit's tokens are valid")
}

/// The serial a token set from [`token_set`] carries.
fn serial_of(tokens: &TokenSet) -> u64 {
    let secret = tokens.refresh_token().expose_secret();
    let digits = secret.strip_prefix("rt_serial_").and_then(|rest| rest.get(..8)).expect("a numbered set");
    digits.parse().expect("eight digits")
}

/// The temporary files a save leaves beside `file` (`.auth.json.XXXXXX.tmp`).
fn temp_files(file: &Path) -> Vec<String> {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let prefix = format!(".{name}.");
    let mut names: Vec<String> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|entry| entry.starts_with(&prefix) && entry.ends_with(".tmp"))
        .collect();
    names.sort();
    names
}

/// A small reproducible generator for kill timings (SplitMix64).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A keyring that is never there, so the fallback store uses its file.
struct AbsentKeyring;

impl KeyringBackend for AbsentKeyring {
    fn name(&self) -> String {
        "an absent keyring".to_owned()
    }

    fn get(&self, _: &str, _: &str) -> Result<Option<Zeroizing<Vec<u8>>>, KeyringError> {
        Err(KeyringError::unavailable("no keyring in this test"))
    }

    fn set(&self, _: &str, _: &str, _: &[u8]) -> Result<(), KeyringError> {
        Err(KeyringError::unavailable("no keyring in this test"))
    }

    fn delete(&self, _: &str, _: &str) -> Result<bool, KeyringError> {
        Err(KeyringError::unavailable("no keyring in this test"))
    }
}

fn fallback_store(file: &Path) -> FallbackTokenStore {
    FallbackTokenStore::with_backend(TokenStoreLocations::new(file).without_legacy(), Arc::new(AbsentKeyring))
}

fn role() -> Option<String> {
    std::env::var(ROLE).ok()
}

fn child_file() -> PathBuf {
    PathBuf::from(std::env::var(FILE).expect("the parent names the file"))
}

/// Starts this test binary as a child playing `role` on `file`.
fn child_command(test: &str, role: &str, file: &Path) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", test, "--nocapture", "--test-threads=1"]).env(ROLE, role).env(FILE, file);
    command
}

// ---------------------------------------------------------------------------------------------
// kill -9 during saves

/// The saving child: saves numbered token sets one after another, printing `saved N` after
/// each, until it is killed or its standard input closes (the parent went away).
#[test]
fn saving_child() {
    if role().as_deref() != Some("saver") {
        return;
    }
    std::thread::spawn(|| {
        let mut byte = [0u8; 1];
        let _ = std::io::stdin().read(&mut byte);
        std::process::exit(0);
    });
    let store = FileTokenStore::new(child_file());
    let registry = TokenRegistry::new();
    let mut serial = store.load().expect("the file is whole").map_or(0, |tokens| serial_of(&tokens));
    let mut out = std::io::stdout().lock();
    loop {
        serial += 1;
        store.save(&token_set(&registry, serial)).expect("save");
        writeln!(out, "saved {serial}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn kill_9_during_saves_leaves_the_old_or_the_new_tokens_never_a_torn_file() {
    if role().is_some() {
        return;
    }
    let seed = std::env::var(SEED).ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    eprintln!("kill timings seed: {SEED}={seed}");
    let mut rng = SplitMix(seed);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("auth.json");
    let registry = TokenRegistry::new();
    FileTokenStore::new(&file).save(&token_set(&registry, 1)).unwrap();
    let mut last_serial = 1;
    let (mut kept_old, mut got_new, mut left_temp) = (0, 0, 0);

    for kill in 0..KILLS {
        let mut child = child_command("saving_child", "saver", &file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let reported = Arc::new(AtomicU64::new(last_serial));
        let (first_save_tx, first_save_rx) = std::sync::mpsc::channel();
        let reader = {
            let stdout = child.stdout.take().unwrap();
            let reported = reported.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    // The first line follows the test harness's `test saving_child ... `.
                    let number = line.rfind("saved ").map(|at| &line[at + "saved ".len()..]);
                    if let Some(serial) = number.and_then(|n| n.parse().ok()) {
                        reported.store(serial, Ordering::SeqCst);
                        let _ = first_save_tx.send(());
                    }
                }
            })
        };
        // Let the child get going (at least one whole save), then kill it a random moment later.
        first_save_rx.recv_timeout(Duration::from_secs(60)).expect("the saving child saves");
        std::thread::sleep(Duration::from_micros(rng.next() % 3_000));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "the child was killed, it did not finish");
        reader.join().unwrap(); // every line the child wrote before it died is read by now
        let reported = reported.load(Ordering::SeqCst);

        let tokens = FileTokenStore::new(&file)
            .load()
            .unwrap_or_else(|e| panic!("kill {kill}: the file does not parse: {e}"))
            .expect("the file is there");
        let serial = serial_of(&tokens);
        assert!(
            serial == reported || serial == reported + 1,
            "kill {kill}: the file holds set {serial}, but the child had saved {reported} and was at most \
             saving {}",
            reported + 1
        );
        if serial == reported {
            kept_old += 1
        } else {
            got_new += 1
        }
        let stray = temp_files(&file);
        if !stray.is_empty() {
            left_temp += 1;
        }
        assert!(stray.len() <= 1, "kill {kill}: stray temporary files pile up: {stray:?}");
        last_serial = serial;
    }

    // A save after the last crash leaves no temporary file behind.
    FileTokenStore::new(&file).save(&token_set(&registry, last_serial + 1)).unwrap();
    assert_eq!(temp_files(&file), Vec::<String>::new(), "a later save clears what crashes left");
    assert_eq!(serial_of(&FileTokenStore::new(&file).load().unwrap().unwrap()), last_serial + 1);
    eprintln!(
        "{KILLS} kills: {kept_old} left the last saved set, {got_new} the set being saved, {left_temp} \
         interrupted a write (a temporary file was left)"
    );
    assert!(left_temp > 0, "some kills landed inside a write (else the test did not test it)");
}

/// A child that saves `SAVES` token sets and exits; every save must succeed.
#[test]
fn bounded_saving_child() {
    if role().as_deref() != Some("bounded-saver") {
        return;
    }
    let store = FileTokenStore::new(child_file());
    let registry = TokenRegistry::new();
    for serial in 0..SAVES {
        if let Err(error) = store.save(&token_set(&registry, serial)) {
            panic!("save {serial} failed: {error}");
        }
    }
}

/// Saves per process in `processes_saving_at_once_clean_up_only_abandoned_files`.
const SAVES: u64 = 300;

#[test]
fn processes_saving_at_once_clean_up_only_abandoned_files() {
    if role().is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("auth.json");
    FileTokenStore::new(&file).save(&token_set(&TokenRegistry::new(), 0)).unwrap();
    // What killed saves leave behind, holding tokens.
    for name in [".auth.json.AbAnD1.tmp", ".auth.json.AbAnD2.tmp"] {
        std::fs::write(dir.path().join(name), b"{\"version\":1,\"tokens\":").unwrap();
    }
    // Four processes save at once, each cleaning up before it writes: none may take another's
    // file in progress (that save would fail), and the leftovers go.
    let children: Vec<_> = (0..4)
        .map(|_| child_command("bounded_saving_child", "bounded-saver", &file).spawn().unwrap())
        .collect();
    for mut child in children {
        let status = child.wait().unwrap();
        assert!(status.success(), "every save of every process succeeded ({status})");
    }
    assert_eq!(temp_files(&file), Vec::<String>::new(), "abandoned files are gone, none is left");
    let saved = FileTokenStore::new(&file).load().unwrap().expect("saved");
    assert_eq!(serial_of(&saved), SAVES - 1, "the file holds some process's last save");
}

// ---------------------------------------------------------------------------------------------
// read-only and full directories, in a private mount namespace

/// Runs `script` (with `$1` = the directory, `$2` = this test binary) in a private mount
/// namespace, `exec`ing the child test `test` with role `role` at its end. Returns the child's
/// output, or `None` when namespaces or mounts are not permitted here (a failure instead when
/// `OAUTH_CODEX_PEER_TESTS=1`).
fn in_mount_namespace(dir: &Path, setup: &str, test: &str, role: &str) -> Option<std::process::Output> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .is_some_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    // Root gets a plain mount namespace; anyone else an unprivileged user namespace mapping them
    // to root inside it (where mounting a tmpfs or a bind mount is allowed).
    let namespace: &[&str] = if is_root {
        &["--mount", "--propagation", "private"]
    } else {
        &["--user", "--map-root-user", "--mount"]
    };
    let script = format!(
        "set -e\n{setup}\necho NAMESPACE_READY\nexec \"$2\" --exact {test} --nocapture --test-threads=1"
    );
    let output = Command::new("unshare")
        .args(namespace)
        .args(["--", "sh", "-c", &script, "sh"])
        .arg(dir)
        .arg(std::env::current_exe().unwrap())
        .env(ROLE, role)
        .env(FILE, dir.join("auth.json"))
        .output();
    let ready =
        output.as_ref().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("NAMESPACE_READY"));
    if ready {
        return output.ok();
    }
    let why = match output {
        Ok(out) => {
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
        }
        Err(e) => format!("`unshare` cannot run: {e}"),
    };
    if std::env::var("OAUTH_CODEX_PEER_TESTS").as_deref() == Ok("1") {
        panic!("a private mount namespace is needed for this test and cannot be made here: {why}");
    }
    eprintln!("skipped: a private mount namespace cannot be made here ({why})");
    None
}

/// The child's half: `save` fails with `TokenStoreWrite` because of `expected` (an OS error
/// number), through the file store and the fallback store, and the old file stays byte for byte.
fn save_fails_and_keeps_the_old_file(expected_errno: i32) {
    let file = child_file();
    let dir = file.parent().unwrap();
    let before = std::fs::read(&file).expect("the old file is there");
    let registry = TokenRegistry::new();
    let old = FileTokenStore::new(&file).load().expect("readable").expect("saved");

    // The directory really refuses new data.
    let probe = dir.join("probe");
    let refused = std::fs::write(&probe, vec![b'x'; 8192]).expect_err("the directory refuses writes");
    assert_eq!(refused.raw_os_error(), Some(expected_errno), "{refused}");
    let _ = std::fs::remove_file(&probe);

    let new = token_set(&registry, serial_of(&old) + 1);
    for (name, store) in [
        ("file", Box::new(FileTokenStore::new(&file)) as Box<dyn TokenStore>),
        ("fallback", Box::new(fallback_store(&file))),
    ] {
        let error = store.save(&new).expect_err("the save cannot succeed");
        assert!(matches!(error, AuthError::TokenStoreWrite { .. }), "{name}: {error:?}");
        println!("{name} store: {error}");
        assert_eq!(std::fs::read(&file).unwrap(), before, "{name}: the old file is intact");
        assert_eq!(store.load().unwrap().as_ref(), Some(&old), "{name}: the old tokens still load");
        assert_eq!(temp_files(&file), Vec::<String>::new(), "{name}: no temporary file is left");
    }
    println!("CHILD_CHECKS_PASSED");
}

/// The read-only child (runs inside the namespace the parent made).
#[test]
fn read_only_child() {
    if role().as_deref() != Some("read-only") {
        return;
    }
    save_fails_and_keeps_the_old_file(30); // EROFS
}

/// The full-disk child (runs inside the namespace the parent made).
#[test]
fn full_disk_child() {
    if role().as_deref() != Some("full-disk") {
        return;
    }
    save_fails_and_keeps_the_old_file(28); // ENOSPC
}

fn assert_child_passed(output: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("CHILD_CHECKS_PASSED"),
        "the child failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    eprintln!("{stdout}");
}

#[test]
fn a_read_only_directory_refuses_the_save_and_keeps_the_old_tokens() {
    if role().is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("auth.json");
    FileTokenStore::new(&file).save(&token_set(&TokenRegistry::new(), 41)).unwrap();
    let before = std::fs::read(&file).unwrap();
    // A read-only bind mount of the directory over itself: unlike `chmod`, it stops root.
    let setup = "mount --bind \"$1\" \"$1\"\nmount -o remount,bind,ro \"$1\"";
    let Some(output) = in_mount_namespace(dir.path(), setup, "read_only_child", "read-only") else { return };
    assert_child_passed(&output);
    assert_eq!(std::fs::read(&file).unwrap(), before, "the file is intact outside the namespace too");
    assert_eq!(temp_files(&file), Vec::<String>::new());
}

#[test]
fn a_full_disk_refuses_the_save_and_keeps_the_old_tokens() {
    if role().is_some() {
        return;
    }
    let staging = tempfile::tempdir().unwrap();
    let original = staging.path().join("original.json");
    FileTokenStore::new(&original).save(&token_set(&TokenRegistry::new(), 7)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A 64 KiB tmpfs over the directory, holding the saved file, then filled to the last byte.
    let setup = format!(
        "mount -t tmpfs -o size=64k,mode=0700 oauth-codex-full \"$1\"\ncp '{}' \"$1/auth.json\"\n\
         chmod 600 \"$1/auth.json\"\ndd if=/dev/zero of=\"$1/filler\" bs=1024 2>/dev/null || true",
        original.display()
    );
    let Some(output) = in_mount_namespace(dir.path(), &setup, "full_disk_child", "full-disk") else { return };
    assert_child_passed(&output);
}

// ---------------------------------------------------------------------------------------------
// corrupt files

/// Contents that are not a sign-in this crate wrote: torn, garbage, empty, another layout.
fn corrupt_contents(whole: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("the first half of a saved file", whole[..whole.len() / 2].to_vec()),
        ("cut off before its closing brace", whole[..whole.len() - 2].to_vec()),
        ("empty", Vec::new()),
        ("zero bytes, as a crashed file system can leave", vec![0u8; whole.len()]),
        ("not UTF-8", vec![0xff, 0xfe, 0x00, 0x7b]),
        ("JSON of another shape", br#"{"version": 1, "tokens": 5}"#.to_vec()),
        ("a newer layout", br#"{"version": 99, "tokens": {}}"#.to_vec()),
        ("a bare JSON string", br#""rt_serial_00000001""#.to_vec()),
    ]
}

#[test]
fn a_corrupt_file_is_a_read_error_and_is_left_untouched() {
    if role().is_some() {
        return;
    }
    let registry = TokenRegistry::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("auth.json");
    FileTokenStore::new(&file).save(&token_set(&registry, 1)).unwrap();
    let whole = std::fs::read(&file).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();

    for (what, bytes) in corrupt_contents(&whole) {
        std::fs::write(&file, &bytes).unwrap();
        for (name, store) in [
            ("file", Arc::new(FileTokenStore::new(&file)) as Arc<dyn TokenStore>),
            ("fallback", Arc::new(fallback_store(&file))),
        ] {
            let error = store.load().expect_err(what);
            assert!(matches!(error, AuthError::TokenStoreRead { .. }), "{name}, {what}: {error:?}");
            let error = store.save(&token_set(&registry, 2)).expect_err(what);
            assert!(matches!(error, AuthError::TokenStoreWrite { .. }), "{name}, {what}: {error:?}");

            // The token manager reports it too, and neither a refresh nor sign-out-free use
            // replaces it.
            let client = OAuthClient::new(OAuthConfig::for_issuer("http://127.0.0.1:9")).unwrap();
            let manager = TokenManager::new(client, store.clone());
            let error = runtime.block_on(manager.tokens()).expect_err(what);
            assert!(matches!(error, AuthError::TokenStoreRead { .. }), "{name}, {what}: {error:?}");
            let error = runtime.block_on(manager.refresh_if_needed(true)).expect_err(what);
            assert!(matches!(error, AuthError::TokenStoreRead { .. }), "{name}, {what}: {error:?}");
            assert!(!runtime.block_on(manager.is_authenticated()), "{name}, {what}");

            assert_eq!(std::fs::read(&file).unwrap(), bytes, "{name}, {what}: the file is byte-identical");
            assert_eq!(temp_files(&file), Vec::<String>::new(), "{name}, {what}");
        }
    }
}
