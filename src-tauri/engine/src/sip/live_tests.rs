//! SIP meets media against the running lab (Kamailio + rtpengine + the baresip dispatcher): real calls with
//! the real WebRTC session's SDP. Ignored by default because they need the lab; run them with
//! `cargo test -p lifeline-engine --lib sip::live_tests -- --ignored --test-threads=1`
//! (tests/engine/test_sip_calls.py does, after making sure the lab is up).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use super::call::{CallEvent, OutgoingCall};
use super::driver::{spawn, SipCommand, SipConfig, SipEvent, SipHandle};
use crate::api::RegistrationState;
use crate::audio::AudioPort;
use crate::media::{MediaConfig, MediaEvent, MediaSession};

type Events = mpsc::Receiver<(u64, SipEvent)>;

async fn signed_in(user: &str) -> (SipHandle, Events) {
    let (tx, mut rx) = mpsc::channel(256);
    let cfg = SipConfig {
        server: "ws://127.0.0.1:8080".into(),
        domain: "lifeline.lab".into(),
        user: user.into(),
        password: format!("{user}-secret"),
        tls_ca_file: None,
        lab: true,
        allow_insecure_ws: false,
        emergency_plain_server: None,
        expires: 600,
        keepalive: super::driver::KEEPALIVE,
        callback_rules: Default::default(),
    };
    let h = spawn(cfg, 1, tx);
    loop {
        match next(&mut rx).await {
            SipEvent::Registration {
                state: RegistrationState::Registered,
                ..
            } => break,
            SipEvent::Registration {
                state: RegistrationState::Failed,
                reason,
                ..
            } => panic!("registration failed: {reason:?}"),
            _ => {}
        }
    }
    (h, rx)
}

async fn next(rx: &mut Events) -> SipEvent {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("a SIP event in time")
        .expect("open")
        .1
}

async fn next_call(rx: &mut Events) -> CallEvent {
    loop {
        if let SipEvent::Call(c) = next(rx).await {
            return c;
        }
    }
}

/// The first media event that `want`s, or what went wrong instead (failure, or nothing within `secs`).
async fn media_until(
    rx: &mut mpsc::UnboundedReceiver<MediaEvent>,
    secs: u64,
    want: fn(&MediaEvent) -> bool,
) -> Result<MediaEvent, String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let ev = match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ev)) => ev,
            Ok(None) => return Err("media session closed".into()),
            Err(_) => return Err(format!("nothing within {secs} s")),
        };
        if let MediaEvent::Failed { reason, .. } = &ev {
            return Err(reason.clone());
        }
        if want(&ev) {
            return Ok(ev);
        }
    }
}

/// The SDP's media direction attribute.
fn direction(sdp: &str) -> Option<&str> {
    sdp.lines()
        .map(str::trim)
        .find(|l| ["a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"].contains(l))
}

/// Puts the first ICE candidate's address and port into `c=` and `m=` (JSEP, RFC 8829 5.2.1: once
/// candidates are gathered, the default candidate goes there). The WebRTC stack leaves `0.0.0.0` and
/// port 9, which rtpengine (with `trust-address`) takes for "on hold" and answers a=recvonly: no audio.
/// A no-op once the media layer fills them itself.
fn with_default_candidate(sdp: &str) -> String {
    let Some(cand) = sdp.lines().find(|l| l.starts_with("a=candidate:")) else {
        return sdp.to_owned();
    };
    let f: Vec<&str> = cand.split_whitespace().collect();
    let (Some(ip), Some(port)) = (f.get(4), f.get(5)) else {
        return sdp.to_owned();
    };
    sdp.lines()
        .map(|l| {
            if l.starts_with("m=audio 9 ") {
                l.replacen("m=audio 9 ", &format!("m=audio {port} "), 1)
            } else if l == "c=IN IP4 0.0.0.0" {
                format!("c=IN IP4 {ip}")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n"
}

/// One baresip ctrl_tcp command (netstring-framed JSON).
async fn psap(command: &str, params: &str) {
    let mut s = TcpStream::connect("127.0.0.1:5555")
        .await
        .expect("dispatcher ctrl_tcp");
    let json =
        serde_json::json!({"command": command, "params": params, "token": "sip-live"}).to_string();
    s.write_all(format!("{}:{},", json.len(), json).as_bytes())
        .await
        .expect("write");
    let mut buf = [0u8; 512];
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await;
}

#[tokio::test]
#[ignore = "needs the lab (tests/lab/start)"]
async fn live_call_to_933_reaches_the_dispatcher_with_media_and_hangs_up() {
    let (h, mut rx) = signed_in("agent").await;
    let cfg = MediaConfig {
        emergency: true,
        ..MediaConfig::default()
    };
    let (mut media, mut media_rx) = MediaSession::new(cfg, AudioPort::detached())
        .await
        .expect("media session");
    let offer = with_default_candidate(&media.create_offer().await.expect("offer"));
    let (reply, answer) = oneshot::channel();
    let call = OutgoingCall {
        target: "sip:933@lifeline.lab".into(),
        content_type: "application/sdp".into(),
        body: offer.clone().into_bytes(),
        extra_headers: vec![],
        ..Default::default()
    };
    h.commands
        .send(SipCommand::Invite { call, reply })
        .await
        .expect("send");
    let id = answer.await.expect("reply").expect("invite accepted");
    let mut connected = false;
    while !connected {
        match next_call(&mut rx).await {
            CallEvent::RemoteAnswer { id: i, sdp } if i == id => {
                assert_eq!(
                    direction(&sdp),
                    Some("a=sendrecv"),
                    "the dispatcher talks back"
                );
                media.set_remote_answer(&sdp).await.expect("answer applied")
            }
            CallEvent::Connected { id: i } if i == id => connected = true,
            CallEvent::Ended { code, reason, .. } => panic!("call ended: {code:?} {reason}"),
            _ => {}
        }
    }
    // The SDP went through SIP intact: ICE and DTLS come up with rtpengine.
    let up = media_until(&mut media_rx, 15, |e| {
        matches!(e, MediaEvent::Connected { .. })
    })
    .await;
    assert!(up.is_ok(), "media did not connect: {up:?}");
    let first = media_until(&mut media_rx, 10, |e| {
        matches!(e, MediaEvent::FirstPacket { .. })
    })
    .await;
    println!("outgoing call: media {up:?}, first packet from the dispatcher: {first:?}");
    assert!(first.is_ok(), "no audio from the dispatcher: {first:?}");

    // Hold and resume are re-INVITEs in the dialog (through Kamailio's Record-Route and rtpengine).
    for (ours, held) in [("a=sendonly", true), ("a=sendrecv", false)] {
        let sdp = offer.replace("a=sendrecv", ours);
        h.commands
            .send(SipCommand::Reinvite { id, sdp })
            .await
            .expect("send");
        match next_call(&mut rx).await {
            CallEvent::RemoteAnswer { id: i, sdp } if i == id => {
                // Held: the far end only receives; resumed: both ways again.
                let want = if held { "a=recvonly" } else { "a=sendrecv" };
                assert_eq!(direction(&sdp), Some(want), "re-INVITE with {ours}");
            }
            other => panic!("re-INVITE {ours}: {other:?}"),
        }
    }

    h.commands
        .send(SipCommand::Hangup { id })
        .await
        .expect("send");
    assert!(matches!(next_call(&mut rx).await, CallEvent::Ended { id: i, .. } if i == id));
    media.close().await;
    h.commands.send(SipCommand::SignOut).await.expect("send");
    let _ = tokio::time::timeout(Duration::from_secs(5), h.task).await;
}

#[tokio::test]
#[ignore = "needs the lab (tests/lab/start)"]
async fn live_call_from_the_dispatcher_rings_is_answered_with_media_and_ended_by_it() {
    let (h, mut rx) = signed_in("agent2").await;
    psap("dial", "sip:agent2@lifeline.lab").await;
    let (id, offer) = match next_call(&mut rx).await {
        CallEvent::Incoming { id, offer, facts } => {
            assert!(facts.from.contains("psap"), "{}", facts.from);
            (id, offer.expect("the dispatcher offers SDP"))
        }
        other => panic!("expected an incoming call, got {other:?}"),
    };
    let (mut media, mut media_rx) =
        MediaSession::new(MediaConfig::default(), AudioPort::detached())
            .await
            .expect("media");
    let sdp = with_default_candidate(&media.accept_offer(&offer).await.expect("answer"));
    if std::env::var_os("SIP_LIVE_DUMP").is_some() {
        println!("OFFER FROM THE DISPATCHER:\n{offer}\nOUR ANSWER:\n{sdp}");
    }
    h.commands
        .send(SipCommand::Answer { id, sdp })
        .await
        .expect("send");
    assert_eq!(next_call(&mut rx).await, CallEvent::Connected { id });
    let up = media_until(&mut media_rx, 10, |e| {
        matches!(e, MediaEvent::Connected { .. })
    })
    .await;
    let first = media_until(&mut media_rx, 10, |e| {
        matches!(e, MediaEvent::FirstPacket { .. })
    })
    .await;
    println!("incoming call: media {up:?}, first packet from the dispatcher: {first:?}");

    psap("hangup", "").await;
    assert!(matches!(next_call(&mut rx).await, CallEvent::Ended { id: i, .. } if i == id));
    media.close().await;
    h.commands.send(SipCommand::SignOut).await.expect("send");
    let _ = tokio::time::timeout(Duration::from_secs(5), h.task).await;
}

#[tokio::test]
#[ignore = "needs the lab (tests/lab/start)"]
async fn live_call_from_the_dispatcher_rejected_with_486_ends_here() {
    let (h, mut rx) = signed_in("agent2").await;
    psap("dial", "sip:agent2@lifeline.lab").await;
    let id = match next_call(&mut rx).await {
        CallEvent::Incoming { id, .. } => id,
        other => panic!("expected an incoming call, got {other:?}"),
    };
    h.commands
        .send(SipCommand::Reject { id, code: 486 })
        .await
        .expect("send");
    assert!(
        matches!(next_call(&mut rx).await, CallEvent::Ended { id: i, code: Some(486), .. } if i == id)
    );
    // The line stays usable: the dispatcher can call again and ring here.
    tokio::time::sleep(Duration::from_millis(500)).await;
    psap("dial", "sip:agent2@lifeline.lab").await;
    let again = match next_call(&mut rx).await {
        CallEvent::Incoming { id, .. } => id,
        other => panic!("expected a second incoming call, got {other:?}"),
    };
    h.commands
        .send(SipCommand::Reject {
            id: again,
            code: 603,
        })
        .await
        .expect("send");
    assert!(matches!(
        next_call(&mut rx).await,
        CallEvent::Ended {
            code: Some(603),
            ..
        }
    ));
    h.commands.send(SipCommand::SignOut).await.expect("send");
    let _ = tokio::time::timeout(Duration::from_secs(5), h.task).await;
}
