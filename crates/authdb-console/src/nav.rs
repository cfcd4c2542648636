//! The navigation: the pages it lists, by section. A page that is not here (a
//! confirmation, a form's answer) is reached from another page.

/// One link of the navigation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NavEntry {
    /// Under the console's mount (`/me/sessions`).
    pub(crate) path: &'static str,
    pub(crate) label: &'static str,
}

/// A heading and its links.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NavSection {
    pub(crate) heading: &'static str,
    pub(crate) entries: &'static [NavEntry],
}

/// Every section, in order. A new section (Platform) is one
/// more entry here once its pages exist.
pub(crate) const SECTIONS: &[NavSection] = &[
    NavSection { heading: "Overview", entries: &[NavEntry { path: "/dashboard", label: "Dashboard" }] },
    NavSection {
        heading: "Me",
        entries: &[
            NavEntry { path: "/me", label: "Profile" },
            NavEntry { path: "/me/password", label: "Password" },
            NavEntry { path: "/me/security", label: "Second factors and passkeys" },
            NavEntry { path: "/me/sessions", label: "Sessions" },
            NavEntry { path: "/me/events", label: "Security events" },
        ],
    },
    NavSection { heading: "Organizations", entries: &[NavEntry { path: "/organizations", label: "Organizations" }] },
    NavSection { heading: "Inventory", entries: &[NavEntry { path: "/inventory", label: "Inventory" }] },
];
