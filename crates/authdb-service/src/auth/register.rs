//! New accounts: self-service registration, and superusers created by an operator.

use authdb_domain::{
    AuditAction, AuditOutcome, AuthMethods, Email, FullName, Password, SessionAuthentication, User, Username,
};
use authdb_persistence::users::{self, NewUser};

use super::{AuthService, IssuedTokens};
use crate::{
    ClientInfo, Result,
    audit::{Audit, Target},
    write::Write,
};

/// What a registration gave.
#[derive(Debug)]
pub enum Registered {
    /// The account was created and signed in on this device (verification not required;
    /// the verification link is mailed all the same).
    SignedIn(Box<IssuedTokens>),
    /// Verification is required: the account was created and its verification link
    /// mailed, or the address already had an account and its owner was told. The two are
    /// indistinguishable to the caller.
    VerificationPending,
}

impl Registered {
    /// The tokens of a registration that signed in.
    pub fn tokens(self) -> Option<IssuedTokens> {
        match self {
            Self::SignedIn(tokens) => Some(*tokens),
            Self::VerificationPending => None,
        }
    }
}

/// A validated registration.
#[derive(Debug)]
pub struct Registration {
    pub email: Email,
    pub username: Username,
    pub password: Password,
    pub full_name: Option<FullName>,
}

impl AuthService {
    /// Creates an account and mails it a verification link, in one write. Without
    /// `require_verified_email` it is signed in on this device at once. With it, nobody is
    /// signed in, and an address that already has an account gets a notice instead of a
    /// second account, with the same answer (a taken username is still a conflict: names
    /// are public).
    #[tracing::instrument(skip_all, fields(username = %registration.username))]
    pub async fn register(&self, registration: Registration, client: &ClientInfo) -> Result<Registered> {
        let new_user = self.new_user(registration, false).await?;
        let mut write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        let require_verified = self.inner.policy.require_verified_email;
        if require_verified && let Some(owner) = users::find_by_email(write.conn(), &new_user.email).await? {
            self.mail_account_exists(&mut write, &owner).await?;
            write.commit().await?;
            tracing::info!("registration with an address that has an account: its owner was told");
            return Ok(Registered::VerificationPending);
        }
        let user = users::insert(write.conn(), new_user, now).await?;
        self.mail_verification(&mut write, &user).await?;
        if require_verified {
            write.audit(Audit::success(AuditAction::UserRegistered, user.id, client)).await?;
            write.commit().await?;
            tracing::info!(user_id = %user.id, "user registered; verification pending");
            return Ok(Registered::VerificationPending);
        }
        // A new account's first session was opened by the password just chosen.
        let authentication = SessionAuthentication { methods: AuthMethods::password(), auth_time: now };
        let (session, refresh) = self.open_session(&mut write, user.id, None, &authentication, client).await?;
        write.audit(Audit::success(AuditAction::UserRegistered, user.id, client)).await?;
        write.commit().await?;
        tracing::info!(user_id = %user.id, "user registered");
        let access = self.inner.keys.issue_scoped(user.id, session, None, &authentication, now)?;
        Ok(Registered::SignedIn(Box::new(IssuedTokens { user, access, refresh })))
    }

    /// Creates a verified superuser without signing it in (for the CLI).
    #[tracing::instrument(skip_all, fields(username = %registration.username))]
    pub async fn create_superuser(&self, registration: Registration) -> Result<User> {
        let new_user = self.new_user(registration, true).await?;
        let write = Write::begin(&self.inner.core).await?;
        let user = users::insert(write.conn(), new_user, write.now()).await?;
        let created = Audit::new(AuditAction::SuperuserCreated, AuditOutcome::Success, None, &ClientInfo::default())
            .target(Target::User(user.id));
        write.audit(created).await?;
        write.commit().await?;
        Ok(user)
    }

    /// Hashes the password of a new account, before any transaction: hashing takes a
    /// quarter of a second and must not hold the write turn.
    async fn new_user(&self, registration: Registration, is_superuser: bool) -> Result<NewUser> {
        let password_hash = self.inner.hasher.hash(&registration.password).await?;
        Ok(NewUser {
            email: registration.email,
            username: registration.username,
            password_hash: password_hash.as_str().to_owned(),
            full_name: registration.full_name,
            is_superuser,
            // A superuser is created by an operator, who vouches for the address.
            is_verified: is_superuser,
        })
    }
}
