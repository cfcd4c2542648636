//! Rows into domain values. A value that was parsed into a domain type when it was
//! stored (an email, a username, a slug, a role name) is parsed again when it is read, so
//! read models carry the same types as requests. A stored value that no longer parses is
//! [`PersistenceError::Corrupt`], never silently passed on.

use authdb_domain::{
    AgentUrl, Cidr, Email, MemberRole, Network, NetworkId, NetworkName, Organization, OrganizationId, PermissionSet,
    Role, RoleId, RoleName, Slug, User, UserId, Username, Violation,
};

use crate::{
    PersistenceError, Result,
    entities::{networks, organizations, roles, users},
};

/// A stored value parsed again; `entity` and `field` name it in the error.
pub(crate) fn parsed<T>(value: Result<T, Violation>, entity: &'static str, field: &'static str) -> Result<T> {
    value.map_err(|violation| PersistenceError::Corrupt { entity, field, message: violation.message })
}

/// Read with [`Email::parse_stored`]: an address stored before a rule for new addresses
/// existed is older, not corrupt.
pub(crate) fn email(stored: &str, entity: &'static str) -> Result<Email> {
    parsed(Email::parse_stored(stored), entity, "email")
}

pub(crate) fn username(stored: &str, entity: &'static str) -> Result<Username> {
    parsed(Username::parse(stored), entity, "username")
}

pub(crate) fn role_name(stored: &str, entity: &'static str) -> Result<RoleName> {
    parsed(RoleName::parse(stored, "name"), entity, "role")
}

pub(crate) fn user(model: users::Model) -> Result<User> {
    Ok(User {
        id: UserId::from_uuid(model.id),
        email: email(&model.email, "user")?,
        username: username(&model.username, "user")?,
        full_name: model.full_name,
        avatar_url: model.avatar_url,
        preferences: model.preferences,
        is_active: model.is_active,
        is_verified: model.is_verified,
        is_superuser: model.is_superuser,
        created_at: model.created_at,
        updated_at: model.updated_at,
        last_login_at: model.last_login_at,
        login_count: model.login_count,
        password_changed_at: model.password_changed_at,
    })
}

pub(crate) fn organization(model: organizations::Model) -> Result<Organization> {
    Ok(Organization {
        id: OrganizationId::from_uuid(model.id),
        name: model.name,
        slug: parsed(Slug::parse(&model.slug), "organization", "slug")?,
        description: model.description,
        license_key: model.license_key,
        license_expires_at: model.license_expires_at,
        max_assets: model.max_assets,
        settings: model.settings,
        is_active: model.is_active,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

pub(crate) fn role(model: roles::Model) -> Result<Role> {
    Ok(Role {
        id: RoleId::from_uuid(model.id),
        organization_id: model.organization_id.map(OrganizationId::from_uuid),
        name: role_name(&model.name, "role")?,
        description: model.description,
        permissions: permissions(model.permissions),
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// A role as a member holds it.
pub(crate) fn member_role(model: roles::Model) -> Result<MemberRole> {
    Ok(MemberRole {
        id: RoleId::from_uuid(model.id),
        name: role_name(&model.name, "role")?,
        built_in: model.organization_id.is_none(),
        permissions: permissions(model.permissions),
    })
}

/// Stored permission names; names this build does not know are dropped (a newer version
/// may have stored them), never granted.
fn permissions(stored: serde_json::Value) -> PermissionSet {
    let names: Vec<String> = serde_json::from_value(stored).unwrap_or_default();
    PermissionSet::from_stored_names(names)
}

pub(crate) fn network(model: networks::Model) -> Result<Network> {
    const ENTITY: &str = "network";
    let texts: Vec<String> = serde_json::from_value(model.cidrs).map_err(|error| PersistenceError::Corrupt {
        entity: ENTITY,
        field: "cidrs",
        message: error.to_string(),
    })?;
    let cidrs = texts.iter().map(|text| parsed(Cidr::parse(text, "cidrs"), ENTITY, "cidrs")).collect::<Result<_>>()?;
    Ok(Network {
        id: NetworkId::from_uuid(model.id),
        organization_id: OrganizationId::from_uuid(model.organization_id),
        name: parsed(NetworkName::parse(&model.name, "name"), ENTITY, "name")?,
        description: model.description,
        site: model.site,
        cidrs,
        agent_url: model
            .agent_url
            .map(|url| parsed(AgentUrl::parse(&url, "agent_url"), ENTITY, "agent_url"))
            .transpose()?,
        has_agent_token: model.agent_token.is_some(),
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// Appends `(?, ?, ...)`, one row of `count` placeholders for a `VALUES` list on SQLite.
///
/// Anonymous placeholders, not numbered ones (`?17`): SQLx binds a numbered placeholder by
/// asking SQLite for its name, which SQLite finds by walking the statement's list of
/// names, so binding 27,000 numbered values took seconds a statement.
pub(crate) fn push_placeholders(sql: &mut String, count: usize) {
    sql.push('(');
    for n in 0..count {
        sql.push_str(if n == 0 { "?" } else { ", ?" });
    }
    sql.push(')');
}
