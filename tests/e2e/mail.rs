//! Mail transports: the `file` transport in the data directory, and the `smtp` transport
//! against a real SMTP peer on loopback (Python's `aiosmtpd`, from the test virtualenv
//! `target/tools/venv` that scripts/test.sh installs): plain text, STARTTLS with a
//! certificate of a private CA, a peer that does not offer STARTTLS, a peer that is down
//! and then up.
//!
//! The peer is required: when it cannot be started the test fails and says how to
//! install it, it is never skipped.

use std::{
    fs,
    net::{TcpListener, TcpStream},
    os::unix::fs::PermissionsExt as _,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use authdb_domain::Email;
use authdb_server::{Application, Settings, build_mailer, settings::MailTransport};
use authdb_service::OutgoingMail;
use authdb_tests::{Backend, TestDatabase, spawn_app, test_settings};
use tempfile::TempDir;

use crate::python::python;

/// The pinned version scripts/test.sh installs.
const AIOSMTPD: &str = "aiosmtpd==1.4.6";

fn mail(to: &str) -> OutgoingMail {
    OutgoingMail {
        to: Email::parse(to).unwrap(),
        subject: "Verify your address".into(),
        text: "Open https://auth.example.com/verify?token=abc123 to verify.\n".into(),
        html: "<p><a href=\"https://auth.example.com/verify?token=abc123\">Verify</a></p>\n".into(),
    }
}

fn install_hint() -> String {
    format!(
        "the SMTP tests need {AIOSMTPD} in the test virtualenv {}: run ./scripts/test.sh (it installs it), or \
         `python3 -m venv target/tools/venv && target/tools/venv/bin/pip install {AIOSMTPD}`; AUTHDB_TEST_PYTHON \
         names another Python that has it",
        python().display()
    )
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A certificate authority and a server certificate it signed for 127.0.0.1 and
/// localhost, made with the openssl command.
pub(crate) struct Certificates {
    dir: TempDir,
}

impl Certificates {
    fn make() -> Self {
        let dir = TempDir::new().unwrap();
        let run = |args: &[&str]| {
            let output = Command::new("openssl").args(args).current_dir(dir.path()).output().unwrap_or_else(|error| {
                panic!("the STARTTLS test needs the openssl command (apt-get install openssl): {error}")
            });
            assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
        run(&[
            &["req", "-x509"][..],
            &ec,
            &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=authdb test CA"],
        ]
        .concat());
        run(&[&["req"][..], &ec, &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]].concat());
        fs::write(
            dir.path().join("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n\
             extendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ]);
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// An `aiosmtpd` process on 127.0.0.1 that stores every message it accepts in a maildir;
/// killed when dropped.
pub(crate) struct SmtpPeer {
    child: Child,
    pub(crate) port: u16,
    dir: TempDir,
}

impl SmtpPeer {
    /// Starts the peer on `port`; with `starttls`, it offers STARTTLS with that
    /// certificate and requires it before accepting mail.
    pub(crate) fn start(port: u16, starttls: Option<&Certificates>) -> Self {
        let python = python();
        assert!(python.exists(), "{} does not exist; {}", python.display(), install_hint());
        let dir = TempDir::new().unwrap();
        let log = fs::File::create(dir.path().join("peer.log")).unwrap();
        let mut command = Command::new(&python);
        command.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")]);
        if let Some(certificates) = starttls {
            command.arg("--tlscert").arg(certificates.path("server.pem"));
            command.arg("--tlskey").arg(certificates.path("server.key"));
        }
        command.args(["-c", "aiosmtpd.handlers.Mailbox"]).arg(dir.path().join("maildir"));
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}; {}", python.display(), install_hint()));
        let mut peer = Self { child, port, dir };
        peer.wait_until_listening();
        peer
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "the SMTP peer exited ({status}) before listening: {}; {}",
                    fs::read_to_string(self.dir.path().join("peer.log")).unwrap_or_default().trim(),
                    install_hint()
                );
            }
            assert!(Instant::now() < deadline, "the SMTP peer did not listen on port {} within 20 s", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The messages received so far, as raw text, in no particular order.
    fn messages(&self) -> Vec<String> {
        let new = self.dir.path().join("maildir/new");
        let Ok(entries) = fs::read_dir(&new) else { return Vec::new() };
        entries.map(|entry| fs::read_to_string(entry.unwrap().path()).unwrap()).collect()
    }

    /// Waits a little for `count` messages: the peer stores a message just after it
    /// answers the end of its data.
    pub(crate) fn wait_for_messages(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let messages = self.messages();
            if messages.len() >= count || Instant::now() > deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Settings of the `smtp` transport for a peer on 127.0.0.1.
fn smtp_settings(port: u16, starttls: &str, ca_file: Option<PathBuf>) -> Settings {
    let mut settings = Settings::default();
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    settings.mail.smtp_starttls = serde_json::from_value(serde_json::json!(starttls)).unwrap();
    settings.mail.smtp_timeout_secs = 5;
    settings.mail.smtp_ca_file = ca_file;
    settings.mail.from = "Example <no-reply@example.com>".into();
    settings.validate().unwrap();
    settings
}

pub(crate) fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().take_while(|line| !line.is_empty()).find_map(|line| line.strip_prefix(&format!("{name}: ")))
}

#[tokio::test]
async fn smtp_transport_delivers_recipient_subject_and_both_bodies_to_a_real_peer() {
    let peer = SmtpPeer::start(free_port(), None);
    let mailer = build_mailer(&smtp_settings(peer.port, "never", None)).unwrap();

    mailer.send(&mail("alice@example.com")).await.unwrap();

    let messages = peer.wait_for_messages(1);
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(header(message, "To"), Some("alice@example.com"), "{message}");
    assert_eq!(header(message, "From"), Some("Example <no-reply@example.com>"), "{message}");
    assert_eq!(header(message, "Subject"), Some("Verify your address"), "{message}");
    assert!(header(message, "Message-ID").is_some_and(|id| id.starts_with('<') && id.contains('@')), "{message}");
    assert!(header(message, "Date").is_some(), "{message}");
    assert!(header(message, "Content-Type").unwrap().starts_with("multipart/alternative"), "{message}");
    assert!(message.contains("Content-Type: text/plain"), "{message}");
    assert!(message.contains("Content-Type: text/html"), "{message}");
    assert!(message.contains("https://auth.example.com/verify?token=abc123"), "{message}");
}

#[tokio::test]
async fn smtp_starttls_with_a_certificate_of_a_ca_named_in_smtp_ca_file_delivers() {
    let certificates = Certificates::make();
    let peer = SmtpPeer::start(free_port(), Some(&certificates));
    let mailer = build_mailer(&smtp_settings(peer.port, "required", Some(certificates.path("ca.pem")))).unwrap();

    mailer.send(&mail("bob@example.com")).await.unwrap();

    let messages = peer.wait_for_messages(1);
    assert_eq!(messages.len(), 1);
    assert_eq!(header(&messages[0], "To"), Some("bob@example.com"));
}

#[tokio::test]
async fn smtp_starttls_with_a_certificate_the_public_roots_do_not_trust_fails_and_may_be_retried() {
    let certificates = Certificates::make();
    let peer = SmtpPeer::start(free_port(), Some(&certificates));
    let mailer = build_mailer(&smtp_settings(peer.port, "required", None)).unwrap();

    let error = mailer.send(&mail("bob@example.com")).await.unwrap_err();

    assert!(error.is_transient(), "{error}");
    assert!(peer.wait_for_messages(1).is_empty());
}

#[tokio::test]
async fn smtp_starttls_required_refuses_a_peer_that_does_not_offer_it() {
    let peer = SmtpPeer::start(free_port(), None);
    let mailer = build_mailer(&smtp_settings(peer.port, "required", None)).unwrap();

    let error = mailer.send(&mail("carol@example.com")).await.unwrap_err();

    assert!(error.is_transient(), "{error}");
    assert!(peer.wait_for_messages(1).is_empty(), "nothing was sent in clear text");
}

#[tokio::test]
async fn smtp_starttls_opportunistic_sends_in_clear_text_to_a_peer_without_it() {
    let peer = SmtpPeer::start(free_port(), None);
    let mailer = build_mailer(&smtp_settings(peer.port, "opportunistic", None)).unwrap();

    mailer.send(&mail("carol@example.com")).await.unwrap();

    assert_eq!(peer.wait_for_messages(1).len(), 1);
}

#[tokio::test]
async fn smtp_peer_down_is_a_transient_failure_and_the_same_transport_delivers_once_it_is_up() {
    let port = free_port();
    let mailer = build_mailer(&smtp_settings(port, "never", None)).unwrap();

    let error = mailer.send(&mail("dave@example.com")).await.unwrap_err();
    assert!(error.is_transient(), "{error}");

    let peer = SmtpPeer::start(port, None);
    mailer.send(&mail("dave@example.com")).await.unwrap();
    let messages = peer.wait_for_messages(2);
    assert_eq!(messages.len(), 1);
    assert_eq!(header(&messages[0], "To"), Some("dave@example.com"));
}

on_both_backends!(
    file_transport_writes_each_message_as_an_eml_file_only_its_owner_can_read,
    server_refuses_to_start_with_an_smtp_url_holding_credentials
);

async fn file_transport_writes_each_message_as_an_eml_file_only_its_owner_can_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = app.settings.mail_dir();
    assert_eq!(fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700, "created by the server at start");
    let mailer = build_mailer(&app.settings).unwrap();
    assert_eq!(mailer.name(), "file");

    mailer.send(&mail("erin@example.com")).await.unwrap();
    mailer.send(&mail("frank@example.com")).await.unwrap();

    let mut files: Vec<PathBuf> = fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 2, "no temporary file is left behind: {files:?}");
    let mut recipients = Vec::new();
    for file in &files {
        assert_eq!(file.extension().unwrap(), "eml");
        assert_eq!(fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600);
        let message = fs::read_to_string(file).unwrap();
        assert_eq!(header(&message, "Subject"), Some("Verify your address"), "{message}");
        assert!(message.contains("https://auth.example.com/verify?token=abc123"), "{message}");
        recipients.push(header(&message, "To").unwrap().to_owned());
    }
    recipients.sort();
    assert_eq!(recipients, ["erin@example.com", "frank@example.com"]);
}

async fn server_refuses_to_start_with_an_smtp_url_holding_credentials(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let mut settings = test_settings(&db);
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp_url = Some("smtp://user:hunter2@mail.example.com".into());

    let error = Application::build(settings).await.err().unwrap().to_string();

    assert!(error.contains("AUTHDB__MAIL__SMTP_URL"), "{error}");
    assert!(error.contains("AUTHDB__MAIL__SMTP_PASSWORD"), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
}
