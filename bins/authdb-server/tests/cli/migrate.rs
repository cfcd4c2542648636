//! `authdb migrate up|down|status`.

use crate::support::Sandbox;

const MIGRATIONS: usize = 8;

/// The `applied`/`pending` word of every line of `migrate status`.
fn states(stdout: &str) -> Vec<&str> {
    stdout.lines().map(|line| line.split('\t').next().unwrap_or_default()).collect()
}

#[tokio::test]
async fn migrate_status_up_down() {
    let sandbox = Sandbox::new();

    let fresh = sandbox.run(&["migrate", "status"], None).await;
    fresh.assert_success();
    assert_eq!(states(&fresh.stdout), vec!["pending"; MIGRATIONS], "status on a fresh database:\n{}", fresh.stdout);
    assert!(fresh.stdout.lines().all(|line| line.contains("\tm2026")), "migration names:\n{}", fresh.stdout);

    sandbox.run(&["migrate", "up"], None).await.assert_success();
    let applied = sandbox.run(&["migrate", "status"], None).await;
    applied.assert_success();
    assert_eq!(states(&applied.stdout), vec!["applied"; MIGRATIONS], "status after up:\n{}", applied.stdout);

    sandbox.run(&["migrate", "down", "--steps", "1"], None).await.assert_success();
    let one_down = sandbox.run(&["migrate", "status"], None).await;
    let mut expected = vec!["applied"; MIGRATIONS - 1];
    expected.push("pending");
    assert_eq!(states(&one_down.stdout), expected, "status after down --steps 1:\n{}", one_down.stdout);

    sandbox.run(&["migrate", "down", "--steps", &MIGRATIONS.to_string()], None).await.assert_success();
    let reverted = sandbox.run(&["migrate", "status"], None).await;
    reverted.assert_success();
    assert_eq!(states(&reverted.stdout), vec!["pending"; MIGRATIONS], "status after down:\n{}", reverted.stdout);
    assert_eq!(
        reverted.stdout.lines().map(|l| l.split('\t').nth(1)).collect::<Vec<_>>(),
        fresh.stdout.lines().map(|l| l.split('\t').nth(1)).collect::<Vec<_>>()
    );
}
