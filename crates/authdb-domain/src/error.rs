use std::{borrow::Cow, fmt};

/// One broken rule about one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The input field the rule is about, as the caller named it (`email`, `password`,
    /// `tags[3]` for one element of a list).
    pub field: Cow<'static, str>,
    /// What is wrong, in lower case without a trailing period.
    pub message: String,
}

impl Violation {
    pub fn new(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// One or more input fields break their rules.
    #[error("invalid input: {}", join(.0))]
    Invalid(Vec<Violation>),
}

impl DomainError {
    /// Gathers the violations of several independent parses; `Ok` when there are none.
    pub fn collect(results: impl IntoIterator<Item = Option<Violation>>) -> Result<()> {
        let violations: Vec<Violation> = results.into_iter().flatten().collect();
        if violations.is_empty() { Ok(()) } else { Err(Self::Invalid(violations)) }
    }
}

impl From<Violation> for DomainError {
    fn from(violation: Violation) -> Self {
        Self::Invalid(vec![violation])
    }
}

fn join(violations: &[Violation]) -> String {
    violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;
