//! Two real `webrtc` 0.21 peer connections: the caller relay-only (`RTCIceTransportPolicy::Relay`) with its
//! TURN server — coturn taking TCP and TLS only — reachable only through the tunnel, the callee with host
//! candidates. They connect and exchange data-channel messages, and the caller's selected local candidate
//! is a relay whose URL maps back to the configured server. This is the wiring `MediaSession` needs.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use webrtc::data_channel::{DataChannel, DataChannelEvent};
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCConfigurationBuilder,
    RTCIceCandidateType, RTCIceGatheringState, RTCIceServer, RTCIceTransportPolicy,
    RTCPeerConnectionState, RTCSessionDescription, RTCStatsReportEntry, StatsSelector,
};

use super::coturn_tests::{client_ip, coturn};
use super::tunnel_tests::{lab_cert, options, LabCert, WAIT};
use super::{tunnel_ice_servers, TunnelError};
use crate::media::ice::IceServer;

/// What a peer connection tells the test.
enum Seen {
    Gathered,
    State(RTCPeerConnectionState),
    Channel(Arc<dyn DataChannel>),
}

struct Handler(mpsc::UnboundedSender<Seen>);

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.0.send(Seen::Gathered);
        }
    }
    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.0.send(Seen::State(state));
    }
    async fn on_data_channel(&self, channel: Arc<dyn DataChannel>) {
        let _ = self.0.send(Seen::Channel(channel));
    }
}

struct Peer {
    pc: Box<dyn PeerConnection>,
    seen: mpsc::UnboundedReceiver<Seen>,
}

async fn peer(servers: Vec<RTCIceServer>, policy: RTCIceTransportPolicy, ip: IpAddr) -> Peer {
    let (tx, seen) = mpsc::unbounded_channel();
    let config = RTCConfigurationBuilder::new()
        .with_ice_servers(servers)
        .with_ice_transport_policy(policy)
        .build();
    let pc = PeerConnectionBuilder::new()
        .with_configuration(config)
        .with_handler(Arc::new(Handler(tx)))
        .with_udp_addrs(vec![format!("{ip}:0")])
        .build()
        .await
        .expect("a peer connection");
    Peer {
        pc: Box::new(pc),
        seen,
    }
}

impl Peer {
    /// Waits for `want`, failing on a failed connection; other events are dropped, data channels kept.
    async fn wait(&mut self, what: &str, want: impl Fn(&Seen) -> bool) -> Seen {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            match tokio::time::timeout_at(deadline, self.seen.recv()).await {
                Ok(Some(Seen::State(RTCPeerConnectionState::Failed))) => {
                    panic!("connection failed waiting for {what}")
                }
                Ok(Some(s)) if want(&s) => return s,
                Ok(Some(_)) => {}
                _ => panic!("no {what} within 15 s"),
            }
        }
    }

    /// Sets the local description and returns it with all candidates (non-trickle, as the engine does).
    async fn local_sdp(&mut self, desc: RTCSessionDescription) -> RTCSessionDescription {
        self.pc
            .set_local_description(desc)
            .await
            .expect("local description");
        self.wait("ICE gathering", |s| matches!(s, Seen::Gathered))
            .await;
        self.pc
            .local_description()
            .await
            .expect("a local description")
    }
}

/// The next text message on a data channel (opening it first if needed).
async fn next_text(channel: &Arc<dyn DataChannel>) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, channel.poll()).await {
            Ok(Some(DataChannelEvent::OnMessage(m))) => {
                return String::from_utf8_lossy(&m.data).into_owned()
            }
            Ok(Some(_)) => {}
            _ => panic!("no data-channel message within {WAIT:?}"),
        }
    }
}

async fn wait_open(channel: &Arc<dyn DataChannel>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(deadline, channel.poll()).await {
            Ok(Some(DataChannelEvent::OnOpen)) => return,
            Ok(Some(_)) => {}
            _ => panic!("the data channel did not open"),
        }
    }
}

/// The caller's selected local candidate: (type, url). rtc 0.21 names the pair's local candidate
/// `candidate:X` and the candidate's own stats entry `RTCLocalIceCandidate_candidate:X`, hence `ends_with`.
async fn selected_local_candidate(
    pc: &dyn PeerConnection,
) -> Option<(RTCIceCandidateType, String)> {
    let report = pc.get_stats(Instant::now(), StatsSelector::None).await;
    let pair_id = report.transport()?.selected_candidate_pair_id.clone();
    let pair = report.candidate_pairs().find(|p| p.stats.id == pair_id)?;
    let found = report.iter().find_map(|entry| match entry {
        RTCStatsReportEntry::LocalCandidate(c)
            if c.stats.id.ends_with(&pair.local_candidate_id) =>
        {
            Some((c.candidate_type, c.url.clone()))
        }
        _ => None,
    });
    found
}

async fn relay_only_call(url: String, cert: &LabCert, caller_ip: IpAddr) {
    let started = Instant::now();
    let (reports, mut errors) = mpsc::unbounded_channel();
    let servers = [IceServer {
        urls: vec![url.clone()],
        username: Some("u".into()),
        credential: Some("p".into()),
    }];
    let ice = tunnel_ice_servers(&servers, &options(Some(&cert.cert), WAIT), &reports).await;
    assert_eq!(ice.tunnels.len(), 1);

    let mut caller = peer(ice.servers.clone(), RTCIceTransportPolicy::Relay, caller_ip).await;
    let mut callee = peer(
        vec![],
        RTCIceTransportPolicy::All,
        "127.0.0.1".parse().expect("ip"),
    )
    .await;
    let channel = caller
        .pc
        .create_data_channel("lifeline", None)
        .await
        .expect("data channel");
    let offer = caller.pc.create_offer(None).await.expect("offer");
    let offer = caller.local_sdp(offer).await;
    let gathered_in = started.elapsed();
    assert!(
        offer.sdp.contains(" typ relay"),
        "the relay-only offer has no relay candidate:\n{}",
        offer.sdp
    );
    assert!(
        !offer.sdp.contains(" typ host"),
        "relay-only, yet host candidates:\n{}",
        offer.sdp
    );
    callee
        .pc
        .set_remote_description(offer)
        .await
        .expect("remote offer");
    let answer = callee.pc.create_answer(None).await.expect("answer");
    let answer = callee.local_sdp(answer).await;
    caller
        .pc
        .set_remote_description(answer)
        .await
        .expect("remote answer");

    caller
        .wait("connected", |s| {
            matches!(s, Seen::State(RTCPeerConnectionState::Connected))
        })
        .await;
    let Seen::Channel(remote) = callee
        .wait("the data channel", |s| matches!(s, Seen::Channel(_)))
        .await
    else {
        unreachable!()
    };
    let connected_in = started.elapsed();
    wait_open(&channel).await;
    let sent_at = Instant::now();
    channel
        .send_text("hello through the tunnel")
        .await
        .expect("send");
    assert_eq!(next_text(&remote).await, "hello through the tunnel");
    let one_way = sent_at.elapsed();
    remote.send_text("and back").await.expect("send back");
    assert_eq!(next_text(&channel).await, "and back");

    let (kind, candidate_url) = selected_local_candidate(caller.pc.as_ref())
        .await
        .expect("a selected candidate pair");
    assert_eq!(kind, RTCIceCandidateType::Relay);
    assert_eq!(
        ice.origin_of(&candidate_url).map(|u| u.to_string()),
        Some(url.clone()),
        "{candidate_url}"
    );
    eprintln!(
        "{url}: relay candidate gathered in {gathered_in:?}, connected in {connected_in:?}, a message relayed in \
         {one_way:?}, selected relay via {candidate_url} -> {url}"
    );

    let _ = caller.pc.close().await;
    let _ = callee.pc.close().await;
    for tunnel in ice.tunnels {
        tunnel.close().await;
    }
    let reported: Vec<TunnelError> = std::iter::from_fn(|| errors.try_recv().ok()).collect();
    assert!(reported.is_empty(), "{reported:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_only_webrtc_call_connects_through_the_tunnel_over_tcp() {
    let cert = lab_cert();
    let Some(server) = coturn(&cert) else { return };
    relay_only_call(
        format!("turn:127.0.0.1:{}?transport=tcp", server.tcp_port),
        &cert,
        client_ip(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_only_webrtc_call_connects_through_the_tunnel_over_tls() {
    let cert = lab_cert();
    let Some(server) = coturn(&cert) else { return };
    relay_only_call(
        format!("turns:localhost:{}", server.tls_port),
        &cert,
        client_ip(),
    )
    .await;
}
