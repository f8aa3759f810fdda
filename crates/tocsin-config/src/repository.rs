//! Where post-mortems live: the git working tree that a relative `postmortem.dir` is resolved
//! against, found by looking for `.git` above the configuration file (nothing is run).

use std::path::{Component, Path, PathBuf};

/// `path` made absolute against `base` (itself made absolute against the working directory),
/// with `.` and `..` removed as text: nothing is read, and the path need not exist.
pub fn resolve(base: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let absolute = std::path::absolute(&joined).unwrap_or(joined);
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The root of the git working tree holding `folder`: the nearest folder, from `folder` up,
/// that has a `.git` (a folder, or the file a linked worktree or submodule has). `None` outside
/// any repository. Like `git rev-parse --show-toplevel`, without running git.
pub fn git_root(folder: &Path) -> Option<PathBuf> {
    let start = resolve(folder, Path::new(""));
    start
        .ancestors()
        .find(|candidate| candidate.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The repository post-mortems belong to when `postmortem.repository` is not set: the git
/// working tree holding the configuration file's folder, else that folder.
pub fn default_repository(config_folder: &Path) -> PathBuf {
    git_root(config_folder).unwrap_or_else(|| resolve(config_folder, Path::new("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_joined_and_dots_removed_as_text() {
        let base = Path::new("/srv/app/ops");
        assert_eq!(
            resolve(base, Path::new("../docs/./pm")),
            PathBuf::from("/srv/app/docs/pm")
        );
        assert_eq!(
            resolve(base, Path::new("/abs/pm")),
            PathBuf::from("/abs/pm")
        );
        assert_eq!(resolve(base, Path::new("")), PathBuf::from("/srv/app/ops"));
    }

    #[test]
    fn the_repository_is_the_nearest_folder_up_with_a_git_entry() {
        // A fresh folder outside any repository (no test dependency for one temporary folder).
        let dir = std::env::temp_dir().join(format!("tocsin-repository-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let repo = dir.join("repo");
        let ops = repo.join("deploy/ops");
        std::fs::create_dir_all(&ops).expect("folders");
        assert_eq!(git_root(&ops), None, "no `.git` anywhere up: none");
        assert_eq!(default_repository(&ops), resolve(&ops, Path::new("")));

        // A linked worktree has a `.git` file, not a folder: it counts the same.
        std::fs::write(repo.join(".git"), "gitdir: /elsewhere\n").expect(".git file");
        assert_eq!(git_root(&ops), Some(resolve(&repo, Path::new(""))));
        assert_eq!(default_repository(&ops), resolve(&repo, Path::new("")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
