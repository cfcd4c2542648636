//! The audit log's vocabulary: what an event records ([`AuditAction`], [`AuditOutcome`]),
//! and how an organization's log is filtered ([`AuditFilter`]).

use time::{Duration, OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{UserId, Username, Violation};

/// What an audit event records. The string forms are stored and are part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    UserRegistered,
    LoginSucceeded,
    LoginFailed,
    RefreshTokenReused,
    LoggedOut,
    ProfileUpdated,
    SuperuserCreated,
    /// Too many failed logins: further attempts are refused for a while.
    LoginLockedOut,
    /// Failed logins of one account over all addresses crossed the alert threshold.
    LoginAccountUnderAttack,
    SessionRevoked,
    /// The least recently used session was ended to keep a user within the session cap.
    SessionEvicted,
    LoggedOutEverywhere,
    PasswordChanged,
    PasswordChangeFailed,
    /// A TOTP factor was confirmed (recovery codes issued).
    MfaEnabled,
    /// The user removed their TOTP factor.
    MfaDisabled,
    /// A superuser removed a user's second factors.
    MfaReset,
    /// A second-factor code was wrong, replayed, or its `mfa_token` was spent.
    MfaFailed,
    /// A recovery code was spent to sign in.
    MfaRecoveryCodeUsed,
    /// New recovery codes replaced the old ones.
    MfaRecoveryCodesRegenerated,
    /// A verification link was mailed (at registration, or asked for again).
    VerificationMailSent,
    /// A verification link was spent: the user's address is proven.
    EmailVerified,
    /// A password-reset link was mailed.
    PasswordResetRequested,
    /// A password-reset link was spent: the password was set and every session ended.
    PasswordReset,
    /// A new address was asked for: its confirmation link was mailed to it.
    EmailChangeRequested,
    /// A confirmation link was spent: the account has the new address.
    EmailChanged,
    OrganizationCreated,
    OrganizationUpdated,
    OrganizationDeleted,
    MemberAdded,
    MemberRoleChanged,
    MemberRemoved,
    RoleCreated,
    RoleUpdated,
    RoleDeleted,
    InvitationCreated,
    InvitationAccepted,
    InvitationRevoked,
    /// An invitation whose inviter could no longer grant its role was presented: refused,
    /// and the invitation revoked.
    InvitationAcceptRefused,
    UserUpdatedByAdmin,
    NetworkCreated,
    NetworkUpdated,
    /// A network was deleted (with its assets when `cascade` was asked).
    NetworkDeleted,
    AssetCreated,
    AssetUpdated,
    AssetDeleted,
    ServiceCreated,
    ServiceUpdated,
    ServiceDeleted,
    /// A scan was imported into a network (one event with its counts).
    ScanImported,
    AccessRuleCreated,
    AccessRuleDeleted,
    /// The expiry sweep removed a rule past its `expires_at` (no actor).
    AccessRuleExpired,
    ChatCreated,
    /// A group chat was renamed.
    ChatUpdated,
    /// A chat's encryption label or auto-deletion changed.
    ChatConfigChanged,
    ChatMemberAdded,
    ChatMemberRemoved,
    /// A message was deleted by someone other than its sender (its contents are never
    /// recorded).
    ChatMessageDeleted,
    /// A superuser registered a service client.
    ClientCreated,
    /// A superuser deleted a service client.
    ClientDeleted,
    /// A superuser gave a service client a new secret (the old one stopped working).
    ClientSecretRotated,
    /// A service client obtained an access token (client credentials grant).
    ClientTokenIssued,
    /// A client credentials grant was refused: unknown client or wrong secret.
    ClientAuthenticationFailed,
    /// A user registered a passkey.
    PasskeyRegistered,
    /// A user removed one of their passkeys.
    PasskeyRemoved,
    /// A passkey sign-in was refused because the authenticator's sign count did not go up:
    /// the credential may have been cloned.
    PasskeyCloneSuspected,
    /// A session stepped up: its user authenticated again (`POST /auth/step-up`), which
    /// renewed the session's `auth_time` and `amr`.
    SessionSteppedUp,
    /// A step-up was refused: the password or the second-factor code was wrong.
    SessionStepUpFailed,
}

impl AuditAction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "user.registered",
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::RefreshTokenReused => "refresh_token.reused",
            Self::LoggedOut => "session.logged_out",
            Self::ProfileUpdated => "profile.updated",
            Self::SuperuserCreated => "superuser.created",
            Self::LoginLockedOut => "login.locked_out",
            Self::LoginAccountUnderAttack => "login.account_under_attack",
            Self::SessionRevoked => "session.revoked",
            Self::SessionEvicted => "session.evicted",
            Self::LoggedOutEverywhere => "session.logged_out_everywhere",
            Self::PasswordChanged => "password.changed",
            Self::PasswordChangeFailed => "password.change_failed",
            Self::MfaEnabled => "mfa.enabled",
            Self::MfaDisabled => "mfa.disabled",
            Self::MfaReset => "mfa.reset",
            Self::MfaFailed => "mfa.failed",
            Self::MfaRecoveryCodeUsed => "mfa.recovery_code_used",
            Self::MfaRecoveryCodesRegenerated => "mfa.recovery_codes_regenerated",
            Self::VerificationMailSent => "email.verification_sent",
            Self::EmailVerified => "email.verified",
            Self::PasswordResetRequested => "password.reset_requested",
            Self::PasswordReset => "password.reset",
            Self::EmailChangeRequested => "email.change_requested",
            Self::EmailChanged => "email.changed",
            Self::OrganizationCreated => "organization.created",
            Self::OrganizationUpdated => "organization.updated",
            Self::OrganizationDeleted => "organization.deleted",
            Self::MemberAdded => "member.added",
            Self::MemberRoleChanged => "member.role_changed",
            Self::MemberRemoved => "member.removed",
            Self::RoleCreated => "role.created",
            Self::RoleUpdated => "role.updated",
            Self::RoleDeleted => "role.deleted",
            Self::InvitationCreated => "invitation.created",
            Self::InvitationAccepted => "invitation.accepted",
            Self::InvitationRevoked => "invitation.revoked",
            Self::InvitationAcceptRefused => "invitation.accept_refused",
            Self::UserUpdatedByAdmin => "user.updated_by_admin",
            Self::NetworkCreated => "network.created",
            Self::NetworkUpdated => "network.updated",
            Self::NetworkDeleted => "network.deleted",
            Self::AssetCreated => "asset.created",
            Self::AssetUpdated => "asset.updated",
            Self::AssetDeleted => "asset.deleted",
            Self::ServiceCreated => "service.created",
            Self::ServiceUpdated => "service.updated",
            Self::ServiceDeleted => "service.deleted",
            Self::ScanImported => "scan.imported",
            Self::AccessRuleCreated => "access_rule.created",
            Self::AccessRuleDeleted => "access_rule.deleted",
            Self::AccessRuleExpired => "access_rule.expired",
            Self::ChatCreated => "chat.created",
            Self::ChatUpdated => "chat.updated",
            Self::ChatConfigChanged => "chat.config_changed",
            Self::ChatMemberAdded => "chat.member_added",
            Self::ChatMemberRemoved => "chat.member_removed",
            Self::ChatMessageDeleted => "chat.message_deleted",
            Self::ClientCreated => "client.created",
            Self::ClientDeleted => "client.deleted",
            Self::ClientSecretRotated => "client.secret_rotated",
            Self::ClientTokenIssued => "client.token_issued",
            Self::ClientAuthenticationFailed => "client.authentication_failed",
            Self::PasskeyRegistered => "passkey.registered",
            Self::PasskeyRemoved => "passkey.removed",
            Self::PasskeyCloneSuspected => "passkey.clone_suspected",
            Self::SessionSteppedUp => "session.stepped_up",
            Self::SessionStepUpFailed => "session.step_up_failed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditOutcome {
    Success,
    Failure,
}

impl AuditOutcome {
    pub const ALL: [Self; 2] = [Self::Success, Self::Failure];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }

    /// `success` or `failure`, as stored.
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        let text = raw.trim();
        Self::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == text)
            .ok_or_else(|| Violation::new(field, "must be `success` or `failure`"))
    }
}

/// The longest stored action (the column's width).
const ACTION_MAX: usize = 64;

/// Which actions an audit filter keeps: one action by its stored name
/// (`member.role_changed`), or every action under a prefix that ends with a dot
/// (`member.`). Actions are matched as text, so names older builds stored are found too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionFilter {
    Exact(String),
    Prefix(String),
}

impl ActionFilter {
    /// 1 to 64 of `a-z 0-9 _ .`, starting with a letter: dot-separated words, none
    /// empty but a last one, which makes a prefix.
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        let text = raw.trim();
        let shape = "must be an action such as `member.role_changed`, or a prefix ending with a dot such as `member.`";
        if text.is_empty() || text.len() > ACTION_MAX {
            return Err(Violation::new(field, format!("must be 1 to {ACTION_MAX} characters long")));
        }
        let allowed = text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
        if !allowed || !text.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(Violation::new(field, shape));
        }
        match text.strip_suffix('.') {
            Some(words) if words.split('.').all(|word| !word.is_empty()) => Ok(Self::Prefix(text.to_owned())),
            None if text.split('.').all(|word| !word.is_empty()) => Ok(Self::Exact(text.to_owned())),
            _ => Err(Violation::new(field, shape)),
        }
    }

    /// The filter as typed back: the action, or the prefix with its dot.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Exact(text) | Self::Prefix(text) => text,
        }
    }

    /// Whether the stored action `action` passes.
    pub fn matches(&self, action: &str) -> bool {
        match self {
            Self::Exact(name) => action == name,
            Self::Prefix(prefix) => action.starts_with(prefix.as_str()),
        }
    }
}

/// Whose events an audit filter keeps: an account by its id, or by its username
/// (compared without case, as usernames are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditActor {
    Id(UserId),
    Username(Username),
}

impl AuditActor {
    /// A user id (UUID), else a username.
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        let text = raw.trim();
        if let Ok(id) = text.parse::<UserId>() {
            return Ok(Self::Id(id));
        }
        Username::parse(text)
            .map(Self::Username)
            .map_err(|_| Violation::new(field, "must be a user id or a username (3 to 50 of A-Z a-z 0-9 _ -)"))
    }

    /// The filter as typed back.
    pub fn to_text(&self) -> String {
        match self {
            Self::Id(id) => id.to_string(),
            Self::Username(name) => name.as_str().to_owned(),
        }
    }
}

/// What an audit event is about, as stored: `kind:id`, such as `user:<uuid>` or
/// `invitation:<uuid>` (a kind of `a-z` and `_`, an id that is a UUID, kept in its
/// canonical lower-case form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditTarget(String);

impl AuditTarget {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        let shape = || Violation::new(field, "must be `kind:id`, such as `user:<uuid>` or `invitation:<uuid>`");
        let (kind, id) = raw.trim().split_once(':').ok_or_else(shape)?;
        let kind_ok = (1..=32).contains(&kind.len()) && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let id = uuid::Uuid::parse_str(id).map_err(|_| shape())?;
        if !kind_ok {
            return Err(shape());
        }
        Ok(Self(format!("{kind}:{}", id.hyphenated())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which events of an organization's audit log to list. Every part is optional, and the
/// parts present must all hold. Times are whole seconds in UTC (as stored): `from` is
/// inclusive and rounded down, `to` exclusive and rounded up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub action: Option<ActionFilter>,
    pub actor: Option<AuditActor>,
    pub outcome: Option<AuditOutcome>,
    pub target: Option<AuditTarget>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
}

impl AuditFilter {
    /// Reads the filter from query parameters (`key`, `value`): `action`, `actor`,
    /// `outcome`, `target`, `from` and `to`; other keys are left to the caller, and a blank
    /// value is no filter (a form's empty field). Each bad value is one violation naming
    /// its parameter; a `to` that is not after `from` names `to`.
    pub fn parse<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, Vec<Violation>> {
        let mut filter = Self::default();
        let mut violations: Vec<Violation> = Vec::new();
        for (key, value) in params {
            if value.trim().is_empty() {
                continue;
            }
            let parsed = match key {
                "action" => ActionFilter::parse(value, "action").map(|action| filter.action = Some(action)),
                "actor" => AuditActor::parse(value, "actor").map(|actor| filter.actor = Some(actor)),
                "outcome" => AuditOutcome::parse(value, "outcome").map(|outcome| filter.outcome = Some(outcome)),
                "target" => AuditTarget::parse(value, "target").map(|target| filter.target = Some(target)),
                "from" => parse_time(value, "from").map(|from| filter.from = Some(whole_second(from, false))),
                "to" => parse_time(value, "to").map(|to| filter.to = Some(whole_second(to, true))),
                _ => Ok(()),
            };
            if let Err(violation) = parsed {
                violations.retain(|seen| seen.field != violation.field);
                violations.push(violation);
            }
        }
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && to <= from
        {
            violations.push(Violation::new("to", "must be later than `from`"));
        }
        if violations.is_empty() { Ok(filter) } else { Err(violations) }
    }

    /// Whether no part is present (the whole log).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// An RFC 3339 time (`2026-12-01T09:30:00Z`, any offset).
fn parse_time(raw: &str, field: &'static str) -> Result<OffsetDateTime, Violation> {
    OffsetDateTime::parse(raw.trim(), &Rfc3339)
        .map_err(|_| Violation::new(field, "must be an RFC 3339 time such as `2026-12-01T09:30:00Z`"))
}

/// `at` in UTC and whole seconds: rounded down, or up when `up`.
fn whole_second(at: OffsetDateTime, up: bool) -> OffsetDateTime {
    let down = crate::stored_time(at);
    if up && down != at { down.checked_add(Duration::SECOND).unwrap_or(down) } else { down }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn fields(query: &[(&str, &str)]) -> Vec<String> {
        AuditFilter::parse(query.iter().copied())
            .expect_err("invalid")
            .into_iter()
            .map(|violation| violation.field.into_owned())
            .collect()
    }

    #[test]
    fn actions_are_exact_names_or_dotted_prefixes() {
        let exact = ActionFilter::parse(" member.role_changed ", "action");
        assert_eq!(exact, Ok(ActionFilter::Exact(AuditAction::MemberRoleChanged.as_str().into())));
        let prefix = ActionFilter::parse("member.", "action").expect("a prefix");
        assert_eq!(prefix, ActionFilter::Prefix("member.".into()));
        assert!(prefix.matches("member.added") && !prefix.matches("members.added") && !prefix.matches("role.created"));
        assert!(ActionFilter::parse("access_rule.created", "action").expect("exact").matches("access_rule.created"));
        for bad in ["", ".", "member..", ".member", "Member.added", "member added", "a%", "member.*", &"a".repeat(65)] {
            assert_eq!(ActionFilter::parse(bad, "action").expect_err(bad).field, "action", "{bad:?}");
        }
    }

    #[test]
    fn actors_are_ids_or_usernames_and_targets_a_kind_and_an_id() {
        let id = UserId::new();
        assert_eq!(AuditActor::parse(&id.to_string(), "actor"), Ok(AuditActor::Id(id)));
        assert_eq!(AuditActor::parse("Alice", "actor").expect("a username").to_text(), "Alice");
        assert_eq!(AuditActor::parse("a b", "actor").expect_err("neither").field, "actor");
        let upper = format!("user:{}", id.to_string().to_uppercase());
        assert_eq!(AuditTarget::parse(&upper, "target").expect("a target").as_str(), format!("user:{id}"));
        for bad in ["user", "user:", "user:42", ":x", &format!("User:{id}"), &format!("ip:{id}x")] {
            assert_eq!(AuditTarget::parse(bad, "target").expect_err(bad).field, "target");
        }
        assert_eq!(AuditOutcome::parse("failure", "outcome"), Ok(AuditOutcome::Failure));
        assert_eq!(AuditOutcome::parse("failed", "outcome").expect_err("unknown").field, "outcome");
    }

    #[test]
    fn a_filter_reads_its_parameters_and_names_each_bad_one() {
        let filter = AuditFilter::parse([
            ("action", "member."),
            ("outcome", "success"),
            ("from", "2026-12-01T10:00:00.500+01:00"),
            ("to", "2026-12-01T10:00:00.5Z"),
            ("limit", "whatever"),
            ("target", ""),
        ])
        .expect("valid");
        assert_eq!(filter.from, Some(datetime!(2026-12-01 09:00:00 UTC)), "rounded down, in UTC");
        assert_eq!(filter.to, Some(datetime!(2026-12-01 10:00:01 UTC)), "rounded up");
        assert_eq!(filter.outcome, Some(AuditOutcome::Success));
        assert!(filter.target.is_none(), "a blank field is no filter");
        assert!(AuditFilter::parse([]).expect("empty").is_empty());

        assert_eq!(
            fields(&[("action", "x y"), ("outcome", "maybe"), ("from", "yesterday")]),
            ["action", "outcome", "from"]
        );
        assert_eq!(
            fields(&[("actor", "?"), ("target", "user"), ("to", "2026-13-01T00:00:00Z")]),
            ["actor", "target", "to"]
        );
        assert_eq!(fields(&[("from", "2026-12-01T10:00:00Z"), ("to", "2026-12-01T10:00:00Z")]), ["to"]);
        assert_eq!(fields(&[("outcome", "x"), ("outcome", "y")]), ["outcome"], "one violation per parameter");
    }
}
