use quick_xml::{
    Reader, XmlVersion,
    escape::resolve_predefined_entity,
    events::{BytesStart, Event},
};

use super::*;
use crate::{
    render::{AXIS, BACKGROUND, INK, PALETTE},
    scale::{Axis, compact, grouped},
    svg::{escape, num, sanitize_id, shorten},
};

/// One element of a parsed chart: its name, attributes and direct text.
#[derive(Debug)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
}

impl Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

fn element(start: &BytesStart<'_>) -> Element {
    let attributes = start
        .attributes()
        .map(|attribute| {
            let attribute = attribute.expect("a well-formed attribute");
            let value = attribute.normalized_value(XmlVersion::Implicit1_0).expect("a well-formed value");
            (attribute.key.as_ref().to_owned(), value.into_owned())
        })
        .collect();
    Element { name: start.name().as_ref().to_owned(), attributes, text: String::new() }
}

/// Parses `svg` with quick-xml (end names checked): every element in document order,
/// panicking on anything that is not well-formed XML with a single root.
fn parse(svg: &str) -> Vec<Element> {
    let mut reader = Reader::from_str(svg);
    reader.config_mut().check_end_names = true;
    let mut elements = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut roots = 0;
    loop {
        match reader.read_event().unwrap_or_else(|error| panic!("not well-formed: {error}\n{svg}")) {
            Event::Start(start) => {
                roots += usize::from(open.is_empty());
                open.push(elements.len());
                elements.push(element(&start));
            }
            Event::Empty(start) => {
                roots += usize::from(open.is_empty());
                elements.push(element(&start));
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Text(text) => {
                let content = text.xml10_content();
                let owner = *open.last().expect("text inside the root");
                elements[owner].text.push_str(&content);
            }
            Event::GeneralRef(reference) => {
                let owner = *open.last().expect("a reference inside the root");
                let resolved = match reference.resolve_char_ref().expect("a valid character reference") {
                    Some(character) => character.to_string(),
                    None => {
                        let name = reference.xml10_content();
                        resolve_predefined_entity(&name).expect("a predefined entity").to_owned()
                    }
                };
                elements[owner].text.push_str(&resolved);
            }
            Event::Eof => break,
            other => panic!("unexpected {other:?} in a chart"),
        }
    }
    assert!(open.is_empty(), "elements left open");
    assert_eq!(roots, 1, "one root element");
    elements
}

/// Everything every chart must be: well-formed, an accessible image, no script or inline
/// style, ids unique and prefixed, no NaN or infinity. Answers the parsed elements.
fn check(chart: &Chart) -> Vec<Element> {
    let svg = chart.render();
    assert_eq!(svg, chart.render(), "rendering is deterministic");
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "no NaN or infinity: {svg}");
    let elements = parse(&svg);
    let root = &elements[0];
    assert_eq!(root.name, "svg");
    assert_eq!(root.attribute("role"), Some("img"));
    assert_eq!(root.attribute("xmlns"), Some("http://www.w3.org/2000/svg"));
    let labelled_by: Vec<&str> = root.attribute("aria-labelledby").expect("aria-labelledby").split(' ').collect();
    assert_eq!(labelled_by, [format!("{}-title", chart.id), format!("{}-desc", chart.id)]);
    assert_eq!(elements[1].name, "title");
    assert_eq!(elements[1].attribute("id"), Some(labelled_by[0]));
    assert_eq!(elements[1].text, chart.title.replace(['\t', '\n', '\r'], " ").replace('\u{1}', "\u{FFFD}"));
    assert_eq!(elements[2].name, "desc");
    assert_eq!(elements[2].attribute("id"), Some(labelled_by[1]));
    assert!(!elements[2].text.is_empty());
    let mut ids = Vec::new();
    for element in &elements {
        assert!(!["script", "style", "foreignObject", "a", "image", "use"].contains(&element.name.as_str()));
        for (key, value) in &element.attributes {
            assert!(key != "style" && !key.starts_with("on") && !key.contains("href"), "attribute {key}");
            assert!(!value.contains("javascript:"));
            if key == "id" {
                assert!(value.starts_with(&chart.id), "id {value} carries the chart's id");
                ids.push(value.clone());
            }
            if value.starts_with("url(#") {
                let target = &value[5..value.len() - 1];
                assert!(elements.iter().any(|e| e.attribute("id") == Some(target)), "{value} is defined");
            }
        }
    }
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "ids are unique");
    elements
}

fn texts(elements: &[Element], name: &str) -> Vec<String> {
    elements.iter().filter(|element| element.name == name).map(|element| element.text.clone()).collect()
}

fn description(elements: &[Element]) -> &str {
    &elements[2].text
}

fn sign_ins(kind: Kind, hours: usize) -> Chart {
    Chart::new("sign-ins", "Sign-ins, last 24 hours (UTC)")
        .kind(kind)
        .categories(hour_labels(20_788 * 86_400, hours))
        .series(Series::new("Sign-ins", (0..hours as u64).map(|h| h * 3 % 7).collect()))
        .series(Series::new("Failures", (0..hours as u64).map(|h| h % 3).collect()))
}

#[test]
fn a_bar_chart_labels_each_bar_and_describes_every_value() {
    let chart = Chart::new("criticality", "Assets by criticality")
        .categories(["critical", "high", "medium", "low"])
        .series(Series::new("Assets", vec![2, 10, 1_234, 0]));

    let elements = check(&chart);

    let texts = texts(&elements, "text");
    for label in ["critical", "high", "medium", "low", "2", "10", "1.2k", "0"] {
        assert!(texts.contains(&label.to_owned()), "{label} is drawn: {texts:?}");
    }
    let bars = texts_of_bars(&elements);
    assert_eq!(bars, ["critical: 2", "high: 10", "medium: 1,234"], "zero draws no bar");
    assert_eq!(
        description(&elements),
        "Bar chart of 4 categories, from critical to low; series: Assets. \
         Assets: critical 2, high 10, medium 1,234, low 0 (total 1,246)."
    );
}

fn texts_of_bars(elements: &[Element]) -> Vec<String> {
    let mut titles = Vec::new();
    for (index, element) in elements.iter().enumerate() {
        if matches!(element.name.as_str(), "rect" | "circle" | "polygon")
            && let Some(next) = elements.get(index + 1)
            && next.name == "title"
        {
            titles.push(next.text.clone());
        }
    }
    titles
}

#[test]
fn stacked_and_grouped_sign_ins_differ_by_more_than_colour() {
    for kind in [Kind::Stacked, Kind::Bars, Kind::Line] {
        let chart = sign_ins(kind, 24);
        let elements = check(&chart);
        let legend = texts(&elements, "text");
        assert!(legend.contains(&"Sign-ins".to_owned()) && legend.contains(&"Failures".to_owned()));
        let patterns: Vec<&Element> = elements.iter().filter(|element| element.name == "pattern").collect();
        assert_eq!(patterns.len(), 2);
        // The second series is hatched: its pattern draws white lines over the colour.
        let second = elements.iter().position(|element| element.attribute("id") == Some("sign-ins-s1")).unwrap();
        assert_eq!(elements[second + 2].name, "line");
        if kind == Kind::Line {
            assert!(elements.iter().any(|element| element.attribute("stroke-dasharray").is_some()));
            assert!(elements.iter().any(|element| element.name == "circle"));
            assert!(elements.iter().any(|element| element.name == "rect" && element.attribute("width") == Some("7")));
        }
        let described = description(&elements);
        assert!(described.contains("24 categories, from 1 Dec 00:00 to 23:00"), "{described}");
        assert!(described.contains("Sign-ins: total 72, highest 6 at 02:00, lowest 0 at 1 Dec 00:00."), "{described}");
        // Every nonzero value has a bar or a point whose title names it.
        let titles = texts_of_bars(&elements);
        assert!(titles.contains(&"02:00, Sign-ins: 6".to_owned()), "{titles:?}");
    }
}

#[test]
fn crowded_axes_label_every_nth_category() {
    let chart = Chart::new("days", "Sign-ins, last 30 days")
        .categories(day_labels(20_788 * 86_400, 30))
        .series(Series::new("Sign-ins", vec![1; 30]));

    let elements = check(&chart);

    let labels: Vec<String> = texts(&elements, "text").into_iter().filter(|text| text.contains(' ')).collect();
    assert!(labels.len() < 30 && labels.len() >= 5, "{labels:?}");
    assert_eq!(labels[0], "1 Dec 2026");
}

#[test]
fn text_is_escaped_everywhere() {
    let hostile = "<script>alert('x')</script> & \"quoted\" \u{1}";
    let chart = Chart::new("x\" onload=\"alert(1)", hostile)
        .summary(hostile)
        .categories([hostile, "fine"])
        .series(Series::new(hostile, vec![1, 2]))
        .series(Series::new("other", vec![3, 4]));

    let svg = chart.render();
    let elements = check(&chart);

    assert!(!svg.contains("<script"), "{svg}");
    assert!(!svg.contains('\u{1}'));
    assert_eq!(elements[0].attribute("aria-labelledby"), Some("x--onload--alert-1--title x--onload--alert-1--desc"));
    assert!(description(&elements).starts_with("<script>alert('x')</script> & \"quoted\" \u{FFFD}"));
    assert!(texts_of_bars(&elements).iter().any(|title| title.starts_with("<script>")));
}

#[test]
fn no_data_says_so() {
    let no_categories = Chart::new("empty", "Open services by port").series(Series::new("Services", vec![]));
    let no_series = Chart::new("empty", "Open services by port").categories(["22"]);
    for chart in [no_categories, no_series, Chart::new("empty", "Nothing")] {
        let elements = check(&chart);
        assert_eq!(texts(&elements, "text"), ["No data"]);
        assert_eq!(description(&elements), "No data.");
    }
    let summarised = Chart::new("empty", "Nothing").summary("Last 30 days.");
    assert_eq!(summarised.description(), "Last 30 days. No data.");
}

#[test]
fn all_zeros_draw_an_axis_and_no_bars() {
    for kind in [Kind::Bars, Kind::Stacked, Kind::Line] {
        let chart = Chart::new("zeros", "Sign-ins")
            .kind(kind)
            .categories(hour_labels(0, 24))
            .series(Series::new("Sign-ins", vec![0; 24]))
            .series(Series::new("Failures", vec![0; 24]));

        let elements = check(&chart);

        assert!(description(&elements).ends_with("All values are zero."));
        let ticks: Vec<String> = texts(&elements, "text");
        assert!(ticks.contains(&"0".to_owned()) && ticks.contains(&"1".to_owned()), "{ticks:?}");
        if kind != Kind::Line {
            assert!(texts_of_bars(&elements).is_empty());
        }
    }
}

#[test]
fn one_bucket_is_one_bar_of_bounded_width() {
    let chart = Chart::new("one", "One").categories(["only"]).series(Series::new("Count", vec![5]));

    let elements = check(&chart);

    let bar =
        elements.iter().find(|element| element.name == "rect" && element.attribute("fill") == Some("url(#one-s0)"));
    let width: f64 = bar.expect("the bar").attribute("width").unwrap().parse().unwrap();
    assert!(width <= 64.0);
    assert!(description(&elements).contains("Bar chart of one category, only"));
    // A single point draws no polyline but its marker.
    let line = check(&chart.clone().kind(Kind::Line));
    assert!(line.iter().all(|element| element.name != "polyline"));
    assert!(line.iter().any(|element| element.name == "circle"));
}

#[test]
fn huge_values_fit_the_axis() {
    let chart = Chart::new("huge", "Huge")
        .kind(Kind::Stacked)
        .categories(["a", "b"])
        .series(Series::new("first", vec![u64::MAX, 1]))
        .series(Series::new("second", vec![u64::MAX, 0]));

    let elements = check(&chart);

    assert!(texts(&elements, "text").contains(&"40E".to_owned()), "{:?}", texts(&elements, "text"));
    assert!(texts_of_bars(&elements).contains(&"a, first: 18,446,744,073,709,551,615".to_owned()));
    for kind in [Kind::Bars, Kind::Line] {
        check(&chart.clone().kind(kind));
    }
    // Every coordinate stays inside the drawing.
    for element in &elements {
        for key in ["y", "height"] {
            if let Some(value) = element.attribute(key) {
                let value: f64 = value.parse().unwrap();
                assert!((0.0..=300.0).contains(&value), "{key}={value}");
            }
        }
    }
}

#[test]
fn long_labels_are_shortened_and_kept_whole_in_titles() {
    let long = "a-very-long-asset-type-name-that-cannot-fit-under-its-bar-".repeat(4);
    let categories: Vec<String> = (0..12).map(|index| format!("{long}{index}")).collect();
    let chart = Chart::new("long", "Long").categories(categories.clone()).series(Series::new("Assets", vec![1; 12]));

    let elements = check(&chart);

    let drawn: Vec<String> = texts(&elements, "text").into_iter().filter(|text| text.starts_with("a-very")).collect();
    assert!(!drawn.is_empty());
    assert!(drawn.iter().all(|text| text.ends_with('…') && text.chars().count() < 40), "{drawn:?}");
    assert!(texts_of_bars(&elements).contains(&format!("{}: 1", categories[3])));
}

#[test]
fn a_short_series_counts_missing_values_as_zero() {
    let chart = Chart::new("short", "Short").categories(["a", "b", "c"]).series(Series::new("s", vec![4]));
    let elements = check(&chart);
    assert!(description(&elements).contains("s: a 4, b 0, c 0 (total 4)."));
}

/// WCAG 2 relative luminance of `#rrggbb`.
fn luminance(colour: &str) -> f64 {
    let channel = |offset: usize| {
        let value = f64::from(u8::from_str_radix(&colour[offset..offset + 2], 16).unwrap()) / 255.0;
        if value <= 0.039_28 { value / 12.92 } else { ((value + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

fn contrast(first: &str, second: &str) -> f64 {
    let (a, b) = (luminance(first), luminance(second));
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

#[test]
fn colours_have_aa_contrast_against_the_background() {
    for colour in PALETTE.iter().chain([&INK, &AXIS]) {
        assert!(contrast(colour, BACKGROUND) >= 4.5, "{colour}: {}", contrast(colour, BACKGROUND));
    }
}

#[test]
fn ids_are_sanitized() {
    assert_eq!(sanitize_id("sign-ins_24h"), "sign-ins_24h");
    assert_eq!(sanitize_id("a b\"<"), "a-b--");
    assert_eq!(sanitize_id(""), "chart-");
    assert_eq!(sanitize_id("24h"), "chart-24h");
}

#[test]
fn escaping_covers_markup_quotes_and_forbidden_characters() {
    assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
    assert_eq!(escape("tab\there\nnew"), "tab here new");
    assert_eq!(escape("\u{0}\u{1F}\u{FFFE}é"), "\u{FFFD}\u{FFFD}\u{FFFD}é");
}

#[test]
fn numbers_are_written_for_people_and_machines() {
    assert_eq!(num(12.0), "12");
    assert_eq!(num(12.25), "12.3");
    assert_eq!(num(-0.01), "0");
    assert_eq!(compact(0), "0");
    assert_eq!(compact(999), "999");
    assert_eq!(compact(1_500), "1.5k");
    assert_eq!(compact(12_000), "12k");
    assert_eq!(compact(2_000_000), "2M");
    assert_eq!(grouped(0), "0");
    assert_eq!(grouped(1_234_567), "1,234,567");
    assert_eq!(grouped(100), "100");
    assert_eq!(shorten("abcdef", 4), "abc…");
    assert_eq!(shorten("abc", 4), "abc");
    assert_eq!(shorten("abc", 0), "");
}

#[test]
fn the_value_axis_is_round_and_reaches_the_largest_value() {
    assert_eq!(Axis::for_max(0), Axis { top: 1, step: 1 });
    assert_eq!(Axis::for_max(7), Axis { top: 8, step: 2 });
    assert_eq!(Axis::for_max(10), Axis { top: 10, step: 5 });
    assert_eq!(Axis::for_max(1_234), Axis { top: 1_500, step: 500 });
    let huge = Axis::for_max(u128::from(u64::MAX) * 2);
    assert!(huge.top >= u128::from(u64::MAX) * 2 && huge.top / huge.step <= 4);
    assert_eq!(Axis::for_max(7).ticks().collect::<Vec<_>>(), [0, 2, 4, 6, 8]);
}

#[test]
#[ignore = "writes sample charts for a look: CHARTS_OUT=dir cargo test -p authdb-charts -- --ignored"]
fn write_samples() {
    let Ok(dir) = std::env::var("CHARTS_OUT") else { return };
    let samples = [
        ("stacked", sign_ins(Kind::Stacked, 24)),
        ("grouped", sign_ins(Kind::Bars, 30)),
        ("line", sign_ins(Kind::Line, 24)),
        (
            "bars",
            Chart::new("ports", "Open services by port")
                .categories(["22", "80", "443", "3389", "8080", "other"])
                .series(Series::new("Services", vec![120, 80, 75, 3, 12, 40])),
        ),
    ];
    for (name, chart) in samples {
        std::fs::write(format!("{dir}/{name}.svg"), chart.render()).unwrap();
    }
}
