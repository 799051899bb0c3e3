//! Turns an [`EmergencyNotice`] into what each channel sends: an email (subject + text body), a generic
//! JSON body, a Slack message, a Teams Workflows Adaptive Card. Texts come from minijinja templates
//! (built-in ones in `assets/templates/notify/`, each overridable by `notify.templates`).

use minijinja::{context, Environment};
use serde::Serialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::notice::EmergencyNotice;
use super::policy::{TemplateOverrides, WebhookFormat};
use crate::location::{CivicAddress, CivicField, Location};

const EMAIL_SUBJECT: &str =
    include_str!("../../../../assets/templates/notify/email_subject.txt.j2");
const EMAIL_BODY: &str = include_str!("../../../../assets/templates/notify/email_body.txt.j2");
const CHAT_TEXT: &str = include_str!("../../../../assets/templates/notify/chat_text.md.j2");

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the notification template {name} is invalid: {source} (fix notify.templates.{name} in the policy)")]
    Template {
        name: &'static str,
        source: minijinja::Error,
    },
}

/// The rendered texts of one notice for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
    pub chat_text: String,
}

/// Renders the texts; `key` is the delivery's idempotency key (shown in the mail footer).
pub fn render(
    notice: &EmergencyNotice,
    key: &str,
    overrides: &TemplateOverrides,
) -> Result<Rendered, RenderError> {
    let ctx = template_context(notice, key);
    let one =
        |name: &'static str, builtin: &str, over: &Option<String>| -> Result<String, RenderError> {
            let mut env = Environment::new();
            env.set_keep_trailing_newline(false);
            let src = over.as_deref().unwrap_or(builtin);
            env.render_str(src, &ctx)
                .map_err(|source| RenderError::Template { name, source })
        };
    Ok(Rendered {
        subject: one("email_subject", EMAIL_SUBJECT, &overrides.email_subject)?
            .replace(['\r', '\n'], " "),
        body: one("email_body", EMAIL_BODY, &overrides.email_body)?,
        chat_text: one("chat_text", CHAT_TEXT, &overrides.chat_text)?,
    })
}

/// The JSON body a webhook of `format` receives.
pub fn webhook_body(
    format: WebhookFormat,
    notice: &EmergencyNotice,
    key: &str,
    r: &Rendered,
) -> Value {
    let loc = LocationView::of(notice.location.as_ref());
    match format {
        WebhookFormat::Generic => json!({
            "type": "lifeline.emergency",
            "version": 1,
            "idempotency_key": key,
            "notice_id": notice.notice_id(),
            "kind": notice.kind,
            "text": r.chat_text,
            "subject": r.subject,
            "agent": notice.agent,
            "caller_id": notice.caller_id,
            "callback_number": notice.callback_number,
            "location": notice.location.as_ref().map(|l| json!({
                "lines": loc.as_ref().map(|v| v.lines.clone()),
                "floor": loc.as_ref().and_then(|v| v.floor.clone()),
                "room": loc.as_ref().and_then(|v| v.room.clone()),
                "source": l.source.label(),
                "method": l.source.method(),
                "confirmed": !l.unconfirmed,
                "civic": l.address,
            })),
            "device": notice.device,
            "time_utc": notice.at.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap_or_default(),
            "time_local": local_time(notice).format(&Rfc3339).unwrap_or_default(),
            "time_zone": notice.agent_time_zone,
            "reason": notice.reason,
        }),
        WebhookFormat::Slack => json!({
            "text": r.chat_text,
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": truncate(&r.subject, 150)}},
                {"type": "section", "text": {"type": "mrkdwn", "text": r.chat_text}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": format!("Lifeline key `{key}`")}]},
            ],
        }),
        WebhookFormat::Teams => {
            let facts: Vec<Value> = facts(notice, loc.as_ref())
                .into_iter()
                .map(|(title, value)| json!({"title": title, "value": value}))
                .collect();
            json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": null,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {"type": "TextBlock", "text": r.subject, "weight": "Bolder", "size": "Medium",
                             "color": "Attention", "wrap": true},
                            {"type": "FactSet", "facts": facts},
                            {"type": "TextBlock", "text": format!("Lifeline key {key}"), "isSubtle": true,
                             "size": "Small", "wrap": true},
                        ],
                    },
                }],
            })
        }
    }
}

fn facts(n: &EmergencyNotice, loc: Option<&LocationView>) -> Vec<(&'static str, String)> {
    let dash = || "-".to_owned();
    vec![
        ("Agent", agent_name(n)),
        ("Extension/line", n.agent.line.clone().unwrap_or_else(dash)),
        ("Caller ID sent", n.caller_id.clone().unwrap_or_else(dash)),
        (
            "Callback number",
            n.callback_number.clone().unwrap_or_else(dash),
        ),
        (
            "Location",
            loc.map_or_else(|| "none sent".to_owned(), |l| l.lines.join(", ")),
        ),
        (
            "Floor",
            loc.and_then(|l| l.floor.clone()).unwrap_or_else(dash),
        ),
        (
            "Room",
            loc.and_then(|l| l.room.clone()).unwrap_or_else(dash),
        ),
        (
            "Location source",
            loc.map_or_else(dash, |l| l.source_text.clone()),
        ),
        ("Host", n.device.host_name.clone()),
        (
            "IP addresses",
            n.device
                .ip_addresses
                .iter()
                .map(|ip| ip.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("Agent's time", local_text(n)),
        ("UTC", utc_text(n)),
    ]
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// What templates see of the location.
#[derive(Debug, Clone, Serialize)]
struct LocationView {
    /// Street, building, city, country lines (floor and room are separate).
    lines: Vec<String>,
    floor: Option<String>,
    room: Option<String>,
    /// e.g. "network map (method Manual)".
    source_text: String,
    source: &'static str,
}

impl LocationView {
    fn of(l: Option<&Location>) -> Option<LocationView> {
        let l = l?;
        let a = &l.address;
        let source_text = match l.source.label() {
            "network-map" => "network map".to_owned(),
            "held" => format!("location server (HELD, method {})", l.source.method()),
            "agent" if l.unconfirmed => {
                "entered by the agent, not confirmed on the network they are on now".to_owned()
            }
            "agent" => "entered by the agent".to_owned(),
            other => other.to_owned(),
        };
        Some(LocationView {
            lines: address_lines(a),
            floor: a.get(CivicField::Flr).map(str::to_owned),
            room: a.get(CivicField::Room).map(str::to_owned),
            source_text,
            source: l.source.label(),
        })
    }
}

/// A postal rendering of a civic address (floor and room are reported separately).
pub fn address_lines(a: &CivicAddress) -> Vec<String> {
    use CivicField as F;
    let join = |fields: &[F]| -> String {
        fields
            .iter()
            .filter_map(|f| a.get(*f))
            .filter(|v| !v.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut lines = Vec::new();
    for part in [
        join(&[F::Nam]),
        join(&[F::Bld]),
        join(&[F::Unit, F::Seat]),
        join(&[F::Hno, F::Hns, F::Prd, F::Rd, F::A6, F::Sts, F::Pod]),
        join(&[F::Lmk]),
        join(&[F::Loc]),
        [
            join(&[F::A3]),
            join(&[F::Pcn]),
            join(&[F::A1]),
            join(&[F::Pc]),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", "),
        a.country.clone(),
    ] {
        if !part.is_empty() {
            lines.push(part);
        }
    }
    lines
}

fn agent_name(n: &EmergencyNotice) -> String {
    match &n.agent.display_name {
        Some(d) if !d.is_empty() => format!("{d} ({})", n.agent.user),
        _ => n.agent.user.clone(),
    }
}

fn local_time(n: &EmergencyNotice) -> OffsetDateTime {
    n.at.to_offset(n.agent_utc_offset)
}

fn local_text(n: &EmergencyNotice) -> String {
    let t = local_time(n);
    let off = t.offset();
    let sign = if off.is_negative() { '-' } else { '+' };
    let text = format!(
        "{} UTC{sign}{:02}:{:02}",
        clock(t),
        off.whole_hours().unsigned_abs(),
        off.minutes_past_hour().unsigned_abs()
    );
    match &n.agent_time_zone {
        Some(z) => format!("{text} ({z})"),
        None => text,
    }
}

fn utc_text(n: &EmergencyNotice) -> String {
    format!("{} UTC", clock(n.at.to_offset(time::UtcOffset::UTC)))
}

fn clock(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn template_context(n: &EmergencyNotice, key: &str) -> minijinja::Value {
    context! {
        kind => n.kind.as_str(),
        call_id => n.call_id,
        key => key,
        agent => context! {
            user => n.agent.user,
            display_name => n.agent.display_name,
            line => n.agent.line,
            name => agent_name(n),
        },
        caller_id => n.caller_id,
        callback_number => n.callback_number,
        location => LocationView::of(n.location.as_ref()),
        device => context! {
            host_name => n.device.host_name,
            ip_addresses => n.device.ip_addresses.iter().map(|ip| ip.to_string()).collect::<Vec<_>>(),
        },
        time_local => local_text(n),
        time_utc => utc_text(n),
        time_zone => n.agent_time_zone,
        reason => n.reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::{sample_notice, NoticeKind};

    #[test]
    fn an_agent_entry_not_confirmed_on_this_network_is_said_so() {
        let mut n = sample_notice();
        if let Some(l) = n.location.as_mut() {
            l.source = crate::location::LocationSource::AgentEntry;
            l.unconfirmed = true;
        }
        let r = render(&n, "k123", &TemplateOverrides::default()).expect("render");
        let want = "entered by the agent, not confirmed on the network they are on now";
        assert!(r.body.contains(want), "{}", r.body);
        assert!(r.chat_text.contains(want), "{}", r.chat_text);
        let g = webhook_body(WebhookFormat::Generic, &n, "k123", &r);
        assert_eq!(g["location"]["confirmed"], false);
    }

    #[test]
    fn email_names_every_field_the_issue_asks_for() {
        let n = sample_notice();
        let r = render(&n, "k123", &TemplateOverrides::default()).expect("render");
        assert!(
            r.subject
                .starts_with("EMERGENCY CALL placed by Ada Agent (agent)"),
            "{}",
            r.subject
        );
        for want in [
            "agent",
            "Ada Agent",
            "sip:agent@lifeline.lab",
            "+15555550100",
            "+15555550199",
            "1600 Example Avenue",
            "Springfield, IL, 62701",
            "Floor:            3",
            "Room:             301",
            "network map",
            "lab-host",
            "192.0.2.10",
            "2026-11-21 16:00:00 UTC-05:00 (America/New_York)",
            "2026-11-21 21:00:00 UTC",
            "k123",
        ] {
            assert!(r.body.contains(want), "missing {want:?} in\n{}", r.body);
        }
    }

    #[test]
    fn follow_ups_say_what_happened() {
        let mut n = sample_notice();
        n.kind = NoticeKind::Dropped;
        n.reason = Some("network lost".into());
        let r = render(&n, "k", &TemplateOverrides::default()).expect("render");
        assert!(r.subject.contains("DROPPED"));
        assert!(r.body.contains("network lost"));
    }

    #[test]
    fn a_location_change_says_so_with_the_new_location_and_each_change_is_its_own_notice() {
        let mut n = sample_notice();
        n.kind = NoticeKind::LocationChanged;
        let r = render(&n, "k", &TemplateOverrides::default()).expect("render");
        assert!(r.subject.contains("LOCATION CHANGED"), "{}", r.subject);
        assert!(r.chat_text.contains("CHANGED"), "{}", r.chat_text);
        assert!(!r.chat_text.contains("DROPPED"), "{}", r.chat_text);
        assert!(
            r.body.contains("CHANGED during the emergency call"),
            "{}",
            r.body
        );
        let first = n.notice_id();
        n.at += time::Duration::minutes(3);
        assert_ne!(
            n.notice_id(),
            first,
            "a second change is not deduplicated away"
        );
    }

    #[test]
    fn self_test_reports_say_passed_or_failed_and_why() {
        let mut n = sample_notice();
        n.kind = NoticeKind::SelfTestPassed;
        let r = render(&n, "k", &TemplateOverrides::default()).expect("render");
        assert!(r.subject.contains("self-test passed"), "{}", r.subject);
        assert!(!r.subject.contains("DROPPED") && !r.chat_text.contains("DROPPED"));
        n.kind = NoticeKind::SelfTestFailed;
        n.reason = Some("the emergency route did not answer".into());
        let r = render(&n, "k", &TemplateOverrides::default()).expect("render");
        assert!(r.subject.contains("self-test FAILED"), "{}", r.subject);
        assert!(r.body.contains("did not answer") && r.chat_text.contains("FAILED"));
    }

    #[test]
    fn policy_template_overrides_the_builtin_one() {
        let o = TemplateOverrides {
            email_subject: Some("SOS {{ agent.user }} {{ kind }}".into()),
            ..Default::default()
        };
        let r = render(&sample_notice(), "k", &o).expect("render");
        assert_eq!(r.subject, "SOS agent dialed");
    }

    #[test]
    fn a_broken_override_is_an_error_naming_the_template() {
        let o = TemplateOverrides {
            chat_text: Some("{% if %}".into()),
            ..Default::default()
        };
        let e = render(&sample_notice(), "k", &o).expect_err("must fail");
        assert!(e.to_string().contains("chat_text"));
    }

    #[test]
    fn teams_card_is_an_adaptive_card_attachment() {
        let n = sample_notice();
        let r = render(&n, "k", &TemplateOverrides::default()).expect("render");
        let v = webhook_body(WebhookFormat::Teams, &n, "k", &r);
        assert_eq!(
            v["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(v["attachments"][0]["content"]["type"], "AdaptiveCard");
        let s = webhook_body(WebhookFormat::Slack, &n, "k", &r);
        assert!(s["text"]
            .as_str()
            .is_some_and(|t| t.contains("EMERGENCY CALL")));
        let g = webhook_body(WebhookFormat::Generic, &n, "k", &r);
        assert_eq!(g["location"]["source"], "network-map");
        assert_eq!(g["idempotency_key"], "k");
    }
}
