//! Running the real `authdb` binary: a sandbox (temporary directory, clean environment),
//! a server guard that kills its process when dropped, one-shot commands with a time
//! limit, and a throw-away PostgreSQL database.

use std::{
    fs::File,
    io::Write as _,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use reqwest::{Client, Response};
use serde_json::{Value, json};
use tempfile::TempDir;

/// The binary under test, built by Cargo for this test target.
const AUTHDB: &str = env!("CARGO_BIN_EXE_authdb");

/// A password the default policy accepts.
pub(crate) const PASSWORD: &str = "Secret123";

/// How long a server may take from spawn to answering `GET /health/live`.
const STARTUP_LIMIT: Duration = Duration::from_secs(20);
/// How long a one-shot command (`migrate`, `create-superuser`, a refused start) may run.
const COMMAND_LIMIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

/// A port that was free a moment ago. The binary does not report the port it bound when
/// given port 0, so the tests choose one; [`Sandbox::serve`] retries if it was taken.
pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address of the ephemeral listener").port()
}

/// A temporary directory (working directory, data directory, logs) and the environment
/// every process of one test runs with. Nothing is inherited from the test's own
/// environment except `PATH`, so a developer's `DATABASE_URL` or `AUTHDB__*` cannot leak in.
pub(crate) struct Sandbox {
    root: TempDir,
    env: Vec<(String, String)>,
    launches: AtomicUsize,
}

impl Sandbox {
    /// Data directory `<root>/data` (not created: the binary must create it) and bcrypt
    /// cost 4, so hashing does not dominate the tests.
    pub(crate) fn new() -> Self {
        let root = tempfile::tempdir().expect("create a temporary directory");
        let mut sandbox = Self { root, env: Vec::new(), launches: AtomicUsize::new(0) };
        let data_dir = sandbox.data_dir().display().to_string();
        sandbox.set_env("AUTHDB__DATA_DIR", &data_dir);
        sandbox.set_env("AUTHDB__AUTH__BCRYPT_COST", "4");
        sandbox
    }

    /// Sets (or replaces) one environment variable for every later process.
    pub(crate) fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(existing, _)| existing != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    pub(crate) fn with_env(mut self, key: &str, value: &str) -> Self {
        self.set_env(key, value);
        self
    }

    pub(crate) fn root(&self) -> &Path {
        self.root.path()
    }

    pub(crate) fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(AUTHDB);
        command
            .args(args)
            .current_dir(self.root.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            // Plain log lines, so the assertions and failure messages are readable.
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(key, value)| (key, value)));
        command
    }

    /// Files that receive one process's standard output and error.
    fn log_files(&self, label: &str) -> (PathBuf, PathBuf) {
        let n = self.launches.fetch_add(1, Ordering::Relaxed);
        let stem = self.root.path().join(format!("{n:02}-{label}"));
        (stem.with_extension("stdout"), stem.with_extension("stderr"))
    }

    /// `authdb` with no subcommand (serve is the default) on a free port; returns once
    /// `GET /health/live` answers.
    pub(crate) async fn serve(&self) -> Server {
        self.serve_with(&[]).await
    }

    /// Like [`Sandbox::serve`] with explicit arguments; the port comes from
    /// `AUTHDB__SERVER__BIND`. Retries with another port if the chosen one was taken.
    pub(crate) async fn serve_with(&self, args: &[&str]) -> Server {
        for _ in 0..3 {
            let port = free_port();
            let mut command = self.command(args);
            command.env("AUTHDB__SERVER__BIND", format!("127.0.0.1:{port}"));
            match self.start(command, port).await {
                Started::Ready(server) => return server,
                Started::PortTaken => continue,
            }
        }
        panic!("could not find a free port for authdb in three attempts");
    }

    /// Starts `authdb <args>` whose configuration makes it listen on `port`.
    pub(crate) async fn serve_on(&self, args: &[&str], port: u16) -> Server {
        match self.start(self.command(args), port).await {
            Started::Ready(server) => server,
            Started::PortTaken => panic!("port {port} was taken before authdb could bind it"),
        }
    }

    async fn start(&self, mut command: Command, port: u16) -> Started {
        let (stdout_path, stderr_path) = self.log_files("serve");
        command
            .stdin(Stdio::null())
            .stdout(File::create(&stdout_path).expect("create the stdout log"))
            .stderr(File::create(&stderr_path).expect("create the stderr log"));
        let child = ChildGuard(command.spawn().expect("spawn authdb"));
        let mut server =
            Server { child, base_url: format!("http://127.0.0.1:{port}"), stderr_path, client: http_client() };
        let deadline = Instant::now() + STARTUP_LIMIT;
        loop {
            if let Some(status) = server.child.0.try_wait().expect("poll authdb") {
                let stderr = server.stderr();
                if stderr.contains("AUTHDB__SERVER__BIND") {
                    return Started::PortTaken;
                }
                panic!("authdb exited during startup with {status}; stderr:\n{stderr}");
            }
            let live = server.client.get(server.url("/health/live")).timeout(Duration::from_secs(1)).send().await;
            if live.is_ok_and(|response| response.status().is_success()) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "authdb did not answer /health/live within {STARTUP_LIMIT:?}; stderr:\n{}",
                server.stderr()
            );
            tokio::time::sleep(POLL).await;
        }
        // The log line comes before the server accepts connections: without it, whatever
        // answered on this port is not our process.
        assert!(
            server.stderr().contains("authdb is listening"),
            "something else answered on port {port}; authdb's stderr:\n{}",
            server.stderr()
        );
        Started::Ready(server)
    }

    /// Runs `authdb <args>` to completion (at most [`COMMAND_LIMIT`]), with `stdin` as
    /// its standard input (`None`: no input at all, as from /dev/null).
    pub(crate) async fn run(&self, args: &[&str], stdin: Option<&str>) -> Finished {
        let (stdout_path, stderr_path) = self.log_files("run");
        let mut command = self.command(args);
        command
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(File::create(&stdout_path).expect("create the stdout log"))
            .stderr(File::create(&stderr_path).expect("create the stderr log"));
        let started = Instant::now();
        let mut child = ChildGuard(command.spawn().expect("spawn authdb"));
        if let Some(input) = stdin {
            let mut pipe = child.0.stdin.take().expect("piped stdin");
            pipe.write_all(input.as_bytes()).expect("write authdb's stdin");
            // Dropping the pipe closes it, so the binary sees end of input.
        }
        let status = child.wait_for_exit(COMMAND_LIMIT).await.unwrap_or_else(|| {
            panic!("authdb {args:?} still running after {COMMAND_LIMIT:?}; stderr:\n{}", read(&stderr_path))
        });
        Finished { status, elapsed: started.elapsed(), stdout: read(&stdout_path), stderr: read(&stderr_path) }
    }
}

enum Started {
    Ready(Server),
    PortTaken,
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| format!("<cannot read {}: {error}>", path.display()))
}

fn http_client() -> Client {
    // reqwest's rustls features are unified with authdb-agent's: see install_crypto_provider.
    authdb_agent::install_crypto_provider();
    Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().expect("build the HTTP client")
}

/// Kills and reaps the process when the test ends, however it ends.
struct ChildGuard(Child);

impl ChildGuard {
    /// Waits up to `limit` for the process to exit; `None` if it is still running.
    async fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.0.try_wait().expect("poll authdb") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// The result of a one-shot command.
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    pub(crate) elapsed: Duration,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Finished {
    /// Panics with both outputs unless the command exited 0.
    pub(crate) fn assert_success(&self) -> &Self {
        assert!(
            self.status.success(),
            "expected success, got {}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics with both outputs unless the command exited with a non-zero code.
    pub(crate) fn assert_failure(&self) -> &Self {
        assert!(
            self.status.code().is_some_and(|code| code != 0),
            "expected a non-zero exit code, got {}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }
}

/// A running `authdb` process and an HTTP client for it.
pub(crate) struct Server {
    child: ChildGuard,
    base_url: String,
    stderr_path: PathBuf,
    client: Client,
}

impl Server {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The process id, for reading its state under `/proc`.
    pub(crate) fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// Everything the process has written to standard error so far.
    pub(crate) fn stderr(&self) -> String {
        read(&self.stderr_path)
    }

    /// Sends a signal (`"TERM"`, `"INT"`) with the system's `kill` command.
    pub(crate) fn signal(&self, name: &str) {
        let status =
            Command::new("kill").args([format!("-{name}"), self.child.0.id().to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -{name} failed with {status}");
    }

    /// Waits (bounded) for the process to exit after a signal and returns its status.
    pub(crate) async fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        match self.child.wait_for_exit(limit).await {
            Some(status) => status,
            None => panic!("authdb still running {limit:?} after being asked to stop; stderr:\n{}", self.stderr()),
        }
    }

    /// Sends SIGTERM and asserts a clean exit (code 0) within `limit`.
    pub(crate) async fn stop(mut self, limit: Duration) {
        self.signal("TERM");
        let status = self.wait_for_exit(limit).await;
        assert_eq!(status.code(), Some(0), "authdb did not exit cleanly on SIGTERM; stderr:\n{}", self.stderr());
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).json(body).send().await.expect("POST to authdb")
    }

    pub(crate) async fn get_authorized(&self, path: &str, access_token: &str) -> Response {
        self.client.get(self.url(path)).bearer_auth(access_token).send().await.expect("GET from authdb")
    }

    /// Registers `name` (`<name>@example.com`) and returns the 201 body.
    pub(crate) async fn register(&self, name: &str) -> Value {
        let body = json!({ "email": format!("{name}@example.com"), "username": name, "password": PASSWORD });
        let response = self.post("/api/v1/auth/register", &body).await;
        expect_json(response, 201).await
    }

    pub(crate) async fn login(&self, login: &str, password: &str) -> Response {
        self.post("/api/v1/auth/login", &json!({ "login": login, "password": password })).await
    }
}

/// Asserts the status and returns the JSON body (the body is shown when it differs).
pub(crate) async fn expect_json(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.expect("read the response body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
}

/// The string at `key` in a JSON object.
pub(crate) fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_else(|| panic!("no string {key:?} in {value}"))
}
