//! PIDF-LO (RFC 4119, civic address per RFC 5139, profile per RFC 5491) for the emergency INVITE.
//!
//! ```xml
//! <presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:agent@lifeline.lab" ...>
//!   <tuple id="loc-…">
//!     <status><gp:geopriv>
//!       <gp:location-info><ca:civicAddress xml:lang="en">…</ca:civicAddress></gp:location-info>
//!       <gp:usage-rules><gbp:retransmission-allowed>true</gbp:retransmission-allowed>…</gp:usage-rules>
//!       <gp:method>Manual</gp:method>
//!       <gp:provided-by><ll:source>network-map</ll:source></gp:provided-by>
//!     </gp:geopriv></status>
//!     <timestamp>2026-11-21T21:00:00Z</timestamp>
//!   </tuple>
//! </presence>
//! ```
//! Retransmission is allowed: the dispatcher must be able to pass the location on to responders.
//! Written with quick-xml, which escapes every text and attribute value.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::civic::{CivicAddress, CivicErrors};
use super::LocationSource;

pub const NS_PIDF: &str = "urn:ietf:params:xml:ns:pidf";
pub const NS_GEOPRIV: &str = "urn:ietf:params:xml:ns:pidf:geopriv10";
pub const NS_BASIC_POLICY: &str = "urn:ietf:params:xml:ns:pidf:geopriv10:basicPolicy";
pub const NS_CIVIC: &str = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr";
/// Our own namespace for the `provided-by` source label (RFC 4119 leaves its content open).
pub const NS_LIFELINE: &str = "urn:x-lifeline:location";

/// How long recipients may keep the location (`retention-expiry`).
pub const RETENTION: time::Duration = time::Duration::hours(24);

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PidfError {
    #[error(transparent)]
    Address(#[from] CivicErrors),
    #[error("the presence entity must be a sip:, sips: or pres: URI")]
    Entity,
    #[error("the tuple id must be letters, digits, '-', '_' or '.', starting with a letter")]
    TupleId,
    #[error("cannot write the location document: {0}")]
    Write(String),
}

/// What goes into one PIDF-LO document.
#[derive(Debug, Clone, PartialEq)]
pub struct PidfLo<'a> {
    /// The agent's address of record, e.g. `sip:agent@lifeline.lab`.
    pub entity: &'a str,
    /// The tuple's id (an XML ID: e.g. the Content-ID's local part).
    pub tuple_id: &'a str,
    pub address: &'a CivicAddress,
    pub source: &'a LocationSource,
    /// When the location was determined ([`super::Location::determined_at`]), not when the document is
    /// written: RFC 4119's `<timestamp>` tells the dispatcher how old the location is.
    pub timestamp: OffsetDateTime,
    /// When the document is sent: the recipients' retention (`retention-expiry`) counts from here, so an
    /// address confirmed days ago is not already expired on arrival.
    pub sent_at: OffsetDateTime,
}

impl PidfLo<'_> {
    /// Validates the address and writes the document (UTF-8, no indentation).
    pub fn to_xml(&self) -> Result<String, PidfError> {
        self.address.validate()?;
        let e = self.entity.to_ascii_lowercase();
        if !(e.starts_with("sip:") || e.starts_with("sips:") || e.starts_with("pres:"))
            || self.entity.chars().any(char::is_control)
        {
            return Err(PidfError::Entity);
        }
        let id_ok = self
            .tuple_id
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && self
                .tuple_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !id_ok {
            return Err(PidfError::TupleId);
        }
        self.write().map_err(|e| PidfError::Write(e.to_string()))
    }

    fn write(&self) -> Result<String, Box<dyn std::error::Error>> {
        let mut w = Writer::new(Vec::new());
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let presence = BytesStart::new("presence").with_attributes([
            ("xmlns", NS_PIDF),
            ("xmlns:gp", NS_GEOPRIV),
            ("xmlns:gbp", NS_BASIC_POLICY),
            ("xmlns:ca", NS_CIVIC),
            ("xmlns:ll", NS_LIFELINE),
            ("entity", self.entity),
        ]);
        w.write_event(Event::Start(presence))?;
        w.write_event(Event::Start(
            BytesStart::new("tuple").with_attributes([("id", self.tuple_id)]),
        ))?;
        w.write_event(Event::Start(BytesStart::new("status")))?;
        w.write_event(Event::Start(BytesStart::new("gp:geopriv")))?;

        w.write_event(Event::Start(BytesStart::new("gp:location-info")))?;
        let civic =
            BytesStart::new("ca:civicAddress").with_attributes([("xml:lang", self.address.lang())]);
        w.write_event(Event::Start(civic))?;
        text_element(
            &mut w,
            "ca:country",
            self.address.country.trim().to_ascii_uppercase().as_str(),
        )?;
        // BTreeMap order is CivicField order, which is the RFC 5139 schema's sequence.
        for (field, value) in &self.address.fields {
            text_element(&mut w, &format!("ca:{}", field.as_str()), value.trim())?;
        }
        w.write_event(Event::End(BytesEnd::new("ca:civicAddress")))?;
        w.write_event(Event::End(BytesEnd::new("gp:location-info")))?;

        w.write_event(Event::Start(BytesStart::new("gp:usage-rules")))?;
        text_element(&mut w, "gbp:retransmission-allowed", "true")?;
        text_element(
            &mut w,
            "gbp:retention-expiry",
            &(self.sent_at + RETENTION).format(&Rfc3339)?,
        )?;
        w.write_event(Event::End(BytesEnd::new("gp:usage-rules")))?;
        text_element(&mut w, "gp:method", self.source.method())?;
        w.write_event(Event::Start(BytesStart::new("gp:provided-by")))?;
        text_element(&mut w, "ll:source", self.source.label())?;
        w.write_event(Event::End(BytesEnd::new("gp:provided-by")))?;

        w.write_event(Event::End(BytesEnd::new("gp:geopriv")))?;
        w.write_event(Event::End(BytesEnd::new("status")))?;
        text_element(&mut w, "timestamp", &self.timestamp.format(&Rfc3339)?)?;
        w.write_event(Event::End(BytesEnd::new("tuple")))?;
        w.write_event(Event::End(BytesEnd::new("presence")))?;
        Ok(String::from_utf8(w.into_inner())?)
    }
}

fn text_element(w: &mut Writer<Vec<u8>>, name: &str, text: &str) -> std::io::Result<()> {
    w.write_event(Event::Start(BytesStart::new(name)))?;
    w.write_event(Event::Text(BytesText::new(text)))?;
    w.write_event(Event::End(BytesEnd::new(name)))
}

#[cfg(test)]
#[path = "pidf_tests.rs"]
mod tests;
