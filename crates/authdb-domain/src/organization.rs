//! Organizations (tenants), their members and roles as the rest of the system sees them.

use serde_json::Value;
use time::OffsetDateTime;

use crate::{Email, OrganizationId, PermissionSet, RoleId, RoleName, UserId, Username, Violation};

/// An organization's slug: 3 to 63 of lower-case letters and digits, with single hyphens
/// only between them (`acme`, `acme-labs-2`). Unique across the installation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let invalid = |message: &str| Err(Violation::new("slug", message));
        if raw.len() < 3 || raw.len() > 63 {
            return invalid("must be 3 to 63 characters long");
        }
        if !raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return invalid("may contain only lower-case letters a-z, digits and hyphens");
        }
        if raw.starts_with('-') || raw.ends_with('-') || raw.contains("--") {
            return invalid("hyphens must stand alone between letters or digits");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Slug {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An organization's display name: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationName(String);

impl OrganizationName {
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Violation::new("name", "must be 1 to 200 characters long"));
        }
        if name.chars().any(char::is_control) {
            return Err(Violation::new("name", "must not contain control characters"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A free-text description of at most 2000 characters; `field` names it in violations.
pub fn parse_description(raw: &str, field: &'static str) -> Result<String, Violation> {
    if raw.chars().count() > 2000 {
        return Err(Violation::new(field, "must be at most 2000 characters"));
    }
    if raw.contains('\0') {
        return Err(Violation::new(field, "must not contain NUL characters"));
    }
    Ok(raw.to_owned())
}

/// The key of [`Organization::settings`] that makes the organization require a second
/// factor of its members (a boolean; absent is `false`).
pub const REQUIRE_MFA_SETTING: &str = "require_mfa";

/// An organization's settings: a JSON object of at most 16 KiB, whose `require_mfa`, if
/// present, is a boolean (`settings.require_mfa`).
pub fn parse_settings(value: Value) -> Result<Value, Violation> {
    if !value.is_object() {
        return Err(Violation::new("settings", "must be a JSON object"));
    }
    if value.to_string().len() > 16 * 1024 {
        return Err(Violation::new("settings", "must be at most 16 KiB of JSON"));
    }
    if value.get(REQUIRE_MFA_SETTING).is_some_and(|flag| !flag.is_boolean()) {
        return Err(Violation::new("settings.require_mfa", "must be true or false"));
    }
    Ok(value)
}

/// Whether settings (as [`parse_settings`] accepted them) require a second factor of the
/// organization's members.
pub fn requires_mfa(settings: &Value) -> bool {
    settings.get(REQUIRE_MFA_SETTING).and_then(Value::as_bool).unwrap_or(false)
}

/// A tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub slug: Slug,
    pub description: Option<String>,
    pub license_key: Option<String>,
    pub license_expires_at: Option<OffsetDateTime>,
    pub max_assets: Option<i32>,
    pub settings: Value,
    pub is_active: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Organization {
    /// Whether the licence has run out at `now` (it expires at `license_expires_at`).
    pub fn license_expired(&self, now: OffsetDateTime) -> bool {
        self.license_expires_at.is_some_and(|expires_at| expires_at <= now)
    }

    /// Whether `adding` more assets fit beside the `current` ones under `max_assets`;
    /// `Err(limit)` when they do not. Adding none always fits, even over a limit lowered
    /// below what the organization holds.
    pub fn asset_room(&self, current: u64, adding: u64) -> Result<(), u64> {
        let Some(max) = self.max_assets else { return Ok(()) };
        let limit = u64::try_from(max).unwrap_or(0);
        if adding == 0 || current.saturating_add(adding) <= limit { Ok(()) } else { Err(limit) }
    }
}

/// The license of an organization; only a superuser may set it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LicenseChanges {
    /// `Some(None)` clears the field.
    pub license_key: Option<Option<String>>,
    pub license_expires_at: Option<Option<OffsetDateTime>>,
    pub max_assets: Option<Option<i32>>,
}

impl LicenseChanges {
    /// The longest licence key, in characters (as the console's `maxlength` counts).
    pub const MAX_KEY_CHARS: usize = 255;

    /// Checks the fields a caller sets (`Some(None)` clears one): a key of 1 to
    /// [`Self::MAX_KEY_CHARS`] characters, a `max_assets` of at least 0. The one rule of the
    /// API's organization routes and the console's licence form; the first bad field is the
    /// violation.
    pub fn parse(
        license_key: Option<Option<String>>,
        license_expires_at: Option<Option<OffsetDateTime>>,
        max_assets: Option<Option<i32>>,
    ) -> Result<Self, Violation> {
        if let Some(Some(key)) = &license_key
            && (key.is_empty() || key.chars().count() > Self::MAX_KEY_CHARS)
        {
            return Err(Violation::new("license_key", "must be 1 to 255 characters long"));
        }
        if let Some(Some(max)) = max_assets
            && max < 0
        {
            return Err(Violation::new("max_assets", "must be at least 0"));
        }
        let license_expires_at = license_expires_at.map(|at| at.map(crate::stored_time));
        Ok(Self { license_key, license_expires_at, max_assets })
    }

    pub fn is_empty(&self) -> bool {
        self.license_key.is_none() && self.license_expires_at.is_none() && self.max_assets.is_none()
    }
}

/// A new organization, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrganization {
    pub name: OrganizationName,
    pub slug: Slug,
    pub description: Option<String>,
    pub settings: Value,
    pub license: LicenseChanges,
}

/// Changes to an organization; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrganizationChanges {
    pub name: Option<OrganizationName>,
    pub slug: Option<Slug>,
    pub description: Option<Option<String>>,
    pub settings: Option<Value>,
    pub is_active: Option<bool>,
    pub license: LicenseChanges,
}

impl OrganizationChanges {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.slug.is_none()
            && self.description.is_none()
            && self.settings.is_none()
            && self.is_active.is_none()
            && self.license.is_empty()
    }
}

/// A role as a member holds it: which role, and what it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRole {
    pub id: RoleId,
    pub name: RoleName,
    pub permissions: PermissionSet,
    /// One of the four built-in roles rather than a custom role of the organization.
    pub built_in: bool,
}

/// A role, built-in or custom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: RoleId,
    /// `None` for a built-in role.
    pub organization_id: Option<OrganizationId>,
    pub name: RoleName,
    pub description: Option<String>,
    pub permissions: PermissionSet,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// One member of an organization, for member lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user_id: UserId,
    pub email: Email,
    pub username: Username,
    pub full_name: Option<String>,
    pub role: RoleName,
    pub joined_at: OffsetDateTime,
}

/// One of the caller's organizations, with the role they hold in it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationWithRole {
    pub organization: Organization,
    pub role: RoleName,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn slugs_allow_lowercase_digits_and_inner_hyphens() {
        for ok in ["abc", "acme-labs-2", "a1b", &"a".repeat(63)] {
            assert!(Slug::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", &"a".repeat(64), "Acme", "-acme", "acme-", "ac--me", "ac me", "acmé", "ac_me"] {
            assert_eq!(Slug::parse(bad).expect_err(bad).field, "slug");
        }
    }

    #[test]
    fn licences_expire_and_bound_assets() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1000);
        let mut organization = Organization {
            id: OrganizationId::new(),
            name: "Acme".into(),
            slug: Slug::parse("acme").expect("slug"),
            description: None,
            license_key: None,
            license_expires_at: None,
            max_assets: None,
            settings: json!({}),
            is_active: true,
            created_at: now,
            updated_at: now,
        };
        assert!(!organization.license_expired(now));
        assert_eq!(organization.asset_room(u64::MAX - 1, 1), Ok(()), "no limit");
        organization.license_expires_at = Some(now + time::Duration::seconds(1));
        assert!(!organization.license_expired(now));
        organization.license_expires_at = Some(now);
        assert!(organization.license_expired(now), "expired at the instant itself");
        organization.max_assets = Some(3);
        assert_eq!(organization.asset_room(1, 2), Ok(()));
        assert_eq!(organization.asset_room(2, 2), Err(3));
        assert_eq!(organization.asset_room(5, 0), Ok(()), "refreshing known assets adds none");
        organization.max_assets = Some(0);
        assert_eq!(organization.asset_room(0, 1), Err(0));
        organization.max_assets = Some(-4);
        assert_eq!(organization.asset_room(0, 1), Err(0), "a negative limit allows none");
    }

    #[test]
    fn names_descriptions_and_settings_are_bounded() {
        assert_eq!(OrganizationName::parse(" Acme ").expect("ok").as_str(), "Acme");
        assert!(OrganizationName::parse("  ").is_err());
        assert!(OrganizationName::parse(&"x".repeat(201)).is_err());
        assert!(parse_description(&"x".repeat(2001), "description").is_err());
        assert!(parse_settings(json!({"a": 1})).is_ok());
        assert_eq!(parse_settings(json!([1])).expect_err("array").field, "settings");
        assert_eq!(parse_settings(json!({"require_mfa": "yes"})).expect_err("string").field, "settings.require_mfa");
        assert_eq!(parse_settings(json!({"require_mfa": null})).expect_err("null").field, "settings.require_mfa");
        assert!(requires_mfa(&parse_settings(json!({"require_mfa": true})).expect("boolean")));
        assert!(!requires_mfa(&json!({"require_mfa": false})));
        assert!(!requires_mfa(&json!({})));
    }

    #[test]
    fn licence_changes_bound_the_key_and_the_asset_limit() {
        let ok = LicenseChanges::parse(Some(Some("k".repeat(255))), Some(None), Some(Some(0))).expect("bounds");
        assert_eq!(ok.max_assets, Some(Some(0)));
        assert!(LicenseChanges::parse(Some(None), None, Some(None)).expect("clearing").license_key == Some(None));
        assert_eq!(
            LicenseChanges::parse(Some(Some(String::new())), None, None).expect_err("empty").field,
            "license_key"
        );
        assert_eq!(
            LicenseChanges::parse(Some(Some("k".repeat(256))), None, None).expect_err("long").field,
            "license_key"
        );
        assert_eq!(LicenseChanges::parse(None, None, Some(Some(-1))).expect_err("negative").field, "max_assets");
        assert!(LicenseChanges::parse(None, None, None).expect("nothing").is_empty());
    }
}
