//! What the presence server says of the agent (a NOTIFY's PIDF, RFC 3863, with RPID of RFC 4480), split
//! into the engine's own publication and what was set elsewhere (another device of the agent, the contact
//! center's web app PUBLISHing for the same address). Pure code.
//!
//! A presence server composes every publication for the address into one document (Kamailio's
//! presence_xml: one publication's document as the base, with the tuples and persons of the others appended).
//! The engine's own parts are told by their ids: its tuple is `lifeline-<installation>` ([`own_tuple_id`]),
//! its person `<tuple id>-agent`, and a tuple it wrote over a foreign one during emergency modes (see
//! `publish.rs`, "overrides") carries the RPID class `<tuple id>-override`. Everything else is foreign.
//!
//! The foreign status is read the way a contact center's watcher reads PIDF: `basic` closed with `busy`
//! is do-not-disturb, open with `busy` busy, `away` away, closed alone working offline, open alone
//! available (across every foreign tuple and person: open if any is open).

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use sha2::{Digest, Sha256};

use crate::api::Presence;

/// The RPID class the engine writes on a forced status (another Lifeline in emergency mode writes it too).
pub const FORCED_CLASS: &str = "lifeline-emergency-forced";

/// What was set elsewhere, as far as the document says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    pub status: Presence,
    /// Marked forced by another Lifeline (that one is in emergency mode, not this one).
    pub forced: bool,
    /// The foreign tuples' ids (what an override writes over).
    pub tuple_ids: Vec<String>,
}

/// The tuple id this installation publishes under: stable across restarts of the same engine (a
/// restarted engine's leftover publication is its own, not something set elsewhere), different for
/// another device of the same agent.
pub fn own_tuple_id(installation: &str, user: &str) -> String {
    let digest = Sha256::digest(format!("{installation}\n{user}").as_bytes());
    format!("lifeline-{}", &hex::encode(digest)[..12])
}

#[derive(Default)]
struct Part {
    id: String,
    open: Option<bool>,
    activities: Vec<String>,
    classes: Vec<String>,
}

/// The foreign part of a NOTIFY's PIDF `body`, for the engine publishing under `own_tuple`; `None` when
/// everything in it is the engine's own (or it is empty or unreadable: a watcher cannot act on that).
pub fn foreign(body: &str, own_tuple: &str) -> Option<Foreign> {
    let parts = parts(body)?;
    let own_person = format!("{own_tuple}-agent");
    let override_class = format!("{own_tuple}-override");
    let foreign: Vec<&Part> = parts
        .iter()
        .filter(|p| p.id != own_tuple && p.id != own_person)
        .filter(|p| !p.classes.contains(&override_class))
        .collect();
    let tuple_ids: Vec<String> = foreign
        .iter()
        .filter(|p| p.open.is_some())
        .map(|p| p.id.clone())
        .collect();
    if tuple_ids.is_empty() {
        return None;
    }
    let open = foreign.iter().any(|p| p.open == Some(true));
    let has = |a: &str| foreign.iter().any(|p| p.activities.iter().any(|x| x == a));
    let status = match (open, has("busy"), has("away")) {
        (false, true, _) => Presence::DoNotDisturb,
        (true, true, _) => Presence::Busy,
        (_, false, true) => Presence::Away,
        (false, false, false) => Presence::WorkingOffline,
        (true, false, false) => Presence::Available,
    };
    Some(Foreign {
        status,
        forced: foreign
            .iter()
            .any(|p| p.classes.iter().any(|c| c == FORCED_CLASS)),
        tuple_ids,
    })
}

/// The document's tuples (with `open` set) and persons, in order.
fn parts(body: &str) -> Option<Vec<Part>> {
    let mut r = NsReader::from_str(body);
    let mut parts: Vec<Part> = Vec::new();
    // Depth of the tuple or person being read (its children are read into it).
    let mut inside: Option<usize> = None;
    let mut depth = 0usize;
    let mut text_of: Option<&'static str> = None;
    let mut text = String::new();
    loop {
        let (ns, ev) = r.read_resolved_event().ok()?;
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                let empty = matches!(ev, Event::Empty(_));
                let local = local_name(s);
                if inside.is_none() && (local == "tuple" || local == "person") {
                    parts.push(Part {
                        id: id_attr(s).unwrap_or_default(),
                        ..Part::default()
                    });
                    if !empty {
                        inside = Some(depth);
                    }
                } else if let (Some(_), Some(part)) = (inside, parts.last_mut()) {
                    if local == "basic" && !empty {
                        text_of = Some("basic");
                        text.clear();
                    } else if local == "class" && !empty {
                        text_of = Some("class");
                        text.clear();
                    } else if is_activity(&ns, &local) {
                        part.activities.push(local);
                    }
                }
                if !empty {
                    depth += 1;
                }
            }
            Event::Text(t) if text_of.is_some() => text.push_str(&t.xml10_content()),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if let (Some(what), Some(part)) = (text_of.take(), parts.last_mut()) {
                    let value = text.trim().to_owned();
                    match what {
                        "basic" => part.open = Some(value.eq_ignore_ascii_case("open")),
                        _ => part.classes.push(value),
                    }
                }
                if inside == Some(depth) {
                    inside = None;
                }
            }
            Event::Eof => return Some(parts),
            _ => {}
        }
    }
}

/// An RPID activity element (`<rpid:busy/>` inside `<rpid:activities>`): any element in the RPID namespace
/// other than RPID's containers and attributes.
fn is_activity(ns: &ResolveResult<'_>, local: &str) -> bool {
    let rpid = matches!(ns, ResolveResult::Bound(n)
        if <_ as AsRef<str>>::as_ref(n) == "urn:ietf:params:xml:ns:pidf:rpid");
    rpid && !matches!(
        local,
        "activities"
            | "class"
            | "mood"
            | "place-type"
            | "privacy"
            | "sphere"
            | "user-input"
            | "status-icon"
            | "time-offset"
            | "relationship"
            | "service-class"
            | "other"
    )
}

fn local_name(s: &BytesStart<'_>) -> String {
    let l = s.local_name();
    let l: &str = l.as_ref();
    l.to_owned()
}

fn id_attr(s: &BytesStart<'_>) -> Option<String> {
    s.attributes()
        .flatten()
        .find(|a| {
            let k: &str = a.key.as_ref();
            k == "id"
        })
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

#[cfg(test)]
#[path = "seen_tests.rs"]
mod tests;
