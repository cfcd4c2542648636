//! The JWT secret generated on first start, so a server with no configuration still
//! issues tokens that survive a restart.

use std::{
    fs::{self, OpenOptions},
    io::{self, Write as _},
    path::{Path, PathBuf},
};

use secrecy::{ExposeSecret as _, SecretString};

pub(crate) const SECRET_FILE: &str = "jwt_secret";
pub(crate) const SIGNING_KEY_FILE: &str = "jwt_ed25519.pem";
const SECRET_BYTES: usize = 48;

/// Reads `<data_dir>/jwt_secret`, creating it (mode 0600) with a random secret if absent.
pub(crate) fn load_or_create(data_dir: &Path) -> io::Result<SecretString> {
    let generate = || authdb_auth::generate_secret(SECRET_BYTES).map(SecretString::from).map_err(io::Error::other);
    let warning = "generated a new JWT secret; set AUTHDB__AUTH__JWT_SECRET when running several instances";
    load_or_create_file(&data_dir.join(SECRET_FILE), generate, warning)
}

/// Reads `<data_dir>/jwt_ed25519.pem`, creating it (mode 0600) with a new Ed25519 private
/// key if absent: EdDSA without `AUTHDB__AUTH__SIGNING_KEYS` works out of the box on one
/// machine, as HS256 does with its generated secret.
pub(crate) fn load_or_create_signing_key(data_dir: &Path) -> io::Result<(PathBuf, SecretString)> {
    let path = data_dir.join(SIGNING_KEY_FILE);
    let generate = || authdb_auth::generate_ed25519_pem().map_err(io::Error::other);
    let warning = "generated a new Ed25519 signing key; set AUTHDB__AUTH__SIGNING_KEYS when running several instances";
    let pem = load_or_create_file(&path, generate, warning)?;
    Ok((path, pem))
}

fn load_or_create_file(
    path: &Path,
    generate: impl FnOnce() -> io::Result<SecretString>,
    warning: &str,
) -> io::Result<SecretString> {
    match fs::read_to_string(path) {
        Ok(secret) => {
            warn_if_readable_by_others(path);
            return Ok(SecretString::from(secret.trim().to_owned()));
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let secret = generate()?;
    // Written in full to a private file of our own, then linked into place: a process
    // starting at the same moment sees either no file or the whole secret, never a part.
    let file_name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = path.with_file_name(format!(".{file_name}.{}", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&staging)?;
    file.write_all(secret.expose_secret().as_bytes())?;
    file.sync_all()?;
    let linked = fs::hard_link(&staging, path);
    fs::remove_file(&staging)?;
    match linked {
        Ok(()) => {
            tracing::warn!(path = %path.display(), "{warning}");
            // Trimmed like a value read back, so this start and the next see the same text.
            Ok(SecretString::from(secret.expose_secret().trim().to_owned()))
        }
        // Another process created it first: use theirs.
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            Ok(SecretString::from(fs::read_to_string(path)?.trim().to_owned()))
        }
        Err(error) => Err(error),
    }
}

/// The secret (or private key) signs every token: anyone who can read it can mint sessions.
pub(crate) fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "this token signing secret or key is readable by other users; chmod 600 it");
        }
    }
}

/// A data directory that other users may enter exposes the database and the secrets in
/// it; authdb creates it 0700 but leaves an existing one as the operator set it.
pub(crate) fn warn_if_open_to_others(data_dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = fs::metadata(data_dir)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %data_dir.display(), "the data directory is open to other users; chmod 700 it");
        }
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn the_signing_key_is_created_once_private_and_then_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, first) = load_or_create_signing_key(dir.path()).expect("created");
        let (_, second) = load_or_create_signing_key(dir.path()).expect("read back");
        assert_eq!(path, dir.path().join(SIGNING_KEY_FILE));
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().starts_with("-----BEGIN PRIVATE KEY-----"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(fs::metadata(&path).expect("exists").permissions().mode() & 0o777, 0o600);
        }
    }
}
