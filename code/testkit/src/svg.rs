//! The elements of an SVG document, for tests of the book's charts
//! (code/bench) and diagrams (code/diagrams).
//!
//! [`parse`] hands the document to `roxmltree`, a strict XML parser, so a
//! document that is not well-formed fails the test with the parser's
//! message, and returns the elements flat, in document order, which is
//! what tests that count bars or look for labels want.

/// One element: its name, its attributes, the text directly inside it (not
/// inside its children), and the index of its parent in the list.
#[derive(Clone, Debug, PartialEq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub text: String,
    pub parent: Option<usize>,
}

impl Element {
    /// The value of the attribute `name`, if the element has it.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The attribute `name` as a number; panics if it is missing or not a
    /// number.
    pub fn number(&self, name: &str) -> f64 {
        let value = self
            .attribute(name)
            .unwrap_or_else(|| panic!("{self:?} has no {name}"));
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number"))
    }

    /// The points of a `polyline` (`x,y` pairs); panics on anything else.
    pub fn points(&self) -> Vec<(f64, f64)> {
        let points = self.attribute("points").expect("a polyline has points");
        points
            .split_whitespace()
            .map(|pair| {
                let (x, y) = pair.split_once(',').expect("points are x,y pairs");
                (x.parse().expect("x"), y.parse().expect("y"))
            })
            .collect()
    }
}

/// The elements of `svg`, in document order. Panics, with the parser's
/// message, if `svg` is not well-formed XML.
pub fn parse(svg: &str) -> Vec<Element> {
    let document =
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed XML: {e}"));
    let mut elements = Vec::new();
    let mut index_of = std::collections::HashMap::new();
    for node in document.descendants().filter(|n| n.is_element()) {
        let parent = node
            .parent_element()
            .and_then(|p| index_of.get(&p.id()).copied());
        index_of.insert(node.id(), elements.len());
        // roxmltree keeps namespace declarations apart from attributes;
        // the ones this element declares are attributes of it in the text.
        let inherited: Vec<_> = node
            .parent_element()
            .map(|p| p.namespaces().collect())
            .unwrap_or_default();
        let declared = node
            .namespaces()
            .filter(|ns| !inherited.contains(ns))
            .map(|ns| match ns.name() {
                Some(prefix) => (format!("xmlns:{prefix}"), ns.uri().to_owned()),
                None => ("xmlns".to_owned(), ns.uri().to_owned()),
            })
            .filter(|(name, _)| name != "xmlns:xml");
        let attributes = declared
            .chain(
                node.attributes()
                    .map(|a| (a.name().to_owned(), a.value().to_owned())),
            )
            .collect();
        elements.push(Element {
            name: node.tag_name().name().to_owned(),
            attributes,
            text: node
                .children()
                .filter(|c| c.is_text())
                .filter_map(|c| c.text())
                .collect(),
            parent,
        });
    }
    elements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_come_in_document_order_with_their_parents_and_direct_text() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" a="1"><text x="2.5">one <tspan>two</tspan> three</text><rect/></svg>"#;
        let elements = parse(svg);
        assert_eq!(
            elements[0].attribute("xmlns"),
            Some("http://www.w3.org/2000/svg")
        );
        assert_eq!(elements[1].attribute("xmlns"), None); // inherited, not declared
        let names: Vec<&str> = elements.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["svg", "text", "tspan", "rect"]);
        assert_eq!(elements[1].text, "one  three");
        assert_eq!(elements[1].number("x"), 2.5);
        assert_eq!(elements[2].parent, Some(1));
        assert_eq!(elements[3].parent, Some(0));
        assert_eq!(elements[0].parent, None);
    }

    #[test]
    fn a_document_that_is_not_well_formed_panics() {
        for broken in [
            "<svg><g></svg>",
            "<svg a=1/>",
            "<svg/><svg/>",
            "<svg>& </svg>",
        ] {
            assert!(
                std::panic::catch_unwind(|| parse(broken)).is_err(),
                "{broken}"
            );
        }
    }
}
