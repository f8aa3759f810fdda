//! Phases one and two: parse the TOML (syntax errors with positions), expand `${}` in string
//! values, index every key's span, and deserialize into the raw structs through `serde_ignored`,
//! collecting every unknown key.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::de::DeTable;

use crate::expand::{Env, expand_tree, locate};
use crate::schema::keys_at;
use crate::spans::{Kind, Source, SpanIndex, join_index, join_key, parent, shape};
use crate::validate::ctx::{Ctx, key_name};
use crate::validate::hints::did_you_mean;

/// Reads `part` (the whole file, or a runbook's front matter starting at byte `base` of `text`).
/// Returns the file's context with the problems found so far, and the raw document unless the
/// TOML itself was invalid.
pub(crate) fn read<T: DeserializeOwned + Default>(
    file: PathBuf,
    text: &str,
    base: usize,
    part: &str,
    env: Env<'_>,
    front_matter: bool,
) -> (Ctx, Option<T>) {
    let folder = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let source = Source::new(file, text, base);
    let (mut root, syntax) = DeTable::parse_recoverable(part);
    if !syntax.is_empty() {
        let mut ctx = Ctx::new(source, SpanIndex::default(), front_matter);
        for error in syntax {
            syntax_error(&mut ctx, part, &error);
        }
        return (ctx, None);
    }

    let (expansion, secrets) = expand_tree(root.get_mut(), env, &folder);
    let index = SpanIndex::build(root.get_ref());
    let mut ctx = Ctx::new(source, index, front_matter);
    ctx.expanded_secrets = secrets.into_iter().map(tocsin_core::Secret::new).collect();
    for problem in expansion {
        let decoded = ctx.index.text(&problem.path).unwrap_or("").to_owned();
        let written = ctx.src.slice(&problem.span).to_owned();
        let offset = problem.span.start + locate(&written, &decoded, problem.error.at);
        ctx.error_at(offset, problem.error.message, Some(problem.error.help));
        ctx.poisoned.insert(problem.path);
    }

    let mut unknown = Vec::new();
    let deserializer = toml::de::Deserializer::from(root);
    let raw: Result<T, _> =
        serde_ignored::deserialize(deserializer, |path| unknown.push(path_string(&path)));
    for path in unknown {
        unknown_key(&mut ctx, &path);
    }
    match raw {
        Ok(raw) => (ctx, Some(raw)),
        Err(error) => {
            // Every raw field tolerates any value, so this is not expected; report it anyway.
            let offset = error.span().map(|span| span.start).unwrap_or(0);
            ctx.error_at(
                offset,
                format!("cannot read the document: {}", error.message()),
                None,
            );
            (ctx, Some(T::default()))
        }
    }
}

fn path_string(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => join_index(&path_string(parent), *index),
        Path::Map { parent, key } => join_key(&path_string(parent), key),
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => path_string(parent),
    }
}

fn syntax_error(ctx: &mut Ctx, part: &str, error: &toml::de::Error) {
    let span = error.span().unwrap_or(0..0);
    let description = error.message().trim().to_owned();
    let (message, help) = if description.starts_with("duplicate key") {
        let key = part.get(span.clone()).unwrap_or("").trim();
        (
            format!("duplicate key `{key}`"),
            "a key may appear only once in a table; remove or rename one of them",
        )
    } else if description.contains("basic string")
        || description.contains("literal string, expected")
    {
        (
            format!("invalid TOML: {description}"),
            "close the string with a quote on the same line, or use `\"\"\"` for text over several lines",
        )
    } else if description.contains("must be quoted") {
        (
            format!("invalid TOML: {description}"),
            "put text values in double quotes, like `interval = \"30s\"`",
        )
    } else if description.contains("missing comma") {
        (
            format!("invalid TOML: {description}"),
            "separate the items with commas",
        )
    } else {
        (
            format!("invalid TOML: {description}"),
            "fix the TOML syntax here (see https://toml.io)",
        )
    };
    ctx.error_at(span.start, message, Some(help.to_owned()));
}

fn unknown_key(ctx: &mut Ctx, path: &str) {
    let key = key_name(path).trim_matches('"').to_owned();
    let table = parent(path);
    let candidates = keys_at(&shape(table), ctx.front_matter).unwrap_or(&[]);
    let top = table.is_empty() && !ctx.front_matter;
    let kind = ctx.index.get(path).map(|entry| entry.kind);
    let message = match kind {
        Some(Kind::Table) if top => format!("unknown section [{key}]"),
        Some(Kind::Array)
            if top
                && ctx
                    .index
                    .get(&join_index(path, 0))
                    .is_some_and(|e| e.kind == Kind::Table) =>
        {
            format!("unknown section [[{key}]]")
        }
        _ if top => format!("unknown key `{key}` at the top level"),
        _ => format!("unknown key `{key}` in {}", ctx.describe(table)),
    };
    let help = match did_you_mean(&key, candidates.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None if top => format!("remove it; the sections are: {}", candidates.join(", ")),
        None => format!("remove it; the keys here are: {}", candidates.join(", ")),
    };
    ctx.error_key(path, message, Some(help));
}
