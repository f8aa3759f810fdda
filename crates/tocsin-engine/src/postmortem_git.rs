//! Post-mortem files in git: each write committed (`[postmortem] git = true`) and then pushed
//! (`push = true`), one git command at a time, run as an argument list (never a shell). A failed
//! push is logged and kept, to be shown, until a later push succeeds; the next write pushes
//! again, and with it every commit the failed push left behind. Nothing here touches the file.

use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use crate::Engine;

/// A push that has not finished in this long is abandoned (git is killed) and counts as failed:
/// a remote that hangs must not hold the post-mortem worker or a person's save.
const PUSH_TIMEOUT: Duration = Duration::from_secs(30);

/// The last push of post-mortem commits that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushFailure {
    /// The remote pushed to.
    pub remote: String,
    /// The remote branch, or `None` for the checked-out branch's own name.
    pub branch: Option<String>,
    pub at: Timestamp,
    /// What git said, with any credentials in URLs hidden.
    pub error: String,
}

/// git's turn and the last failed push (kept in memory: after a restart it shows again once the
/// next write's push fails).
#[derive(Debug, Default)]
pub(crate) struct GitState {
    /// git locks the index: a draft being committed while a person's save is, would fail one.
    turn: tokio::sync::Mutex<()>,
    failed: std::sync::Mutex<Option<PushFailure>>,
    /// One read-modify-write of a post-mortem file at a time (`tickets.rs` writes each action
    /// item's ticket link; two tickets answered at once must not lose one link).
    pub(crate) edits: tokio::sync::Mutex<()>,
}

impl Engine {
    /// The last failed push of post-mortem commits, until a push succeeds; `None` when pushing
    /// is off or no push has failed since tocsin started.
    pub fn postmortem_push_failure(&self) -> Option<PushFailure> {
        self.postmortem_git
            .failed
            .lock()
            .map(|failed| failed.clone())
            .unwrap_or_default()
    }

    /// Commits the file just written (with `git = true`), then pushes (with `push = true`).
    /// Failures are logged, a failed push is also kept to be shown; the file stays as written.
    pub(crate) async fn record_in_git(&self, path: &Path, message: &str) {
        let config = self.config();
        let Some(settings) = config.postmortem.as_ref().filter(|p| p.git) else {
            return;
        };
        let _turn = self.postmortem_git.turn.lock().await;
        if let Err(error) = commit(path, message).await {
            // Often "nothing to commit" (a save that changed nothing): still push below, so
            // commits an earlier push left behind go now.
            tracing::error!(%error, path = %path.display(), "committing the post-mortem with git failed");
        }
        if !settings.push {
            return;
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let outcome = push(dir, &settings.remote, settings.branch.as_deref()).await;
        let failure = match outcome {
            Ok(()) => None,
            Err(error) => {
                let error = hide_credentials(&error);
                tracing::error!(%error, remote = %settings.remote, "pushing the post-mortem commits failed; the next write pushes again");
                Some(PushFailure {
                    remote: settings.remote.clone(),
                    branch: settings.branch.clone(),
                    at: self.now(),
                    error,
                })
            }
        };
        if let Ok(mut failed) = self.postmortem_git.failed.lock() {
            *failed = failure;
        }
    }
}

/// `git` in `dir` as "tocsin", with no terminal to prompt on (a remote asking for a password
/// fails instead of waiting), killed if dropped.
fn git(dir: &Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=tocsin",
            "-c",
            "user.email=tocsin@localhost",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    command
}

async fn run(mut command: tokio::process::Command) -> Result<(), String> {
    let output = command
        .output()
        .await
        .map_err(|e| format!("running git: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "git exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// `git -C <dir> add -- <file>` then `git commit` of that file alone.
async fn commit(path: &Path, message: &str) -> Result<(), String> {
    let dir = path.parent().ok_or("the file has no folder")?;
    let name = path.file_name().ok_or("the path has no file name")?;
    let mut add = git(dir);
    add.args([OsStr::new("add"), OsStr::new("--"), name]);
    run(add).await?;
    let mut commit = git(dir);
    commit.args([
        OsStr::new("commit"),
        OsStr::new("--quiet"),
        OsStr::new("--author=tocsin <tocsin@localhost>"),
        OsStr::new("-m"),
        OsStr::new(message),
        OsStr::new("--"),
        name,
    ]);
    run(commit).await
}

/// `git push <remote> HEAD` (the checked-out branch to its own name), or
/// `HEAD:refs/heads/<branch>`; bounded by [`PUSH_TIMEOUT`].
async fn push(dir: &Path, remote: &str, branch: Option<&str>) -> Result<(), String> {
    let refspec = branch.map_or_else(|| "HEAD".to_owned(), |b| format!("HEAD:refs/heads/{b}"));
    let mut push = git(dir);
    // `--` ends the options: the remote and refspec are never read as flags.
    push.args(["push", "--quiet", "--", remote, &refspec]);
    match tokio::time::timeout(PUSH_TIMEOUT, run(push)).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "git push did not finish within {} s and was stopped",
            PUSH_TIMEOUT.as_secs()
        )),
    }
}

/// Replaces the user and password of every `scheme://user:password@host` in `text` with `***`:
/// git repeats a remote's URL, credentials included, in its errors.
fn hide_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(user_end) => {
                out.push_str("***");
                rest = &tail[user_end..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_hidden_and_the_rest_kept() {
        assert_eq!(
            hide_credentials(
                "fatal: unable to access 'https://bot:ghp_s3cret@github.com/acme/ops.git/': 403"
            ),
            "fatal: unable to access 'https://***@github.com/acme/ops.git/': 403"
        );
        assert_eq!(
            hide_credentials("fatal: 'ssh://git@host/x' and https://host/y"),
            "fatal: 'ssh://***@host/x' and https://host/y"
        );
        assert_eq!(
            hide_credentials("fatal: 'backup' does not appear to be a git repository"),
            "fatal: 'backup' does not appear to be a git repository"
        );
    }
}
