//! `tocsin export --static DIR`: the break-glass copy, written by the real binary from the example
//! configuration, is plain files whose links all resolve inside the folder.

use std::path::Path;

fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn export_writes_runbooks_contacts_routes_and_status_as_linked_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("break-glass");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/tocsin.example.toml");
    let database = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["export", "--static"])
        .arg(&out)
        .arg("--config")
        .arg(&example)
        .args(["--database", &database])
        .envs(crate::support::example_env())
        .output()
        .expect("run tocsin export");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");

    let read = |name: &str| {
        std::fs::read_to_string(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    // The runbook: its text, its checklist as boxes to tick, live data as a placeholder.
    let runbook = read("runbooks/database-connection-refused.html");
    assert!(
        runbook.contains("<h1>Database connection refused</h1>"),
        "{runbook}"
    );
    assert!(runbook.contains("DATABASE_URL wrong"), "{runbook}");
    assert_eq!(
        runbook.matches("<input type=\"checkbox\">").count(),
        4,
        "{runbook}"
    );
    assert!(runbook.contains("[monitor database]"), "{runbook}");
    assert!(!runbook.contains("{{"), "{runbook}");
    // Contacts with the numbers needed on the day; routes naming who is paged and who to call.
    let contacts = read("contacts.html");
    assert!(contacts.contains("tel:+966500000000"), "{contacts}");
    assert!(contacts.contains("Moyasar support"), "{contacts}");
    let routes = read("routes.html");
    assert!(routes.contains("Payment processing"), "{routes}");
    assert!(
        routes.contains("contacts.html#contact-moyasar-support"),
        "{routes}"
    );
    // The status page as /status renders it: Arabic, right to left.
    let status = read("status.html");
    assert!(
        status.contains("<html lang=\"ar\" dir=\"rtl\">"),
        "{status}"
    );
    assert!(status.contains("href=\"index.html\""), "{status}");

    // Every page's links are relative and land on a file of the export (or are mail, phone,
    // in-page or outside links).
    let index = read("index.html");
    assert_eq!(
        links(&index)
            .iter()
            .filter(|l| l.starts_with("runbooks/"))
            .count(),
        7,
        "every runbook of spec/runbooks/: {index}"
    );
    for name in [
        "index.html",
        "contacts.html",
        "routes.html",
        "runbooks/database-connection-refused.html",
    ] {
        let page = read(name);
        let base = out.join(name).parent().unwrap().to_path_buf();
        for link in links(&page) {
            if link.starts_with("mailto:")
                || link.starts_with("tel:")
                || link.starts_with("https://")
                || link.starts_with('#')
            {
                continue;
            }
            assert!(
                !link.starts_with('/'),
                "{name} links to {link}, which needs a server"
            );
            let file = link.split('#').next().unwrap();
            assert!(
                base.join(file).is_file(),
                "{name} links to {link}, which is not in the export"
            );
        }
    }
}

#[test]
fn export_with_a_bad_configuration_writes_nothing_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tocsin.toml");
    std::fs::write(
        &config,
        "[org]\nname = \"Acme\"\n[watchdog]\nurl = \"nope\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["export", "--static"])
        .arg(&out)
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run tocsin export");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tocsin.toml:4:7"), "{stderr}");
    assert!(!out.exists());
}
