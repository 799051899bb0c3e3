//! Writing requests and tracking their client transactions: the part of the SIP core that the user agent
//! (registration, `ua.rs`) and the dialogs (`call.rs`) both use. It knows neither of them, so the two
//! depend on it and not on each other's internals.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ezk_sip_types::Method;

use super::message;

/// RFC 3261 Timer B / Timer F: how long a request may wait for its final response.
pub const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(32);

/// An INVITE that got a provisional response (ringing, queued, 100 Trying) waits this long for its final
/// one (RFC 3261 Timer B stops at the first provisional; this bound, Timer C's minimum, only guards
/// against a final response that never comes). A call may ring for minutes: a dispatcher's queue too.
pub const INVITE_PROCEEDING_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxKind {
    Register,
    Unregister,
    /// A PUBLISH of the agent's presence (`presence/publish.rs`).
    Publish,
    /// A PUBLISH of the agent's dialogs (`presence/dialog_info.rs`).
    PublishDialog,
    /// A SUBSCRIBE to the agent's own presence (`presence/subscribe.rs`).
    Subscribe,
    Call(u64),
}

#[derive(Debug, Clone)]
pub(crate) struct ClientTx {
    pub kind: TxKind,
    pub method: Method,
    pub deadline: Instant,
}

/// Per-UA identity used in Via and Contact (RFC 7118 5.2: a random `.invalid` host).
#[derive(Debug, Clone)]
pub struct Local {
    pub host: String,
    pub via_transport: &'static str,
    pub user: String,
    pub domain: String,
    pub user_agent: String,
}

impl Local {
    pub fn contact(&self) -> String {
        format!("<sip:{}@{};transport=ws;ob>", self.user, self.host)
    }

    pub fn aor(&self) -> String {
        format!("sip:{}@{}", self.user, self.domain)
    }

    pub fn via(&self, branch: &str) -> String {
        format!(
            "SIP/2.0/{} {};branch={branch};rport",
            self.via_transport, self.host
        )
    }
}

/// A request about to be written.
#[derive(Debug, Clone, Default)]
pub struct RequestSpec {
    pub method: String,
    pub uri: String,
    pub from: String,
    pub to: String,
    pub call_id: String,
    pub cseq: u32,
    pub route: Vec<String>,
    pub contact: bool,
    pub extra: Vec<(String, String)>,
    pub body: Option<(String, Vec<u8>)>,
}

pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, REFER, NOTIFY";

/// Writes a request with a fresh Via branch and records its client transaction.
pub(crate) fn write_request(
    local: &Local,
    spec: &RequestSpec,
    auth: Option<(&'static str, String)>,
    txs: &mut HashMap<String, ClientTx>,
    kind: TxKind,
    now: Instant,
) -> Option<(String, Vec<u8>)> {
    let branch = format!("z9hG4bK{}", message::token(16));
    let bytes = write_request_with_branch(local, spec, auth, &branch)?;
    let method = Method::from(spec.method.as_str());
    if spec.method != "ACK" {
        txs.insert(
            branch.clone(),
            ClientTx {
                kind,
                method,
                deadline: now + TRANSACTION_TIMEOUT,
            },
        );
    }
    Some((branch, bytes))
}

pub(crate) fn write_request_with_branch(
    local: &Local,
    spec: &RequestSpec,
    auth: Option<(&'static str, String)>,
    branch: &str,
) -> Option<Vec<u8>> {
    let method = &spec.method;
    let mut out = format!(
        "{method} {} SIP/2.0\r\nVia: {}\r\nMax-Forwards: 70\r\n",
        spec.uri,
        local.via(branch)
    );
    for r in &spec.route {
        out.push_str(&format!("Route: {r}\r\n"));
    }
    out.push_str(&format!(
        "From: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {} {method}\r\n",
        spec.from, spec.to, spec.call_id, spec.cseq
    ));
    if spec.contact {
        out.push_str(&format!("Contact: {}\r\n", local.contact()));
    }
    if let Some((name, value)) = auth {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if method != "ACK" && method != "CANCEL" {
        out.push_str(&format!("Allow: {ALLOW}\r\n"));
    }
    out.push_str(&format!("User-Agent: {}\r\n", local.user_agent));
    let body = spec
        .body
        .as_ref()
        .map(|(ct, b)| (ct.as_str(), b.as_slice()));
    message::push_tail(&mut out, &spec.extra, body)
}

/// Splits a header value list on commas outside quotes and angle brackets.
pub(crate) fn split_commas(v: &str) -> Vec<String> {
    let (mut parts, mut cur, mut quoted, mut angle) = (Vec::new(), String::new(), false, false);
    for c in v.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                parts.push(std::mem::take(&mut cur).trim().to_owned());
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        parts.push(cur.trim().to_owned());
    }
    parts
}
