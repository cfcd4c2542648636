//! An organization's inventory at a glance: assets by criticality and by type, open
//! services by port. The database groups and counts; every criticality and type of the
//! catalogue is present, zeros included, so that a chart keeps a fixed axis.

use authdb_domain::{AssetType, Criticality, Port};
use authdb_persistence::{ConnectionTrait, TenantId, assets, services};

use crate::Result;

/// How many ports [`OpenPorts`] names; the rest are summed as "other".
pub(crate) const TOP_PORTS: u64 = 10;

/// Assets and open services of one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryInsights {
    /// All the organization's assets.
    pub assets: u64,
    /// Every criticality, most critical first, with how many assets have it.
    pub by_criticality: Vec<(Criticality, u64)>,
    /// Every asset type in catalogue order, with how many assets are of it.
    pub by_type: Vec<(AssetType, u64)>,
    pub open_ports: OpenPorts,
}

/// Open services (state `open`, any protocol) counted by port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenPorts {
    /// The ten ports with the most open services, most first (ties: the lower
    /// port first).
    pub top: Vec<(Port, u64)>,
    /// Open services on every other port.
    pub other: u64,
    /// All open services.
    pub total: u64,
}

pub(crate) async fn insights(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<InventoryInsights> {
    let criticalities = assets::count_by_criticality(conn, tenant).await?;
    let types = assets::count_by_type(conn, tenant).await?;
    let (top, total) = services::count_open_by_port(conn, tenant, TOP_PORTS).await?;
    Ok(lay_out(&criticalities, &types, top, total))
}

/// Every value of the catalogues, zeros included, from the counts of the values present.
fn lay_out(
    criticalities: &[(Criticality, u64)],
    types: &[(AssetType, u64)],
    top: Vec<(Port, u64)>,
    total: u64,
) -> InventoryInsights {
    let count_of = |wanted: Criticality| criticalities.iter().find(|(c, _)| *c == wanted).map_or(0, |(_, n)| *n);
    let mut by_criticality: Vec<(Criticality, u64)> =
        Criticality::ALL.iter().map(|&criticality| (criticality, count_of(criticality))).collect();
    by_criticality.sort_by_key(|(criticality, _)| std::cmp::Reverse(criticality.rank()));
    let by_type: Vec<(AssetType, u64)> = AssetType::ALL
        .iter()
        .map(|&asset_type| (asset_type, types.iter().find(|(t, _)| *t == asset_type).map_or(0, |(_, n)| *n)))
        .collect();
    let named: u64 = top.iter().map(|(_, count)| count).sum();
    InventoryInsights {
        assets: criticalities.iter().map(|(_, count)| count).sum(),
        by_criticality,
        by_type,
        open_ports: OpenPorts { top, other: total.saturating_sub(named), total },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_present_in_a_fixed_order() {
        let insights =
            lay_out(&[(Criticality::Low, 3), (Criticality::Critical, 1)], &[(AssetType::Router, 4)], vec![], 0);

        assert_eq!(
            insights.by_criticality,
            [(Criticality::Critical, 1), (Criticality::High, 0), (Criticality::Medium, 0), (Criticality::Low, 3)]
        );
        assert_eq!(insights.by_type.len(), AssetType::ALL.len());
        assert_eq!(insights.by_type.iter().find(|(t, _)| *t == AssetType::Router), Some(&(AssetType::Router, 4)));
        assert_eq!(insights.assets, 4);
        assert_eq!(insights.open_ports, OpenPorts { top: vec![], other: 0, total: 0 });
    }

    #[test]
    fn ports_beyond_the_top_are_other() {
        let port = |n| Port::parse(n, "port").expect("a port");
        let insights = lay_out(&[], &[], vec![(port(22), 5), (port(443), 2)], 10);
        assert_eq!(insights.open_ports.other, 3);
    }
}
