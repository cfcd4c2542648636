//! Private service processes for one test: a `redis-server` and a PostgreSQL cluster of
//! their own, which a test may stop and start without disturbing anything else.

use std::{
    net::TcpStream,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use tempfile::TempDir;

use crate::support::free_port;

/// A `redis-server` on a free loopback port, killed when dropped.
pub(crate) struct Redis {
    child: Option<Child>,
    port: u16,
    _dir: TempDir,
}

impl Redis {
    pub(crate) fn start() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory for redis");
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server (./scripts/test.sh installs it: apt-get install redis-server)");
        wait_for_port(port, Duration::from_secs(10));
        Self { child: Some(child), port, _dir: dir }
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server, as a crash or a network partition would look to the clients.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _killed = child.kill();
            let _reaped = child.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_for_port(port: u16, limit: Duration) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < limit, "nothing listens on port {port} after {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A throwaway PostgreSQL cluster (initdb into a temporary directory, run as the
/// `postgres` user on a free port), so a test can stop and start it while the shared
/// cluster keeps serving the other tests. Needs root and the server binaries.
pub(crate) struct PrivatePostgres {
    dir: TempDir,
    bin: PathBuf,
    port: u16,
}

impl PrivatePostgres {
    /// `None` (with the reason printed) when this machine cannot run one.
    pub(crate) fn create() -> Option<Self> {
        let Some(bin) = postgres_bin() else {
            eprintln!("skipped: no PostgreSQL server binaries under /usr/lib/postgresql");
            return None;
        };
        if !is_root() {
            eprintln!("skipped: a private PostgreSQL cluster needs root (to run initdb as the postgres user)");
            return None;
        }
        let dir = tempfile::Builder::new().prefix("authdb-pg-").tempdir().expect("temporary directory");
        run_as_postgres(Command::new("chown").args(["postgres:postgres"]).arg(dir.path()), false);
        let data = dir.path().join("data");
        let mut initdb = Command::new("runuser");
        initdb.args(["-u", "postgres", "--"]).arg(bin.join("initdb"));
        initdb.args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"]).arg(&data);
        run_as_postgres(&mut initdb, true);
        let postgres = Self { dir, bin, port: free_port() };
        postgres.start();
        Some(postgres)
    }

    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_ctl(&self, args: &[&str]) {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(self.bin.join("pg_ctl")).arg("-D").arg(self.data());
        command.args(args);
        run_as_postgres(&mut command, true);
    }

    pub(crate) fn start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=40",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log");
        self.pg_ctl(&["-w", "-t", "30", "-o", &options, "-l", log.to_str().expect("utf-8 path"), "start"]);
    }

    /// A fast shutdown: open connections are closed, as when the database host goes away.
    pub(crate) fn stop(&self) {
        self.pg_ctl(&["-w", "-t", "30", "-m", "fast", "stop"]);
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _stopped = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn run_as_postgres(command: &mut Command, quiet: bool) {
    if quiet {
        command.stdout(Stdio::null());
    }
    let output = command.output().expect("run a PostgreSQL command");
    assert!(output.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
}

fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|output| output.stdout.starts_with(b"0\n"))
}
