//! The fixed catalogue of permissions and the built-in roles that bundle them.
//!
//! Permission names are stored (in `roles.permissions`) and sent to clients (in tokens
//! and role bodies), so they are part of the API: never rename one.

use std::fmt;

use crate::{RoleId, Violation};

/// One thing a member of an organization may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    OrgRead,
    OrgUpdate,
    OrgDelete,
    MembersRead,
    MembersManage,
    RolesManage,
    AssetsRead,
    AssetsWrite,
    ChatsUse,
    /// Changes what a network's router does: its access rules, scans run through its
    /// agent.
    NetworksControl,
    ChatsManage,
    /// Reads the organization's audit log.
    AuditRead,
}

impl Permission {
    /// Every permission, in catalogue order.
    pub const ALL: [Self; 12] = [
        Self::OrgRead,
        Self::OrgUpdate,
        Self::OrgDelete,
        Self::MembersRead,
        Self::MembersManage,
        Self::RolesManage,
        Self::AssetsRead,
        Self::AssetsWrite,
        Self::ChatsUse,
        Self::NetworksControl,
        Self::ChatsManage,
        Self::AuditRead,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OrgRead => "org:read",
            Self::OrgUpdate => "org:update",
            Self::OrgDelete => "org:delete",
            Self::MembersRead => "members:read",
            Self::MembersManage => "members:manage",
            Self::RolesManage => "roles:manage",
            Self::AssetsRead => "assets:read",
            Self::AssetsWrite => "assets:write",
            Self::ChatsUse => "chats:use",
            Self::NetworksControl => "networks:control",
            Self::ChatsManage => "chats:manage",
            Self::AuditRead => "audit:read",
        }
    }

    /// The permission with this exact name, if the catalogue has one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|permission| permission.as_str() == name)
    }

    const fn bit(self) -> u32 {
        1 << self as u32
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of permissions from the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PermissionSet(u32);

impl PermissionSet {
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Every permission in the catalogue (what an owner holds).
    pub fn all() -> Self {
        Self::from_permissions(Permission::ALL)
    }

    pub fn from_permissions(permissions: impl IntoIterator<Item = Permission>) -> Self {
        Self(permissions.into_iter().fold(0, |bits, permission| bits | permission.bit()))
    }

    /// Parses names sent by a client: every name must be in the catalogue. Duplicates are
    /// harmless. `field` names the input in the violation (`permissions`).
    pub fn parse_names<S: AsRef<str>>(names: &[S], field: &'static str) -> Result<Self, Violation> {
        let mut unknown = Vec::new();
        let mut set = Self::empty();
        for name in names {
            match Permission::from_name(name.as_ref()) {
                Some(permission) => set = set.with(permission),
                None => unknown.push(name.as_ref().to_owned()),
            }
        }
        if unknown.is_empty() {
            Ok(set)
        } else {
            Err(Violation::new(
                field,
                format!("unknown permission {}; known permissions are {}", quoted(&unknown), catalogue()),
            ))
        }
    }

    /// Reads names as stored, skipping any the catalogue no longer knows (a stored
    /// permission that was removed grants nothing).
    pub fn from_stored_names<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Self {
        Self::from_permissions(names.into_iter().filter_map(|name| Permission::from_name(name.as_ref())))
    }

    #[must_use]
    pub const fn with(self, permission: Permission) -> Self {
        Self(self.0 | permission.bit())
    }

    pub const fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// Whether every permission of `self` is also in `other`.
    pub const fn is_subset_of(self, other: Self) -> bool {
        self.0 & !other.0 == 0
    }

    /// The permissions of `self` that `other` lacks.
    pub fn missing_from(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |permission| self.contains(*permission))
    }

    /// The names in catalogue order: the stored and the wire form.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Permission::as_str).collect()
    }
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

fn catalogue() -> String {
    Permission::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
}

/// The four roles every organization has. Their ids are fixed (seeded by the `roles`
/// migration) and their permission sets are documented in docs/api.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltInRole {
    /// Everything, including deleting the organization.
    Owner,
    /// Everything but deleting the organization.
    Admin,
    /// Reads the organization and its members and uses its data.
    Member,
    /// Only reads.
    Viewer,
}

impl BuiltInRole {
    pub const ALL: [Self; 4] = [Self::Owner, Self::Admin, Self::Member, Self::Viewer];

    pub const fn name(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
            Self::Viewer => "viewer",
        }
    }

    /// The role's name as a [`RoleName`].
    pub fn role_name(self) -> RoleName {
        RoleName(self.name().to_owned())
    }

    /// The id the migration seeded this role under.
    pub const fn id(self) -> RoleId {
        let last = match self {
            Self::Owner => 1,
            Self::Admin => 2,
            Self::Member => 3,
            Self::Viewer => 4,
        };
        RoleId::from_uuid(uuid::Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0000 | last))
    }

    pub fn permissions(self) -> PermissionSet {
        use Permission as P;
        match self {
            Self::Owner => PermissionSet::all(),
            Self::Admin => PermissionSet::all().missing_from(PermissionSet::empty().with(P::OrgDelete)),
            Self::Member => PermissionSet::from_permissions([
                P::OrgRead,
                P::MembersRead,
                P::AssetsRead,
                P::AssetsWrite,
                P::ChatsUse,
            ]),
            Self::Viewer => PermissionSet::from_permissions([P::OrgRead, P::MembersRead, P::AssetsRead]),
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.name() == name)
    }

    pub fn from_id(id: RoleId) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.id() == id)
    }
}

/// The name of a role: 1 to 50 of lower-case letters, digits, `_` and `-`, starting with
/// a letter. Custom roles may not take a built-in role's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleName(String);

impl RoleName {
    /// Parses the name of a role to look up (built-in names allowed).
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        let name = raw.trim();
        if name.is_empty() || name.len() > 50 {
            return Err(Violation::new(field, "must be 1 to 50 characters long"));
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(Violation::new(field, "must start with a lower-case letter"));
        }
        if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
            return Err(Violation::new(field, "may contain only lower-case letters a-z, digits, `_` and `-`"));
        }
        Ok(Self(name.to_owned()))
    }

    /// Parses the name of a new custom role: built-in names are taken.
    pub fn parse_custom(raw: &str, field: &'static str) -> Result<Self, Violation> {
        let name = Self::parse(raw, field)?;
        if BuiltInRole::from_name(name.as_str()).is_some() {
            return Err(Violation::new(field, "is the name of a built-in role"));
        }
        Ok(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl RoleName {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl AsRef<str> for RoleName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RoleName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for permission in Permission::ALL {
            assert_eq!(Permission::from_name(permission.as_str()), Some(permission));
        }
        let mut names: Vec<_> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), Permission::ALL.len());
        assert_eq!(Permission::from_name("ORG:READ"), None);
    }

    #[test]
    fn parsing_names_refuses_unknown_ones_naming_them() {
        let set = PermissionSet::parse_names(&["org:read", "assets:write", "org:read"], "permissions").expect("known");
        assert_eq!(set.names(), ["org:read", "assets:write"]);
        let violation = PermissionSet::parse_names(&["org:read", "org:fly"], "permissions").expect_err("unknown");
        assert_eq!(violation.field, "permissions");
        assert!(violation.message.contains("`org:fly`"), "{}", violation.message);
        assert!(PermissionSet::parse_names::<&str>(&[], "permissions").expect("empty is fine").is_empty());
    }

    #[test]
    fn built_in_roles_nest_as_documented() {
        use BuiltInRole as R;
        assert_eq!(R::Owner.permissions(), PermissionSet::all());
        assert!(!R::Admin.permissions().contains(Permission::OrgDelete));
        assert_eq!(R::Admin.permissions().iter().count(), Permission::ALL.len() - 1);
        assert!(R::Viewer.permissions().is_subset_of(R::Member.permissions()));
        assert!(R::Member.permissions().is_subset_of(R::Admin.permissions()));
        assert!(!R::Member.permissions().contains(Permission::MembersManage));
        assert!(!R::Viewer.permissions().contains(Permission::AssetsWrite));
        assert!(R::Owner.permissions().contains(Permission::NetworksControl));
        assert!(R::Admin.permissions().contains(Permission::NetworksControl));
        assert!(!R::Member.permissions().contains(Permission::NetworksControl));
        assert!(R::Owner.permissions().contains(Permission::AuditRead));
        assert!(R::Admin.permissions().contains(Permission::AuditRead));
        assert!(!R::Member.permissions().contains(Permission::AuditRead));
        assert!(!R::Viewer.permissions().contains(Permission::AuditRead));
        assert_eq!(
            R::Member.permissions().names(),
            ["org:read", "members:read", "assets:read", "assets:write", "chats:use"]
        );
    }

    #[test]
    fn built_in_ids_match_the_seed() {
        assert_eq!(BuiltInRole::Owner.id().to_string(), "00000000-0000-7000-8000-000000000001");
        assert_eq!(BuiltInRole::Viewer.id().to_string(), "00000000-0000-7000-8000-000000000004");
        for role in BuiltInRole::ALL {
            assert_eq!(BuiltInRole::from_id(role.id()), Some(role));
            assert_eq!(BuiltInRole::from_name(role.name()), Some(role));
        }
    }

    #[test]
    fn subsets_and_differences() {
        let read = PermissionSet::from_permissions([Permission::OrgRead]);
        let both = read.with(Permission::OrgUpdate);
        assert!(read.is_subset_of(both));
        assert!(!both.is_subset_of(read));
        assert_eq!(both.missing_from(read).names(), ["org:update"]);
        assert!(PermissionSet::empty().is_subset_of(read));
        assert_eq!(PermissionSet::from_stored_names(["org:read", "gone:forever"]), read);
    }

    #[test]
    fn role_names_follow_the_alphabet_and_reserve_built_ins() {
        assert_eq!(RoleName::parse(" auditor ", "name").expect("ok").as_str(), "auditor");
        assert!(RoleName::parse("owner", "name").is_ok());
        for bad in ["", "Auditor", "9lives", "has space", &"a".repeat(51)] {
            assert_eq!(RoleName::parse(bad, "name").expect_err(bad).field, "name");
        }
        assert!(RoleName::parse_custom("admin", "name").is_err());
        assert!(RoleName::parse_custom("auditor", "name").is_ok());
    }
}
