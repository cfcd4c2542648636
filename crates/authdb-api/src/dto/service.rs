//! Services of an asset: what listens on one of its ports.

use authdb_domain::AssetService;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::list_schema;

#[derive(Serialize, ToSchema)]
pub(crate) struct ServiceResponse {
    pub(crate) id: Uuid,
    pub(crate) asset_id: Uuid,
    pub(crate) port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub(crate) protocol: &'static str,
    /// `open`, `closed`, `filtered`, `open_filtered` or `unknown`.
    pub(crate) state: &'static str,
    pub(crate) service_name: Option<String>,
    pub(crate) product: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) cpe: Option<String>,
    pub(crate) banner: Option<String>,
    pub(crate) detection_method: Option<String>,
    pub(crate) confidence: Option<u8>,
    pub(crate) ssl_enabled: bool,
    pub(crate) ssl_info: Option<Value>,
    pub(crate) http_title: Option<String>,
    pub(crate) http_technologies: Vec<String>,
    pub(crate) extra_info: Option<Value>,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) first_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) last_seen: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) updated_at: OffsetDateTime,
}

impl From<AssetService> for ServiceResponse {
    fn from(service: AssetService) -> Self {
        let details = service.details;
        Self {
            id: service.id.as_uuid(),
            asset_id: service.asset_id.as_uuid(),
            port: service.port.value(),
            protocol: service.protocol.as_str(),
            state: service.state.as_str(),
            service_name: details.service_name,
            product: details.product,
            version: details.version,
            cpe: details.cpe,
            banner: details.banner.map(|banner| banner.as_str().to_owned()),
            detection_method: details.detection_method,
            confidence: details.confidence.map(|value| value.value()),
            ssl_enabled: details.ssl_enabled,
            ssl_info: details.ssl_info.map(|info| info.into_value()),
            http_title: details.http_title,
            http_technologies: details.http_technologies,
            extra_info: details.extra_info.map(|info| info.into_value()),
            first_seen: service.first_seen,
            last_seen: service.last_seen,
            created_at: service.created_at,
            updated_at: service.updated_at,
        }
    }
}

list_schema!(ServiceList, ServiceResponse);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateServiceRequest {
    /// 1-65535; unique on the asset with the protocol.
    pub(crate) port: i64,
    /// `tcp`, `udp` or `sctp`, any case.
    pub(crate) protocol: String,
    /// `open` (default), `closed`, `filtered`, `open_filtered` or `unknown`.
    #[serde(default)]
    pub(crate) state: Option<String>,
    #[serde(default)]
    pub(crate) service_name: Option<String>,
    #[serde(default)]
    pub(crate) product: Option<String>,
    #[serde(default)]
    pub(crate) version: Option<String>,
    #[serde(default)]
    pub(crate) cpe: Option<String>,
    /// At most 4 KiB; line breaks and tabs are kept, other control characters refused.
    #[serde(default)]
    pub(crate) banner: Option<String>,
    #[serde(default)]
    pub(crate) detection_method: Option<String>,
    /// 0-100.
    #[serde(default)]
    pub(crate) confidence: Option<i64>,
    #[serde(default)]
    pub(crate) ssl_enabled: Option<bool>,
    /// A JSON object of at most 16 KiB.
    #[serde(default)]
    pub(crate) ssl_info: Option<Value>,
    #[serde(default)]
    pub(crate) http_title: Option<String>,
    /// Up to 50 labels of at most 64 characters.
    #[serde(default)]
    pub(crate) http_technologies: Vec<String>,
    /// A JSON object of at most 16 KiB.
    #[serde(default)]
    pub(crate) extra_info: Option<Value>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(crate) last_seen: Option<OffsetDateTime>,
}

/// An absent field is left alone; `null` clears a nullable one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateServiceRequest {
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) port: Option<i64>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) protocol: Option<String>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) state: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) service_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) product: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) version: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) cpe: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) banner: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) detection_method: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<i64>)]
    pub(crate) confidence: Option<Option<i64>>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) ssl_enabled: Option<bool>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<Object>)]
    pub(crate) ssl_info: Option<Option<Value>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) http_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) http_technologies: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<Object>)]
    pub(crate) extra_info: Option<Option<Value>>,
    #[serde(default, deserialize_with = "super::present_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) last_seen: Option<Option<OffsetDateTime>>,
}
