//! Schema-only mirrors of the policy tables other modules own (`emergency.*`, `location.*`, `notify.*`).
//!
//! Those types live in `emergency::policy`, `location::policy` and `notify::policy` and do not derive `JsonSchema`; rather
//! than edit them, the root [`super::model::Policy`] points schemars at these mirrors. A test checks that
//! each mirror has exactly the keys the real type serializes, and that the schema's allowed values agree
//! with the real type's `validate()`. Their `Default`s are placeholders: the schema's defaults are
//! filled from the real `Policy::default()` (so IT's schema can never drift from what the engine accepts).

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;

use crate::location::civic::CivicField;

/// `emergency.*`
#[allow(dead_code)]
#[derive(JsonSchema, Default, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmergencySchema {
    /// When the agent dials 112/911 or a home-country number where it is not native: map = dial the local
    /// emergency number instead (as mobile phones do); block = do not dial, explain and offer the local number.
    number_mismatch: NumberMismatchSchema,
    /// Callback lock after an emergency call ends, in minutes (RFC 6881 suggests about 30).
    #[schemars(range(min = 5, max = 120))]
    lock_minutes: u32,
    /// Presence forced during the emergency call and the callback lock ("available" is not allowed: the line
    /// must be kept free for the dispatcher's callback).
    status_during: StatusDuringSchema,
    /// Identities of emergency services calling back: SIP URIs (sip:psap@example.org, sip:*@psap.example),
    /// domains (@psap.example) or number patterns (+1555*, 911); * matches any run, ? one character.
    #[schemars(inner(length(min = 1)), inner(regex(pattern = r"\S")))]
    callback_from: Vec<String>,
    /// Keep a redial entry (the number only) for emergency calls in the call history.
    keep_redial_entry: bool,
    /// The emergency call's Request-URI: dialled = the number dialled at the SIP domain (what PBXs and trunks
    /// route); service_urn = urn:service:sos (NG9-1-1 / NG112 networks).
    request_uri: RequestUriSchema,
    /// Callers known to be ordinary traffic, turned away during the callback lock (patterns as in
    /// callback_from). Extensions and names (callers that are not a telephone number) need no entry.
    #[schemars(inner(length(min = 1)), inner(regex(pattern = r"\S")))]
    internal_callers: Vec<String>,
    /// A header the call queue adds to the calls it distributes (e.g. X-Queue): a call that carries it is
    /// ordinary traffic and is turned away during the callback lock.
    #[schemars(regex(pattern = r"^[A-Za-z0-9.!%*_+`'~-]+$"))]
    queue_call_header: Option<String>,
    /// During the callback lock, a caller with a telephone number (or a withheld one) that nothing marks as
    /// ordinary: callback = it rings as the dispatcher's callback (dispatchers call back from numbers nobody
    /// can list); refuse = 486 unless callback_from lists it or the network marks it (Priority).
    unlisted_callers: UnlistedCallersSchema,
    /// Run the emergency self-test every this many days (RFC 6881 ED-80/81: a test call to
    /// urn:service:test.sos checks the route answers and the location is delivered; the result goes to the
    /// audit log and the notification contacts). Leave it out for no scheduled self-test.
    #[schemars(range(min = 1, max = 365))]
    self_test_days: Option<u32>,
    /// What the dispatcher receives about the organisation, the service, the device and the agent with every
    /// emergency call (RFC 7852 ProviderInfo, ServiceInfo, DeviceInfo and SubscriberInfo blocks in the INVITE).
    additional_data: AdditionalDataSchema,
}

/// `emergency.additional_data.*`
#[allow(dead_code)]
#[derive(JsonSchema, Default, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdditionalDataSchema {
    /// Send the RFC 7852 additional-data blocks with every emergency call (on by default).
    enabled: bool,
    /// The organisation's name as the dispatcher reads it (the SIP domain when unset).
    #[schemars(
        length(min = 1, max = 256),
        regex(pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$")
    )]
    organisation: Option<String>,
    /// The organisation's 24/7 telephone number for the dispatcher, E.164 (e.g. +15125550100).
    #[schemars(regex(pattern = r"^\+[0-9]{8,15}$"))]
    contact_tel: Option<String>,
    /// The organisation's 24/7 SIP address for the dispatcher (sip: or sips:).
    #[schemars(
        regex(pattern = r#"^[sS][iI][pP][sS]?:[^\s<>"\x00-\x1F\x7F-\x9F]+$"#),
        length(max = 256)
    )]
    contact_uri: Option<String>,
    /// The organisation's 24/7 email address for the dispatcher.
    #[schemars(
        regex(
            pattern = r#"^[^\s@<>"\x00-\x1F\x7F-\x9F]+@[^\s@<>"\x00-\x1F\x7F-\x9F]+\.[^\s@<>"\x00-\x1F\x7F-\x9F]+$"#
        ),
        length(max = 256)
    )]
    contact_email: Option<String>,
    /// Languages spoken at that contact, as language tags (en, fr-CA); at most 8.
    #[schemars(
        length(max = 8),
        inner(regex(pattern = r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"))
    )]
    languages: Vec<String>,
    /// The agents' phone system (RFC 7852 service type): mlts_hosted = a hosted PBX (MLTS-hosted), mlts_local =
    /// the organisation's own PBX (MLTS-local).
    service_type: ServiceTypeSchema,
    /// What the agent's computer is (RFC 7852 device classification); left out when unset.
    device_classification: Option<DeviceClassificationSchema>,
    /// Ask the dispatcher to keep the agent's data private (the SubscriberInfo block's privacyRequested).
    privacy_requested: bool,
}

#[allow(dead_code)]
#[derive(JsonSchema, Default, Serialize)]
#[serde(rename_all = "snake_case")]
enum ServiceTypeSchema {
    #[default]
    MltsHosted,
    MltsLocal,
}

#[allow(dead_code)]
#[derive(JsonSchema, Serialize)]
#[serde(rename_all = "snake_case")]
enum DeviceClassificationSchema {
    Desktop,
    Laptop,
    Tablet,
}

#[allow(dead_code)]
#[derive(JsonSchema, Default, Serialize)]
#[serde(rename_all = "snake_case")]
enum UnlistedCallersSchema {
    #[default]
    Callback,
    Refuse,
}

#[allow(dead_code)]
#[derive(JsonSchema, Default, Serialize)]
#[serde(rename_all = "snake_case")]
enum RequestUriSchema {
    #[default]
    Dialled,
    ServiceUrn,
}

#[allow(dead_code)]
#[derive(JsonSchema, Default, Serialize)]
#[serde(rename_all = "snake_case")]
enum NumberMismatchSchema {
    #[default]
    Map,
    Block,
}

#[allow(dead_code)]
#[derive(JsonSchema, Default, Serialize)]
#[serde(rename_all = "snake_case")]
enum StatusDuringSchema {
    Busy,
    #[default]
    DoNotDisturb,
    Away,
    WorkingOffline,
}

/// `location.*`
#[allow(dead_code)]
#[derive(JsonSchema, Default, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocationSchema {
    /// One fixed civic address for every agent this policy reaches (RFC 5139 element names).
    address: Option<CivicAddressSchema>,
    /// Subnet -> address map: an agent on one of these networks is located at its address.
    networks: Vec<NetworkSchema>,
    /// A HELD (RFC 5985) location server asked before each emergency call: https:// (http:// only on the
    /// agent's own machine or in a lab; a plain http:// server elsewhere is not asked).
    #[schemars(regex(pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/]+(/\S*)?$"))]
    held_url: Option<String>,
    /// Ask the agent to confirm their location on a network the map does not know.
    prompt_unknown_network: bool,
    /// The country the agents dial from while no location is known (ISO 3166 alpha-2, e.g. GB): its
    /// emergency numbers are recognised. Without it and without a location, an emergency number of any
    /// supported country is treated as one.
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    country: Option<String>,
}

/// One `location.networks` entry.
#[allow(dead_code)]
#[derive(JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
struct NetworkSchema {
    /// The subnet, e.g. 10.20.0.0/16 or 2001:db8:20::/48.
    #[schemars(regex(pattern = r"^[0-9A-Fa-f:.]+/[0-9]{1,3}$"))]
    cidr: String,
    address: CivicAddressSchema,
    /// A name IT recognises ("HQ floor 3"), shown to the agent.
    #[serde(default)]
    label: Option<String>,
}

/// A civic address: `country` (ISO 3166 alpha-2), optional `lang`, and RFC 5139 elements (A1..A6, RD, HNO,
/// FLR, ROOM, PC...). Whether it is dispatchable is checked by the engine, not by the schema.
#[derive(Serialize)]
pub struct CivicAddressSchema;

impl JsonSchema for CivicAddressSchema {
    fn schema_name() -> Cow<'static, str> {
        "CivicAddress".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut props = serde_json::Map::new();
        props.insert(
            "country".into(),
            serde_json::json!({"type": "string", "pattern": "^[A-Za-z]{2}$",
                               "description": "ISO 3166 alpha-2 country code, e.g. US, GB"}),
        );
        props.insert(
            "lang".into(),
            serde_json::json!({"type": "string", "description": "Language of the values, e.g. en"}),
        );
        for f in CivicField::ALL {
            props.insert(
                f.as_str().into(),
                serde_json::json!({"type": "string", "minLength": 1, "maxLength": 256}),
            );
        }
        let mut s = json_schema!({
            "type": "object",
            "required": ["country"],
            "additionalProperties": false,
        });
        s.insert("description".into(), Self::DESCRIPTION.into());
        s.insert("properties".into(), serde_json::Value::Object(props));
        s
    }
}

impl CivicAddressSchema {
    const DESCRIPTION: &'static str = "A civic address with RFC 5139 element names: country (ISO 3166 \
        alpha-2), A1 (state), A3 (city), RD (street), HNO (house number), FLR, ROOM, PC (postcode)...";
}

/// `notify.*`
#[allow(dead_code)]
#[derive(JsonSchema, Default, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifySchema {
    /// The mail server emergency notifications are sent through (host and from are required); without it,
    /// email_to cannot be delivered.
    smtp: Option<SmtpSchema>,
    /// Addresses that get an email for each emergency call and its follow-ups.
    #[schemars(inner(regex(pattern = r"^[^@]+@[^@]+$")))]
    email_to: Vec<String>,
    /// More addresses like email_to, each with the language its mails are written in: {"address",
    /// "locale"} (e.g. "pt-BR", "th"; English when unset).
    email_contacts: Vec<EmailContactSchema>,
    /// URLs that get a POST for each emergency call and its follow-ups.
    webhooks: Vec<WebhookSchema>,
    /// Overrides of the built-in notification templates (minijinja syntax).
    templates: TemplatesSchema,
}

/// One `notify.email_contacts` entry.
#[allow(dead_code)]
#[derive(JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
struct EmailContactSchema {
    #[schemars(regex(pattern = r"^[^@]+@[^@]+$"))]
    address: String,
    /// Language tag of the notices to this contact, e.g. "pt-BR", "th"; English when unset.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"))]
    locale: Option<String>,
}

/// `notify.smtp`
#[allow(dead_code)]
#[derive(JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
struct SmtpSchema {
    /// Host name of the mail server.
    #[schemars(length(min = 1, max = 253))]
    host: String,
    /// TCP port; default 25 for none, 587 for starttls, 465 for tls.
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    port: Option<u16>,
    /// Transport security: none (trusted relay only), starttls (default) or tls (from the first byte).
    #[serde(default)]
    tls: SmtpTlsSchema,
    /// The sender address, e.g. "Lifeline <lifeline@example.com>".
    #[schemars(regex(pattern = "@"))]
    from: String,
    /// Login for SMTP AUTH; none means no authentication.
    #[serde(default)]
    user: Option<String>,
    /// Name of the OS keychain entry holding the SMTP password (never the password itself).
    #[serde(default)]
    #[schemars(length(min = 1, max = 256))]
    password_ref: Option<String>,
    /// Extra trusted root certificate (PEM file path) for a private mail server's CA.
    #[serde(default)]
    ca_file: Option<String>,
}

#[allow(dead_code)]
#[derive(JsonSchema, Default, Serialize)]
#[serde(rename_all = "snake_case")]
enum SmtpTlsSchema {
    None,
    #[default]
    Starttls,
    Tls,
}

/// One `notify.webhooks` entry.
#[allow(dead_code)]
#[derive(JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
struct WebhookSchema {
    /// https:// URL (http:// only to the agent's own machine, for a lab; other http:// URLs are refused).
    #[schemars(regex(pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/]+(/\S*)?$"))]
    url: String,
    /// Body format: generic (Lifeline's JSON; "json" is accepted too), slack, or teams (Adaptive Card).
    #[serde(default)]
    format: WebhookFormatSchema,
    /// Language tag of the texts posted, e.g. "pt-BR", "th"; English when unset.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"))]
    locale: Option<String>,
}

#[allow(dead_code)]
#[derive(JsonSchema, Default, Serialize)]
#[serde(rename_all = "snake_case")]
enum WebhookFormatSchema {
    #[default]
    Generic,
    Json,
    Slack,
    Teams,
}

/// `notify.templates`
#[allow(dead_code)]
#[derive(JsonSchema, Default, Serialize)]
#[serde(default, deny_unknown_fields)]
struct TemplatesSchema {
    /// Replaces the built-in email subject template.
    email_subject: Option<String>,
    /// Replaces the built-in email body template.
    email_body: Option<String>,
    /// Replaces the short text used by Slack, Teams (card title) and the generic webhook.
    chat_text: Option<String>,
}
