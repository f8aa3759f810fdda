//! The `[runbooks]` folder: reading each file's front matter and checking its directives
//! against the configuration.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::Names;
use super::ctx::Ctx;
use super::hints::{Known, did_you_mean};
use crate::expand::Env;
use crate::field::Field;
use crate::raw::{RawFrontMatter, RawRunbooks};
use crate::read::read;
use crate::runbook::{
    ChangeKind, DIRECTIVES, Directive, DirectiveKind, RawDirective, Runbook, scan, split,
};
use crate::spans::{Source, SpanIndex};

/// A runbook file, read but not yet checked against the configuration.
#[derive(Debug)]
pub(crate) struct RunbookFile {
    pub ctx: Ctx,
    /// From the front matter, or the file name without `.md`.
    pub id: String,
    raw: Option<RawFrontMatter>,
    path: PathBuf,
    body: String,
    body_at: usize,
    directives: Vec<RawDirective>,
}

/// Reads every `*.md` of the runbooks folder, in name order. Folder problems go to `main`.
pub(crate) fn load_folder(
    main: &mut Ctx,
    raw: &Field<RawRunbooks>,
    base: &Path,
    env: Env<'_>,
) -> Vec<RunbookFile> {
    let section = main.section(raw, "runbooks");
    let configured = raw.is_present();
    let dir = section
        .and_then(|section| main.get(&section.dir, "runbooks.dir"))
        .unwrap_or_else(|| "runbooks".to_owned());
    let folder = if Path::new(&dir).is_absolute() {
        PathBuf::from(&dir)
    } else {
        base.join(&dir)
    };
    let entries = match fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(error) => {
            if configured {
                let at = if section.is_some_and(|s| s.dir.is_present()) {
                    "runbooks.dir"
                } else {
                    "runbooks"
                };
                main.error(
                    at,
                    format!(
                        "cannot read the runbooks folder `{}`: {error}",
                        folder.display()
                    ),
                    Some(
                        "create the folder, or fix `dir` (it is relative to this file)".to_owned(),
                    ),
                );
            }
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md") && path.is_file())
        .collect();
    paths.sort();
    paths.into_iter().map(|path| read_file(path, env)).collect()
}

fn read_file(path: PathBuf, env: Env<'_>) -> RunbookFile {
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let empty = |ctx: Ctx| RunbookFile {
        ctx,
        id: stem.clone(),
        raw: None,
        path: path.clone(),
        body: String::new(),
        body_at: 0,
        directives: Vec::new(),
    };
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => {
            let mut ctx = Ctx::new(Source::new(path.clone(), "", 0), SpanIndex::default(), true);
            ctx.errors.push(crate::ConfigError::whole_file(
                &path,
                format!("cannot read this runbook: {error}"),
            ));
            return empty(ctx);
        }
    };
    let parts = match split(&text) {
        Ok(parts) => parts,
        Err((offset, message, help)) => {
            let mut ctx = Ctx::new(
                Source::new(path.clone(), &text, 0),
                SpanIndex::default(),
                true,
            );
            ctx.error_at_absolute(offset, message, Some(help));
            return empty(ctx);
        }
    };
    let (ctx, raw) =
        read::<RawFrontMatter>(path.clone(), &text, parts.front_at, parts.front, env, true);
    let id = raw
        .as_ref()
        .and_then(|raw| raw.id.ok().cloned())
        .unwrap_or_else(|| stem.clone());
    let (directives, malformed) = scan(parts.body);
    let mut file = RunbookFile {
        ctx,
        id,
        raw,
        path,
        body: parts.body.to_owned(),
        body_at: parts.body_at,
        directives,
    };
    for (offset, message, help) in malformed {
        file.ctx
            .error_at_absolute(file.body_at + offset, message, Some(help));
    }
    file
}

/// Checks every runbook against the configuration's names.
pub(crate) fn validate_all(files: &mut [RunbookFile], names: &Names) -> Vec<Runbook> {
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    let mut out = Vec::new();
    for file in files.iter_mut() {
        let Some(raw) = file.raw.take() else { continue };
        let ctx = &mut file.ctx;
        if let Some(first) = seen.get(&file.id) {
            ctx.error(
                "id",
                format!("duplicate runbook id `{}`", file.id),
                Some(format!(
                    "`{}` has it too; give each runbook its own id",
                    first.display()
                )),
            );
        } else {
            seen.insert(file.id.clone(), file.path.clone());
        }
        if raw.id.is_present() {
            let _ = ctx.id(&raw.id, "");
        }
        let title = ctx.require(&raw.title, "title", "\"...\"");
        let likely_cause = ctx.get(&raw.likely_cause, "likely_cause");
        let severity = ctx.get(&raw.severity, "severity");
        let match_rules = ctx.get(&raw.match_rules, "match").unwrap_or_default();
        if let Some(severity) = &severity {
            ctx.reference(
                severity,
                "severity",
                "severity",
                "[[severity]]",
                &names.severities,
            );
        }
        let mut directives = Vec::new();
        for raw_directive in &file.directives {
            if let Some(kind) = directive(ctx, raw_directive, file.body_at, names) {
                let (line, column) = ctx
                    .src
                    .absolute_position(file.body_at + raw_directive.range.start);
                directives.push(Directive {
                    kind,
                    range: raw_directive.range.clone(),
                    line,
                    column,
                });
            }
        }
        if let Some(title) = title {
            out.push(Runbook {
                id: file.id.clone(),
                title,
                likely_cause,
                severity,
                match_rules,
                body: file.body.clone(),
                path: file.path.clone(),
                directives,
            });
        }
    }
    out
}

fn directive(
    ctx: &mut Ctx,
    raw: &RawDirective,
    body_at: usize,
    names: &Names,
) -> Option<DirectiveKind> {
    let at = body_at + raw.arg_range.start;
    let arg = raw.arg.clone();
    let check = |ctx: &mut Ctx, what: &str, table: &str, known: &Known| -> bool {
        if known.contains(&arg) {
            return true;
        }
        let help = match did_you_mean(&arg, known.ids.iter().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`?"),
            None if known.ids.is_empty() => format!("no {table} is defined"),
            None => format!("use one of: {}", known.ids.join(", ")),
        };
        ctx.error_at_absolute(
            at,
            format!("unknown {what} `{arg}` in `{{{{ {} }}}}`", raw.name),
            Some(help),
        );
        false
    };
    match raw.name.as_str() {
        "monitor" => check(ctx, "monitor", "[[monitor]]", &names.monitors)
            .then(|| DirectiveKind::Monitor(arg.clone())),
        "since" => check(ctx, "monitor", "[[monitor]]", &names.monitors)
            .then(|| DirectiveKind::Since(arg.clone())),
        "action" => check(ctx, "action", "[[action]]", &names.actions)
            .then(|| DirectiveKind::Action(arg.clone())),
        "template" => check(ctx, "template", "[[template]]", &names.templates)
            .then(|| DirectiveKind::Template(arg.clone())),
        "last_change" => match arg.as_str() {
            "deploy" => Some(DirectiveKind::LastChange(ChangeKind::Deploy)),
            "merge" => Some(DirectiveKind::LastChange(ChangeKind::Merge)),
            other => {
                let help = match did_you_mean(other, ["deploy", "merge"].into_iter()) {
                    Some(close) => {
                        format!("did you mean \"{close}\"? the kinds are \"deploy\" and \"merge\"")
                    }
                    None => "the kinds are \"deploy\" and \"merge\"".to_owned(),
                };
                ctx.error_at_absolute(
                    at,
                    format!("`last_change` kind `{other}` is not known"),
                    Some(help),
                );
                None
            }
        },
        other => {
            let help = match did_you_mean(other, DIRECTIVES.into_iter()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the directives are: {}", DIRECTIVES.join(", ")),
            };
            let start = body_at + raw.range.start;
            ctx.error_at_absolute(
                start,
                format!("unknown runbook directive `{other}`"),
                Some(help),
            );
            None
        }
    }
}
