//! The module graph of one crate's top-level modules, read from its sources: which module names
//! which through `crate::…` outside its tests, and the circles in it. The core keeps none, so a
//! rule module can be read (and changed) without the dispatcher that calls it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Top-level module → the top-level modules its non-test code names with `crate::`.
pub fn edges(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let Ok(entries) = fs::read_dir(src) else {
        return graph;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let (module, files) = if path.is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let files: Vec<_> = fs::read_dir(&path)
                .into_iter()
                .flatten()
                .flatten()
                .map(|file| file.path())
                .filter(|file| file.extension().is_some_and(|ext| ext == "rs"))
                .collect();
            (name, files)
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let stem = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default();
            (stem, vec![path])
        } else {
            continue;
        };
        if module == "lib" {
            continue;
        }
        let named = graph.entry(module.clone()).or_default();
        for file in files {
            let Ok(text) = fs::read_to_string(&file) else {
                continue;
            };
            for target in crate_references(&text) {
                if target != module {
                    named.insert(target);
                }
            }
        }
    }
    graph
}

/// The modules named as `crate::name` in code that is not a test module or a comment.
fn crate_references(text: &str) -> BTreeSet<String> {
    // By the house style a file's tests are its last item: everything after the first
    // `#[cfg(test)]` is test code.
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut found = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
            rest = after;
        }
    }
    found
}

/// Every circle in the graph, each as the modules along it (first repeated at the end), found
/// from each module in name order; empty when the graph is acyclic.
pub fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for start in graph.keys() {
        let mut path = Vec::new();
        walk(graph, start, &mut path, &mut done, &mut found);
    }
    found
}

fn walk(
    graph: &BTreeMap<String, BTreeSet<String>>,
    module: &str,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
    found: &mut Vec<Vec<String>>,
) {
    if let Some(at) = path.iter().position(|seen| seen == module) {
        let mut circle = path[at..].to_vec();
        circle.push(module.to_owned());
        found.push(circle);
        return;
    }
    if done.contains(module) {
        return;
    }
    path.push(module.to_owned());
    for next in graph.get(module).into_iter().flatten() {
        walk(graph, next, path, done, found);
    }
    path.pop();
    done.insert(module.to_owned());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
        edges
            .iter()
            .map(|(from, to)| {
                (
                    (*from).to_owned(),
                    to.iter().map(|name| (*name).to_owned()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn a_circle_is_found_and_a_chain_is_not() {
        let chain = graph(&[
            ("decide", &["escalation"]),
            ("escalation", &["policy"]),
            ("policy", &[]),
        ]);
        assert!(circles(&chain).is_empty());
        let circle = graph(&[("decide", &["escalation"]), ("escalation", &["decide"])]);
        assert_eq!(
            circles(&circle),
            vec![vec!["decide", "escalation", "decide"]]
        );
    }

    #[test]
    fn references_in_comments_and_tests_do_not_count() {
        let text = "use crate::policy::Policy;\n// see crate::decide\n/// crate::notice\n#[cfg(test)]\nmod tests { use crate::decide::decide; }\n";
        let names: Vec<String> = crate_references(text).into_iter().collect();
        assert_eq!(names, ["policy"]);
    }
}
