//! What the messaging use cases raise for the sockets, and its wire form on the change
//! feed.
//!
//! A [`Signal`] names what happened by ids only, so that it always fits in a PostgreSQL
//! `NOTIFY` payload (8000 bytes) however large the message: the dispatcher of each
//! process loads the rest ([`super::dispatch`]). The form is
//! `e <origin instance> <kind> <fields...>`, space-separated:
//!
//! | kind | fields | event |
//! |---|---|---|
//! | `mc` | organization chat message | `message.created` |
//! | `md` | organization chat message | `message.deleted` |
//! | `mr` | organization chat user message | `message.read` |
//! | `ty` | organization chat user | `typing` |
//! | `cc` | organization chat | `chat.created` |
//! | `cu` | organization chat | `chat.updated` |
//! | `ma` | organization chat user | `chat.member_added` |
//! | `mm` | organization chat user | `chat.member_removed` |
//! | `p` | user `1`/`0` | `presence` (online/offline on the origin instance) |
//! | `hb` | `1`/`0` | none: the origin instance is alive (`1`: and asks the others to announce their online users again) |

use authdb_domain::{ChatId, Message, MessageId, OrganizationId, UserId};
use uuid::Uuid;

/// One process's identity on the change feed: a process skips the signals it published
/// itself when they come back, since it delivered them locally at commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Instance(pub(crate) Uuid);

/// A chat an event is about: its organization and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChatRef {
    pub(crate) organization: OrganizationId,
    pub(crate) chat: ChatId,
}

/// What happened, by ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignalKind {
    MessageCreated(ChatRef, MessageId),
    MessageDeleted(ChatRef, MessageId),
    MessageRead(ChatRef, UserId, MessageId),
    Typing(ChatRef, UserId),
    ChatCreated(ChatRef),
    ChatUpdated(ChatRef),
    MemberAdded(ChatRef, UserId),
    MemberRemoved(ChatRef, UserId),
    /// A user's first socket on the origin instance opened (`true`) or its last closed.
    Presence(UserId, bool),
    /// The origin instance is alive (sent every `messaging.presence_heartbeat_secs`);
    /// `true` asks every other instance to announce its online users again (the origin
    /// has just started, or may have missed signals).
    Heartbeat(bool),
}

/// What the replica tells the dispatcher, in the order it applied them: a signal, and on
/// the instance that posted a message, the message itself (so that it is not read back;
/// other instances load it once per event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    pub(crate) signal: Signal,
    pub(crate) message: Option<Message>,
}

impl SignalKind {
    /// The chat whose members this signal changes, if it does.
    pub(crate) fn changed_audience(&self) -> Option<ChatId> {
        match self {
            Self::ChatCreated(at) | Self::MemberAdded(at, _) | Self::MemberRemoved(at, _) => Some(at.chat),
            _ => None,
        }
    }
}

/// A signal and the instance that raised it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Signal {
    pub(crate) origin: Instance,
    pub(crate) kind: SignalKind,
}

impl Signal {
    pub(crate) fn encode(&self) -> String {
        let origin = self.origin.0;
        let chat = |kind: &str, at: &ChatRef| format!("e {origin} {kind} {} {}", at.organization, at.chat);
        match &self.kind {
            SignalKind::MessageCreated(at, message) => format!("{} {message}", chat("mc", at)),
            SignalKind::MessageDeleted(at, message) => format!("{} {message}", chat("md", at)),
            SignalKind::MessageRead(at, user, message) => format!("{} {user} {message}", chat("mr", at)),
            SignalKind::Typing(at, user) => format!("{} {user}", chat("ty", at)),
            SignalKind::ChatCreated(at) => chat("cc", at),
            SignalKind::ChatUpdated(at) => chat("cu", at),
            SignalKind::MemberAdded(at, user) => format!("{} {user}", chat("ma", at)),
            SignalKind::MemberRemoved(at, user) => format!("{} {user}", chat("mm", at)),
            SignalKind::Presence(user, online) => format!("e {origin} p {user} {}", u8::from(*online)),
            SignalKind::Heartbeat(sync) => format!("e {origin} hb {}", u8::from(*sync)),
        }
    }

    /// Reads the fields after the leading `e`; `None` for anything malformed or unknown.
    pub(crate) fn decode<'a>(mut fields: impl Iterator<Item = &'a str>) -> Option<Self> {
        let origin = Instance(uuid(fields.next()?)?);
        let kind = fields.next()?;
        if kind == "hb" {
            let sync = flag(fields.next()?)?;
            return fields.next().is_none().then_some(Self { origin, kind: SignalKind::Heartbeat(sync) });
        }
        if kind == "p" {
            let user = UserId::from_uuid(uuid(fields.next()?)?);
            let online = flag(fields.next()?)?;
            return fields.next().is_none().then_some(Self { origin, kind: SignalKind::Presence(user, online) });
        }
        let at = ChatRef {
            organization: OrganizationId::from_uuid(uuid(fields.next()?)?),
            chat: ChatId::from_uuid(uuid(fields.next()?)?),
        };
        let mut user = || fields.next().and_then(uuid).map(UserId::from_uuid);
        let kind = match kind {
            "mc" => SignalKind::MessageCreated(at, MessageId::from_uuid(uuid(fields.next()?)?)),
            "md" => SignalKind::MessageDeleted(at, MessageId::from_uuid(uuid(fields.next()?)?)),
            "mr" => {
                let reader = user()?;
                SignalKind::MessageRead(at, reader, MessageId::from_uuid(uuid(fields.next()?)?))
            }
            "ty" => SignalKind::Typing(at, user()?),
            "cc" => SignalKind::ChatCreated(at),
            "cu" => SignalKind::ChatUpdated(at),
            "ma" => SignalKind::MemberAdded(at, user()?),
            "mm" => SignalKind::MemberRemoved(at, user()?),
            _ => return None,
        };
        fields.next().is_none().then_some(Self { origin, kind })
    }
}

fn uuid(field: &str) -> Option<Uuid> {
    Uuid::parse_str(field).ok()
}

fn flag(field: &str) -> Option<bool> {
    match field {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_survive_the_round_trip_and_fit_in_a_notification() {
        let origin = Instance(Uuid::now_v7());
        let at = ChatRef { organization: OrganizationId::new(), chat: ChatId::new() };
        let (user, message) = (UserId::new(), MessageId::new());
        let kinds = [
            SignalKind::MessageCreated(at, message),
            SignalKind::MessageDeleted(at, message),
            SignalKind::MessageRead(at, user, message),
            SignalKind::Typing(at, user),
            SignalKind::ChatCreated(at),
            SignalKind::ChatUpdated(at),
            SignalKind::MemberAdded(at, user),
            SignalKind::MemberRemoved(at, user),
            SignalKind::Presence(user, true),
            SignalKind::Presence(user, false),
            SignalKind::Heartbeat(true),
            SignalKind::Heartbeat(false),
        ];
        for kind in kinds {
            let signal = Signal { origin, kind };
            let encoded = signal.encode();
            assert!(encoded.len() < 8000, "{encoded}");
            let mut fields = encoded.split(' ');
            assert_eq!(fields.next(), Some("e"));
            assert_eq!(Signal::decode(fields), Some(signal), "{encoded}");
        }
    }

    #[test]
    fn malformed_signals_are_ignored() {
        let id = Uuid::now_v7();
        for payload in [
            String::new(),
            format!("{id}"),
            format!("{id} p {id}"),
            format!("{id} p {id} 2"),
            format!("{id} hb"),
            format!("{id} hb 2"),
            format!("{id} hb 1 extra"),
            format!("{id} zz {id} {id}"),
            format!("{id} cc {id}"),
            format!("{id} cc {id} {id} extra"),
            format!("{id} mr {id} {id} {id}"),
            format!("nope cc {id} {id}"),
        ] {
            assert_eq!(Signal::decode(payload.split(' ')), None, "{payload:?}");
        }
    }
}
