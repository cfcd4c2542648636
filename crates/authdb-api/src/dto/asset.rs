//! Assets of an organization's inventory.

use authdb_domain::{Asset, VulnerabilityCounts};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::list_schema;

/// Known vulnerabilities by severity.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Vulnerabilities {
    #[serde(default)]
    pub(crate) critical: Option<i64>,
    #[serde(default)]
    pub(crate) high: Option<i64>,
    #[serde(default)]
    pub(crate) medium: Option<i64>,
    #[serde(default)]
    pub(crate) low: Option<i64>,
    #[serde(default)]
    pub(crate) info: Option<i64>,
}

impl From<VulnerabilityCounts> for Vulnerabilities {
    fn from(counts: VulnerabilityCounts) -> Self {
        Self {
            critical: Some(counts.critical.into()),
            high: Some(counts.high.into()),
            medium: Some(counts.medium.into()),
            low: Some(counts.low.into()),
            info: Some(counts.info.into()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AssetResponse {
    pub(crate) id: Uuid,
    pub(crate) network_id: Option<Uuid>,
    /// Canonical text: `10.0.0.1`, `2001:db8::1`.
    pub(crate) ip_address: String,
    pub(crate) hostname: Option<String>,
    /// `aa:bb:cc:dd:ee:ff`.
    pub(crate) mac_address: Option<String>,
    pub(crate) mac_vendor: Option<String>,
    pub(crate) operating_system: Option<String>,
    pub(crate) os_version: Option<String>,
    pub(crate) os_cpe: Option<String>,
    pub(crate) asset_type: &'static str,
    pub(crate) criticality: &'static str,
    pub(crate) tags: Vec<String>,
    pub(crate) status: &'static str,
    pub(crate) is_reachable: bool,
    pub(crate) risk_score: u8,
    pub(crate) vulnerabilities: Vulnerabilities,
    /// How many of its services are in state `open`.
    pub(crate) open_services: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) first_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) last_seen: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) last_scanned: Option<OffsetDateTime>,
    pub(crate) metadata: Value,
    pub(crate) owner_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) updated_at: OffsetDateTime,
}

impl From<Asset> for AssetResponse {
    fn from(asset: Asset) -> Self {
        Self {
            id: asset.id.as_uuid(),
            network_id: asset.network_id.map(|id| id.as_uuid()),
            ip_address: asset.ip_address.to_string(),
            hostname: asset.hostname.map(|name| name.as_str().to_owned()),
            mac_address: asset.mac_address.map(|mac| mac.to_string()),
            mac_vendor: asset.mac_vendor,
            operating_system: asset.operating_system,
            os_version: asset.os_version,
            os_cpe: asset.os_cpe,
            asset_type: asset.asset_type.as_str(),
            criticality: asset.criticality.as_str(),
            tags: asset.tags.names().into_iter().map(str::to_owned).collect(),
            status: asset.status.as_str(),
            is_reachable: asset.is_reachable,
            risk_score: asset.risk_score.value(),
            vulnerabilities: asset.vulnerabilities.into(),
            open_services: asset.open_services,
            first_seen: asset.first_seen,
            last_seen: asset.last_seen,
            last_scanned: asset.last_scanned,
            metadata: asset.metadata.into_value(),
            owner_id: asset.owner_id.map(|id| id.as_uuid()),
            created_at: asset.created_at,
            updated_at: asset.updated_at,
        }
    }
}

list_schema!(AssetList, AssetResponse);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateAssetRequest {
    /// IPv4 or IPv6; unique in its network (assets without a network count as one).
    pub(crate) ip_address: String,
    #[serde(default)]
    pub(crate) network_id: Option<Uuid>,
    #[serde(default)]
    pub(crate) hostname: Option<String>,
    /// With `:`, `-`, `.` or no separators, any case.
    #[serde(default)]
    pub(crate) mac_address: Option<String>,
    #[serde(default)]
    pub(crate) mac_vendor: Option<String>,
    #[serde(default)]
    pub(crate) operating_system: Option<String>,
    #[serde(default)]
    pub(crate) os_version: Option<String>,
    #[serde(default)]
    pub(crate) os_cpe: Option<String>,
    /// Default `unknown`.
    #[serde(default)]
    pub(crate) asset_type: Option<String>,
    /// `low`, `medium` (default), `high` or `critical`.
    #[serde(default)]
    pub(crate) criticality: Option<String>,
    /// Up to 50, each 1-64 of `[a-z0-9_.:-]` (lower-cased).
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    /// Default `active`.
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) is_reachable: Option<bool>,
    /// 0-100, default 0.
    #[serde(default)]
    pub(crate) risk_score: Option<i64>,
    #[serde(default)]
    pub(crate) vulnerabilities: Option<Vulnerabilities>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(crate) last_seen: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(crate) last_scanned: Option<OffsetDateTime>,
    /// A JSON object of at most 16 KiB.
    #[serde(default)]
    pub(crate) metadata: Option<Value>,
    /// A member of the organization.
    #[serde(default)]
    pub(crate) owner_id: Option<Uuid>,
}

/// An absent field is left alone; `null` clears a nullable one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateAssetRequest {
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) ip_address: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<Uuid>)]
    pub(crate) network_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) hostname: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) mac_address: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) mac_vendor: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) operating_system: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) os_version: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) os_cpe: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) asset_type: Option<String>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) criticality: Option<String>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) status: Option<String>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) is_reachable: Option<bool>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) risk_score: Option<i64>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) vulnerabilities: Option<Vulnerabilities>,
    #[serde(default, deserialize_with = "super::present_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) last_seen: Option<Option<OffsetDateTime>>,
    #[serde(default, deserialize_with = "super::present_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) last_scanned: Option<Option<OffsetDateTime>>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) metadata: Option<Value>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<Uuid>)]
    pub(crate) owner_id: Option<Option<Uuid>>,
}
