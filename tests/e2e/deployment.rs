//! The deployment files in the repository root: what they leave to chance is what a
//! copy-pasted deployment runs with. No backend: these read files, not a server.

use std::path::PathBuf;

fn repository_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// `compose.yaml` without its comments: `key: value` lines, trimmed.
fn compose_settings() -> Vec<(String, String)> {
    repository_file("compose.yaml")
        .lines()
        .map(|line| line.split_once(" #").map_or(line, |(before, _)| before).trim())
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once(": "))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

#[test]
fn compose_requires_the_jwt_secret_instead_of_a_published_default() {
    let settings = compose_settings();
    let secret = settings
        .iter()
        .find(|(key, _)| key == "AUTHDB__AUTH__JWT_SECRET")
        .map(|(_, value)| value.as_str())
        .expect("compose.yaml sets AUTHDB__AUTH__JWT_SECRET");
    // `${VAR:?message}`: compose refuses to start when the variable is unset or empty.
    assert!(
        secret.starts_with("${AUTHDB_JWT_SECRET:?") && secret.ends_with('}'),
        "the JWT secret must be required from the environment, got {secret}"
    );
    for (key, value) in &settings {
        let secret_like = ["SECRET", "SIGNING_KEY", "PRIVATE_KEY"].iter().any(|word| key.contains(word));
        assert!(!(secret_like && value.contains(":-")), "{key} falls back to a default: {value}");
    }
}

#[test]
fn compose_trusts_no_proxy_range() {
    // The file runs no reverse proxy, so no peer's X-Forwarded-For may be believed; were
    // one added, only its own address (never a private range that every container on the
    // host shares) could be trusted.
    for (key, value) in compose_settings() {
        if key != "AUTHDB__SERVER__TRUSTED_PROXIES" {
            continue;
        }
        let has_proxy_service = compose_settings().iter().any(|(key, _)| key.contains("proxy") && !key.contains("__"));
        assert!(has_proxy_service, "compose.yaml trusts proxies ({value}) but runs none");
        for entry in value.trim_matches('"').split(',').map(str::trim) {
            let single_host = match entry.split_once('/') {
                None => true,
                Some((address, prefix)) => prefix == if address.contains(':') { "128" } else { "32" },
            };
            assert!(single_host, "compose.yaml trusts the range {entry} as proxies");
        }
    }
}
