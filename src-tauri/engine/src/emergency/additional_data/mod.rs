//! Additional data for the dispatcher (RFC 7852): the four blocks the emergency INVITE carries by value,
//! each its own body part (`application/EmergencyCallData.<Block>+xml`, a Content-ID,
//! `Content-Disposition: by-reference`) named by a `Call-Info: <cid:…>;purpose=EmergencyCallData.<Block>`
//! header (RFC 7852 sections 4 and 6):
//! - ProviderInfo: the organisation (policy `emergency.additional_data`: its name, 24/7 contact as an
//!   xCard, languages); ProviderID = the SIP domain (series `domain`), TypeOfProvider `Other`.
//! - ServiceInfo: `Business`, the policy's service type (`MLTS-hosted` by default: the agents' lines are a
//!   multi-line telephone system), mobility `Nomadic` (a softphone moves with its computer).
//! - DeviceInfo: manufacturer `Lifeline`, the model (version and OS), the policy's classification.
//! - SubscriberInfo: the agent as the account knows them (display name, SIP address, callback line) as an
//!   xCard, and whether policy asks for privacy. Never the OS account's name.
//!
//! Every block carries the same DataProviderReference (`adr-<call token>@<domain>`): one provider, the
//! organisation through this client, supplied them all. Pure and infallible for the call: a block that
//! cannot be written is left out (the caller logs which, never its content) and the INVITE goes without it.

pub mod policy;

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

pub use policy::{AdditionalDataError, AdditionalDataPolicy, DeviceClassification, ServiceType};

pub const NS_VCARD: &str = "urn:ietf:params:xml:ns:vcard-4.0";
/// `Content-Disposition` of every block's part: referenced from `Call-Info`, optional to the recipient
/// (RFC 7852 section 6: a recipient that does not understand it still takes the call).
pub const DISPOSITION: &str = "by-reference;handling=optional";

/// The four blocks, in the order they go into the INVITE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    ProviderInfo,
    ServiceInfo,
    DeviceInfo,
    SubscriberInfo,
}

impl Block {
    pub const ALL: [Block; 4] = [
        Block::ProviderInfo,
        Block::ServiceInfo,
        Block::DeviceInfo,
        Block::SubscriberInfo,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Block::ProviderInfo => "ProviderInfo",
            Block::ServiceInfo => "ServiceInfo",
            Block::DeviceInfo => "DeviceInfo",
            Block::SubscriberInfo => "SubscriberInfo",
        }
    }

    /// `EmergencyCallData.<Block>`: the `Call-Info` purpose and the document's root element.
    pub fn purpose(self) -> String {
        format!("EmergencyCallData.{}", self.name())
    }

    pub fn content_type(self) -> String {
        format!("application/EmergencyCallData.{}+xml", self.name())
    }

    pub fn namespace(self) -> String {
        format!("urn:ietf:params:xml:ns:EmergencyCallData:{}", self.name())
    }

    /// The Content-ID's local-part prefix (`pi-<token>@domain`, …).
    fn cid_prefix(self) -> &'static str {
        match self {
            Block::ProviderInfo => "pi",
            Block::ServiceInfo => "si",
            Block::DeviceInfo => "di",
            Block::SubscriberInfo => "sub",
        }
    }

    /// This block's Content-ID for the call's `token` at `domain` (both already checked by the location
    /// body's rules: see [`crate::location::body::content_id`]).
    pub fn content_id(self, token: &str, domain: &str) -> String {
        format!("{}-{token}@{domain}", self.cid_prefix())
    }
}

/// A block ready for the INVITE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataBlock {
    pub block: Block,
    pub xml: String,
}

/// Why a block was left out; says which block and which input, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    #[error("the {block} block was left out: its {field} cannot be written (control characters or too long)")]
    Text {
        block: &'static str,
        field: &'static str,
    },
    #[error("the {block} block was left out: {reason}")]
    Write { block: &'static str, reason: String },
}

/// What the client knows at dial time, beside the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts<'a> {
    /// The call's unique token (the same as the location's Content-ID).
    pub token: &'a str,
    /// The account's SIP domain.
    pub domain: &'a str,
    /// The agent's name as the account configuration gives it (never the OS account's).
    pub agent_name: Option<&'a str>,
    /// The agent's SIP address of record (`sip:user@domain`).
    pub agent_uri: Option<&'a str>,
    /// The line dispatchers call back (`sip.emergency_line`): a number or a SIP URI.
    pub callback: Option<&'a str>,
    /// DeviceModelNr: the client's version and OS.
    pub device_model: &'a str,
}

impl Facts<'_> {
    /// The DataProviderReference every block shares.
    pub fn reference(&self) -> String {
        format!("adr-{}@{}", self.token, self.domain)
    }
}

/// The model string for DeviceInfo: this build's version and OS family.
pub fn device_model() -> String {
    format!(
        "Lifeline {} ({})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS
    )
}

/// Every block, each written or refused on its own (nothing when policy turned them off).
pub fn build(
    policy: &AdditionalDataPolicy,
    facts: &Facts<'_>,
) -> Vec<Result<DataBlock, BlockError>> {
    if !policy.enabled {
        return vec![];
    }
    Block::ALL
        .iter()
        .map(|&block| {
            let xml = match block {
                Block::ProviderInfo => provider_info(policy, facts),
                Block::ServiceInfo => service_info(policy, facts),
                Block::DeviceInfo => device_info(policy, facts),
                Block::SubscriberInfo => subscriber_info(policy, facts),
            }
            .map_err(|e| e.into_error(block.name()))?;
            Ok(DataBlock { block, xml })
        })
        .collect()
}

/// A failure inside one block's writer.
enum Fail {
    Text(&'static str),
    Write(String),
}

impl Fail {
    fn into_error(self, block: &'static str) -> BlockError {
        match self {
            Fail::Text(field) => BlockError::Text { block, field },
            Fail::Write(reason) => BlockError::Write { block, reason },
        }
    }
}

impl From<std::io::Error> for Fail {
    fn from(e: std::io::Error) -> Self {
        Fail::Write(e.to_string())
    }
}

/// Text a dispatcher can read and XML 1.0 can carry.
fn checked<'a>(field: &'static str, s: &'a str) -> Result<&'a str, Fail> {
    if policy::plain_text(s) {
        Ok(s.trim())
    } else {
        Err(Fail::Text(field))
    }
}

/// A small writer: quick-xml escapes every text and attribute value.
struct Doc {
    w: Writer<Vec<u8>>,
}

impl Doc {
    /// The root element, with the vCard namespace when `vcard`, and `attrs`.
    fn new(block: Block, vcard: bool, attrs: &[(&str, &str)]) -> Result<Doc, Fail> {
        let mut w = Writer::new(Vec::new());
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let ns = block.namespace();
        let root = block.purpose();
        let mut start = BytesStart::new(root.as_str()).with_attributes([("xmlns", ns.as_str())]);
        if vcard {
            start.push_attribute(("xmlns:xc", NS_VCARD));
        }
        for &a in attrs {
            start.push_attribute(a);
        }
        w.write_event(Event::Start(start))?;
        Ok(Doc { w })
    }

    fn open(&mut self, name: &str) -> Result<(), Fail> {
        Ok(self.w.write_event(Event::Start(BytesStart::new(name)))?)
    }

    fn close(&mut self, name: &str) -> Result<(), Fail> {
        Ok(self.w.write_event(Event::End(BytesEnd::new(name)))?)
    }

    fn text(&mut self, name: &str, text: &str) -> Result<(), Fail> {
        self.open(name)?;
        self.w.write_event(Event::Text(BytesText::new(text)))?;
        self.close(name)
    }

    /// `<xc:prop><xc:kind>value</xc:kind></xc:prop>` (xCard property with one typed value).
    fn vcard_prop(&mut self, prop: &str, kind: &str, value: &str) -> Result<(), Fail> {
        self.open(prop)?;
        self.text(kind, value)?;
        self.close(prop)
    }

    fn finish(mut self, block: Block) -> Result<String, Fail> {
        self.close(&block.purpose())?;
        String::from_utf8(self.w.into_inner()).map_err(|e| Fail::Write(e.to_string()))
    }
}

fn provider_info(p: &AdditionalDataPolicy, f: &Facts<'_>) -> Result<String, Fail> {
    let org = checked(
        "organisation",
        p.organisation.as_deref().unwrap_or(f.domain),
    )?;
    let tel = p
        .contact_tel
        .as_deref()
        .map(|t| format!("tel:{}", t.trim()));
    let sip = p.contact_uri.as_deref().map(str::trim);
    let email = p.contact_email.as_deref().map(str::trim);
    let mut d = Doc::new(Block::ProviderInfo, true, &[])?;
    d.text("DataProviderReference", &f.reference())?;
    d.text("DataProviderString", org)?;
    d.text("ProviderID", checked("domain", f.domain)?)?;
    d.text("ProviderIDSeries", "domain")?;
    d.text("TypeOfProvider", "Other")?;
    // The 24/7 contact: a telephone number first (a dispatcher can dial it), else the SIP address.
    if let Some(uri) = tel.as_deref().or(sip) {
        d.text("ContactURI", checked("contact", uri)?)?;
    }
    for lang in &p.languages {
        if !policy::language_tag(lang) {
            return Err(Fail::Text("languages"));
        }
        d.text("Language", lang)?;
    }
    d.open("DataProviderContact")?;
    d.open("xc:vcard")?;
    d.vcard_prop("xc:fn", "xc:text", org)?;
    d.vcard_prop("xc:kind", "xc:text", "org")?;
    if let Some(t) = &tel {
        d.vcard_prop("xc:tel", "xc:uri", checked("contact_tel", t)?)?;
    }
    if let Some(e) = email {
        d.vcard_prop("xc:email", "xc:text", checked("contact_email", e)?)?;
    }
    if let Some(s) = sip {
        d.vcard_prop("xc:impp", "xc:uri", checked("contact_uri", s)?)?;
    }
    for lang in &p.languages {
        d.vcard_prop("xc:lang", "xc:language-tag", lang)?;
    }
    d.close("xc:vcard")?;
    d.close("DataProviderContact")?;
    d.finish(Block::ProviderInfo)
}

fn service_info(p: &AdditionalDataPolicy, f: &Facts<'_>) -> Result<String, Fail> {
    let mut d = Doc::new(Block::ServiceInfo, false, &[])?;
    d.text("DataProviderReference", &f.reference())?;
    d.text("ServiceEnvironment", "Business")?;
    d.text("ServiceType", p.service_type.token())?;
    d.text("ServiceMobility", "Nomadic")?;
    d.finish(Block::ServiceInfo)
}

fn device_info(p: &AdditionalDataPolicy, f: &Facts<'_>) -> Result<String, Fail> {
    let mut d = Doc::new(Block::DeviceInfo, false, &[])?;
    d.text("DataProviderReference", &f.reference())?;
    if let Some(c) = p.device_classification {
        d.text("DeviceClassification", c.token())?;
    }
    d.text("DeviceMfgr", "Lifeline")?;
    d.text("DeviceModelNr", checked("model", f.device_model)?)?;
    d.finish(Block::DeviceInfo)
}

fn subscriber_info(p: &AdditionalDataPolicy, f: &Facts<'_>) -> Result<String, Fail> {
    // The vCard's name: the configured display name, else the SIP address (a vCard must have one).
    let name = match (f.agent_name, f.agent_uri) {
        (Some(n), _) => checked("agent name", n)?,
        (None, Some(u)) => checked("agent address", u)?,
        (None, None) => return Err(Fail::Text("agent name")),
    };
    let privacy = if p.privacy_requested { "true" } else { "false" };
    let mut d = Doc::new(
        Block::SubscriberInfo,
        true,
        &[("privacyRequested", privacy)],
    )?;
    d.text("DataProviderReference", &f.reference())?;
    d.open("SubscriberData")?;
    d.open("xc:vcard")?;
    d.vcard_prop("xc:fn", "xc:text", name)?;
    d.vcard_prop("xc:kind", "xc:text", "individual")?;
    if let Some(org) = p.organisation.as_deref() {
        d.vcard_prop("xc:org", "xc:text", checked("organisation", org)?)?;
    }
    if let Some(u) = f.agent_uri {
        d.vcard_prop("xc:impp", "xc:uri", checked("agent address", u)?)?;
    }
    if let Some(cb) = f.callback.map(str::trim) {
        if policy::e164(cb) {
            d.vcard_prop("xc:tel", "xc:uri", &format!("tel:{cb}"))?;
        } else if cb.to_ascii_lowercase().starts_with("sip") && Some(cb) != f.agent_uri {
            d.vcard_prop("xc:impp", "xc:uri", checked("callback line", cb)?)?;
        }
    }
    d.close("xc:vcard")?;
    d.close("SubscriberData")?;
    d.finish(Block::SubscriberInfo)
}

#[cfg(test)]
mod tests;
