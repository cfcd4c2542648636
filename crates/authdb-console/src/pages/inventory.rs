//! The Inventory pages: the caller's organizations with links to each one's inventory,
//! and for one organization its networks (add one), its assets as a sortable, filterable
//! table, an asset's services (open ports), a network's access rules (add one, delete one
//! after a confirmation page) and its scans (upload a JSON or nmap XML file, then the
//! import's summary).
//!
//! Each page calls the same use cases as the API's routes, behind the same permission:
//! `assets:read` to read, `assets:write` to add a network or import a scan,
//! `networks:control` for access rules. The asset table reads its query string exactly as
//! `GET .../assets` does (`AssetFilter::from_query`, `parse_search`, `Sort`, `Page`): a bad
//! filter is a 422 naming it. A scan file is read by authdb-service's `ScanFormat` (the
//! functions the API's import calls), its format told by its first character, under
//! `inventory.max_scan_bytes`; its form's first field is the CSRF token, checked before the
//! file is read ([`Upload`]).

use std::collections::BTreeSet;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use authdb_domain::{
    AccessRuleId, Asset, AssetFilter, AssetId, AssetSortKey, AssetStatus, AssetType, Criticality, Network, NetworkId,
    NetworkName, NewAccessRule, NewNetwork, Page, Permission, RuleList, RuleTarget, Scan, ScanId, Sort, SortKey,
    Violation, parse_cidrs, parse_description, parse_expiry, parse_label, parse_rule_comment, parse_search,
};
use authdb_service::{ScanFileError, ScanFormat, ServiceError};
use maud::{Markup, html};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::{
    error::ConsoleError,
    form::{NoFields, Posted, Upload},
    layout::{confirm, csrf_field, datetime_local, field, optional_field, page, respond, see_other, subnav, url, when},
    paging::{PageQuery, pager, pager_with, query_string},
    session::SignedIn,
    tenant::{Tenant, path_id},
};

/// The navigation entry every Inventory page marks.
const NAV: &str = "/inventory";

/// The file field of the scan upload form.
const SCAN_FIELD: &str = "scan";

/// The query keys of the asset table's filters (the API's), kept in its links.
const FILTER_KEYS: &[&str] =
    &["q", "status", "criticality", "asset_type", "tag", "network_id", "owner_id", "cidr", "min_risk", "port"];

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/inventory", web::get().to(organizations))
        .route("/organizations/{org}/networks", web::get().to(networks))
        .route("/organizations/{org}/networks", web::post().to(create_network))
        .route("/organizations/{org}/assets", web::get().to(assets))
        .route("/organizations/{org}/assets/{asset}", web::get().to(asset))
        .route("/organizations/{org}/networks/{network}/access-rules", web::get().to(access_rules))
        .route("/organizations/{org}/networks/{network}/access-rules", web::post().to(create_rule))
        .route("/organizations/{org}/networks/{network}/access-rules/{rule}/delete", web::get().to(confirm_delete_rule))
        .route("/organizations/{org}/networks/{network}/access-rules/{rule}/delete", web::post().to(delete_rule))
        .route("/organizations/{org}/networks/{network}/scans", web::get().to(scans))
        .route("/organizations/{org}/networks/{network}/scans", web::post().to(upload_scan))
        .route("/organizations/{org}/networks/{network}/scans/{scan}", web::get().to(scan));
}

#[derive(Deserialize)]
struct NetworkForm {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    site: String,
    /// CIDR blocks separated by commas or white space.
    #[serde(default)]
    cidrs: String,
}

#[derive(Deserialize)]
struct RuleForm {
    list: String,
    target: String,
    #[serde(default)]
    comment: String,
    /// A `datetime-local` value, read as UTC; empty for none.
    #[serde(default)]
    expires_at: String,
}

/// The value, or `None` with its violation recorded.
fn keep<T>(parsed: Result<T, Violation>, violations: &mut Vec<Violation>) -> Option<T> {
    parsed.map_err(|violation| violations.push(violation)).ok()
}

fn invalid(violations: Vec<Violation>) -> ConsoleError {
    ServiceError::Invalid(violations).into()
}

/// The links between one organization's Inventory pages.
fn inventory_links(tenant: &Tenant, current: &str) -> Markup {
    let links = [(tenant.path("/networks"), "Networks"), (tenant.path("/assets"), "Assets")];
    subnav("This organization's inventory", &links, &tenant.path(current), None)
}

/// The links of one network's pages, under the organization's.
fn network_links(tenant: &Tenant, network: NetworkId, name: &str, current: &str) -> Markup {
    let page = |rest: &str| tenant.path(&format!("/networks/{network}{rest}"));
    let links = [(page("/access-rules"), "Access rules"), (page("/scans"), "Scans")];
    let assets = html! { a href=(url(&tenant.path(&format!("/assets?network_id={network}")))) { "Assets of " (name) } };
    html! {
        (inventory_links(tenant, ""))
        (subnav(&format!("Network {name}"), &links, &page(current), Some(assets)))
    }
}

async fn organizations(signed_in: SignedIn, query: web::Query<PageQuery>) -> Result<HttpResponse, ConsoleError> {
    let page_asked = query.page()?;
    let listed = signed_in.console.organizations.list_mine(&signed_in.principal, page_asked).await?;
    let content = html! {
        p { "The inventory is kept per organization: pick one." }
        @if listed.total == 0 {
            p { "You are not a member of any organization." }
        } @else {
            table {
                caption class="visually-hidden" { "Your organizations and their inventory pages" }
                thead { tr { th scope="col" { "Organization" } th scope="col" { "Your role" } th scope="col" { "Inventory" } } }
                tbody {
                    @for item in &listed.items {
                        @let id = item.organization.id;
                        @let name = item.organization.name.as_str().to_owned();
                        tr {
                            th scope="row" { (name) }
                            td { (item.role) }
                            td {
                                a href=(url(&format!("/organizations/{id}/networks"))) { "Networks" span class="visually-hidden" { " of " (name) } }
                                " · "
                                a href=(url(&format!("/organizations/{id}/assets"))) { "Assets" span class="visually-hidden" { " of " (name) } }
                            }
                        }
                    }
                }
            }
            (pager(NAV, &listed, "organizations"))
        }
    };
    Ok(respond(StatusCode::OK, page("Inventory", Some(&signed_in.chrome(NAV)), content)))
}

async fn networks(
    signed_in: SignedIn,
    org: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let tenant = Tenant::open(&signed_in, &org, Permission::AssetsRead).await?;
    let page_asked = query.page()?;
    let listed = signed_in.console.inventory.list_networks(&tenant.membership, page_asked).await?;
    let name = &tenant.name;
    let chrome = signed_in.chrome(NAV);
    let path = tenant.path("/networks");
    let content = html! {
        (inventory_links(&tenant, "/networks"))
        @if listed.total == 0 {
            p { "No networks yet." }
        } @else {
            table {
                caption class="visually-hidden" { "Networks of " (name) }
                thead {
                    tr {
                        th scope="col" { "Network" } th scope="col" { "Site" } th scope="col" { "CIDR blocks" }
                        th scope="col" { "Agent" } th scope="col" { "Created" } th scope="col" { "Pages" }
                    }
                }
                tbody {
                    @for network in &listed.items {
                        @let network_name = network.name.as_str();
                        @let base = tenant.path(&format!("/networks/{}", network.id));
                        tr {
                            th scope="row" {
                                (network_name)
                                @if let Some(description) = &network.description { br; span { (description) } }
                            }
                            td { (network.site.as_deref().unwrap_or("")) }
                            td { @for cidr in &network.cidrs { code { (cidr) } " " } }
                            td { @if network.agent_url.is_some() { "yes" } @else { "no" } }
                            td { (when(network.created_at)) }
                            td {
                                a href=(url(&tenant.path(&format!("/assets?network_id={}", network.id)))) { "Assets" span class="visually-hidden" { " of " (network_name) } }
                                " · "
                                a href=(url(&format!("{base}/access-rules"))) { "Access rules" span class="visually-hidden" { " of " (network_name) } }
                                " · "
                                a href=(url(&format!("{base}/scans"))) { "Scans" span class="visually-hidden" { " of " (network_name) } }
                            }
                        }
                    }
                }
            }
            (pager(&path, &listed, "networks"))
        }
        @if tenant.may(Permission::AssetsWrite) {
            section aria-labelledby="add-network" {
                h2 id="add-network" { "Add a network" }
                form method="post" action=(url(&path)) {
                    (csrf_field(&chrome.form_token))
                    (field("Name", "name", "text", "off"))
                    (optional_field("Description (optional)", "description", "text", "off"))
                    (optional_field("Site (optional)", "site", "text", "off"))
                    div class="field" {
                        label for="cidrs" { "CIDR blocks (optional, separated by commas or spaces)" }
                        input id="cidrs" name="cidrs" type="text" autocomplete="off" placeholder="10.0.0.0/24, 2001:db8::/64";
                    }
                    button type="submit" { "Add the network" }
                }
            }
        }
    };
    Ok(respond(StatusCode::OK, page(&format!("Networks of {name}"), Some(&chrome), content)))
}

/// Optional text: empty (after trimming) is absent.
fn optional(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|text| !text.is_empty())
}

async fn create_network(org: web::Path<String>, posted: Posted<NetworkForm>) -> Result<HttpResponse, ConsoleError> {
    let signed_in = &posted.signed_in;
    let tenant = Tenant::open(signed_in, &org, Permission::AssetsWrite).await?;
    let form = &posted.form;
    let mut violations = Vec::new();
    let name = keep(NetworkName::parse(&form.name, "name"), &mut violations);
    let description =
        keep(optional(&form.description).map(|d| parse_description(d, "description")).transpose(), &mut violations);
    let site = keep(optional(&form.site).map(|s| parse_label(s, "site", 200)).transpose(), &mut violations);
    let blocks: Vec<String> = form
        .cidrs
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
        .collect();
    let cidrs = parse_cidrs(&blocks, "cidrs").map_err(|mut found| violations.append(&mut found)).ok();
    let new = match (name, description, site, cidrs) {
        (Some(name), Some(description), Some(site), Some(cidrs)) if violations.is_empty() => {
            NewNetwork { name, description, site, cidrs, agent_url: None, agent_token: None }
        }
        _ => return Err(invalid(violations)),
    };
    signed_in.console.inventory.create_network(&tenant.membership, new, &signed_in.client).await?;
    Ok(see_other(&tenant.path("/networks")))
}

/// The asset table's query string, read as the API reads `GET .../assets`.
struct AssetQuery {
    /// The filters given (empty values dropped: a GET form sends every field), in order.
    filters: Vec<(String, String)>,
    filter: AssetFilter,
    sort: Sort<AssetSortKey>,
    /// The `sort` given, kept in the pager's links.
    sort_given: Option<String>,
    page: Page,
}

impl AssetQuery {
    fn read(query: &str) -> Result<Self, ConsoleError> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(query)
            .map_err(|_| ConsoleError::BadForm("the query string cannot be read".into()))?
            .into_inner();
        let (mut limit, mut offset, mut sort_given, mut filters) = (None, None, None, Vec::new());
        for (key, value) in pairs {
            if value.trim().is_empty() {
                continue;
            }
            match key.as_str() {
                "limit" => limit = Some(value),
                "offset" => offset = Some(value),
                "sort" => sort_given = Some(value),
                known if FILTER_KEYS.contains(&known) => filters.push((key, value)),
                _ => {}
            }
        }
        let mut violations = Vec::new();
        let page = Page::parse(limit.as_deref(), offset.as_deref()).map_err(|mut found| violations.append(&mut found));
        let search = parse_search(filters.iter().find(|(key, _)| key == "q").map(|(_, value)| value.as_str()))
            .map_err(|violation| violations.push(violation));
        let filter = AssetFilter::from_query(filters.iter().map(|(key, value)| (key.as_str(), value.as_str())))
            .map_err(|mut found| violations.append(&mut found));
        let sort = Sort::<AssetSortKey>::parse(sort_given.as_deref()).map_err(|violation| violations.push(violation));
        match (page, search, filter, sort) {
            (Ok(page), Ok(search), Ok(filter), Ok(sort)) => {
                Ok(Self { filters, filter: AssetFilter { search, ..filter }, sort, sort_given, page })
            }
            _ => Err(invalid(violations)),
        }
    }

    /// The first value given for `key`.
    fn given(&self, key: &str) -> &str {
        self.filters.iter().find(|(given, _)| given == key).map_or("", |(_, value)| value.as_str())
    }

    fn filter_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.filters.iter().map(|(key, value)| (key.as_str(), value.as_str()))
    }
}

/// The name of a sort key in the query string.
fn sort_name(key: AssetSortKey) -> &'static str {
    AssetSortKey::KEYS.iter().find(|(_, known)| *known == key).map_or("ip_address", |(name, _)| name)
}

/// The networks the asset table names: the organization's first 200 (the filter's
/// choices), and any other network the page's assets or the filter refer to, so that a
/// filter on a later network keeps its choice and every row its network's name.
async fn networks_shown(
    signed_in: &SignedIn,
    tenant: &Tenant,
    assets: &[Asset],
    filtered: Option<NetworkId>,
) -> Result<Vec<Network>, ConsoleError> {
    let inventory = &signed_in.console.inventory;
    let mut networks = inventory.list_networks(&tenant.membership, Page::first(Page::MAX_LIMIT)).await?.items;
    let referred: BTreeSet<NetworkId> = assets.iter().filter_map(|asset| asset.network_id).chain(filtered).collect();
    for id in referred {
        if !networks.iter().any(|network| network.id == id)
            && let Ok(network) = inventory.get_network(&tenant.membership, id).await
        {
            networks.push(network);
        }
    }
    Ok(networks)
}

async fn assets(signed_in: SignedIn, org: web::Path<String>, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    let tenant = Tenant::open(&signed_in, &org, Permission::AssetsRead).await?;
    let query = AssetQuery::read(req.query_string())?;
    let inventory = &signed_in.console.inventory;
    let listed = inventory.list_assets(&tenant.membership, &query.filter, query.sort, query.page).await?;
    let networks = networks_shown(&signed_in, &tenant, &listed.items, query.filter.network_id).await?;
    let name = &tenant.name;
    let path = tenant.path("/assets");
    let mut kept: Vec<(&str, &str)> = query.filter_pairs().collect();
    if let Some(sort) = &query.sort_given {
        kept.push(("sort", sort));
    }
    let network_name = |id: Option<NetworkId>| {
        id.and_then(|id| networks.iter().find(|network| network.id == id)).map(|network| network.name.as_str())
    };
    let header = |key: AssetSortKey, label: &str| {
        let current = query.sort.key == key;
        let descending_next = current && !query.sort.descending;
        let next = if descending_next { format!("-{}", sort_name(key)) } else { sort_name(key).to_owned() };
        let mut pairs: Vec<(&str, &str)> = query.filter_pairs().collect();
        pairs.push(("sort", &next));
        let href = url(&format!("{path}?{}", query_string(pairs)));
        let state = match (current, query.sort.descending) {
            (false, _) => None,
            (true, false) => Some("ascending"),
            (true, true) => Some("descending"),
        };
        let hint = if descending_next { "sort descending" } else { "sort ascending" };
        html! {
            th scope="col" aria-sort=[state] {
                a href=(href) {
                    (label)
                    @if let Some(state) = state { span aria-hidden="true" { @if state == "ascending" { " ↑" } @else { " ↓" } } }
                    span class="visually-hidden" { " (" (hint) ")" }
                }
            }
        }
    };
    let content = html! {
        (inventory_links(&tenant, "/assets"))
        (filter_form(&path, &query, &networks))
        table {
            caption class="visually-hidden" {
                "Assets of " (name) ", sorted by " (sort_name(query.sort.key)) @if query.sort.descending { ", descending" }
                "; select a column heading to sort by it"
            }
            thead {
                tr {
                    (header(AssetSortKey::IpAddress, "Address"))
                    (header(AssetSortKey::Hostname, "Host name"))
                    th scope="col" { "Network" }
                    th scope="col" { "Type" }
                    (header(AssetSortKey::Criticality, "Criticality"))
                    th scope="col" { "Status" }
                    (header(AssetSortKey::RiskScore, "Risk"))
                    th scope="col" { "Open services" }
                    th scope="col" { "Tags" }
                    (header(AssetSortKey::LastSeen, "Last seen"))
                }
            }
            tbody {
                @for asset in &listed.items {
                    (asset_row(&tenant, asset, network_name(asset.network_id)))
                }
            }
        }
        @if listed.total == 0 { p { "No asset matches." } }
        (pager_with(&path, &query_string(kept), &listed, "assets"))
    };
    Ok(respond(StatusCode::OK, page(&format!("Assets of {name}"), Some(&signed_in.chrome(NAV)), content)))
}

fn asset_row(tenant: &Tenant, asset: &Asset, network: Option<&str>) -> Markup {
    html! {
        tr {
            th scope="row" { a href=(url(&tenant.path(&format!("/assets/{}", asset.id)))) { (asset.ip_address) } }
            td { (asset.hostname.as_ref().map_or("", |h| h.as_str())) }
            td { (network.unwrap_or("")) }
            td { (asset.asset_type) }
            td { (asset.criticality) }
            td { (asset.status) }
            td { (asset.risk_score.value()) }
            td { (asset.open_services) }
            td { @for tag in asset.tags.iter() { span class="tag" { (tag.as_str()) } " " } }
            td { @if let Some(seen) = asset.last_seen { (when(seen)) } }
        }
    }
}

/// A `select` of `options` named `name`, the first value given chosen; "" is any.
fn choice(id: &str, label: &str, selected: &str, options: &[(&str, &str)]) -> Markup {
    html! {
        div class="field" {
            label for=(id) { (label) }
            select id=(id) name=(id) {
                option value="" selected[selected.is_empty()] { "Any" }
                @for (value, text) in options {
                    option value=(value) selected[*value == selected] { (text) }
                }
            }
        }
    }
}

fn text_filter(id: &str, label: &str, value: &str, kind: &str) -> Markup {
    html! {
        div class="field" {
            label for=(id) { (label) }
            input id=(id) name=(id) type=(kind) value=(value) autocomplete="off";
        }
    }
}

/// The filters as a GET form back to the table (the sort kept, the page reset).
fn filter_form(path: &str, query: &AssetQuery, networks: &[Network]) -> Markup {
    let names = |all: Vec<&'static str>| all.into_iter().map(|name| (name, name)).collect::<Vec<_>>();
    let types = names(AssetType::ALL.iter().map(|value| value.as_str()).collect());
    let criticalities = names(Criticality::ALL.iter().map(|value| value.as_str()).collect());
    let statuses = names(AssetStatus::ALL.iter().map(|value| value.as_str()).collect());
    let network_options: Vec<(String, &str)> =
        networks.iter().map(|network| (network.id.to_string(), network.name.as_str())).collect();
    let network_options: Vec<(&str, &str)> = network_options.iter().map(|(id, name)| (id.as_str(), *name)).collect();
    html! {
        form method="get" action=(url(path)) class="picker" aria-label="Filter the assets" {
            (text_filter("q", "Search (host name, address, MAC)", query.given("q"), "search"))
            (choice("asset_type", "Type", query.given("asset_type"), &types))
            (choice("criticality", "Criticality", query.given("criticality"), &criticalities))
            (choice("status", "Status", query.given("status"), &statuses))
            (choice("network_id", "Network", query.given("network_id"), &network_options))
            (text_filter("tag", "Tag", query.given("tag"), "text"))
            (text_filter("port", "Open port", query.given("port"), "text"))
            (text_filter("cidr", "Within CIDR block", query.given("cidr"), "text"))
            (text_filter("min_risk", "Risk at least", query.given("min_risk"), "text"))
            @if let Some(sort) = &query.sort_given { input type="hidden" name="sort" value=(sort); }
            div class="actions" {
                button type="submit" { "Filter" }
                a href=(url(path)) { "Clear the filters" }
            }
        }
    }
}

async fn asset(
    signed_in: SignedIn,
    path: web::Path<(String, String)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let tenant = Tenant::open(&signed_in, &path.0, Permission::AssetsRead).await?;
    let id: AssetId = path_id(&path.1)?;
    let page_asked = query.page()?;
    let inventory = &signed_in.console.inventory;
    let asset = inventory.get_asset(&tenant.membership, id).await?;
    let services = inventory.list_services(&tenant.membership, id, page_asked).await?;
    let network = match asset.network_id {
        Some(network) => Some(inventory.get_network(&tenant.membership, network).await?),
        None => None,
    };
    let address = asset.ip_address.to_string();
    let here = tenant.path(&format!("/assets/{id}"));
    let text = |value: Option<&str>| value.unwrap_or("unknown").to_owned();
    let content = html! {
        (inventory_links(&tenant, ""))
        dl class="facts" {
            dt { "Address" } dd { code { (address) } }
            dt { "Host name" } dd { (text(asset.hostname.as_ref().map(|h| h.as_str()))) }
            dt { "Network" }
            dd {
                @if let Some(network) = &network {
                    a href=(url(&tenant.path(&format!("/assets?network_id={}", network.id)))) { (network.name.as_str()) }
                } @else { "none" }
            }
            dt { "MAC address" } dd { (asset.mac_address.as_ref().map_or_else(|| "unknown".to_owned(), ToString::to_string)) }
            dt { "MAC vendor" } dd { (text(asset.mac_vendor.as_deref())) }
            dt { "Operating system" }
            dd { (text(asset.operating_system.as_deref())) @if let Some(version) = &asset.os_version { " " (version) } }
            dt { "Type" } dd { (asset.asset_type) }
            dt { "Criticality" } dd { (asset.criticality) }
            dt { "Status" } dd { (asset.status) }
            dt { "Reachable" } dd { @if asset.is_reachable { "yes" } @else { "no" } }
            dt { "Risk score" } dd { (asset.risk_score.value()) }
            dt { "Tags" } dd { @for tag in asset.tags.iter() { span class="tag" { (tag.as_str()) } " " } }
            dt { "First seen" } dd { (when(asset.first_seen)) }
            dt { "Last seen" } dd { @if let Some(seen) = asset.last_seen { (when(seen)) } @else { "never" } }
        }
        section aria-labelledby="services" {
            h2 id="services" { "Services" }
            @if services.total == 0 {
                p { "No services known on this asset." }
            } @else {
                table {
                    caption class="visually-hidden" { "Services (ports) of " (address) }
                    thead {
                        tr {
                            th scope="col" { "Port" } th scope="col" { "Protocol" } th scope="col" { "State" }
                            th scope="col" { "Service" } th scope="col" { "Product" } th scope="col" { "Version" }
                            th scope="col" { "Last seen" }
                        }
                    }
                    tbody {
                        @for service in &services.items {
                            tr {
                                th scope="row" { (service.port.value()) }
                                td { (service.protocol) }
                                td { (service.state) }
                                td { (service.details.service_name.as_deref().unwrap_or("")) }
                                td { (service.details.product.as_deref().unwrap_or("")) }
                                td { (service.details.version.as_deref().unwrap_or("")) }
                                td { @if let Some(seen) = service.last_seen { (when(seen)) } }
                            }
                        }
                    }
                }
                (pager(&here, &services, "services"))
            }
        }
    };
    Ok(respond(StatusCode::OK, page(&format!("Asset {address}"), Some(&signed_in.chrome(NAV)), content)))
}

async fn access_rules(
    signed_in: SignedIn,
    path: web::Path<(String, String)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let tenant = Tenant::open(&signed_in, &path.0, Permission::AssetsRead).await?;
    let id: NetworkId = path_id(&path.1)?;
    let page_asked = query.page()?;
    let inventory = &signed_in.console.inventory;
    let network = inventory.get_network(&tenant.membership, id).await?;
    let listed = inventory.list_access_rules(&tenant.membership, id, page_asked).await?;
    let control = tenant.may(Permission::NetworksControl);
    let name = network.name.as_str();
    let chrome = signed_in.chrome(NAV);
    let here = tenant.path(&format!("/networks/{id}/access-rules"));
    let content = html! {
        (network_links(&tenant, id, name, "/access-rules"))
        p {
            @if network.agent_url.is_some() {
                "This network has an agent: a rule is stored once the agent has applied it."
            } @else {
                "This network has no agent: rules are recorded only."
            }
        }
        @if listed.total == 0 {
            p { "No access rules." }
        } @else {
            table {
                caption class="visually-hidden" { "Access rules of the network " (name) }
                thead {
                    tr {
                        th scope="col" { "Target" } th scope="col" { "List" } th scope="col" { "Status" }
                        th scope="col" { "Comment" } th scope="col" { "Expires" } th scope="col" { "Created" }
                        @if control { th scope="col" { "Delete" } }
                    }
                }
                tbody {
                    @for rule in &listed.items {
                        @let target = rule.target.to_string();
                        tr {
                            th scope="row" { code { (target) } }
                            td { (rule.list) }
                            td { (rule.status) }
                            td { (rule.comment.as_deref().unwrap_or("")) }
                            td { @if let Some(at) = rule.expires_at { (when(at)) } @else { "never" } }
                            td { (when(rule.created_at)) }
                            @if control {
                                td { a href=(url(&format!("{here}/{}/delete", rule.id))) { "Delete" span class="visually-hidden" { " the rule for " (target) } } }
                            }
                        }
                    }
                }
            }
            (pager(&here, &listed, "access rules"))
        }
        @if control {
            section aria-labelledby="add-rule" {
                h2 id="add-rule" { "Add a rule" }
                form method="post" action=(url(&here)) {
                    (csrf_field(&chrome.form_token))
                    div class="field" {
                        label for="list" { "List" }
                        select id="list" name="list" {
                            @for list in RuleList::ALL { option value=(list.as_str()) { (list.as_str()) } }
                        }
                    }
                    (field("Target (an address, a CIDR block or a MAC address)", "target", "text", "off"))
                    (optional_field("Comment (optional)", "comment", "text", "off"))
                    div class="field" {
                        label for="expires_at" { "Expires (UTC, optional)" }
                        input id="expires_at" name="expires_at" type="datetime-local" autocomplete="off";
                    }
                    button type="submit" { "Add the rule" }
                }
            }
        }
    };
    Ok(respond(StatusCode::OK, page(&format!("Access rules of {name}"), Some(&chrome), content)))
}

/// A `datetime-local` value (`2026-12-01T10:30`, seconds optional) as a UTC time.
fn local_time(text: &str) -> Result<OffsetDateTime, Violation> {
    datetime_local(text).ok_or_else(|| Violation::new("expires_at", "must be a date and time (YYYY-MM-DDTHH:MM, UTC)"))
}

async fn create_rule(
    path: web::Path<(String, String)>,
    posted: Posted<RuleForm>,
) -> Result<HttpResponse, ConsoleError> {
    let signed_in = &posted.signed_in;
    let tenant = Tenant::open(signed_in, &path.0, Permission::NetworksControl).await?;
    let network: NetworkId = path_id(&path.1)?;
    let form = &posted.form;
    let mut violations = Vec::new();
    let list = keep(RuleList::parse(&form.list, "list"), &mut violations);
    let target = keep(RuleTarget::parse(&form.target, "target"), &mut violations);
    let comment = keep(
        optional(&form.comment).map(|c| parse_rule_comment(c, "comment")).transpose().map(Option::flatten),
        &mut violations,
    );
    let now = OffsetDateTime::now_utc();
    let expires_at = optional(&form.expires_at)
        .map(|text| local_time(text).and_then(|at| parse_expiry(at, now, "expires_at")))
        .transpose();
    let expires_at = keep(expires_at, &mut violations);
    let new = match (list, target, comment, expires_at) {
        (Some(list), Some(target), Some(comment), Some(expires_at)) if violations.is_empty() => {
            NewAccessRule { list, target, comment, expires_at }
        }
        _ => return Err(invalid(violations)),
    };
    let session = signed_in.principal.session_id;
    signed_in
        .console
        .inventory
        .create_access_rule(&tenant.membership, session, network, new, &signed_in.client)
        .await?;
    Ok(see_other(&tenant.path(&format!("/networks/{network}/access-rules"))))
}

async fn confirm_delete_rule(
    signed_in: SignedIn,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let tenant = Tenant::open(&signed_in, &path.0, Permission::NetworksControl).await?;
    let network: NetworkId = path_id(&path.1)?;
    let id: AccessRuleId = path_id(&path.2)?;
    let inventory = &signed_in.console.inventory;
    let name = inventory.get_network(&tenant.membership, network).await?.name.as_str().to_owned();
    let rules = inventory.list_access_rules(&tenant.membership, network, Page::first(Page::MAX_LIMIT)).await?;
    let target = rules
        .items
        .iter()
        .find(|rule| rule.id == id)
        .map_or_else(|| id.to_string(), |rule| format!("{} ({} list)", rule.target, rule.list));
    let question = format!(
        "Delete the rule for {target} from the network {name}? A rule the agent applied is removed there first."
    );
    let action = tenant.path(&format!("/networks/{network}/access-rules/{id}/delete"));
    let back = tenant.path(&format!("/networks/{network}/access-rules"));
    let markup = confirm(&signed_in.chrome(NAV), "Delete an access rule", &question, &action, "Delete the rule", &back);
    Ok(respond(StatusCode::OK, markup))
}

async fn delete_rule(
    path: web::Path<(String, String, String)>,
    posted: Posted<NoFields>,
) -> Result<HttpResponse, ConsoleError> {
    let signed_in = &posted.signed_in;
    let tenant = Tenant::open(signed_in, &path.0, Permission::NetworksControl).await?;
    let network: NetworkId = path_id(&path.1)?;
    let id: AccessRuleId = path_id(&path.2)?;
    let session = signed_in.principal.session_id;
    signed_in.console.inventory.delete_access_rule(&tenant.membership, session, network, id, &signed_in.client).await?;
    Ok(see_other(&tenant.path(&format!("/networks/{network}/access-rules"))))
}

async fn scans(
    signed_in: SignedIn,
    path: web::Path<(String, String)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let tenant = Tenant::open(&signed_in, &path.0, Permission::AssetsRead).await?;
    let id: NetworkId = path_id(&path.1)?;
    let page_asked = query.page()?;
    let inventory = &signed_in.console.inventory;
    let network = inventory.get_network(&tenant.membership, id).await?;
    let listed = inventory.list_scans(&tenant.membership, id, page_asked).await?;
    let name = network.name.as_str();
    let chrome = signed_in.chrome(NAV);
    let here = tenant.path(&format!("/networks/{id}/scans"));
    let limit = inventory.max_scan_bytes();
    let content = html! {
        (network_links(&tenant, id, name, "/scans"))
        @if tenant.may(Permission::AssetsWrite) {
            section aria-labelledby="upload" {
                h2 id="upload" { "Import a scan" }
                p {
                    "A file in the JSON import format, or nmap's XML output (" code { "nmap -oX" } "), of at most "
                    (limit) " bytes. Hosts up create or refresh their asset and services; hosts down mark a known asset unreachable."
                }
                form method="post" action=(url(&here)) enctype="multipart/form-data" {
                    (csrf_field(&chrome.form_token))
                    div class="field" {
                        label for=(SCAN_FIELD) { "Scan file (JSON or nmap XML)" }
                        input id=(SCAN_FIELD) name=(SCAN_FIELD) type="file" accept=".json,.xml,application/json,application/xml,text/xml" required;
                    }
                    button type="submit" { "Import the scan" }
                }
            }
        }
        section aria-labelledby="history" {
            h2 id="history" { "Imported scans" }
            @if listed.total == 0 {
                p { "No scans imported into this network yet." }
            } @else {
                table {
                    caption class="visually-hidden" { "Scans imported into the network " (name) ", newest first" }
                    thead {
                        tr {
                            th scope="col" { "Imported" } th scope="col" { "Source" } th scope="col" { "Hosts up" }
                            th scope="col" { "Hosts down" } th scope="col" { "Assets created" } th scope="col" { "Assets updated" }
                        }
                    }
                    tbody {
                        @for scan in &listed.items {
                            tr {
                                th scope="row" { a href=(url(&format!("{here}/{}", scan.id))) { (when(scan.created_at)) } }
                                td { (scan.source) }
                                td { (scan.counts.hosts_up) }
                                td { (scan.counts.hosts_down) }
                                td { (scan.counts.assets_created) }
                                td { (scan.counts.assets_updated) }
                            }
                        }
                    }
                }
                (pager(&here, &listed, "scans"))
            }
        }
    };
    Ok(respond(StatusCode::OK, page(&format!("Scans of {name}"), Some(&chrome), content)))
}

/// Why a scan file is refused, as the console shows it.
fn file_error(error: ScanFileError) -> ConsoleError {
    match error {
        ScanFileError::MalformedJson(detail) => {
            ConsoleError::BadFile { title: "Malformed JSON", detail: format!("the file is not valid JSON: {detail}") }
        }
        ScanFileError::MalformedXml(error) => ConsoleError::BadFile {
            title: "Malformed XML",
            detail: format!("the file is not readable nmap XML: {error}"),
        },
        ScanFileError::Invalid(violations) => invalid(violations),
    }
}

async fn upload_scan(path: web::Path<(String, String)>, upload: Upload) -> Result<HttpResponse, ConsoleError> {
    let signed_in = upload.signed_in.clone();
    let tenant = Tenant::open(&signed_in, &path.0, Permission::AssetsWrite).await?;
    let network: NetworkId = path_id(&path.1)?;
    let inventory = &signed_in.console.inventory;
    // An unknown network is 404 before the file is read.
    inventory.get_network(&tenant.membership, network).await?;
    let bytes = upload.file(SCAN_FIELD, inventory.max_scan_bytes()).await?;
    if bytes.is_empty() {
        return Err(ConsoleError::BadFile {
            title: "Empty file",
            detail: "the file is empty; choose a scan file".into(),
        });
    }
    let format = ScanFormat::sniff(&bytes).ok_or_else(|| ConsoleError::BadFile {
        title: "Unknown file format",
        detail: "the file is neither JSON (it starts with `{`) nor XML (it starts with `<`)".into(),
    })?;
    let report = format.read(&bytes).map_err(file_error)?;
    drop(bytes);
    let scan = inventory.import_scan(&tenant.membership, network, format.source(), report, &signed_in.client).await?;
    Ok(see_other(&tenant.path(&format!("/networks/{network}/scans/{}", scan.id))))
}

async fn scan(signed_in: SignedIn, path: web::Path<(String, String, String)>) -> Result<HttpResponse, ConsoleError> {
    let tenant = Tenant::open(&signed_in, &path.0, Permission::AssetsRead).await?;
    let network: NetworkId = path_id(&path.1)?;
    let id: ScanId = path_id(&path.2)?;
    let inventory = &signed_in.console.inventory;
    let name = inventory.get_network(&tenant.membership, network).await?.name.as_str().to_owned();
    let scan = inventory.get_scan(&tenant.membership, network, id).await?;
    let content = html! {
        (network_links(&tenant, network, &name, ""))
        (summary(&scan))
        p {
            a href=(url(&tenant.path(&format!("/assets?network_id={network}")))) { "The assets of " (name) }
            " · "
            a href=(url(&tenant.path(&format!("/networks/{network}/scans")))) { "Every scan of " (name) }
        }
    };
    Ok(respond(StatusCode::OK, page(&format!("Scan of {name}"), Some(&signed_in.chrome(NAV)), content)))
}

/// What an import did (what `POST .../scans` answers).
fn summary(scan: &Scan) -> Markup {
    let counts = &scan.counts;
    html! {
        section aria-labelledby="summary" {
            h2 id="summary" { "Import summary" }
            dl class="facts" {
                dt { "Source" } dd { (scan.source) }
                dt { "Hosts up" } dd { (counts.hosts_up) }
                dt { "Hosts down" } dd { (counts.hosts_down) }
                dt { "Assets created" } dd { (counts.assets_created) }
                dt { "Assets updated" } dd { (counts.assets_updated) }
                dt { "Services created" } dd { (counts.services_created) }
                dt { "Services updated" } dd { (counts.services_updated) }
                dt { "Scan started" } dd { @if let Some(at) = scan.started_at { (when(at)) } @else { "unknown" } }
                dt { "Scan finished" } dd { @if let Some(at) = scan.finished_at { (when(at)) } @else { "unknown" } }
                dt { "Imported" } dd { (when(scan.created_at)) }
            }
        }
    }
}
