//! What authdb writes to disk is for its own user only: the data directory is 0700 and
//! every file in it 0600 (SQLite's database, write-ahead log and shared memory, the
//! generated JWT secret).

use std::os::unix::fs::PermissionsExt as _;

use authdb_tests::{Backend, spawn_app_with};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

async fn the_data_directory_and_every_file_in_it_are_private(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        // A directory that does not exist yet, so that the server creates it; on SQLite
        // the database goes to its default place inside.
        settings.data_dir = settings.data_dir.join("data");
        if backend == Backend::Sqlite {
            settings.database.url = None;
        }
    })
    .await;
    // A write, so that SQLite has its write-ahead log and shared memory open.
    app.register_ok("ada").await;

    let data_dir = &app.settings.data_dir;
    assert_eq!(mode(data_dir), 0o700, "the data directory {}", data_dir.display());
    let mut names: Vec<String> = std::fs::read_dir(data_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let expected: &[&str] = match backend {
        Backend::Sqlite => &["authdb.db", "authdb.db-shm", "authdb.db-wal", "jwt_secret", "outbox"],
        Backend::Postgres => &["jwt_secret", "outbox"],
    };
    assert_eq!(names, expected);
    for name in names {
        // `outbox` is the directory of the `file` mail transport (the default).
        let private = if name == "outbox" { 0o700 } else { 0o600 };
        assert_eq!(mode(&data_dir.join(&name)), private, "{name} must be accessible to its owner only");
    }
}

on_both_backends!(the_data_directory_and_every_file_in_it_are_private);
