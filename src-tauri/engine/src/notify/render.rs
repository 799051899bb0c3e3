//! Turns an [`EmergencyNotice`] into what each channel sends: an email (subject + text body), a generic
//! JSON body, a Slack message, a Teams Workflows Adaptive Card, in the recipient's language. The layout
//! comes from minijinja templates (built-in ones in `assets/templates/notify/`, each overridable by
//! `notify.templates`); their words from the shared catalogue (`assets/i18n/<locale>/notify.ftl`) through
//! the templates' `t(id, name=value...)` function; dates and times are formatted for the recipient's locale.

use std::sync::Arc;

use minijinja::value::Kwargs;
use minijinja::{context, Environment};
use serde::Serialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::notice::EmergencyNotice;
use super::policy::{TemplateOverrides, WebhookFormat};
use crate::i18n::Messages;
use crate::location::{CivicAddress, CivicField, Location};

const EMAIL_SUBJECT: &str =
    include_str!("../../../../assets/templates/notify/email_subject.txt.j2");
const EMAIL_BODY: &str = include_str!("../../../../assets/templates/notify/email_body.txt.j2");
const CHAT_TEXT: &str = include_str!("../../../../assets/templates/notify/chat_text.md.j2");

/// Where the values of the email's fields start ("  User:" then spaces to this column).
const FIELD_WIDTH: usize = 18;

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
    /// The language it was written in (the recipient's, e.g. "pt-BR").
    pub locale: String,
}

/// Renders the texts in `locale` (a contact's, e.g. "pt-BR"; English when none we know); `key` is the
/// delivery's idempotency key (shown in the mail footer).
pub fn render(
    notice: &EmergencyNotice,
    key: &str,
    overrides: &TemplateOverrides,
    locale: &str,
) -> Result<Rendered, RenderError> {
    let messages = Arc::new(Messages::for_locale(locale));
    let ctx = template_context(notice, key, &messages);
    let one =
        |name: &'static str, builtin: &str, over: &Option<String>| -> Result<String, RenderError> {
            let mut env = Environment::new();
            env.set_keep_trailing_newline(false);
            let words = Arc::clone(&messages);
            env.add_function(
                "t",
                move |id: &str, kwargs: Kwargs| -> Result<String, minijinja::Error> {
                    let mut args = Vec::new();
                    for name in kwargs.args() {
                        let value: minijinja::Value = kwargs.get(name)?;
                        args.push((
                            name.to_owned(),
                            if value.is_none() {
                                String::new()
                            } else {
                                value.to_string()
                            },
                        ));
                    }
                    let args: Vec<(&str, &str)> =
                        args.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                    Ok(words.text(id, &args))
                },
            );
            // A field name with its colon, padded so that the values line up (column 18, as before).
            let labels = Arc::clone(&messages);
            env.add_function("field", move |id: &str| -> String {
                let label = format!("{}:", labels.text(id, &[]));
                let width = label.chars().count();
                format!(
                    "{label}{}",
                    " ".repeat(FIELD_WIDTH.saturating_sub(width).max(1))
                )
            });
            let src = over.as_deref().unwrap_or(builtin);
            env.render_str(src, &ctx)
                .map_err(|source| RenderError::Template { name, source })
        };
    Ok(Rendered {
        subject: one("email_subject", EMAIL_SUBJECT, &overrides.email_subject)?
            .replace(['\r', '\n'], " "),
        body: one("email_body", EMAIL_BODY, &overrides.email_body)?,
        chat_text: one("chat_text", CHAT_TEXT, &overrides.chat_text)?,
        locale: locale.to_owned(),
    })
}

/// The JSON body a webhook of `format` receives.
pub fn webhook_body(
    format: WebhookFormat,
    notice: &EmergencyNotice,
    key: &str,
    r: &Rendered,
) -> Value {
    let messages = &Messages::for_locale(&r.locale);
    let loc = LocationView::of(notice.location.as_ref(), messages);
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
            let facts: Vec<Value> = facts(notice, loc.as_ref(), messages)
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

fn facts(n: &EmergencyNotice, loc: Option<&LocationView>, m: &Messages) -> Vec<(String, String)> {
    let dash = || "-".to_owned();
    let label = |id: &str| m.text(id, &[]);
    vec![
        (label("notify-heading-agent"), agent_name(n)),
        (
            label("notify-field-line"),
            n.agent.line.clone().unwrap_or_else(dash),
        ),
        (
            label("notify-field-caller_id"),
            n.caller_id.clone().unwrap_or_else(dash),
        ),
        (
            label("notify-field-callback"),
            n.callback_number.clone().unwrap_or_else(dash),
        ),
        (
            label("notify-field-location"),
            loc.map_or_else(|| label("notify-none_sent"), |l| l.lines.join(", ")),
        ),
        (
            label("notify-field-floor"),
            loc.and_then(|l| l.floor.clone()).unwrap_or_else(dash),
        ),
        (
            label("notify-field-room"),
            loc.and_then(|l| l.room.clone()).unwrap_or_else(dash),
        ),
        (
            label("notify-field-location_source"),
            loc.map_or_else(dash, |l| l.source_text.clone()),
        ),
        (label("notify-field-host"), n.device.host_name.clone()),
        (
            label("notify-field-ip"),
            n.device
                .ip_addresses
                .iter()
                .map(|ip| ip.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (label("notify-field-agent_time"), local_text(n, m)),
        (label("notify-field-utc"), utc_text(n)),
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
    fn of(l: Option<&Location>, m: &Messages) -> Option<LocationView> {
        let l = l?;
        let a = &l.address;
        let source_text = match l.source.label() {
            "network-map" => m.text("notify-source-network_map", &[]),
            "held" => m.text("notify-source-held", &[("method", l.source.method())]),
            "agent" if l.unconfirmed => m.text("notify-source-agent_unconfirmed", &[]),
            "agent" => m.text("notify-source-agent", &[]),
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

/// The agent's local time for the reader: the date and time as `m`'s locale writes them, the UTC offset,
/// and the agent's time zone when known ("21 de nov. de 2026 16:00:00 UTC-05:00 (America/New_York)").
fn local_text(n: &EmergencyNotice, m: &Messages) -> String {
    let t = local_time(n);
    let off = t.offset();
    let sign = if off.is_negative() { '-' } else { '+' };
    let text = format!(
        "{} UTC{sign}{:02}:{:02}",
        m.date_time(time::PrimitiveDateTime::new(t.date(), t.time()))
            .unwrap_or_else(|| clock(t)),
        off.whole_hours().unsigned_abs(),
        off.minutes_past_hour().unsigned_abs()
    );
    match &n.agent_time_zone {
        Some(z) => format!("{text} ({z})"),
        None => text,
    }
}

/// UTC as ISO 8601 in every language: the reference time the readers and their tools compare.
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

fn template_context(n: &EmergencyNotice, key: &str, m: &Messages) -> minijinja::Value {
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
        location => LocationView::of(n.location.as_ref(), m),
        device => context! {
            host_name => n.device.host_name,
            ip_addresses => n.device.ip_addresses.iter().map(|ip| ip.to_string()).collect::<Vec<_>>(),
        },
        time_local => local_text(n, m),
        time_utc => utc_text(n),
        locale => m.catalogue(),
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
        let r = render(&n, "k123", &TemplateOverrides::default(), "en").expect("render");
        let want = "entered by the agent, not confirmed on the network they are on now";
        assert!(r.body.contains(want), "{}", r.body);
        assert!(r.chat_text.contains(want), "{}", r.chat_text);
        let g = webhook_body(WebhookFormat::Generic, &n, "k123", &r);
        assert_eq!(g["location"]["confirmed"], false);
    }

    #[test]
    fn email_names_every_field_the_issue_asks_for() {
        let n = sample_notice();
        let r = render(&n, "k123", &TemplateOverrides::default(), "en").expect("render");
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
            "Nov 21, 2026, 4:00:00\u{202f}PM UTC-05:00 (America/New_York)",
            "2026-11-21 21:00:00 UTC",
            "k123",
        ] {
            assert!(r.body.contains(want), "missing {want:?} in\n{}", r.body);
        }
    }

    #[test]
    fn a_notice_is_written_in_the_contacts_language_with_the_time_as_they_write_it() {
        let n = sample_notice();
        let pt = render(&n, "k1", &TemplateOverrides::default(), "pt-BR").expect("render");
        assert_eq!(
            pt.subject,
            "CHAMADA DE EMERGÊNCIA feita por Ada Agent (agent) (sip:agent@lifeline.lab)"
        );
        // Field names are padded to line the values up: compare with single spaces.
        let squeezed = |t: &str| {
            t.split(' ')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let pt_body = squeezed(&pt.body);
        for want in [
            "Ada Agent (agent) discou um número de emergência em 21 de nov. de 2026, 16:00:00 UTC-05:00 (America/New_York).",
            "Localização enviada aos serviços de emergência",
            "Andar: 3",
            "mapa da rede",
            "Horário do agente: 21 de nov. de 2026, 16:00:00 UTC-05:00 (America/New_York)",
            "Chave da mensagem k1",
        ] {
            assert!(pt_body.contains(want), "missing {want:?} in\n{}", pt.body);
        }
        assert!(
            pt.chat_text.contains("*CHAMADA DE EMERGÊNCIA* feita por"),
            "{}",
            pt.chat_text
        );

        let th = render(&n, "k2", &TemplateOverrides::default(), "th").expect("render");
        assert!(
            th.subject.starts_with("มีการโทรฉุกเฉินโดย Ada Agent (agent)"),
            "{}",
            th.subject
        );
        // The Thai date: the Buddhist era (2026 is 2569), Thai month abbreviation.
        let local = "21 พ.ย. 2569 16:00:00 UTC-05:00 (America/New_York)";
        assert!(
            th.body.contains(&format!("กดหมายเลขฉุกเฉินเมื่อ {local}")),
            "{}",
            th.body
        );
        assert!(
            squeezed(&th.body).contains("ชั้น: 3") && th.body.contains("แผนผังเครือข่าย"),
            "{}",
            th.body
        );

        let teams = webhook_body(WebhookFormat::Teams, &n, "k2", &th);
        let facts = &teams["attachments"][0]["content"]["body"][1]["facts"];
        assert_eq!(facts[0]["title"], "เจ้าหน้าที่");
        assert_eq!(
            render(&n, "k3", &TemplateOverrides::default(), "xx")
                .expect("render")
                .locale,
            "xx"
        );
    }

    #[test]
    fn an_unknown_language_gets_english() {
        let r =
            render(&sample_notice(), "k", &TemplateOverrides::default(), "tlh").expect("render");
        assert!(
            r.subject.starts_with("EMERGENCY CALL placed by"),
            "{}",
            r.subject
        );
    }

    #[test]
    fn follow_ups_say_what_happened() {
        let mut n = sample_notice();
        n.kind = NoticeKind::Dropped;
        n.reason = Some("network lost".into());
        let r = render(&n, "k", &TemplateOverrides::default(), "en").expect("render");
        assert!(r.subject.contains("DROPPED"));
        assert!(r.body.contains("network lost"));
    }

    #[test]
    fn a_location_change_says_so_with_the_new_location_and_each_change_is_its_own_notice() {
        let mut n = sample_notice();
        n.kind = NoticeKind::LocationChanged;
        let r = render(&n, "k", &TemplateOverrides::default(), "en").expect("render");
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
        let r = render(&n, "k", &TemplateOverrides::default(), "en").expect("render");
        assert!(r.subject.contains("self-test passed"), "{}", r.subject);
        assert!(!r.subject.contains("DROPPED") && !r.chat_text.contains("DROPPED"));
        n.kind = NoticeKind::SelfTestFailed;
        n.reason = Some("the emergency route did not answer".into());
        let r = render(&n, "k", &TemplateOverrides::default(), "en").expect("render");
        assert!(r.subject.contains("self-test FAILED"), "{}", r.subject);
        assert!(r.body.contains("did not answer") && r.chat_text.contains("FAILED"));
    }

    #[test]
    fn policy_template_overrides_the_builtin_one() {
        let o = TemplateOverrides {
            email_subject: Some("SOS {{ agent.user }} {{ kind }}".into()),
            ..Default::default()
        };
        let r = render(&sample_notice(), "k", &o, "en").expect("render");
        assert_eq!(r.subject, "SOS agent dialed");
    }

    #[test]
    fn a_broken_override_is_an_error_naming_the_template() {
        let o = TemplateOverrides {
            chat_text: Some("{% if %}".into()),
            ..Default::default()
        };
        let e = render(&sample_notice(), "k", &o, "en").expect_err("must fail");
        assert!(e.to_string().contains("chat_text"));
    }

    #[test]
    fn teams_card_is_an_adaptive_card_attachment() {
        let n = sample_notice();
        let r = render(&n, "k", &TemplateOverrides::default(), "en").expect("render");
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
