//! `tocsin export --static DIR`: the break-glass copy. The status page, every runbook, the
//! contacts and the routes as plain HTML files — CSS inline, no script, relative links — that
//! open from a USB stick or any static host on the day tocsin's own host is down.
//!
//! Everything but the status page comes from the configuration alone. The status page is the
//! live one, rendered by the same code that serves `/status` (through the router, in-process),
//! from the database; when the database cannot be read the rest is still exported.

mod html;
mod people;
mod runbook;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use tocsin_config::Config;
use tocsin_engine::{Engine, SystemClock};
use tower::ServiceExt as _;

use html::escape;

/// What was written.
#[derive(Debug)]
pub struct Exported {
    pub files: Vec<PathBuf>,
    /// Why the status page is missing, when it is.
    pub status_skipped: Option<String>,
}

/// Writes the export into `dir` (created if needed; files of an earlier export are replaced).
pub async fn export_static(
    config: Arc<Config>,
    database: Option<&str>,
    dir: &Path,
) -> anyhow::Result<Exported> {
    let exported_at = tocsin_engine::Clock::now(&SystemClock)
        .to_zoned(config.org.time_zone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string();
    std::fs::create_dir_all(dir.join("runbooks"))
        .with_context(|| format!("cannot create {}", dir.join("runbooks").display()))?;
    let mut files = Vec::new();
    let mut write = |name: &str, content: String| -> anyhow::Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, content)
            .with_context(|| format!("cannot write {}", path.display()))?;
        files.push(path);
        Ok(())
    };
    let org = config.org.name.as_str();
    let page =
        |title: &str, root: &str, body: &str| html::page(title, org, root, body, &exported_at);

    for runbook in &config.runbooks {
        write(
            &format!("runbooks/{}.html", file_name(&runbook.id)),
            page(&runbook.title, "../", &runbook::content(runbook)),
        )?;
    }
    write(
        "contacts.html",
        page("Contacts", "", &people::contacts(&config)),
    )?;
    write("routes.html", page("Routes", "", &people::routes(&config)))?;

    let status = match status_page(config.clone(), database).await {
        Ok(status_html) => {
            write("status.html", status_html)?;
            None
        }
        Err(error) => {
            let reason = format!("{error:#}");
            write(
                "status.html",
                page(
                    "Status",
                    "",
                    &format!(
                        "<h1>Status</h1>\n<p>The status page was not exported: {}</p>",
                        escape(&reason)
                    ),
                ),
            )?;
            Some(reason)
        }
    };
    write("index.html", page("Break-glass copy", "", &index(&config)))?;
    Ok(Exported {
        files,
        status_skipped: status,
    })
}

/// A runbook id as a file name: ids are already plain, but never let one climb out of `runbooks/`.
fn file_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn index(config: &Config) -> String {
    let mut out = format!("<h1>{} — break-glass copy</h1>\n", escape(&config.org.name));
    out.push_str(
        "<ul>\n<li><a href=\"status.html\">Status page</a></li>\n\
         <li><a href=\"contacts.html\">Contacts</a> (people, outside parties, rotations)</li>\n\
         <li><a href=\"routes.html\">Routes</a> (who is paged for what)</li>\n</ul>\n<h2>Runbooks</h2>\n<ul>\n",
    );
    for runbook in &config.runbooks {
        let _ = writeln!(
            out,
            "<li><a href=\"runbooks/{}.html\">{}</a>{}</li>",
            escape(&file_name(&runbook.id)),
            escape(&runbook.title),
            runbook
                .likely_cause
                .as_deref()
                .map(|cause| format!(" — {}", escape(cause)))
                .unwrap_or_default(),
        );
    }
    out.push_str("</ul>\n");
    if config.runbooks.is_empty() {
        out.push_str("<p>No runbooks are configured.</p>\n");
    }
    out
}

/// The live status page as `/status` renders it, with a link back to the export's index.
async fn status_page(config: Arc<Config>, database: Option<&str>) -> anyhow::Result<String> {
    if config.status_page.is_none() {
        anyhow::bail!("this configuration has no [status_page]");
    }
    // Beside a running server its leases must stay claimed, as for `tocsin user add`.
    let store = crate::app::open_store_beside_server(&config, database).await?;
    let engine = Arc::new(Engine::new(config, store, Arc::new(SystemClock)).await?);
    let request = axum::http::Request::get("/status")
        .body(axum::body::Body::empty())
        .context("cannot build the status request")?;
    let response = tocsin_web::router(engine)
        .oneshot(request)
        .await
        .context("the status page did not render")?;
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .context("cannot read the rendered status page")?;
    let text = String::from_utf8_lossy(&body).into_owned();
    if !status.is_success() {
        anyhow::bail!("the status page answered {status}: {text}");
    }
    // The page's own links (languages, subscribing, the feed) need the live server; the copy
    // adds a way back to the rest of the export.
    let back = "<nav style=\"padding:.5rem 1rem\"><a href=\"index.html\">Break-glass copy: index</a></nav>";
    Ok(
        match text
            .find("<body")
            .and_then(|at| text[at..].find('>').map(|end| at + end + 1))
        {
            Some(after_body) => format!("{}{back}{}", &text[..after_body], &text[after_body..]),
            None => text,
        },
    )
}
