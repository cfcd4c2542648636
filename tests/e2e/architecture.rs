//! The layering of docs/architecture.md, checked against `cargo metadata` (a dependency
//! that points the wrong way fails) and against the source (an import loop between the
//! modules of a crate, or a route file that imports another, fails).

use std::{collections::BTreeMap, path::PathBuf, process::Command};

use serde_json::Value;

use crate::module_graph::ModuleGraph;

/// For each workspace crate, the workspace crates it may depend on (normal dependencies).
const ALLOWED: &[(&str, &[&str])] = &[
    ("authdb-domain", &[]),
    ("authdb-auth", &["authdb-domain"]),
    ("migration", &["authdb-domain"]),
    ("authdb-persistence", &["authdb-domain", "migration"]),
    ("authdb-service", &["authdb-domain", "authdb-auth", "authdb-persistence"]),
    ("authdb-api", &["authdb-domain", "authdb-service", "authdb-protocol"]),
    // The web console: another adapter over the services, beside (never above) the API.
    ("authdb-console", &["authdb-domain", "authdb-service", "authdb-charts"]),
    // An adapter: implements the service layer's `Mailer` port.
    ("authdb-mail", &["authdb-domain", "authdb-service"]),
    // The router agent client: an adapter of the service layer's RouterAgent port.
    ("authdb-agent", &["authdb-domain", "authdb-service"]),
    // The composition root wires every layer together.
    (
        "authdb-server",
        &[
            "authdb-domain",
            "authdb-auth",
            "authdb-persistence",
            "authdb-service",
            "authdb-api",
            "authdb-console",
            "authdb-mail",
            "authdb-agent",
        ],
    ),
    ("authdb-loadgen", &[]),
    // For services that trust authdb's tokens without embedding it: no authdb crate.
    ("authdb-verify", &[]),
    // The binary realtime protocol, without I/O: no authdb crate.
    ("authdb-protocol", &[]),
    // SVG charts as strings, without I/O: a leaf, no authdb crate.
    ("authdb-charts", &[]),
    ("authdb-testkit", &[]),
    ("authdb-tests", &["authdb-server", "authdb-persistence", "authdb-testkit"]),
    // The embedding example stands where an outside service would: above every layer.
    (
        "embed-actix",
        &["authdb-domain", "authdb-auth", "authdb-persistence", "authdb-service", "authdb-api", "migration"],
    ),
];

/// Third-party crates a layer must not use directly.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("authdb-domain", &["actix-web", "sea-orm", "sqlx", "jsonwebtoken", "bcrypt", "sha2", "tokio"]),
    // No I/O: no web, socket, database or runtime crate.
    ("authdb-protocol", &["actix-web", "actix-ws", "tokio", "tokio-tungstenite", "sea-orm", "sqlx", "reqwest"]),
    ("authdb-auth", &["actix-web", "sea-orm", "sqlx"]),
    ("authdb-persistence", &["actix-web", "jsonwebtoken", "bcrypt"]),
    ("authdb-service", &["actix-web", "sea-orm", "sqlx", "lettre", "reqwest"]),
    ("authdb-mail", &["actix-web", "sea-orm", "sqlx", "authdb-persistence"]),
    ("authdb-agent", &["actix-web", "sea-orm", "sqlx", "authdb-persistence"]),
    (
        "authdb-api",
        &["sea-orm", "sqlx", "migration", "authdb-persistence", "bcrypt", "jsonwebtoken", "lettre", "reqwest"],
    ),
    // Like the API: no SQL, no token or hash crate, no other adapter, not the API itself.
    (
        "authdb-console",
        &[
            "sea-orm",
            "sqlx",
            "migration",
            "authdb-persistence",
            "authdb-auth",
            "authdb-api",
            "bcrypt",
            "jsonwebtoken",
            "lettre",
            "reqwest",
        ],
    ),
];

fn normal_dependencies() -> BTreeMap<String, Vec<String>> {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(output.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|package| {
            let dependencies = package["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|dependency| dependency["kind"].is_null())
                .map(|dependency| dependency["name"].as_str().unwrap().to_owned())
                .collect();
            (package["name"].as_str().unwrap().to_owned(), dependencies)
        })
        .collect()
}

#[test]
fn workspace_dependencies_point_only_the_allowed_ways() {
    let packages = normal_dependencies();
    let workspace: Vec<&str> = ALLOWED.iter().map(|(name, _)| *name).collect();
    for name in packages.keys() {
        assert!(workspace.contains(&name.as_str()), "{name} is not in the layering table of this test");
    }
    for (package, allowed) in ALLOWED {
        let dependencies = &packages[*package];
        for dependency in dependencies.iter().filter(|d| workspace.contains(&d.as_str())) {
            assert!(allowed.contains(&dependency.as_str()), "{package} must not depend on {dependency}");
        }
    }
    for (package, forbidden) in FORBIDDEN {
        for dependency in &packages[*package] {
            assert!(!forbidden.contains(&dependency.as_str()), "{package} must not depend on {dependency}");
        }
    }
}

/// authdb-charts is a leaf on `std` alone: no dependency of any kind at run time.
#[test]
fn the_chart_crate_depends_on_nothing() {
    let packages = normal_dependencies();
    assert_eq!(packages["authdb-charts"], Vec::<String>::new(), "authdb-charts must stay on std alone");
}

fn crate_src(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(path).join("src")
}

/// The library crates whose modules must not import each other in a loop: a loop means
/// two modules are one, and neither can be understood (or moved) alone.
const LOOP_FREE: &[&str] = &[
    "crates/authdb-domain",
    "crates/authdb-auth",
    "crates/authdb-persistence",
    "crates/authdb-service",
    "crates/authdb-api",
    "crates/authdb-console",
    "crates/authdb-mail",
    "crates/authdb-protocol",
    "crates/authdb-charts",
];

/// Groups of modules that refer to each other by design: SeaORM entities declare each
/// relation from both ends.
const LOOPS_BY_DESIGN: &[(&str, &str)] = &[("crates/authdb-persistence", "entities")];

#[test]
fn no_crate_has_an_import_loop_between_its_modules() {
    for krate in LOOP_FREE {
        let graph = ModuleGraph::of_crate(&crate_src(krate));
        assert!(graph.edges.len() > 3, "{krate}: no modules found");
        for parent in graph.parents() {
            if LOOPS_BY_DESIGN.contains(&(*krate, parent.as_str())) {
                continue;
            }
            let cycle = graph.cycle_among_children_of(&parent);
            assert_eq!(cycle, None, "{krate}: import loop among the modules of `{parent}`");
        }
    }
}

/// Each route module serves one resource; what several need lives in `endpoint`, `dto`,
/// `fields` or another shared module, never in a sibling route file or in the route table.
#[test]
fn no_route_file_imports_another() {
    let graph = ModuleGraph::of_crate(&crate_src("crates/authdb-api"));
    let routes: Vec<&String> = graph.edges.keys().filter(|module| module.starts_with("routes::")).collect();
    assert!(routes.len() > 5, "route modules not found: {routes:?}");
    for route in routes {
        for target in &graph.edges[route] {
            let sibling = target.starts_with("routes::") && !target.starts_with(&format!("{route}::"));
            assert!(!sibling && target != "routes", "{route} imports {target}");
        }
    }
}

/// The console's pages are like the API's routes: a page module never imports another
/// page module (nor the page table); what several need lives in `layout`, `session`,
/// `form` or `cookies`.
#[test]
fn no_console_page_imports_another() {
    let graph = ModuleGraph::of_crate(&crate_src("crates/authdb-console"));
    let pages: Vec<&String> = graph.edges.keys().filter(|module| module.starts_with("pages::")).collect();
    assert!(pages.len() > 3, "page modules not found: {pages:?}");
    for page in pages {
        for target in &graph.edges[page] {
            let sibling = target.starts_with("pages::") && !target.starts_with(&format!("{page}::"));
            assert!(!sibling && target != "pages", "{page} imports {target}");
        }
    }
}
