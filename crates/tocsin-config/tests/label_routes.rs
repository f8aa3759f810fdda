//! `[[route]]` with `match`: the contract's label route parses as written, regexes compile at
//! load, and a bad one is an error naming the route's key.

use std::path::Path;

use tocsin_config::load_str;

const BASE: &str = "[org]\nname = \"Acme\"\n\n[[contact]]\nid = \"sami\"\nname = \"Sami\"\nemail = \"sami@dealix.example\"\nphone = \"+966500000001\"\nmethods = [\"pager\"]\n\n[[channel]]\nid = \"pager\"\ntype = \"webhook\"\nurl = \"https://pager.example/hook\"\n\n[[escalation]]\nid = \"backend\"\nsteps = [{ targets = [\"contact:sami\"], after = \"5m\" }]\n";

fn load(extra: &str) -> Result<tocsin_config::Config, String> {
    load_str(
        &format!("{BASE}\n{extra}"),
        Path::new("tocsin.toml"),
        &|_| None,
    )
    .map_err(|errors| errors.to_string())
}

#[test]
fn the_contract_label_route_parses_as_written_and_keeps_file_order() {
    let config = load(
        "[[route]]\nmatch = { service = \"checkout\", env = \"prod\" }\ntitle = \"Checkout in production\"\nescalation = \"backend\"\n\n[[route]]\nmatch = { env = \"~prod.*\" }\nescalation = \"backend\"\n\n[[route]]\ncategory = \"*\"\nescalation = \"backend\"\n",
    )
    .expect("valid");
    assert_eq!(config.label_routes.len(), 2);
    let first = &config.label_routes[0];
    assert_eq!(first.title, "Checkout in production");
    assert_eq!(first.escalation.as_deref(), Some("backend"));
    assert_eq!(
        first.matchers.text().get("service").map(String::as_str),
        Some("checkout")
    );
    // Without a title, the matchers as written name it.
    assert_eq!(config.label_routes[1].title, "env=~prod.*");
    // Category routes are kept apart, as before.
    assert_eq!(config.routes.len(), 1);
    assert_eq!(config.routes[0].category, "*");
}

#[test]
fn a_bad_regex_is_an_error_naming_the_route_and_label() {
    let errors = load("[[route]]\nmatch = { env = \"~prod(\" }\nescalation = \"backend\"\n")
        .expect_err("refused");
    // Pointed at the regex itself: the `match = …` line, column 17 (its `env` value).
    let line = BASE.lines().count() + 3;
    assert!(
        errors.contains(&format!("tocsin.toml:{line}:17")),
        "{errors}"
    );
    assert!(errors.contains("bad [[route]] `match`"), "{errors}");
    assert!(errors.contains("regex for `env`"), "{errors}");
}

#[test]
fn a_label_route_has_no_category_and_names_known_escalations() {
    let errors = load(
        "[[route]]\nmatch = { service = \"checkout\" }\ncategory = \"backend\"\nescalation = \"frontend\"\n",
    )
    .expect_err("refused");
    assert!(
        errors.contains("a route with `match` has no `category`"),
        "{errors}"
    );
    assert!(errors.contains("unknown escalation `frontend`"), "{errors}");
    let errors = load("[[route]]\nmatch = {}\nescalation = \"backend\"\n").expect_err("refused");
    assert!(errors.contains("at least one matcher"), "{errors}");
}
