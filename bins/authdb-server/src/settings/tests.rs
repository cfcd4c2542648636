use std::io::Write as _;

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn load(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    Settings::load_from(None, env(pairs))
}

#[test]
fn defaults_need_no_configuration() {
    let settings = load(&[]).expect("defaults are valid");
    assert_eq!(settings.server.bind, "127.0.0.1:8080");
    assert_eq!(settings.auth.access_ttl_secs, 900);
    assert_eq!(settings.auth.refresh_ttl_secs, 2_592_000);
    assert_eq!(settings.auth.bcrypt_cost, 12);
    assert!(settings.auth.jwt_secret.is_none());
    assert_eq!(settings.database_url(), "sqlite://data/authdb.db");
    assert_eq!(settings.inventory.max_scan_bytes, 32 * 1024 * 1024);
    assert_eq!(settings.inventory.agent_timeout_ms, 5000);
    assert_eq!(settings.inventory.rule_sweep_interval_secs, 60);
    let policy = settings.inventory.policy();
    assert_eq!(policy.agent_timeout, std::time::Duration::from_millis(5000));
    assert_eq!(policy.rule_sweep_interval, std::time::Duration::from_secs(60));
    assert_eq!(settings.messaging.max_message_bytes, 64 * 1024);
    assert_eq!(settings.messaging.min_auto_delete_secs, 60);
    assert_eq!(settings.messaging.sweep_interval_secs, 10);
    assert_eq!(settings.messaging.posts_per_minute_per_user, 120);
    assert_eq!(settings.messaging.socket_queue, 1024);
    assert_eq!(settings.messaging.ping_interval_secs, 20);
    assert_eq!(settings.messaging.presence_heartbeat_secs, 5);
    assert_eq!(settings.redis.channel, "authdb:realtime");
}

#[test]
fn environment_overrides_defaults() {
    let settings = load(&[
        ("AUTHDB__SERVER__BIND", "0.0.0.0:9000"),
        ("AUTHDB__DATA_DIR", "/var/lib/authdb"),
        ("AUTHDB__AUTH__BCRYPT_COST", "10"),
        ("AUTHDB__AUTH__ISSUER", "https://auth.example.com"),
        ("AUTHDB__DATABASE__MAX_CONNECTIONS", "3"),
        ("AUTHDB__AUTH__PASSWORD__REQUIRE_DIGIT", "false"),
        ("AUTHDB__LOG__FORMAT", "json"),
    ])
    .expect("valid");
    assert_eq!(settings.server.bind, "0.0.0.0:9000");
    assert_eq!(settings.data_dir, PathBuf::from("/var/lib/authdb"));
    assert_eq!(settings.auth.bcrypt_cost, 10);
    assert_eq!(settings.auth.issuer.as_deref(), Some("https://auth.example.com"));
    assert_eq!(settings.database.max_connections, 3);
    assert!(!settings.auth.password.require_digit);
    assert_eq!(settings.log.format, LogFormat::Json);
    assert_eq!(settings.database_url(), "sqlite:///var/lib/authdb/authdb.db");
}

#[test]
fn a_numeric_secret_stays_a_string() {
    let secret = "1".repeat(40);
    let settings = load(&[("AUTHDB__AUTH__JWT_SECRET", &secret)]).expect("valid");
    assert_eq!(settings.auth.jwt_secret.expect("set").expose_secret(), secret);
}

#[test]
fn database_url_is_honoured_below_the_authdb_name() {
    let settings = load(&[("DATABASE_URL", "postgres://u:p@localhost/a")]).expect("valid");
    assert_eq!(settings.database_url(), "postgres://u:p@localhost/a");
    let settings = load(&[
        ("DATABASE_URL", "postgres://u:p@localhost/a"),
        ("AUTHDB__DATABASE__URL", "postgres://u:p@localhost/b"),
    ])
    .expect("valid");
    assert_eq!(settings.database_url(), "postgres://u:p@localhost/b");
}

#[test]
fn a_short_secret_is_refused_naming_the_setting() {
    let error = load(&[("AUTHDB__AUTH__JWT_SECRET", "too-short")]).expect_err("short");
    let message = error.to_string();
    assert!(message.contains("AUTHDB__AUTH__JWT_SECRET"), "{message}");
    assert!(message.contains("at least 32 bytes"), "{message}");
    assert!(!message.contains("too-short"), "the secret itself must not be echoed: {message}");
}

#[test]
fn invalid_values_name_their_setting() {
    let cases: &[(&str, &str, &str)] = &[
        ("AUTHDB__AUTH__BCRYPT_COST", "3", "AUTHDB__AUTH__BCRYPT_COST"),
        ("AUTHDB__AUTH__BCRYPT_COST", "lots", "AUTHDB__AUTH__BCRYPT_COST"),
        ("AUTHDB__SERVER__BIND", "localhost", "AUTHDB__SERVER__BIND"),
        ("AUTHDB__AUTH__ACCESS_TTL_SECS", "0", "AUTHDB__AUTH__ACCESS_TTL_SECS"),
        ("AUTHDB__AUTH__REFRESH_TTL_SECS", "10", "AUTHDB__AUTH__REFRESH_TTL_SECS"),
        ("AUTHDB__AUTH__PASSWORD__MAX_BYTES", "100", "AUTHDB__AUTH__PASSWORD__MAX_BYTES"),
        ("AUTHDB__AUTH__PASSWORD__MIN_BYTES", "0", "AUTHDB__AUTH__PASSWORD__MIN_BYTES"),
        ("AUTHDB__AUTH__SESSION_CACHE_TTL_MS", "60001", "AUTHDB__AUTH__SESSION_CACHE_TTL_MS"),
        ("AUTHDB__SERVER__WORKERS", "5000", "AUTHDB__SERVER__WORKERS"),
        ("AUTHDB__AUTH__REFRESH_REUSE_GRACE_SECS", "7200", "AUTHDB__AUTH__REFRESH_REUSE_GRACE_SECS"),
        ("AUTHDB__DATABASE__MAX_CONNECTIONS", "0", "AUTHDB__DATABASE__MAX_CONNECTIONS"),
        ("AUTHDB__AUTH__LOCKOUT_THRESHOLD", "0", "AUTHDB__AUTH__LOCKOUT_THRESHOLD"),
        ("AUTHDB__AUTH__LOCKOUT_THRESHOLD", "1001", "AUTHDB__AUTH__LOCKOUT_THRESHOLD"),
        ("AUTHDB__AUTH__LOCKOUT_IP_THRESHOLD", "3", "AUTHDB__AUTH__LOCKOUT_IP_THRESHOLD"),
        ("AUTHDB__AUTH__LOCKOUT_BASE_DELAY_SECS", "0", "AUTHDB__AUTH__LOCKOUT_BASE_DELAY_SECS"),
        ("AUTHDB__AUTH__LOCKOUT_MAX_DELAY_SECS", "2", "AUTHDB__AUTH__LOCKOUT_MAX_DELAY_SECS"),
        ("AUTHDB__AUTH__LOCKOUT_DECAY_SECS", "0", "AUTHDB__AUTH__LOCKOUT_DECAY_SECS"),
        ("AUTHDB__AUTH__LOCKOUT_THRESHOLD", "many", "AUTHDB__AUTH__LOCKOUT_THRESHOLD"),
        ("AUTHDB__AUTH__LOCKOUT_MAX_WAIT_MS", "99", "AUTHDB__AUTH__LOCKOUT_MAX_WAIT_MS"),
        ("AUTHDB__AUTH__LOCKOUT_MAX_WAIT_MS", "30001", "AUTHDB__AUTH__LOCKOUT_MAX_WAIT_MS"),
        ("AUTHDB__AUTH__LOCKOUT_ACCOUNT_ALERT_THRESHOLD", "1000001", "AUTHDB__AUTH__LOCKOUT_ACCOUNT_ALERT_THRESHOLD"),
        ("AUTHDB__AUTH__MAX_SESSIONS_PER_USER", "0", "AUTHDB__AUTH__MAX_SESSIONS_PER_USER"),
        ("AUTHDB__AUTH__MAX_SESSIONS_PER_USER", "10001", "AUTHDB__AUTH__MAX_SESSIONS_PER_USER"),
        ("AUTHDB__DATABASE__URL", "mysql://x", "AUTHDB__DATABASE__URL"),
        ("AUTHDB__LOG__FORMAT", "xml", "AUTHDB__LOG__FORMAT"),
        ("AUTHDB__AUTH__NO_SUCH_KEY", "1", "AUTHDB__AUTH__NO_SUCH_KEY"),
    ];
    for (key, value, expected) in cases {
        let message = load(&[(key, value)]).expect_err(key).to_string();
        assert!(message.contains(expected), "{key}={value}: {message}");
        assert!(!message.contains('\n'), "one line: {message}");
    }
}

#[test]
fn lockout_settings_default_to_the_documented_policy_and_can_be_changed() {
    let policy = load(&[]).expect("defaults").auth.login_throttle_policy();
    assert_eq!((policy.threshold, policy.ip_threshold), (5, 50));
    assert_eq!(policy.base_delay, Duration::from_secs(5));
    assert_eq!(policy.max_delay, Duration::from_secs(900));
    assert_eq!(policy.decay, Duration::from_secs(300));
    assert_eq!(policy.max_wait, Duration::from_secs(2));
    assert_eq!(policy.account_alert_threshold, 20);

    let settings = load(&[
        ("AUTHDB__AUTH__LOCKOUT_THRESHOLD", "3"),
        ("AUTHDB__AUTH__LOCKOUT_IP_THRESHOLD", "0"),
        ("AUTHDB__AUTH__LOCKOUT_BASE_DELAY_SECS", "1"),
        ("AUTHDB__AUTH__LOCKOUT_MAX_DELAY_SECS", "60"),
        ("AUTHDB__AUTH__LOCKOUT_DECAY_SECS", "30"),
        ("AUTHDB__AUTH__LOCKOUT_MAX_WAIT_MS", "500"),
        ("AUTHDB__AUTH__LOCKOUT_ACCOUNT_ALERT_THRESHOLD", "0"),
    ])
    .expect("valid");
    let policy = settings.auth.login_throttle_policy();
    assert_eq!(
        (policy.max_wait, policy.account_alert_threshold),
        (Duration::from_millis(500), 0),
        "0 turns the alert off"
    );
    assert_eq!((policy.threshold, policy.ip_threshold), (3, 0), "0 turns the per-address budget off");
    assert_eq!((policy.base_delay, policy.max_delay), (Duration::from_secs(1), Duration::from_secs(60)));
    assert_eq!(policy.decay, Duration::from_secs(30));
}

#[test]
fn debug_output_hides_the_database_password() {
    let settings = load(&[("DATABASE_URL", "postgres://u:hunter2@localhost/a")]).expect("valid");
    assert!(!format!("{settings:?}").contains("hunter2"));
}

#[test]
fn a_config_file_sits_between_defaults_and_environment() {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().expect("temp file");
    writeln!(file, "[server]\nbind = \"127.0.0.1:7000\"\n[auth]\nissuer = \"from-file\"\naudience = \"file-aud\"")
        .expect("write");
    let settings = Settings::load_from(Some(file.path()), env(&[("AUTHDB__AUTH__ISSUER", "from-env")])).expect("valid");
    assert_eq!(settings.server.bind, "127.0.0.1:7000");
    assert_eq!(settings.auth.issuer.as_deref(), Some("from-env"));
    assert_eq!(settings.auth.audience, "file-aud");
}

#[test]
fn a_missing_explicit_config_file_is_an_error() {
    let error = Settings::load_from(Some(Path::new("/nonexistent/authdb.toml")), env(&[])).expect_err("missing");
    assert!(error.to_string().contains("authdb.toml"), "{error}");
}

#[test]
fn the_example_configuration_file_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../authdb.example.toml");
    let settings = Settings::load_from(Some(&path), env(&[])).expect("the documented example is valid");
    assert_eq!(settings.server.bind, "0.0.0.0:8080");
    assert_eq!(settings.auth.password.min_bytes, 10);
    assert_eq!(settings.log.format, LogFormat::Json);
    assert_eq!(settings.auth.lockout_threshold, 5);
    assert_eq!(settings.auth.lockout_ip_threshold, 50);
    assert_eq!(settings.server.trusted_proxies, ["10.0.0.0/8", "127.0.0.1"]);
    assert_eq!(settings.database.max_lifetime_secs, 1800);
    assert_eq!(settings.rate_limit.auth_per_minute, 20);
    assert_eq!(settings.metrics_bind_addr().expect("valid"), Some("127.0.0.1:9090".parse().expect("address")));
    assert_eq!(settings.auth.jwt_algorithm, JwtAlgorithm::EdDsa);
    assert_eq!(settings.auth.signing_keys.len(), 2);
    assert_eq!(settings.mail.transport, MailTransport::Smtp);
    assert_eq!(settings.mail.smtp_url.as_deref(), Some("smtp://smtp.example.com:587"));
}

#[test]
fn production_settings_have_defaults_and_come_from_the_environment() {
    let defaults = load(&[]).expect("defaults are valid");
    assert!(defaults.rate_limit.enabled);
    assert_eq!((defaults.rate_limit.auth_per_minute, defaults.rate_limit.api_per_minute), (20, 100));
    assert!(defaults.redis.url.is_none());
    assert!(defaults.server.trusted_proxies.is_empty());
    assert_eq!(defaults.metrics_bind_addr().expect("valid"), None);
    assert_eq!((defaults.database.idle_timeout_secs, defaults.database.max_lifetime_secs), (600, 1800));

    let settings = load(&[
        ("AUTHDB__RATE_LIMIT__ENABLED", "false"),
        ("AUTHDB__RATE_LIMIT__AUTH_PER_MINUTE", "5"),
        ("AUTHDB__RATE_LIMIT__API_PER_MINUTE", "50"),
        ("AUTHDB__REDIS__URL", "redis://:hunter2@cache:6379/1"),
        ("AUTHDB__SERVER__TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
        ("AUTHDB__METRICS__BIND", "0.0.0.0:9100"),
        ("AUTHDB__DATABASE__MIN_CONNECTIONS", "0"),
        ("AUTHDB__DATABASE__IDLE_TIMEOUT_SECS", "0"),
        ("AUTHDB__DATABASE__MAX_LIFETIME_SECS", "60"),
    ])
    .expect("valid");
    assert!(!settings.rate_limit.enabled);
    assert_eq!((settings.rate_limit.auth_per_minute, settings.rate_limit.api_per_minute), (5, 50));
    assert_eq!(settings.server.trusted_proxies, ["10.0.0.0/8", "127.0.0.1"]);
    assert!(settings.trusted_proxies().expect("valid").trusts("10.1.2.3".parse().expect("ip")));
    assert_eq!(settings.metrics_bind_addr().expect("valid"), Some("0.0.0.0:9100".parse().expect("address")));
    assert_eq!((settings.database.min_connections, settings.database.idle_timeout_secs), (0, 0));
    assert_eq!(settings.database.max_lifetime_secs, 60);
    assert!(!format!("{settings:?}").contains("hunter2"), "the Redis password must stay out of Debug output");
}

#[test]
fn invalid_production_settings_name_their_setting() {
    let cases: &[(&str, &str, &str)] = &[
        ("AUTHDB__RATE_LIMIT__AUTH_PER_MINUTE", "0", "AUTHDB__RATE_LIMIT__AUTH_PER_MINUTE"),
        ("AUTHDB__RATE_LIMIT__API_PER_MINUTE", "0", "AUTHDB__RATE_LIMIT__API_PER_MINUTE"),
        ("AUTHDB__RATE_LIMIT__ENABLED", "maybe", "AUTHDB__RATE_LIMIT__ENABLED"),
        ("AUTHDB__REDIS__URL", "http://cache:6379", "AUTHDB__REDIS__URL"),
        ("AUTHDB__REDIS__TIMEOUT_MS", "0", "AUTHDB__REDIS__TIMEOUT_MS"),
        ("AUTHDB__SERVER__TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal", "AUTHDB__SERVER__TRUSTED_PROXIES"),
        ("AUTHDB__METRICS__BIND", "localhost", "AUTHDB__METRICS__BIND"),
        ("AUTHDB__DATABASE__ACQUIRE_TIMEOUT_SECS", "301", "AUTHDB__DATABASE__ACQUIRE_TIMEOUT_SECS"),
        ("AUTHDB__DATABASE__IDLE_TIMEOUT_SECS", "-1", "AUTHDB__DATABASE__IDLE_TIMEOUT_SECS"),
        ("AUTHDB__INVENTORY__MAX_SCAN_BYTES", "1024", "AUTHDB__INVENTORY__MAX_SCAN_BYTES"),
        ("AUTHDB__INVENTORY__MAX_SCAN_BYTES", "2147483648", "AUTHDB__INVENTORY__MAX_SCAN_BYTES"),
        ("AUTHDB__INVENTORY__AGENT_TIMEOUT_MS", "99", "AUTHDB__INVENTORY__AGENT_TIMEOUT_MS"),
        ("AUTHDB__INVENTORY__AGENT_TIMEOUT_MS", "120001", "AUTHDB__INVENTORY__AGENT_TIMEOUT_MS"),
        ("AUTHDB__INVENTORY__RULE_SWEEP_INTERVAL_SECS", "0", "AUTHDB__INVENTORY__RULE_SWEEP_INTERVAL_SECS"),
        ("AUTHDB__INVENTORY__RULE_SWEEP_INTERVAL_SECS", "86401", "AUTHDB__INVENTORY__RULE_SWEEP_INTERVAL_SECS"),
        ("AUTHDB__MESSAGING__MAX_MESSAGE_BYTES", "0", "AUTHDB__MESSAGING__MAX_MESSAGE_BYTES"),
        ("AUTHDB__MESSAGING__MAX_MESSAGE_BYTES", "16777217", "AUTHDB__MESSAGING__MAX_MESSAGE_BYTES"),
        ("AUTHDB__MESSAGING__MIN_AUTO_DELETE_SECS", "0", "AUTHDB__MESSAGING__MIN_AUTO_DELETE_SECS"),
        ("AUTHDB__MESSAGING__MIN_AUTO_DELETE_SECS", "31536001", "AUTHDB__MESSAGING__MIN_AUTO_DELETE_SECS"),
        ("AUTHDB__MESSAGING__SWEEP_INTERVAL_SECS", "0", "AUTHDB__MESSAGING__SWEEP_INTERVAL_SECS"),
        ("AUTHDB__MESSAGING__SWEEP_INTERVAL_SECS", "3601", "AUTHDB__MESSAGING__SWEEP_INTERVAL_SECS"),
        ("AUTHDB__MESSAGING__POSTS_PER_MINUTE_PER_USER", "0", "AUTHDB__MESSAGING__POSTS_PER_MINUTE_PER_USER"),
        ("AUTHDB__MESSAGING__SOCKET_QUEUE", "0", "AUTHDB__MESSAGING__SOCKET_QUEUE"),
        ("AUTHDB__MESSAGING__SOCKET_QUEUE", "65537", "AUTHDB__MESSAGING__SOCKET_QUEUE"),
        ("AUTHDB__MESSAGING__PING_INTERVAL_SECS", "0", "AUTHDB__MESSAGING__PING_INTERVAL_SECS"),
        ("AUTHDB__MESSAGING__PING_INTERVAL_SECS", "3601", "AUTHDB__MESSAGING__PING_INTERVAL_SECS"),
        ("AUTHDB__MESSAGING__PRESENCE_HEARTBEAT_SECS", "0", "AUTHDB__MESSAGING__PRESENCE_HEARTBEAT_SECS"),
        ("AUTHDB__MESSAGING__PRESENCE_HEARTBEAT_SECS", "301", "AUTHDB__MESSAGING__PRESENCE_HEARTBEAT_SECS"),
        ("AUTHDB__REDIS__CHANNEL", "two words", "AUTHDB__REDIS__CHANNEL"),
    ];
    for (key, value, expected) in cases {
        let message = load(&[(key, value)]).expect_err(key).to_string();
        assert!(message.contains(expected), "{key}={value}: {message}");
        assert!(!message.contains('\n'), "one line: {message}");
    }
}

#[test]
fn the_signing_algorithm_and_keys_come_from_the_environment() {
    let settings = load(&[
        ("AUTHDB__AUTH__JWT_ALGORITHM", "EdDSA"),
        ("AUTHDB__AUTH__SIGNING_KEYS", "/keys/new.pem, /keys/old.pem"),
    ])
    .expect("valid");
    assert_eq!(settings.auth.jwt_algorithm, JwtAlgorithm::EdDsa);
    assert_eq!(settings.auth.signing_keys, [PathBuf::from("/keys/new.pem"), PathBuf::from("/keys/old.pem")]);

    let settings =
        load(&[("AUTHDB__AUTH__JWT_ALGORITHM", "rs256"), ("AUTHDB__AUTH__SIGNING_KEYS", "/k.pem")]).expect("valid");
    assert_eq!(settings.auth.jwt_algorithm, JwtAlgorithm::Rs256);
    let defaults = load(&[]).expect("valid");
    assert_eq!(defaults.auth.jwt_algorithm, JwtAlgorithm::Hs256);
    assert!(defaults.auth.signing_keys.is_empty());
    let generated = load(&[("AUTHDB__AUTH__JWT_ALGORITHM", "EdDSA")]).expect("EdDSA may generate its key");
    assert!(generated.auth.signing_keys.is_empty());
}

#[test]
fn signing_keys_may_be_a_toml_list() {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().expect("temp file");
    writeln!(file, "[auth]\njwt_algorithm = \"RS256\"\nsigning_keys = [\"/keys/a.pem\", \"/keys/b.pem\"]")
        .expect("write");
    let settings = Settings::load_from(Some(file.path()), env(&[])).expect("valid");
    assert_eq!(settings.auth.signing_keys, [PathBuf::from("/keys/a.pem"), PathBuf::from("/keys/b.pem")]);
}

#[test]
fn inconsistent_signing_settings_are_refused_naming_the_setting() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("AUTHDB__AUTH__JWT_ALGORITHM", "HS512")], "AUTHDB__AUTH__JWT_ALGORITHM"),
        (&[("AUTHDB__AUTH__JWT_ALGORITHM", "none")], "AUTHDB__AUTH__JWT_ALGORITHM"),
        (&[("AUTHDB__AUTH__JWT_ALGORITHM", "RS256")], "AUTHDB__AUTH__SIGNING_KEYS"),
        (&[("AUTHDB__AUTH__SIGNING_KEYS", "/keys/a.pem")], "AUTHDB__AUTH__SIGNING_KEYS"),
        (
            &[("AUTHDB__AUTH__JWT_ALGORITHM", "EdDSA"), ("AUTHDB__AUTH__SIGNING_KEYS", "/a.pem,,/b.pem")],
            "AUTHDB__AUTH__SIGNING_KEYS",
        ),
    ];
    for (pairs, expected) in cases {
        let message = load(pairs).expect_err("refused").to_string();
        assert!(message.contains(expected), "{pairs:?}: {message}");
        assert!(!message.contains('\n'), "one line: {message}");
    }
}

/// The message after `invalid setting VARIABLE`, without the TOML key in parentheses that
/// unreadable values carry and without quoted text (`expected one of `bind`, ...`).
fn names_outside_the_key_and_quotes(message: &str) -> Vec<String> {
    let rest = message.split_once(": ").map_or(message, |(_, rest)| rest);
    let unquoted: String = rest.split('`').step_by(2).collect();
    unquoted
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.contains('_') && word.chars().any(|c| c.is_ascii_lowercase()))
        .map(str::to_owned)
        .collect()
}

/// Every message names settings by their environment variables: `(variable, value,
/// the variables the message must name)`.
#[test]
fn every_settings_error_names_variables_not_toml_keys() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("AUTHDB__AUTH__BCRYPT_COST", "lots", &["AUTHDB__AUTH__BCRYPT_COST"]),
        ("AUTHDB__SERVER__WORKERS", "abc", &["AUTHDB__SERVER__WORKERS"]),
        ("AUTHDB__RATE_LIMIT__ENABLED", "maybe", &["AUTHDB__RATE_LIMIT__ENABLED"]),
        ("AUTHDB__LOG__FORMAT", "xml", &["AUTHDB__LOG__FORMAT"]),
        ("AUTHDB__AUTH__JWT_ALGORITHM", "HS512", &["AUTHDB__AUTH__JWT_ALGORITHM"]),
        ("AUTHDB__AUTH__NO_SUCH_KEY", "1", &["AUTHDB__AUTH__NO_SUCH_KEY"]),
        ("AUTHDB__NO_SUCH_SECTION", "1", &["AUTHDB__NO_SUCH_SECTION"]),
        ("AUTHDB__SERVER", "1", &["AUTHDB__SERVER"]),
        ("AUTHDB__SERVER__TRUSTED_PROXIES", "not-an-address", &["AUTHDB__SERVER__TRUSTED_PROXIES"]),
        ("AUTHDB__SERVER__PUBLIC_URL", "auth.example.com", &["AUTHDB__SERVER__PUBLIC_URL"]),
        (
            "AUTHDB__DATABASE__MIN_CONNECTIONS",
            "20",
            &["AUTHDB__DATABASE__MIN_CONNECTIONS", "AUTHDB__DATABASE__MAX_CONNECTIONS"],
        ),
        (
            "AUTHDB__AUTH__LOCKOUT_IP_THRESHOLD",
            "2",
            &["AUTHDB__AUTH__LOCKOUT_IP_THRESHOLD", "AUTHDB__AUTH__LOCKOUT_THRESHOLD"],
        ),
        (
            "AUTHDB__AUTH__LOCKOUT_MAX_DELAY_SECS",
            "1",
            &["AUTHDB__AUTH__LOCKOUT_MAX_DELAY_SECS", "AUTHDB__AUTH__LOCKOUT_BASE_DELAY_SECS"],
        ),
        ("AUTHDB__AUTH__REFRESH_TTL_SECS", "10", &["AUTHDB__AUTH__REFRESH_TTL_SECS", "AUTHDB__AUTH__ACCESS_TTL_SECS"]),
        (
            "AUTHDB__RATE_LIMIT__AUTH_PER_MINUTE",
            "0",
            &["AUTHDB__RATE_LIMIT__AUTH_PER_MINUTE", "AUTHDB__RATE_LIMIT__ENABLED"],
        ),
        ("AUTHDB__RATE_LIMIT__API_PER_MINUTE", "0", &["AUTHDB__RATE_LIMIT__API_PER_MINUTE"]),
        (
            "AUTHDB__AUTH__PASSWORD__MIN_BYTES",
            "80",
            &["AUTHDB__AUTH__PASSWORD__MIN_BYTES", "AUTHDB__AUTH__PASSWORD__MAX_BYTES"],
        ),
        ("AUTHDB__AUTH__PASSWORD__MIN_BYTES", "0", &["AUTHDB__AUTH__PASSWORD__MIN_BYTES"]),
        ("DATABASE_URL", "mysql://x", &["DATABASE_URL"]),
    ];
    for (key, value, variables) in cases {
        let message = load(&[(key, value)]).expect_err(key).to_string();
        let first = variables[0];
        assert!(
            message.starts_with(&format!("invalid setting {first} "))
                || message.starts_with(&format!("invalid setting {first}:")),
            "{key}={value} should name {first} first: {message}"
        );
        for variable in *variables {
            assert!(message.contains(variable), "{key}={value} should name {variable}: {message}");
        }
        assert_eq!(names_outside_the_key_and_quotes(&message), Vec::<String>::new(), "{key}={value}: {message}");
        assert!(!message.contains('\n'), "one line: {message}");
    }
}

#[test]
fn an_unreadable_value_says_what_was_expected_and_what_came() {
    let message = load(&[("AUTHDB__AUTH__BCRYPT_COST", "lots")]).expect_err("not a number").to_string();
    assert_eq!(
        message,
        r#"invalid setting AUTHDB__AUTH__BCRYPT_COST (auth.bcrypt_cost): expected an integer, got string "lots""#
    );
    let message = load(&[("AUTHDB__SERVER", "1")]).expect_err("a section").to_string();
    assert!(message.contains("expected a section of settings"), "{message}");
    let message = load(&[("AUTHDB__AUTH__NO_SUCH_KEY", "1")]).expect_err("unknown").to_string();
    assert!(message.contains("no such setting, expected one of `jwt_secret`"), "{message}");
}

#[test]
fn settings_from_a_file_name_their_variable_key_and_file() {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().expect("temp file");
    writeln!(file, "[auth]\nbcrypt_cost = \"lots\"").expect("write");
    let message = Settings::load_from(Some(file.path()), env(&[])).expect_err("not a number").to_string();
    let path = file.path().display().to_string();
    assert!(message.starts_with("invalid setting AUTHDB__AUTH__BCRYPT_COST (auth.bcrypt_cost in "), "{message}");
    assert!(message.contains(&format!("(auth.bcrypt_cost in {path}):")), "the file is named as given: {message}");

    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().expect("temp file");
    writeln!(file, "[server]\nbnid = \"127.0.0.1:1\"").expect("write");
    let message = Settings::load_from(Some(file.path()), env(&[])).expect_err("unknown key").to_string();
    assert!(message.starts_with("invalid setting AUTHDB__SERVER__BNID (server.bnid): no such setting"), "{message}");

    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().expect("temp file");
    writeln!(file, "[auth]\nsigning_keys = [1]").expect("write");
    let message = Settings::load_from(Some(file.path()), env(&[])).expect_err("not paths").to_string();
    assert!(message.starts_with("invalid setting AUTHDB__AUTH__SIGNING_KEYS (auth.signing_keys): "), "{message}");
}

#[test]
fn a_file_that_is_not_toml_is_refused_in_one_line_naming_it() {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().expect("temp file");
    writeln!(file, "[auth\nbcrypt_cost = 4").expect("write");
    let message = Settings::load_from(Some(file.path()), env(&[])).expect_err("broken").to_string();
    let path = file.path().display().to_string();
    assert!(message.starts_with(&format!("invalid configuration: {path}: ")), "named as given: {message}");
    assert!(message.contains("line 1"), "{message}");
    assert!(!message.contains('\n'), "one line: {message}");
}

#[test]
fn the_log_format_is_read_in_any_case() {
    assert_eq!(load(&[("AUTHDB__LOG__FORMAT", "JSON")]).expect("valid").log.format, LogFormat::Json);
    assert_eq!(load(&[("AUTHDB__LOG__FORMAT", "human")]).expect("valid").log.format, LogFormat::Human);
}

#[test]
fn the_public_url_is_normalised_and_becomes_the_default_issuer() {
    let settings = load(&[]).expect("valid");
    assert_eq!(settings.public_url().expect("valid"), None);
    assert_eq!(settings.issuer(), DEFAULT_ISSUER);

    for (raw, normalised) in [
        ("https://auth.example.com", "https://auth.example.com"),
        ("https://Auth.Example.com/", "https://auth.example.com"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("https://example.com/auth/", "https://example.com/auth"),
    ] {
        let settings = load(&[("AUTHDB__SERVER__PUBLIC_URL", raw)]).expect(raw);
        assert_eq!(settings.public_url().expect(raw).as_deref(), Some(normalised), "{raw}");
        assert_eq!(settings.issuer(), normalised, "{raw}");
    }

    // An explicit issuer stays the issuer: tokens and their verifiers keep agreeing.
    let settings =
        load(&[("AUTHDB__SERVER__PUBLIC_URL", "https://auth.example.com"), ("AUTHDB__AUTH__ISSUER", "authdb")])
            .expect("valid");
    assert_eq!(settings.issuer(), "authdb");
}

#[test]
fn a_public_url_that_is_not_an_absolute_http_url_is_refused() {
    for bad in [
        "auth.example.com",
        "/auth",
        "ftp://auth.example.com",
        "https://",
        "https://auth.example.com/?a=1",
        "https://auth.example.com/#top",
        "https://user:pass@auth.example.com",
        "javascript:alert(1)",
    ] {
        let message = load(&[("AUTHDB__SERVER__PUBLIC_URL", bad)]).expect_err(bad).to_string();
        assert!(message.starts_with("invalid setting AUTHDB__SERVER__PUBLIC_URL: "), "{bad}: {message}");
    }
}

#[test]
fn an_empty_issuer_is_refused() {
    let mut settings = Settings::default();
    settings.auth.issuer = Some("  ".into());
    let message = settings.validate().expect_err("empty issuer").to_string();
    assert!(message.contains("AUTHDB__AUTH__ISSUER"), "{message}");
}

#[test]
fn mail_defaults_to_the_file_transport_in_the_data_directory() {
    let settings = load(&[("AUTHDB__DATA_DIR", "/var/lib/authdb")]).expect("defaults are valid");
    assert_eq!(settings.mail.transport, MailTransport::File);
    assert_eq!(settings.mail_dir(), Path::new("/var/lib/authdb/outbox"));
    assert_eq!(settings.mail.smtp_starttls.0, authdb_mail::StartTls::Required);
    assert_eq!(settings.mail.smtp_timeout_secs, 10);
    assert_eq!(settings.mail.max_attempts, 8);
    assert_eq!(settings.mail.retry_base_secs, 30);
    assert_eq!(settings.mail.product_name, "authdb");
    assert_eq!(settings.auth.verify_ttl_secs, 86_400);
    assert_eq!(settings.auth.reset_ttl_secs, 3600);
    assert_eq!(settings.auth.step_up_max_age_secs, 600);
    assert!(!settings.auth.require_verified_email);
}

#[test]
fn mail_links_are_built_on_the_public_url_or_else_on_this_machine() {
    let settings = load(&[("AUTHDB__SERVER__PUBLIC_URL", "https://id.example.com/")]).expect("valid");
    assert_eq!(settings.mail_link_base().expect("a base"), "https://id.example.com");
    let settings = load(&[("AUTHDB__SERVER__BIND", "0.0.0.0:8080")]).expect("valid");
    assert_eq!(settings.mail_link_base().expect("a base"), "http://localhost:8080");
    let settings = load(&[("AUTHDB__SERVER__BIND", "192.0.2.7:9000")]).expect("valid");
    assert_eq!(settings.mail_link_base().expect("a base"), "http://192.0.2.7:9000");
}

#[test]
fn smtp_mail_settings_come_from_the_environment() {
    let settings = load(&[
        ("AUTHDB__MAIL__TRANSPORT", "SMTP"),
        ("AUTHDB__MAIL__SMTP_URL", "smtp://mail.example.com:2525"),
        ("AUTHDB__MAIL__SMTP_STARTTLS", "opportunistic"),
        ("AUTHDB__MAIL__SMTP_USERNAME", "authdb"),
        ("AUTHDB__MAIL__SMTP_PASSWORD", "mail-password-123"),
        ("AUTHDB__MAIL__FROM", "Example <no-reply@example.com>"),
        ("AUTHDB__MAIL__SMTP_TIMEOUT_SECS", "30"),
    ])
    .expect("valid");
    assert_eq!(settings.mail.transport, MailTransport::Smtp);
    assert_eq!(settings.mail.smtp_starttls.0, authdb_mail::StartTls::Opportunistic);
    assert!(!format!("{settings:?}").contains("mail-password-123"), "the SMTP password stays out of Debug");
    let mailer = authdb_mail::build(&settings.mail_config()).expect("builds");
    assert_eq!(mailer.name(), "smtp");
}

#[test]
fn inconsistent_mail_settings_are_refused_naming_the_setting() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("AUTHDB__MAIL__TRANSPORT", "carrier-pigeon")], "AUTHDB__MAIL__TRANSPORT"),
        (&[("AUTHDB__MAIL__TRANSPORT", "smtp")], "AUTHDB__MAIL__SMTP_URL"),
        (&[("AUTHDB__MAIL__SMTP_URL", "smtp://mail.example.com")], "AUTHDB__MAIL__SMTP_URL"),
        (&[("AUTHDB__MAIL__SMTP_STARTTLS", "sometimes")], "AUTHDB__MAIL__SMTP_STARTTLS"),
        (&[("AUTHDB__MAIL__SMTP_USERNAME", "authdb")], "AUTHDB__MAIL__SMTP_USERNAME"),
        (&[("AUTHDB__MAIL__SMTP_TIMEOUT_SECS", "0")], "AUTHDB__MAIL__SMTP_TIMEOUT_SECS"),
        (&[("AUTHDB__MAIL__SMTP_TIMEOUT_SECS", "301")], "AUTHDB__MAIL__SMTP_TIMEOUT_SECS"),
        (&[("AUTHDB__MAIL__FROM", "  ")], "AUTHDB__MAIL__FROM"),
        (&[("AUTHDB__MAIL__FROM", "no address here")], "AUTHDB__MAIL__FROM"),
        (&[("AUTHDB__MAIL__MAX_ATTEMPTS", "0")], "AUTHDB__MAIL__MAX_ATTEMPTS"),
        (&[("AUTHDB__MAIL__MAX_ATTEMPTS", "101")], "AUTHDB__MAIL__MAX_ATTEMPTS"),
        (&[("AUTHDB__MAIL__RETRY_BASE_SECS", "0")], "AUTHDB__MAIL__RETRY_BASE_SECS"),
        (&[("AUTHDB__MAIL__RETRY_BASE_SECS", "3601")], "AUTHDB__MAIL__RETRY_BASE_SECS"),
        (&[("AUTHDB__MAIL__PRODUCT_NAME", "  ")], "AUTHDB__MAIL__PRODUCT_NAME"),
        (&[("AUTHDB__MAIL__PRODUCT_NAME", "Acme\nBcc: everyone")], "AUTHDB__MAIL__PRODUCT_NAME"),
        (&[("AUTHDB__AUTH__VERIFY_TTL_SECS", "59")], "AUTHDB__AUTH__VERIFY_TTL_SECS"),
        (&[("AUTHDB__AUTH__VERIFY_TTL_SECS", "2592001")], "AUTHDB__AUTH__VERIFY_TTL_SECS"),
        (&[("AUTHDB__AUTH__RESET_TTL_SECS", "59")], "AUTHDB__AUTH__RESET_TTL_SECS"),
        (&[("AUTHDB__AUTH__RESET_TTL_SECS", "86401")], "AUTHDB__AUTH__RESET_TTL_SECS"),
        (&[("AUTHDB__AUTH__STEP_UP_MAX_AGE_SECS", "0")], "AUTHDB__AUTH__STEP_UP_MAX_AGE_SECS"),
        (&[("AUTHDB__AUTH__STEP_UP_MAX_AGE_SECS", "86401")], "AUTHDB__AUTH__STEP_UP_MAX_AGE_SECS"),
    ];
    for (pairs, expected) in cases {
        let message = load(pairs).expect_err(expected).to_string();
        assert!(message.contains(expected), "{pairs:?}: {message}");
        assert!(!message.contains('\n'), "one line: {message}");
    }
}

#[test]
fn the_webauthn_relying_party_defaults_to_the_public_url_or_localhost() {
    let settings = load(&[]).expect("valid");
    let rp = settings.relying_party().expect("valid");
    assert_eq!(rp.rp_id, "localhost");
    assert_eq!(rp.origins.iter().map(|origin| origin.as_str()).collect::<Vec<_>>(), ["http://localhost/"]);
    assert!(rp.allow_any_port);

    let settings = load(&[("AUTHDB__SERVER__PUBLIC_URL", "https://id.example.com/auth/")]).expect("valid");
    let rp = settings.relying_party().expect("valid");
    assert_eq!(rp.rp_id, "id.example.com");
    assert_eq!(rp.origins.iter().map(|origin| origin.as_str()).collect::<Vec<_>>(), ["https://id.example.com/"]);
    assert!(!rp.allow_any_port);

    let settings = load(&[
        ("AUTHDB__SERVER__PUBLIC_URL", "https://id.example.com"),
        ("AUTHDB__AUTH__WEBAUTHN_RP_ID", "example.com"),
        ("AUTHDB__AUTH__WEBAUTHN_ORIGINS", "https://app.example.com, https://example.com:8443"),
    ])
    .expect("valid");
    let rp = settings.relying_party().expect("valid");
    assert_eq!(rp.rp_id, "example.com");
    assert_eq!(
        rp.origins.iter().map(|origin| origin.as_str()).collect::<Vec<_>>(),
        ["https://app.example.com/", "https://example.com:8443/"]
    );
    let settings = load(&[("AUTHDB__AUTH__WEBAUTHN_RP_ID", "example.com")]).expect("valid");
    let rp = settings.relying_party().expect("valid");
    assert_eq!(rp.origins.iter().map(|origin| origin.as_str()).collect::<Vec<_>>(), ["https://example.com/"]);
}

#[test]
fn bad_webauthn_settings_are_refused_naming_the_setting() {
    for bad in ["https://example.com", "Example.com", "example.com:443", "192.0.2.1", "exa mple.com", "a..b"] {
        let message = load(&[("AUTHDB__AUTH__WEBAUTHN_RP_ID", bad)]).expect_err(bad).to_string();
        assert!(message.starts_with("invalid setting AUTHDB__AUTH__WEBAUTHN_RP_ID: "), "{bad}: {message}");
    }
    for bad in [
        "example.com",
        "https://evil.com",
        "https://notexample.com",
        "http://app.example.com",
        "https://app.example.com/login",
        "ftp://example.com",
    ] {
        let message = load(&[("AUTHDB__AUTH__WEBAUTHN_RP_ID", "example.com"), ("AUTHDB__AUTH__WEBAUTHN_ORIGINS", bad)])
            .expect_err(bad)
            .to_string();
        assert!(message.starts_with("invalid setting AUTHDB__AUTH__WEBAUTHN_ORIGINS: "), "{bad}: {message}");
    }
}

#[test]
fn the_mfa_encryption_key_is_base64_of_32_bytes_and_never_shown() {
    // 32 bytes of 42 and of 7, in base64.
    let key = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
    let previous = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    let settings =
        load(&[("AUTHDB__AUTH__MFA_ENCRYPTION_KEY", key), ("AUTHDB__AUTH__MFA_ENCRYPTION_KEY_PREVIOUS", previous)])
            .expect("valid");
    let encryption = settings.auth.mfa_encryption().expect("valid");
    assert!(encryption.key.is_some() && encryption.previous.is_some());
    let shown = format!("{settings:?} {encryption:?}");
    assert!(!shown.contains(key) && !shown.contains(previous), "keys stay out of Debug: {shown}");
    // Padding is optional.
    assert!(load(&[("AUTHDB__AUTH__MFA_ENCRYPTION_KEY", key.trim_end_matches('='))]).is_ok());

    let short = "KioqKioqKioqKioqKioqKg=="; // 16 bytes
    for (variable, value, why) in [
        ("AUTHDB__AUTH__MFA_ENCRYPTION_KEY", "not base64 at all!", "must be base64"),
        ("AUTHDB__AUTH__MFA_ENCRYPTION_KEY", short, "exactly 32 bytes, got 16"),
        ("AUTHDB__AUTH__MFA_ENCRYPTION_KEY_PREVIOUS", short, "exactly 32 bytes, got 16"),
    ] {
        let error = load(&[(variable, value)]).expect_err("refused").to_string();
        assert!(error.contains(variable), "{error}");
        assert!(error.contains(why), "{error}");
        assert!(!error.contains(value), "the value is never echoed: {error}");
    }
}
