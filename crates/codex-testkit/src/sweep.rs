//! The secret sweep's recorder: when `OAUTH_CODEX_SECRET_SWEEP` names a directory, every test
//! process that starts a fake records there the secrets the fakes mint or receive, everything
//! traced at TRACE level, every panic message, and whatever a fixture captures (hook payloads,
//! errors' `Display` and `Debug`). `cargo xtask sweep` runs the test suite this way, then
//! searches the captured text for each recorded secret.
//!
//! Files, one set per process (`PID` is the process id):
//!
//! * `secrets-PID.txt`: `kind<TAB>secret` lines (`access_token`, `refresh_token`, `id_token`,
//!   `authorization_code`, `code_verifier`, `token` for any JWT built with [`crate::jwt`]);
//! * `trace-PID.log`: the global `tracing` subscriber's output, TRACE and up (a test that sets
//!   its own subscriber for its thread keeps it);
//! * `panics-PID.log`: every panic message (the previous panic hook still runs);
//! * `CHANNEL-PID.log`: text captured with [`capture`] (`hooks`, `errors`, …).
//!
//! Without the variable every function here is a no-op.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The environment variable naming the directory to record into.
pub const ENV: &str = "OAUTH_CODEX_SECRET_SWEEP";

/// Secrets shorter than this are not recorded: a short string would match ordinary text.
pub const MIN_SECRET_LEN: usize = 16;

/// What a recorded secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// An access token (a JWT).
    AccessToken,
    /// A refresh token.
    RefreshToken,
    /// An id token (a JWT).
    IdToken,
    /// An authorization code (from `/oauth/authorize` or the device flow).
    AuthorizationCode,
    /// A PKCE code verifier.
    CodeVerifier,
    /// A token built with [`crate::jwt`] by a test (access or id token).
    Token,
}

impl SecretKind {
    /// The name written in the secrets file.
    pub fn name(self) -> &'static str {
        match self {
            SecretKind::AccessToken => "access_token",
            SecretKind::RefreshToken => "refresh_token",
            SecretKind::IdToken => "id_token",
            SecretKind::AuthorizationCode => "authorization_code",
            SecretKind::CodeVerifier => "code_verifier",
            SecretKind::Token => "token",
        }
    }
}

/// A directory being recorded into, with its open files.
#[derive(Debug)]
struct Recorder {
    dir: PathBuf,
    files: Mutex<HashMap<String, File>>,
}

impl Recorder {
    fn new(dir: PathBuf) -> Recorder {
        Recorder { dir, files: Mutex::new(HashMap::new()) }
    }

    /// Appends `text` and a newline to `name-PID.ext` in one write.
    fn append(&self, name: &str, ext: &str, text: &str) {
        let file_name = format!("{name}-{}.{ext}", std::process::id());
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        if !files.contains_key(&file_name) {
            match open_append(&self.dir.join(&file_name)) {
                Ok(file) => {
                    files.insert(file_name.clone(), file);
                }
                Err(_) => return,
            }
        }
        if let Some(file) = files.get_mut(&file_name) {
            let mut line = String::with_capacity(text.len() + 1);
            line.push_str(text);
            line.push('\n');
            let _ = file.write_all(line.as_bytes());
        }
    }

    fn record_secret(&self, kind: SecretKind, secret: &str) {
        if secret.len() >= MIN_SECRET_LEN && !secret.contains(['\t', '\n', '\r']) {
            self.append("secrets", "txt", &format!("{}\t{secret}", kind.name()));
        }
    }

    fn capture(&self, channel: &str, text: &str) {
        let channel: String =
            channel.chars().filter(|c| c.is_ascii_lowercase() || *c == '-' || *c == '_').collect();
        let reserved = ["secrets", "trace", "panics", ""];
        let channel =
            if reserved.contains(&channel.as_str()) { format!("captured-{channel}") } else { channel };
        self.append(&channel, "log", text);
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

static RECORDER: OnceLock<Option<Recorder>> = OnceLock::new();

/// The recorder, set up on first use when the variable is set: creates the directory, installs
/// the TRACE subscriber (unless the process already has a global one) and the panic hook.
fn recorder() -> Option<&'static Recorder> {
    RECORDER
        .get_or_init(|| {
            let dir = PathBuf::from(std::env::var_os(ENV).filter(|v| !v.is_empty())?);
            std::fs::create_dir_all(&dir).ok()?;
            install_tracing(&dir);
            install_panic_hook(&dir);
            Some(Recorder::new(dir))
        })
        .as_ref()
}

fn install_tracing(dir: &Path) {
    let Ok(file) = open_append(&dir.join(format!("trace-{}.log", std::process::id()))) else { return };
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(Mutex::new(file))
        .with_thread_names(true)
        .finish();
    // A process that installed its own global subscriber keeps it.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

fn install_panic_hook(dir: &Path) {
    let Ok(file) = open_append(&dir.join(format!("panics-{}.log", std::process::id()))) else { return };
    let file = Mutex::new(file);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        let text = format!("thread '{}' {info}\n", thread.name().unwrap_or("<unnamed>"));
        if let Ok(mut file) = file.lock() {
            let _ = file.write_all(text.as_bytes());
        }
        previous(info);
    }));
}

/// Whether this process records for a sweep (the variable is set). The first call sets the
/// recording up; the fakes call it when they start.
pub fn active() -> bool {
    recorder().is_some()
}

/// Records a secret the sweep must never find in captured text. Secrets shorter than
/// [`MIN_SECRET_LEN`] or holding a tab or line break are ignored.
pub fn record_secret(kind: SecretKind, secret: &str) {
    if let Some(recorder) = recorder() {
        recorder.record_secret(kind, secret);
    }
}

/// Captures text a test produced (a hook payload's `Debug`, an error's `Display` and `Debug`)
/// into `CHANNEL-PID.log`, for the sweep to search. `channel` keeps only `a-z`, `-` and `_`.
pub fn capture(channel: &str, text: &str) {
    if let Some(recorder) = recorder() {
        recorder.capture(channel, text);
    }
}

/// Captures an error's `Display` and `Debug` into the `errors` channel.
pub fn capture_error<E: std::fmt::Display + std::fmt::Debug + ?Sized>(error: &E) {
    if active() {
        capture("errors", &format!("{error}\n{error:?}"));
    }
}

/// Captures the `Debug` of a hook payload into the `hooks` channel.
pub fn capture_hook<P: std::fmt::Debug + ?Sized>(hook: &str, payload: &P) {
    if active() {
        capture("hooks", &format!("{hook} {payload:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(dir: &Path, name: &str) -> String {
        std::fs::read_to_string(dir.join(format!("{name}-{}.{}", std::process::id(), ext(name))))
            .unwrap_or_default()
    }

    fn ext(name: &str) -> &'static str {
        if name == "secrets" { "txt" } else { "log" }
    }

    #[test]
    fn secrets_and_captures_land_in_per_process_files() {
        let dir = tempfile_dir();
        let recorder = Recorder::new(dir.clone());
        recorder.record_secret(SecretKind::RefreshToken, "rt_1_0123456789abcdef");
        recorder.record_secret(SecretKind::AuthorizationCode, "short");
        recorder.record_secret(SecretKind::CodeVerifier, "has\ta-tab-inside-it-and-long");
        recorder.capture("hooks", "on_error ErrorEvent { attempt: 1 }");
        recorder.capture("trace", "a channel may not pose as the trace file");
        assert_eq!(read(&dir, "secrets"), "refresh_token\trt_1_0123456789abcdef\n");
        assert_eq!(read(&dir, "hooks"), "on_error ErrorEvent { attempt: 1 }\n");
        assert_eq!(read(&dir, "trace"), "");
        assert_eq!(read(&dir, "captured-trace"), "a channel may not pose as the trace file\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("codex-testkit-sweep-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
