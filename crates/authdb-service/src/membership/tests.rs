use authdb_domain::{BuiltInRole, MemberRole, Permission, PermissionSet, RoleId, RoleName};

use super::grant_refusal;

fn built_in(role: BuiltInRole) -> MemberRole {
    MemberRole { id: role.id(), name: role.role_name(), permissions: role.permissions(), built_in: true }
}

fn custom(name: &str, permissions: PermissionSet) -> MemberRole {
    MemberRole {
        id: RoleId::new(),
        name: RoleName::parse(name, "role").expect("a valid role name"),
        permissions,
        built_in: false,
    }
}

fn may_grant(holder: &MemberRole, granted: BuiltInRole) -> bool {
    let is_owner = holder.id == BuiltInRole::Owner.id();
    grant_refusal(holder, is_owner, granted.id(), granted.permissions()).is_none()
}

#[test]
fn an_owner_grants_every_built_in_role() {
    let owner = built_in(BuiltInRole::Owner);
    for role in BuiltInRole::ALL {
        assert!(may_grant(&owner, role), "{role:?}");
    }
}

#[test]
fn an_admin_grants_everything_below_owner() {
    let admin = built_in(BuiltInRole::Admin);
    assert!(!may_grant(&admin, BuiltInRole::Owner));
    for role in [BuiltInRole::Admin, BuiltInRole::Member, BuiltInRole::Viewer] {
        assert!(may_grant(&admin, role), "{role:?}");
    }
}

#[test]
fn a_custom_role_with_every_permission_cannot_grant_owner() {
    let root = custom("root", PermissionSet::all());
    let refusal = grant_refusal(&root, false, BuiltInRole::Owner.id(), PermissionSet::all());
    assert!(refusal.expect("refused").contains("only an owner"));
    assert!(may_grant(&root, BuiltInRole::Admin));
}

#[test]
fn granting_needs_members_manage_and_every_permission_granted() {
    let viewer = built_in(BuiltInRole::Viewer);
    let refusal = grant_refusal(&viewer, false, BuiltInRole::Viewer.id(), PermissionSet::empty()).expect("refused");
    assert!(refusal.contains("members:manage"), "{refusal}");
    let helper = custom("helper", PermissionSet::from_permissions([Permission::MembersManage, Permission::OrgRead]));
    let refusal =
        grant_refusal(&helper, false, BuiltInRole::Member.id(), BuiltInRole::Member.permissions()).expect("refused");
    assert!(refusal.contains("assets:write"), "{refusal}");
    let reader = PermissionSet::from_permissions([Permission::OrgRead]);
    assert_eq!(grant_refusal(&helper, false, RoleId::new(), reader), None);
}
