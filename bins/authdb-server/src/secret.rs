//! The JWT secret generated on first start, so a server with no configuration still
//! issues tokens that survive a restart.

use std::{
    fs::{self, OpenOptions},
    io::{self, Write as _},
    path::Path,
};

use secrecy::SecretString;

const SECRET_FILE: &str = "jwt_secret";
const SECRET_BYTES: usize = 48;

/// Reads `<data_dir>/jwt_secret`, creating it (mode 0600) with a random secret if absent.
pub(crate) fn load_or_create(data_dir: &Path) -> io::Result<SecretString> {
    let path = data_dir.join(SECRET_FILE);
    match fs::read_to_string(&path) {
        Ok(secret) => {
            warn_if_readable_by_others(&path);
            return Ok(SecretString::from(secret.trim().to_owned()));
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let secret = authdb_auth::generate_secret(SECRET_BYTES).map_err(io::Error::other)?;
    // Written in full to a private file of our own, then linked into place: a process
    // starting at the same moment sees either no file or the whole secret, never a part.
    let staging = data_dir.join(format!(".{SECRET_FILE}.{}", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&staging)?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()?;
    let linked = fs::hard_link(&staging, &path);
    fs::remove_file(&staging)?;
    match linked {
        Ok(()) => {
            tracing::warn!(
                path = %path.display(),
                "generated a new JWT secret; set AUTHDB__AUTH__JWT_SECRET when running several instances"
            );
            Ok(SecretString::from(secret))
        }
        // Another process created it first: use theirs.
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            Ok(SecretString::from(fs::read_to_string(&path)?.trim().to_owned()))
        }
        Err(error) => Err(error),
    }
}

/// The secret signs every token: anyone who can read it can mint sessions.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the JWT secret file is readable by other users; chmod 600 it");
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    #[test]
    fn the_secret_is_created_once_private_and_then_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = load_or_create(dir.path()).expect("created");
        let second = load_or_create(dir.path()).expect("read back");
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.path().join(SECRET_FILE)).expect("exists").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
