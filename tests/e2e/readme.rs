//! README's "A walk through the API", run as written: its ```sh blocks, in order, under
//! `bash -euo pipefail` against a fresh server, twice (the walk-through cleans up after
//! itself, so a second run against the same server must pass too).
//!
//! The text is the specification. Each request is introduced by a `#` comment; the
//! statuses written in that comment (three digits from 100 to 599 standing alone, so
//! neither `HS256` nor `RFC 6749`) are the answers it promises, and a comment that names
//! none promises a 2xx. A `curl` shell function, put before the script, runs the real
//! curl, compares the status with the promise of the last comment and stops the run,
//! naming the comment, the command and the answer's body, on anything else. Every
//! variable captured from a command (`NAME=$(...)`) must come out neither empty nor
//! `null`, and any other failing command (`grep` finding nothing, `jq` reading a problem
//! body) stops the run too.

use std::{path::Path, time::Duration};

use authdb_server::settings::RateLimitSettings;
use authdb_tests::{Backend, spawn_app, spawn_app_with};

const SECTION: &str = "## A walk through the API";

/// The server address the README's commands use.
const README_ADDRESS: &str = "localhost:8080";

/// The longest a whole run may take; each request is bounded by curl's `--max-time`.
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// Put before the walk-through: the promise of the last comment, the checks, and the
/// `curl` that enforces them. `-q` (first) keeps a `~/.curlrc` out of the run.
const PRELUDE: &str = r#"
__comment=""
__promised=""
__step() { __comment=$1; __promised=$2; }
__fail() { printf 'README walk-through: %s\n' "$*" >&2; exit 1; }
__captured() {
    local value=${!1-}
    if [ -z "$value" ] || [ "$value" = null ]; then
        __fail "\$$1 is ${value:-empty} after: $2"
    fi
}
__promises() {
    local status=$1 code
    if [ -z "$__promised" ]; then
        [[ $status == 2?? ]]
        return
    fi
    for code in $__promised; do
        [ "$code" = "$status" ] && return 0
    done
    return 1
}
curl() {
    local command body status
    command=$(printf '%q ' curl "$@")
    command=${command% }
    [ -n "$__comment" ] || __fail "no comment introduces: $command"
    command -v jq >/dev/null || __fail "the walk-through needs jq (scripts/test.sh installs it)"
    body=$(mktemp)
    if ! status=$(command curl -q "$@" --max-time 30 --output "$body" --write-out '%{http_code}'); then
        __fail "$command could not get an answer (the comment: # $__comment)"
    fi
    if ! __promises "$status"; then
        __fail "$command answered $status, but its comment promises ${__promised:-a 2xx}:
    # $__comment
  body: $(cat "$body")"
    fi
    cat "$body"
    rm -f "$body"
}
"#;

/// The ```sh blocks of the walk-through section, in order, as one script.
fn walkthrough(readme: &str) -> Result<String, String> {
    let start = readme.find(&format!("\n{SECTION}\n")).ok_or_else(|| format!("README has no {SECTION:?} section"))?;
    let section = &readme[start + 1 + SECTION.len()..];
    let section = section.find("\n## ").map_or(section, |end| &section[..end]);
    let mut script = String::new();
    let mut in_block = false;
    for line in section.lines() {
        match (in_block, line.trim_end()) {
            (false, "```sh") => in_block = true,
            (true, "```") => {
                in_block = false;
                script.push('\n');
            }
            (true, line) => {
                script.push_str(line);
                script.push('\n');
            }
            (false, _) => {}
        }
    }
    if in_block {
        return Err("a ```sh block of the walk-through is not closed".into());
    }
    if script.trim().is_empty() {
        return Err("the walk-through section has no ```sh block".into());
    }
    Ok(script)
}

/// The statuses a comment promises: every number of exactly three digits from 100 to 599
/// that is not part of a longer word or number.
fn promised_statuses(comment: &str) -> Vec<u16> {
    comment
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| word.len() == 3 && word.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|word| word.parse().ok())
        .filter(|status| (100..=599).contains(status))
        .collect()
}

/// The variables a (logical) command line assigns from a command substitution.
fn captured_variables(line: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for (at, _) in line.match_indices("=$(") {
        let before = &line[..at];
        let name_start = before.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
        let name = &before[name_start..];
        let statement_start =
            before[..name_start].trim_end().is_empty() || before[..name_start].trim_end().ends_with(';');
        if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) && statement_start {
            names.push(name);
        }
    }
    names
}

/// `text` as one single-quoted shell word.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The script with its checks: after each comment block, `__step` records the comment
/// and its promise; after each command that captures variables, `__captured` checks them.
fn instrument(script: &str) -> String {
    let mut out = String::new();
    let mut comment: Vec<&str> = Vec::new();
    let mut command = String::new();
    for line in script.lines() {
        let trimmed = line.trim_start();
        if let Some(text) = trimmed.strip_prefix('#') {
            comment.push(text.trim());
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if !comment.is_empty() && !trimmed.is_empty() {
            let text = comment.join(" ");
            let codes: Vec<String> = promised_statuses(&text).iter().map(u16::to_string).collect();
            out.push_str(&format!("__step {} {}\n", quoted(&text), quoted(&codes.join(" "))));
            comment.clear();
        }
        out.push_str(line);
        out.push('\n');
        command.push_str(line.trim_end().trim_end_matches('\\'));
        if line.trim_end().ends_with('\\') {
            continue;
        }
        for name in captured_variables(&command) {
            out.push_str(&format!("__captured {name} {}\n", quoted(command.trim())));
        }
        command.clear();
    }
    out
}

/// Runs `script` (README text) against the server at `address` (`127.0.0.1:PORT`) with
/// `dir` as the working directory; `Err` holds what the run printed on stderr.
async fn run(script: &str, address: &str, dir: &Path) -> Result<String, String> {
    let script = format!("{PRELUDE}\n{}", instrument(&script.replace(README_ADDRESS, address)));
    let path = dir.join("walkthrough.sh");
    std::fs::write(&path, script).map_err(|error| format!("cannot write the script: {error}"))?;
    let mut bash = tokio::process::Command::new("bash");
    bash.args(["-euo", "pipefail"])
        .arg(&path)
        .current_dir(dir)
        // The server is local: no proxy may stand between.
        .env("NO_PROXY", "*")
        .env("no_proxy", "*")
        .kill_on_drop(true);
    let output = tokio::time::timeout(RUN_LIMIT, bash.output())
        .await
        .map_err(|_| format!("the walk-through ran longer than {RUN_LIMIT:?}"))?
        .map_err(|error| format!("cannot run bash: {error}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!("bash ended with {}:\n{stderr}", output.status))
    }
}

fn address_of(app: &authdb_tests::TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

async fn the_readme_walkthrough_runs_as_written_twice(backend: Backend) {
    let script = walkthrough(&readme()).unwrap();
    // The default rate limits, as a server started from the README has them, but for the
    // sign-in budget: one run makes 12 requests on it (the password reset, two of them,
    // is part of the walk-through), so two runs in a row need 24 of the default 20 a
    // minute. One run fits the default; the second draws on 4 more.
    let app = spawn_app_with(backend, |settings| {
        settings.rate_limit = RateLimitSettings { auth_per_minute: 24, ..RateLimitSettings::default() };
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    // The README runs where the server was started: `data/` is its data directory.
    #[cfg(unix)]
    std::os::unix::fs::symlink(&app.settings.data_dir, dir.path().join("data")).unwrap();

    for round in ["first", "second"] {
        if let Err(failure) = run(&script, &address_of(&app), dir.path()).await {
            panic!("the {round} run of README's walk-through failed, {failure}");
        }
    }
    assert!(dir.path().join("tokens.json").exists(), "the walk-through keeps its token pair in tokens.json");
}

/// The harness itself: what the text promises passes, anything else stops the run and
/// says where.
async fn the_harness_holds_answers_to_their_comments(backend: Backend) {
    let app = spawn_app(backend).await;
    let address = address_of(&app);
    let dir = tempfile::tempdir().unwrap();
    let passes = |script: &'static str| {
        let (address, dir) = (address.clone(), dir.path().to_owned());
        async move { run(script, &address, &dir).await.unwrap_or_else(|failure| panic!("{script:?} failed, {failure}")) }
    };
    let fails = |script: &'static str| {
        let (address, dir) = (address.clone(), dir.path().to_owned());
        async move { run(script, &address, &dir).await.expect_err(script) }
    };

    // No status named: a 2xx. A status named: that one.
    passes("# Liveness.\ncurl -s localhost:8080/health/live\n").await;
    passes("# Who am I without a token: 401.\ncurl -s localhost:8080/api/v1/auth/me\n").await;
    let output = passes(
        "# One comment for two requests.\ncurl -s localhost:8080/health/live; curl -s localhost:8080/health/ready\n",
    )
    .await;
    assert!(output.contains(r#"{"status":"ok"}"#), "the answers reach standard output: {output}");

    let unpromised = fails("# Who am I? (signed with HS256)\ncurl -s localhost:8080/api/v1/auth/me\n").await;
    assert!(unpromised.contains("answered 401, but its comment promises a 2xx"), "{unpromised}");
    assert!(unpromised.contains("# Who am I? (signed with HS256)"), "the comment is quoted: {unpromised}");
    assert!(unpromised.contains(&format!("curl -s {address}/api/v1/auth/me answered")), "the command: {unpromised}");
    assert!(unpromised.contains("/problems/missing-token"), "the body is shown: {unpromised}");

    let other_status = fails(
        "# Register: 201.\ncurl -s localhost:8080/api/v1/auth/register -H 'content-type: application/json' -d '{}'\n",
    )
    .await;
    assert!(other_status.contains("answered 422, but its comment promises 201"), "{other_status}");

    let null = fails("# Liveness.\nSTATUS=$(curl -s localhost:8080/health/live | jq -r .nothing)\n").await;
    assert!(null.contains("$STATUS is null after: STATUS=$(curl"), "{null}");
    let empty = fails("# Liveness.\nA=$(echo ok); B=$(true)\n").await;
    assert!(empty.contains("$B is empty"), "{empty}");

    let uncommented = fails("curl -s localhost:8080/health/live\n").await;
    assert!(uncommented.contains("no comment introduces"), "{uncommented}");
    let missing_metric = fails("# Metrics.\ncurl -s localhost:8080/metrics | grep no_such_metric_anywhere\n").await;
    assert!(
        missing_metric.contains("bash ended with exit status: 1"),
        "a failing command stops the run: {missing_metric}"
    );
    let later = fails(
        "# Liveness.\ncurl -s localhost:8080/health/live\nfalse\n# Never reached: 200.\ncurl -s localhost:8080/nope\n",
    )
    .await;
    assert!(!later.contains("/nope"), "the run stops at the first failure: {later}");
}

#[test]
fn the_walkthrough_is_the_sections_shell_blocks_in_order() {
    let readme = "# t\n\n## Run it\n\n```sh\nnot this\n```\n\n## A walk through the API\n\nProse.\n\n\
                  ```sh\n# One.\ncurl one\n```\n\n```json\n{\"not\": \"this\"}\n```\n\n```sh\n# Two.\ncurl two\n```\n\n\
                  ## The CLI\n\n```sh\nnor this\n```\n";

    let script = walkthrough(readme).unwrap();

    assert_eq!(script, "# One.\ncurl one\n\n# Two.\ncurl two\n\n");
    assert!(walkthrough("## Another section\n").is_err());
    assert!(walkthrough("x\n## A walk through the API\nno blocks\n").is_err());
    assert!(walkthrough("x\n## A walk through the API\n```sh\nunclosed\n").is_err());
}

#[test]
fn a_comment_promises_the_statuses_it_names() {
    assert_eq!(promised_statuses("Register: 201 with the user (409 when run again)."), [201, 409]);
    assert_eq!(promised_statuses("Its tokens stop working at once: 401."), [401]);
    assert_eq!(promised_statuses("Who am I?"), Vec::<u16>::new());
    assert_eq!(
        promised_statuses("HS256 keys, RFC 6749, within 10 s, limit=20, port 8080, 600 or 099"),
        Vec::<u16>::new(),
        "only three digits from 100 to 599 standing alone are statuses"
    );
}

#[test]
fn captures_from_command_substitutions_are_checked() {
    assert_eq!(captured_variables("ACCESS=$(jq -r .a t.json); REFRESH=$(jq -r .b t.json)"), ["ACCESS", "REFRESH"]);
    assert_eq!(captured_variables("curl -d \"x=$(date)\""), Vec::<&str>::new());
    assert_eq!(captured_variables("echo a=$(b)"), Vec::<&str>::new());

    let script = "# Capture: 201.\nORG=$(curl -s x \\\n  -d y | jq -r .id)\ncurl -s z/$ORG\n";
    let instrumented = instrument(script);

    assert_eq!(
        instrumented,
        "# Capture: 201.\n__step 'Capture: 201.' '201'\nORG=$(curl -s x \\\n  -d y | jq -r .id)\n\
         __captured ORG 'ORG=$(curl -s x   -d y | jq -r .id)'\ncurl -s z/$ORG\n"
    );
}

#[test]
fn every_request_of_the_readme_walkthrough_is_introduced_by_a_comment() {
    let script = walkthrough(&readme()).unwrap();
    let mut commented = false;
    for line in script.lines().map(str::trim) {
        if line.starts_with('#') {
            commented = true;
        } else if line.contains("curl ") {
            assert!(commented, "no comment introduces {line:?}");
        }
    }
    let instrumented = instrument(&script);
    for name in ["ACCESS", "REFRESH", "PHONE", "SESSION", "ORG", "INVITE", "GRACE"] {
        assert!(instrumented.contains(&format!("__captured {name} ")), "{name} is checked");
    }
}

on_both_backends!(the_readme_walkthrough_runs_as_written_twice, the_harness_holds_answers_to_their_comments);
