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
    /// Shown to superusers only (their pages are 404 for anyone else).
    pub(crate) superuser_only: bool,
}

impl NavSection {
    const fn new(heading: &'static str, entries: &'static [NavEntry]) -> Self {
        Self { heading, entries, superuser_only: false }
    }

    /// Whether a user (a superuser or not) sees this section.
    pub(crate) fn shown_to(&self, superuser: bool) -> bool {
        superuser || !self.superuser_only
    }
}

/// Every section, in order (Platform last: only superusers see it).
pub(crate) const SECTIONS: &[NavSection] = &[
    NavSection::new("Overview", &[NavEntry { path: "/dashboard", label: "Dashboard" }]),
    NavSection::new(
        "Me",
        &[
            NavEntry { path: "/me", label: "Profile" },
            NavEntry { path: "/me/password", label: "Password" },
            NavEntry { path: "/me/security", label: "Second factors and passkeys" },
            NavEntry { path: "/me/sessions", label: "Sessions" },
            NavEntry { path: "/me/events", label: "Security events" },
        ],
    ),
    NavSection::new("Organizations", &[NavEntry { path: "/organizations", label: "Organizations" }]),
    NavSection::new("Inventory", &[NavEntry { path: "/inventory", label: "Inventory" }]),
    NavSection {
        heading: "Platform",
        entries: &[
            NavEntry { path: "/platform/users", label: "Users" },
            NavEntry { path: "/platform/organizations", label: "All organizations" },
            NavEntry { path: "/platform/outbox", label: "Outbox and mail" },
        ],
        superuser_only: true,
    },
];

#[cfg(test)]
mod tests {
    use super::SECTIONS;

    #[test]
    fn only_superusers_see_the_platform_section() {
        let headings = |superuser: bool| -> Vec<&str> {
            SECTIONS.iter().filter(|section| section.shown_to(superuser)).map(|section| section.heading).collect()
        };
        assert_eq!(headings(false), ["Overview", "Me", "Organizations", "Inventory"]);
        assert_eq!(headings(true), ["Overview", "Me", "Organizations", "Inventory", "Platform"]);
    }
}
