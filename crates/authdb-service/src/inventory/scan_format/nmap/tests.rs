use super::*;

fn parse_all(body: &[u8]) -> Result<NmapScan, XmlError> {
    parse(body, usize::MAX)
}

const LOOPBACK: &str = include_str!("../../../../../../tests/fixtures/nmap/loopback-sv.xml");
const WITH_OS: &str = include_str!("../../../../../../tests/fixtures/nmap/loopback-os.xml");

fn refused(xml: &str) -> XmlError {
    match parse_all(xml.as_bytes()) {
        Ok(_) => panic!("accepted: {xml}"),
        Err(error) => error,
    }
}

#[test]
fn real_nmap_output_becomes_the_import_format() {
    let scan = parse_all(LOOPBACK.as_bytes()).expect("fixture");
    assert!(scan.violations.is_empty());
    let document = scan.document;
    assert!(document.started_at.is_some() && document.finished_at.is_some());
    assert_eq!(document.hosts.len(), 1);
    let host = &document.hosts[0];
    assert_eq!((host.ip.as_str(), host.status.as_str()), ("127.0.0.1", "up"));
    assert_eq!(host.hostname.as_deref(), Some("localhost"));
    let ports: Vec<(i64, &str, &str)> =
        host.services.iter().map(|s| (s.port, s.protocol.as_str(), s.state.as_str())).collect();
    assert_eq!(
        ports,
        [
            (18025, "tcp", "open"),
            (18080, "tcp", "open"),
            (18081, "tcp", "open"),
            (18099, "tcp", "closed"),
            (18053, "udp", "open_filtered")
        ]
    );
    let http = &host.services[1];
    assert_eq!(http.service_name.as_deref(), Some("http"));
    assert_eq!(http.product.as_deref(), Some("SimpleHTTPServer"));
    assert_eq!(http.version.as_deref(), Some("0.6"));
    assert_eq!(http.cpe.as_deref(), Some("cpe:/a:python:simplehttpserver:0.6"));
    assert_eq!(http.confidence, Some(100));
    assert!(http.extra_info.as_ref().is_some_and(|info| info["extrainfo"].as_str().is_some()));
}

#[test]
fn the_most_accurate_os_match_wins() {
    let scan = parse_all(WITH_OS.as_bytes()).expect("fixture");
    assert_eq!(scan.document.hosts[0].os.as_deref(), Some("Linux 5.0 - 5.2"));
    let xml = r#"<nmaprun><host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/><os>
        <osmatch name="low" accuracy="80"/><osmatch name="high" accuracy="99"/><osmatch name="tie" accuracy="99"/>
        </os></host></nmaprun>"#;
    assert_eq!(parse_all(xml.as_bytes()).expect("ok").document.hosts[0].os.as_deref(), Some("high"));
}

#[test]
fn the_best_os_match_gives_its_operating_system_cpe_and_generation() {
    // The real fixture (nmap 7.93 -O): the best match's class.
    let scan = parse_all(WITH_OS.as_bytes()).expect("nmap's own output parses");
    let host = &scan.document.hosts[0];
    assert_eq!(host.os_cpe.as_deref(), Some("cpe:/o:linux:linux_kernel:5"));
    assert_eq!(host.os_version.as_deref(), Some("5.X"));
    // A hardware class listed first: the operating system's CPE (cpe:/o:) is preferred,
    // with its own class's generation; a lower match's CPE is never taken.
    let xml = r#"<nmaprun><host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/><os>
        <osmatch name="low" accuracy="80"><osclass osgen="9.X"><cpe>cpe:/o:low:os:9</cpe></osclass></osmatch>
        <osmatch name="camera" accuracy="94">
          <osclass vendor="AXIS" osfamily="embedded"><cpe>cpe:/h:axis:210a_network_camera</cpe></osclass>
          <osclass vendor="Linux" osgen="2.6.X"><cpe>cpe:/o:linux:linux_kernel:2.6.17</cpe></osclass>
        </osmatch>
        <osmatch name="tie" accuracy="94"><osclass osgen="1.X"><cpe>cpe:/o:tie:os:1</cpe></osclass></osmatch>
        </os></host></nmaprun>"#;
    let host = &parse_all(xml.as_bytes()).expect("ok").document.hosts[0];
    assert_eq!(host.os.as_deref(), Some("camera"));
    assert_eq!(host.os_cpe.as_deref(), Some("cpe:/o:linux:linux_kernel:2.6.17"));
    assert_eq!(host.os_version.as_deref(), Some("2.6.X"));
    // Only a hardware CPE: it is taken; no class at all: name only; no osmatch: nothing.
    let xml = r#"<nmaprun><host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/><os>
        <osmatch name="printer" accuracy="90"><osclass osgen="4.X"><cpe> cpe:/h:hp:jetdirect </cpe></osclass></osmatch>
        </os></host><host><status state="up"/><address addr="10.0.0.2" addrtype="ipv4"/><os>
        <osmatch name="bare" accuracy="90"/></os></host><host><status state="up"/>
        <address addr="10.0.0.3" addrtype="ipv4"/><os><osclass osgen="7"><cpe>cpe:/o:x:y</cpe></osclass></os></host>
        </nmaprun>"#;
    let hosts = parse_all(xml.as_bytes()).expect("ok").document.hosts;
    assert_eq!(hosts[0].os_cpe.as_deref(), Some("cpe:/h:hp:jetdirect"));
    assert_eq!(hosts[0].os_version.as_deref(), Some("4.X"));
    assert_eq!(
        (hosts[1].os.as_deref(), hosts[1].os_version.as_deref(), hosts[1].os_cpe.as_deref()),
        (Some("bare"), None, None)
    );
    assert_eq!(
        (hosts[2].os.as_deref(), hosts[2].os_version.as_deref(), hosts[2].os_cpe.as_deref()),
        (None, None, None)
    );
}

#[test]
fn addresses_names_and_states_map_onto_the_import_fields() {
    let xml = r#"<?xml version="1.0"?><!DOCTYPE nmaprun><nmaprun start="0">
        <hosthint><status state="up"/><address addr="10.9.9.9" addrtype="ipv4"/></hosthint>
        <host><status state="up"/><address addr="AA:BB:CC:00:00:01" addrtype="mac" vendor="Acme &amp; Sons"/>
        <address addr="2001:db8::1" addrtype="ipv6"/>
        <hostnames><hostname name="ptr.example" type="PTR"/><hostname name="given.example" type="user"/></hostnames>
        <ports><port protocol="udp" portid="53"><state state="closed|filtered"/></port>
        <port protocol="tcp" portid="22"><state state="unfiltered"/><service name="ssh"><cpe></cpe><cpe>cpe:/a:x&#58;y</cpe><cpe>cpe:/o:z</cpe></service></port>
        </ports></host><host><status state="down"/><address addr="10.0.0.2" addrtype="ipv4"/></host></nmaprun>"#;
    let document = parse_all(xml.as_bytes()).expect("ok").document;
    assert_eq!(document.hosts.len(), 2, "a hosthint is not a host");
    let host = &document.hosts[0];
    assert_eq!(host.ip, "2001:db8::1");
    assert_eq!(host.mac.as_deref(), Some("AA:BB:CC:00:00:01"));
    assert_eq!(host.mac_vendor.as_deref(), Some("Acme & Sons"));
    assert_eq!(host.hostname.as_deref(), Some("given.example"));
    assert_eq!(host.services[0].state, "unknown");
    assert_eq!(host.services[1].state, "unknown");
    assert_eq!(host.services[1].cpe.as_deref(), Some("cpe:/a:x:y"), "the first non-empty cpe, references resolved");
    assert_eq!(document.hosts[1].status, "down");
}

#[test]
fn values_nmap_cannot_carry_are_named_the_nmap_way() {
    let xml = r#"<nmaprun start="soon"><host><ports><port protocol="tcp" portid="x"><service conf="11"/></port></ports></host></nmaprun>"#;
    let scan = parse_all(xml.as_bytes()).expect("well-formed");
    let fields: Vec<&str> = scan.violations.iter().map(|v| v.field.as_ref()).collect();
    assert_eq!(fields, ["nmaprun.start", "host[0].ports.port[0].service.conf"]);
    assert_eq!(scan.document.hosts[0].services[0].port, -1, "left for the port check to name");
    assert_eq!(host_field(17, "ip"), "host[17].address");
    assert_eq!(service_field(2, 0, "port"), "host[2].ports.port[0].portid");
}

#[test]
fn doctypes_other_than_nmaps_bare_one_are_refused() {
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><nmaprun>&lol2;</nmaprun>"#;
    assert!(refused(laughs).message.contains("DOCTYPE"));
    let external = r#"<?xml version="1.0"?><!DOCTYPE nmaprun SYSTEM "file:///etc/passwd"><nmaprun/>"#;
    let error = refused(external);
    assert!(error.message.contains("DOCTYPE"), "{error}");
    assert_eq!((error.line, error.position), (1, 21));
    assert!(refused("<nmaprun/><!DOCTYPE nmaprun>").message.contains("DOCTYPE"));
}

#[test]
fn only_the_predefined_entities_are_resolved() {
    let in_text = "<nmaprun><host><ports><port><service><cpe>&x;</cpe></service></port></ports></host></nmaprun>";
    assert!(refused(in_text).message.contains("&x;"));
    let in_attribute = r#"<nmaprun><host><address addr="&x;" addrtype="ipv4"/></host></nmaprun>"#;
    assert!(refused(in_attribute).message.contains("&x;"));
    let in_ignored = r#"<nmaprun><verbose level="&x;"/></nmaprun>"#;
    assert!(refused(in_ignored).message.contains("&x;"));
    assert!(parse_all(r#"<nmaprun args="&lt;&gt;&amp;&apos;&quot;&#65;&#x42;"/>"#.as_bytes()).is_ok());
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("<nmaprun>{}{}</nmaprun>", "<a>".repeat(10_000), "</a>".repeat(10_000));
    let error = refused(&deep);
    assert!(error.message.contains("nest deeper"), "{error}");
    let fine = format!("<nmaprun>{}{}</nmaprun>", "<a>".repeat(MAX_DEPTH - 1), "</a>".repeat(MAX_DEPTH - 1));
    assert!(parse_all(fine.as_bytes()).is_ok());
}

#[test]
fn malformed_documents_say_where() {
    let error = refused("<nmaprun>\n<host>\n<status state=up/></host></nmaprun>");
    assert_eq!(error.line, 3, "{error}");
    assert!(refused("<nmaprun><host></nmaprun>").to_string().contains("line 1"));
    assert!(refused("<nmaprun><host>").message.contains("2 element(s) still open"));
    assert!(refused("").message.contains("no <nmaprun>"));
    assert!(refused("<json/>").message.contains("root element"));
    assert!(refused("<nmaprun/><nmaprun/>").message.contains("after the root"));
    assert!(refused("{\"hosts\": []}").message.contains("outside the root"));
    assert!(parse_all(b"<nmaprun a=\"\xff\"/>").is_err(), "not UTF-8");
}

#[test]
fn reading_stops_once_enough_is_known_to_be_refused() {
    let junk = format!("<nmaprun>{}", "<host/>".repeat(100_000));
    let scan = parse(junk.as_bytes(), 100).expect("stopped before the missing end tag");
    assert_eq!(scan.document.hosts.len(), 100);
    let ports = format!("<nmaprun><host>{}</host></nmaprun>", "<ports><port/></ports>".repeat(1000));
    assert_eq!(parse(ports.as_bytes(), 10).expect("stopped").document.hosts.len(), 0, "inside the first host");
    let fine = format!(
        "<nmaprun>{}</nmaprun>",
        r#"<host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/></host>"#.repeat(500)
    );
    assert_eq!(parse(fine.as_bytes(), 100).expect("valid").document.hosts.len(), 500, "valid hosts do not count");
}
