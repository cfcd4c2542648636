//! A small Server-Sent Events parser (the `text/event-stream` format of the WHATWG HTML
//! standard, "Interpreting an event stream"): fields `event`, `data`, `id` and `retry`,
//! comment lines, multi-line data, and lines split anywhere between chunks.

use std::time::Duration;

/// What a complete part of the stream means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// An event: its type (`message` unless named), its data lines joined by `\n`, and the
    /// last event id in force when it was dispatched.
    Event { event: String, data: String, id: Option<String> },
    /// A comment line (`: ...`): authdb's heartbeats and the reason a stream ends.
    Comment(String),
    /// A `retry` field: the reconnection time the server asks for.
    Retry(Duration),
}

/// Feeds chunks in, takes items out; keeps what it needs between chunks.
#[derive(Debug, Default)]
pub(crate) struct Parser {
    /// Bytes of an unfinished line.
    pending: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` starting the next one belongs to it.
    after_cr: bool,
    /// The byte order mark at the very start has been dealt with.
    started: bool,
    event: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
}

impl Parser {
    /// Parses `chunk` and appends the items it completes to `out`.
    pub(crate) fn feed(&mut self, chunk: &[u8], out: &mut Vec<Item>) {
        let mut rest = chunk;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if let Some(stripped) = rest.strip_prefix(b"\n") {
                rest = stripped;
            }
        }
        while let Some(end) = rest.iter().position(|b| *b == b'\n' || *b == b'\r') {
            self.pending.extend_from_slice(&rest[..end]);
            let line = std::mem::take(&mut self.pending);
            self.line(&line, out);
            let cr = rest[end] == b'\r';
            rest = &rest[end + 1..];
            if cr {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.pending.extend_from_slice(rest);
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<Item>) {
        let mut line = line;
        if !self.started {
            self.started = true;
            line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
        }
        let line = String::from_utf8_lossy(line);
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if let Some(comment) = line.strip_prefix(':') {
            out.push(Item::Comment(comment.strip_prefix(' ').unwrap_or(comment).to_owned()));
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(millis) = value.parse() {
                    out.push(Item::Retry(Duration::from_millis(millis)));
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<Item>) {
        let event = std::mem::take(&mut self.event);
        if !std::mem::take(&mut self.has_data) {
            return;
        }
        let data = std::mem::take(&mut self.data);
        let event = if event.is_empty() { "message".to_owned() } else { event };
        out.push(Item::Event { event, data, id: self.last_id.clone() });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests: a failed unwrap is a failed test")]
mod tests {
    use super::*;

    fn parse_in(chunks: &[&[u8]]) -> Vec<Item> {
        let mut parser = Parser::default();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, &mut out);
        }
        out
    }

    fn event(event: &str, data: &str, id: Option<&str>) -> Item {
        Item::Event { event: event.into(), data: data.into(), id: id.map(Into::into) }
    }

    const STREAM: &str = "\u{feff}: heartbeat\n\nid: 7\nevent: revocation\ndata: {\"a\":1}\n\n\
        data: first\r\ndata:second\r\rdata\n\nretry: 1500\nretry: soon\n: end: bye\n\nid\ndata: x\n\n";

    fn expected() -> Vec<Item> {
        vec![
            Item::Comment("heartbeat".into()),
            event("revocation", "{\"a\":1}", Some("7")),
            event("message", "first\nsecond", Some("7")),
            event("message", "", Some("7")),
            Item::Retry(Duration::from_millis(1500)),
            Item::Comment("end: bye".into()),
            event("message", "x", Some("")),
        ]
    }

    #[test]
    fn fields_comments_multi_line_data_and_every_line_ending() {
        assert_eq!(parse_in(&[STREAM.as_bytes()]), expected());
    }

    #[test]
    fn the_same_stream_split_at_every_byte_and_every_pair_of_places() {
        let bytes = STREAM.as_bytes();
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(parse_in(&singles), expected(), "one byte at a time (the BOM and CRLFs split too)");
        for i in 0..bytes.len() {
            for j in i..bytes.len() {
                assert_eq!(parse_in(&[&bytes[..i], &bytes[i..j], &bytes[j..]]), expected(), "split at {i} and {j}");
            }
        }
    }

    #[test]
    fn an_unfinished_event_is_not_dispatched_and_event_types_reset() {
        assert_eq!(parse_in(&[b"event: a\n\ndata: 1\n\n"]), [event("message", "1", None)]);
        assert_eq!(parse_in(&[b"event: a\ndata: 1\n"]), []);
        assert_eq!(parse_in(&[b"id: a\0b\ndata: 1\n\n"]), [event("message", "1", None)], "an id with NUL is ignored");
        assert_eq!(parse_in(&[b"data: caf\xc3", b"\xa9\n\n"]), [event("message", "caf\u{e9}", None)]);
    }
}
