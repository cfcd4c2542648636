//! The caller's own profile.

use authdb_domain::{ProfileChanges, User};
use authdb_persistence::users;

use super::AuthService;
use crate::{Principal, Result, replica::Change, write::Write};

impl AuthService {
    /// Changes the caller's own profile fields.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn update_profile(&self, principal: &Principal, changes: ProfileChanges) -> Result<User> {
        if changes.is_empty() {
            return Ok(principal.user.clone());
        }
        let mut write = Write::begin(&self.inner.core).await?;
        let user = users::update_profile(write.conn(), principal.user.id, changes, write.now()).await?;
        write.publish(Change::UserChanged(user.id)).await?;
        write.commit().await?;
        Ok(user)
    }
}
