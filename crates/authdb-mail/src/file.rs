//! The `file` transport: each message is written as an `.eml` file.

use std::{
    fs, io,
    io::Write as _,
    path::{Path, PathBuf},
};

use authdb_service::{MailError, MailFuture, Mailer, OutgoingMail};
use lettre::message::Mailbox;
use uuid::Uuid;

use crate::{error::MailSetupError, message};

/// Writes each message into `dir` as `<unix seconds>-<uuid>.eml` (the names sort in the
/// order the messages were sent), mode 0600 in a directory of mode 0700 like the other
/// files of the data directory: the messages carry single-use links. A message is written
/// under a hidden temporary name and renamed when complete, so a reader never sees half
/// of one.
#[derive(Debug, Clone)]
pub struct FileMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl FileMailer {
    /// Creates `dir` (and missing parents) accessible to this user only; an existing
    /// directory is left as it is.
    pub fn new(dir: PathBuf, from: Mailbox) -> Result<Self, MailSetupError> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(|source| MailSetupError::Directory { path: dir.display().to_string(), source })?;
        Ok(Self { dir, from })
    }

    /// The directory the messages are written into.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Mailer for FileMailer {
    fn name(&self) -> &'static str {
        "file"
    }

    fn send<'a>(&'a self, mail: &'a OutgoingMail) -> MailFuture<'a> {
        Box::pin(async move {
            let formatted = message::build(&self.from, mail)?.formatted();
            let dir = self.dir.clone();
            let name = format!("{}-{}.eml", time::OffsetDateTime::now_utc().unix_timestamp(), Uuid::now_v7());
            tokio::task::spawn_blocking(move || write_message(&dir, &name, &formatted))
                .await
                .map_err(|error| MailError::Transient(format!("the writing task failed: {error}")))?
                .map_err(|error| MailError::Transient(format!("cannot write into the mail directory: {error}")))
        })
    }
}

fn write_message(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let temporary = dir.join(format!(".{name}.tmp"));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    match written.and_then(|()| fs::rename(&temporary, dir.join(name))) {
        Ok(()) => Ok(()),
        Err(error) => {
            // Best effort: the error that matters is the one answered.
            let _ = fs::remove_file(&temporary);
            Err(error)
        }
    }
}
