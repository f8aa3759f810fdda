//! Configuration errors: each one says where (file:line:column), what was wrong, and what to do.

use std::fmt;
use std::path::PathBuf;

/// One problem found in the configuration, at a 1-based line and column of a file.
///
/// `line` and `column` are 0 when the problem is about the file as a whole (it cannot be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file the problem is in: the configuration file or one of its runbooks.
    pub file: PathBuf,
    /// 1-based line, or 0 for the whole file.
    pub line: usize,
    /// 1-based column in characters (not bytes), or 0 for the whole file.
    pub column: usize,
    /// One sentence saying what was wrong.
    pub message: String,
    /// What to do about it, when there is something useful to say.
    pub help: Option<String>,
}

impl ConfigError {
    /// A problem about a whole file (it is missing or unreadable).
    pub fn whole_file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line: 0,
            column: 0,
            message: message.into(),
            help: None,
        }
    }
}

impl ConfigError {
    fn write(&self, f: &mut fmt::Formatter<'_>, level: &str) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {level}: {}", self.file.display(), self.message)?;
        } else {
            write!(
                f,
                "{}:{}:{}: {level}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.message
            )?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, "error")
    }
}

/// Something worth fixing that does not stop tocsin from running (`tocsin check` prints it and
/// still exits 0): same place and wording rules as a [`ConfigError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning(pub ConfigError);

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, "warning")
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found while loading a configuration, in file and position order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The number of problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none (a loaded configuration never returns an empty list).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.0 {
            writeln!(f, "{error}")?;
        }
        match self.0.len() {
            1 => write!(f, "1 error"),
            n => write!(f, "{n} errors"),
        }
    }
}

impl std::error::Error for ConfigErrors {}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
