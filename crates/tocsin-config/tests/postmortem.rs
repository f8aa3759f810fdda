//! `[postmortem]`: which folder a relative `dir` lands in (the repository's root, not the
//! configuration file's folder), the push keys' defaults, and the errors for bad values.

use std::path::{Path, PathBuf};

use tocsin_config::{Config, load_str};

const BASE: &str =
    "[org]\nname = \"Acme\"\n\n[[severity]]\nid = \"SEV-1\"\nrespond_within = \"15m\"\n";

/// A fresh folder outside any git repository, removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let path = std::env::temp_dir().join(format!("tocsin-pm-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the folder");
        Folder(path)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn load_at(path: &Path, section: &str) -> Result<Config, String> {
    load_str(&format!("{BASE}\n{section}"), path, &|_| None).map_err(|errors| errors.to_string())
}

#[test]
fn a_relative_dir_is_resolved_against_the_root_of_the_repository_holding_the_config() {
    let folder = Folder::new("root");
    let repo = folder.0.join("app");
    let ops = repo.join("deploy/ops");
    std::fs::create_dir_all(repo.join(".git")).expect("a repository");
    std::fs::create_dir_all(&ops).expect("its ops folder");
    let config = load_at(
        &ops.join("tocsin.toml"),
        "[postmortem]\ndir = \"docs/ops/postmortems\"\n",
    )
    .expect("valid");
    let postmortem = config.postmortem.as_ref().expect("[postmortem]");
    assert_eq!(postmortem.repository, repo);
    assert_eq!(postmortem.dir, repo.join("docs/ops/postmortems"));
    assert_eq!(config.postmortem_dir(), repo.join("docs/ops/postmortems"));
    assert!(!postmortem.push);
    assert_eq!(postmortem.remote, "origin");
    assert_eq!(postmortem.branch, None);
}

#[test]
fn outside_a_repository_the_config_folder_is_the_base() {
    let folder = Folder::new("plain");
    let config = load_at(
        &folder.0.join("tocsin.toml"),
        "[postmortem]\ndir = \"pm\"\n",
    )
    .expect("valid");
    assert_eq!(config.postmortem_dir(), folder.0.join("pm"));
    // Without the section, `postmortems` in the same base.
    let config = load_at(&folder.0.join("tocsin.toml"), "").expect("valid");
    assert_eq!(config.postmortem_dir(), folder.0.join("postmortems"));
}

#[test]
fn repository_is_relative_to_the_config_folder_and_dir_to_the_repository() {
    let folder = Folder::new("explicit");
    let ops = folder.0.join("ops");
    std::fs::create_dir_all(&ops).expect("ops");
    let config = load_at(
        &ops.join("tocsin.toml"),
        "[postmortem]\nrepository = \"../handbook\"\ndir = \"docs/ops/postmortems\"\n\
         git = true\npush = true\nremote = \"backup\"\nbranch = \"ops/postmortems\"\n",
    )
    .expect("valid");
    let postmortem = config.postmortem.as_ref().expect("[postmortem]");
    assert_eq!(postmortem.repository, folder.0.join("handbook"));
    assert_eq!(
        postmortem.dir,
        folder.0.join("handbook/docs/ops/postmortems")
    );
    assert!(postmortem.git && postmortem.push);
    assert_eq!(postmortem.remote, "backup");
    assert_eq!(postmortem.branch.as_deref(), Some("ops/postmortems"));
    // An absolute `dir` stays where it says.
    let config = load_at(
        &ops.join("tocsin.toml"),
        "[postmortem]\nrepository = \"..\"\ndir = \"/srv/pm\"\n",
    )
    .expect("valid");
    assert_eq!(config.postmortem_dir(), PathBuf::from("/srv/pm"));
}

#[test]
fn a_push_without_git_or_to_a_bad_remote_or_branch_is_an_error_naming_the_key() {
    let path = Path::new("tocsin.toml");
    let errors = load_at(path, "[postmortem]\npush = true\n").expect_err("push needs git");
    assert!(
        errors.contains("tocsin.toml:9:8")
            && errors.contains("`push = true` needs `git = true`: only a commit can be pushed"),
        "{errors}"
    );
    let errors = load_at(
        path,
        "[postmortem]\ngit = true\npush = true\nremote = \"--upload-pack=x\"\nbranch = \"main:prod\"\n",
    )
    .expect_err("bad remote and branch");
    assert!(
        errors.contains("`--upload-pack=x` is not a git remote"),
        "{errors}"
    );
    assert!(
        errors.contains("`main:prod` is not a branch name git accepts"),
        "{errors}"
    );
    for branch in ["-f", "a..b", "x.lock", "/main", "main/", "a b"] {
        let errors = load_at(
            path,
            &format!("[postmortem]\ngit = true\nbranch = \"{branch}\"\n"),
        )
        .expect_err(branch);
        assert!(
            errors.contains("is not a branch name"),
            "{branch}: {errors}"
        );
    }
}
