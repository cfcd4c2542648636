/// Where a request came from, for sessions and audit events.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The OAuth2 client (token endpoint `client_id`), recorded on new sessions.
    pub client_id: Option<String>,
}
