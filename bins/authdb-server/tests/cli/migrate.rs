//! `authdb migrate up|down|status`.

use migration::{Migrator, MigratorTrait as _};

use crate::support::Sandbox;

/// The `applied`/`pending` word of every line of `migrate status`.
fn states(stdout: &str) -> Vec<&str> {
    stdout.lines().map(|line| line.split('\t').next().unwrap_or_default()).collect()
}

#[tokio::test]
async fn migrate_status_up_down() {
    let sandbox = Sandbox::new();
    let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let migrations = names.len();

    let fresh = sandbox.run(&["migrate", "status"], None).await;
    fresh.assert_success();
    assert_eq!(states(&fresh.stdout), vec!["pending"; migrations], "status on a fresh database:\n{}", fresh.stdout);
    let listed: Vec<&str> = fresh.stdout.lines().filter_map(|line| line.split('\t').nth(1)).collect();
    assert_eq!(listed, names, "every migration, in order");

    sandbox.run(&["migrate", "up"], None).await.assert_success();
    let applied = sandbox.run(&["migrate", "status"], None).await;
    applied.assert_success();
    assert_eq!(states(&applied.stdout), vec!["applied"; migrations], "status after up:\n{}", applied.stdout);

    sandbox.run(&["migrate", "down", "--steps", "1"], None).await.assert_success();
    let one_down = sandbox.run(&["migrate", "status"], None).await;
    let mut expected = vec!["applied"; migrations - 1];
    expected.push("pending");
    assert_eq!(states(&one_down.stdout), expected, "status after down --steps 1:\n{}", one_down.stdout);

    sandbox.run(&["migrate", "down", "--steps", &migrations.to_string()], None).await.assert_success();
    let reverted = sandbox.run(&["migrate", "status"], None).await;
    reverted.assert_success();
    assert_eq!(states(&reverted.stdout), vec!["pending"; migrations], "status after down:\n{}", reverted.stdout);
    assert_eq!(
        reverted.stdout.lines().map(|l| l.split('\t').nth(1)).collect::<Vec<_>>(),
        fresh.stdout.lines().map(|l| l.split('\t').nth(1)).collect::<Vec<_>>()
    );
}
