//! How the console runs, and the state its handlers share.

use authdb_service::{
    AdminService, AuthService, InsightsService, InventoryService, OrganizationService, TrustedProxies,
};

/// Where the console is mounted.
pub const MOUNT: &str = "/console";

/// How the console runs in this deployment.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// Whether cookies carry `Secure`: always, unless the server listens on a loopback
    /// address and its public URL (if any) is not `https` (a developer's machine).
    pub secure_cookies: bool,
    /// Whose `X-Forwarded-For` is believed (the same list as the API's).
    pub trusted_proxies: TrustedProxies,
}

/// What the console's handlers read: the services and the configuration.
#[derive(Debug, Clone)]
pub(crate) struct Console {
    pub(crate) auth: AuthService,
    /// The caller's organizations and memberships (the dashboard's organization picker, the
    /// Organizations pages).
    pub(crate) organizations: OrganizationService,
    /// The dashboard's data.
    pub(crate) insights: InsightsService,
    /// Networks, assets, services, access rules and scans (the Inventory pages).
    pub(crate) inventory: InventoryService,
    /// The platform's users, organizations and outbox (the superusers' Platform pages).
    pub(crate) admin: AdminService,
    pub(crate) config: ConsoleConfig,
}
