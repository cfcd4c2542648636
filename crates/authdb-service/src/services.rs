//! Building every service of one process around one shared core.

use std::{sync::Arc, time::Duration};

use authdb_auth::{JwtKeys, PasswordHasher, RotationKey};
use authdb_persistence::DatabaseConnection;

use crate::{
    AdminService, AuthPolicy, AuthService, Core, CoreConfig, Discovery, HealthService, InsightsService,
    InventoryPolicy, InventoryService, MailSetup, MessagingPolicy, MessagingService, OrganizationPolicy,
    OrganizationService, RealtimeRedis, RealtimeService, Result, RouterAgent, SweepTask,
};

/// What the services are built from.
#[derive(Debug)]
pub struct ServicesConfig {
    pub hasher: PasswordHasher,
    pub keys: JwtKeys,
    /// Derives refresh-token successors; every instance sharing a database must share it.
    pub rotation: RotationKey,
    pub auth: AuthPolicy,
    pub organizations: OrganizationPolicy,
    pub inventory: InventoryPolicy,
    /// The client for networks' agents (`authdb_agent::HttpRouterAgent` in the server;
    /// [`crate::NoRouterAgent`] talks to none).
    pub agent: Arc<dyn RouterAgent>,
    pub messaging: MessagingPolicy,
    /// How long a cached session or membership is trusted (see [`CoreConfig::cache_ttl`]).
    pub cache_ttl: Duration,
    /// How long a readiness probe waits for the database.
    pub health_timeout: Duration,
    /// The public base URL (no trailing slash) that discovery builds its URLs on; `None`
    /// leaves it to the issuer or the request (see [`Discovery`]).
    pub public_url: Option<String>,
    /// How mail is sent: the transport, the templates and the outbox's retry policy.
    pub mail: MailSetup,
    /// Carry realtime signals between instances on Redis pub/sub rather than the change
    /// feed (`AUTHDB__REDIS__URL`); `None` keeps them on the change feed.
    pub realtime_redis: Option<RealtimeRedis>,
}

/// Every service of one process, sharing one [`Core`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Services {
    pub core: Core,
    pub auth: AuthService,
    pub organizations: OrganizationService,
    pub admin: AdminService,
    pub inventory: InventoryService,
    pub messaging: MessagingService,
    /// The dashboard's data.
    pub insights: InsightsService,
    /// Realtime sockets (`GET /api/v1/ws`).
    pub realtime: RealtimeService,
    pub health: HealthService,
    /// The issuer and public keys served under `/.well-known`.
    pub discovery: Discovery,
    /// The expiry sweep of access rules (`inventory.rule_sweep_interval`); it stops when
    /// the last clone of these services is dropped.
    pub rule_sweep: Option<SweepTask>,
}

impl Services {
    /// Starts the core (loads the revocation set, starts the change feed), builds every
    /// service on it and starts the expiry sweep of access rules. Must run inside a Tokio
    /// runtime.
    pub async fn start(db: DatabaseConnection, config: ServicesConfig) -> Result<Self> {
        let core_config = CoreConfig {
            cache_ttl: config.cache_ttl,
            access_tokens_verifiable_for: config.keys.verifiable_for(),
            mail: config.mail,
            socket_queue: config.messaging.socket_queue,
            presence_heartbeat: config.messaging.presence_heartbeat,
            realtime_redis: config.realtime_redis,
        };
        let core = Core::start(db.clone(), core_config).await?;
        let discovery = Discovery::new(&config.keys, config.public_url);
        let health = HealthService::new(db, config.health_timeout);
        let auth = AuthService::new(core.clone(), config.hasher, config.keys, config.rotation, config.auth);
        let organizations = OrganizationService::new(core.clone(), config.organizations);
        let admin = AdminService::new(core.clone());
        let inventory = InventoryService::new(core.clone(), config.inventory, config.agent);
        let rule_sweep = inventory.start_rule_sweep();
        let messaging = MessagingService::new(core.clone(), config.messaging);
        let realtime = RealtimeService::new(core.clone());
        let insights = InsightsService::new(core.clone());
        Ok(Self {
            core,
            auth,
            organizations,
            admin,
            inventory,
            messaging,
            insights,
            realtime,
            health,
            discovery,
            rule_sweep,
        })
    }
}
