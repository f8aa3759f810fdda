//! The database's folder and file, created private: the file holds the signing key, sessions,
//! API token hashes and every phone number, so a folder tocsin creates is `0700` and a database
//! file it creates `0600`. SQLite gives the `-wal` and `-shm` files it makes the database file's
//! own mode. Files that already exist keep theirs (an operator may have chosen a group); one
//! that others can read is logged as a warning.

use std::io;
use std::path::Path;

/// Creates the database's folder (and any folders above it) and its empty file, private, when
/// they do not exist yet.
pub(crate) fn prepare(path: &Path) -> Result<(), (std::path::PathBuf, io::Error)> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !folder.exists()
    {
        create_folder(folder).map_err(|error| (folder.to_path_buf(), error))?;
    }
    match create_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => warn_if_shared(path),
        Err(error) => return Err((path.to_path_buf(), error)),
    }
    Ok(())
}

#[cfg(unix)]
fn create_folder(folder: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(folder)
}

#[cfg(not(unix))]
fn create_folder(folder: &Path) -> io::Result<()> {
    std::fs::create_dir_all(folder)
}

#[cfg(unix)]
fn create_file(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
}

#[cfg(not(unix))]
fn create_file(path: &Path) -> io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map(drop)
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = std::fs::metadata(path) {
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                database = %path.display(),
                mode = format!("{mode:o}"),
                "the database file can be read by other users; it holds the signing key and \
                 sessions: `chmod 600` it (and its -wal and -shm files)"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use crate::{SqliteOptions, SqliteStore};
    use tocsin_store::prelude::*;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
            .permissions()
            .mode()
            & 0o777
    }

    #[tokio::test]
    async fn a_database_tocsin_creates_is_private_with_its_folder_and_journal_files() {
        let scratch = tempfile::tempdir().expect("tempdir");
        let folder = scratch.path().join("data").join("tocsin");
        let path = folder.join("tocsin.db");
        let store = SqliteStore::open(
            &format!("sqlite://{}", path.display()),
            &SqliteOptions::default(),
        )
        .await
        .expect("open");
        // A write, so that the write-ahead log and its index exist.
        store
            .setting_or_insert("probe", "value".to_owned())
            .await
            .expect("write");
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&scratch.path().join("data")), 0o700);
        for file in ["tocsin.db", "tocsin.db-wal", "tocsin.db-shm"] {
            assert_eq!(mode(&folder.join(file)), 0o600, "{file}");
        }
    }

    #[tokio::test]
    async fn an_existing_database_keeps_the_mode_its_operator_gave_it() {
        let scratch = tempfile::tempdir().expect("tempdir");
        let path = scratch.path().join("tocsin.db");
        std::fs::write(&path, b"").expect("create");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        SqliteStore::open(
            &format!("sqlite://{}", path.display()),
            &SqliteOptions::default(),
        )
        .await
        .expect("open");
        assert_eq!(mode(&path), 0o640);
    }
}
