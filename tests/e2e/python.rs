//! The test virtualenv's Python (`target/tools/venv`, made by `scripts/test.sh` with pinned
//! packages; `AUTHDB_TEST_PYTHON` names another interpreter), and the outside
//! implementations the tests check us against through it: `pyotp` for TOTP codes and
//! `PyJWT` for access tokens.

use std::{path::PathBuf, process::Command};

use authdb_tests::TestApp;
use serde_json::Value;

/// The virtualenv's Python; `AUTHDB_TEST_PYTHON` names another one.
pub(crate) fn python() -> PathBuf {
    std::env::var_os("AUTHDB_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tools/venv/bin/python"))
}

/// Runs `python -c script args...` and answers its trimmed standard output.
pub(crate) fn run_python(script: &str, args: &[&str]) -> String {
    let output = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error} (run ./scripts/test.sh once)", python().display()));
    assert!(output.status.success(), "python failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// pyotp's code for `secret` at `now + offset_steps` steps.
pub(crate) fn pyotp_code(secret: &str, offset_steps: i64) -> String {
    let at = time::OffsetDateTime::now_utc().unix_timestamp() + offset_steps * 30;
    run_python("import pyotp,sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))", &[secret, &at.to_string()])
}

/// Waits, when less than 10 s are left of the current 30-s TOTP step, for the next step:
/// for a test whose codes of the previous step (offset -1) must still be inside the
/// server's one-step drift when they arrive, however slow the machine.
pub(crate) async fn early_in_a_totp_step() {
    let into_step = time::OffsetDateTime::now_utc().unix_timestamp().rem_euclid(30);
    if into_step > 20 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::try_from(31 - into_step).unwrap_or(11))).await;
    }
}

/// The `amr` and `auth_time` of an access token, verified by PyJWT with the server's
/// secret.
pub(crate) fn pyjwt_amr(app: &TestApp, token: &str) -> (Vec<String>, i64) {
    let out = run_python(
        "import jwt,sys,json; c=jwt.decode(sys.argv[1], sys.argv[2], algorithms=['HS256'], options={'verify_aud': False}); print(json.dumps([c['amr'], c['auth_time']]))",
        &[token, &app.jwt_secret()],
    );
    let parsed: Value = serde_json::from_str(&out).unwrap();
    let amr = parsed[0].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_owned()).collect();
    (amr, parsed[1].as_i64().unwrap())
}
