//! tocsin-core's modules form no circle: the types `decide` takes and returns (`decision`) and the
//! configuration it decides by (`policy`) import no rule, the rules import them, and only the
//! dispatcher (`decide`) imports the rules.

#[test]
fn the_core_has_no_module_circle() {
    let src = xtask::workspace_root().join("crates/tocsin-core/src");
    let graph = xtask::module_graph::edges(&src);
    assert!(
        graph.contains_key("decide") && graph.contains_key("decision"),
        "{graph:?}"
    );
    let circles = xtask::module_graph::circles(&graph);
    assert!(
        circles.is_empty(),
        "module circles in tocsin-core: {}",
        circles
            .iter()
            .map(|circle| circle.join(" → "))
            .collect::<Vec<_>>()
            .join("; ")
    );
}
