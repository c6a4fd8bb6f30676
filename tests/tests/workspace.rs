//! The workspace keeps its promises: README lists every crate and its commands exist.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn members() -> Vec<String> {
    let manifest = read("Cargo.toml");
    let start = manifest.find("members = [").unwrap();
    let end = start + manifest[start..].find(']').unwrap();
    manifest[start..end].split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

#[test]
fn readme_crate_map_names_every_member() {
    let readme = read("README.md");
    for member in members() {
        let manifest = read(&format!("{member}/Cargo.toml"));
        let name = manifest
            .lines()
            .find_map(|line| line.strip_prefix("name = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .unwrap();
        let shown = if member == "tests" { "`tests`".to_owned() } else { format!("`{name}`") };
        assert!(readme.contains(&format!("| {shown} |")), "README's crate map lacks {shown}");
    }
}

#[test]
fn every_crate_has_a_crate_doc() {
    for member in members() {
        let lib = root().join(&member).join("src/lib.rs");
        let main = root().join(&member).join("src/main.rs");
        let source = std::fs::read_to_string(&lib).or_else(|_| std::fs::read_to_string(&main)).unwrap();
        assert!(source.starts_with("//!"), "{member} has no crate doc");
    }
}

#[test]
fn readme_examples_exist() {
    let readme = read("README.md");
    let name_of = |rest: &str| -> String {
        rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
    };
    let mut names: Vec<String> = readme.split("--example ").skip(1).map(name_of).collect();
    names.extend(readme.split("examples/").skip(1).map(name_of).filter(|n| !n.is_empty()));
    assert!(names.len() >= 5, "README shows its examples: {names:?}");
    for name in names {
        let path = root().join(format!("crates/oauth-codex/examples/{name}.rs"));
        assert!(path.is_file(), "README names example {name}, which does not exist");
    }
}

#[test]
fn readme_test_command_is_what_ci_runs() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    assert!(readme.contains("```bash\ncargo xtask ci\n```"));
    assert!(
        ci.lines().any(|l| !l.trim_start().starts_with('#') && l.trim().ends_with("cargo xtask ci")),
        "CI runs README's command"
    );
}
