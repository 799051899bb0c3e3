//! Against Debian's coturn on 127.0.0.1, started with `--no-udp`: it takes TURN over TCP and TLS only, so
//! nothing works unless it went through the tunnel. Skipped, with the reason printed, when `turnserver` is
//! not installed (`apt-get install coturn`).
//!
//! - a TURN Allocate through the tunnel returns a relayed address, and data flows both ways between the
//!   relay and a peer (Send indication and ChannelData, so the stream padding is exercised);
//! - (in `relay_call_tests`) two real `webrtc` peer connections, one relay-only, connect through it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtc::sansio::Protocol;
use rtc::shared::{TransportContext, TransportMessage, TransportProtocol};
use rtc::turn::client::{Client, ClientConfig, Event};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::tunnel_tests::{benchmark_range_ipv4, lab_cert, options, LabCert, WAIT};
use super::{tunnel_ice_servers, TunnelError};
use crate::media::ice::IceServer;

/// coturn on 127.0.0.1 with a TCP and a TLS listener (and UDP on `tcp_port` when asked for); user `u`,
/// password `p`, realm `lab`. Killed (and reaped) on drop.
pub(crate) struct Coturn {
    child: Child,
    pub tcp_port: u16,
    pub tls_port: u16,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn turnserver() -> Option<std::path::PathBuf> {
    ["/usr/bin/turnserver", "/usr/local/bin/turnserver"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.is_file())
}

/// Starts coturn for TCP and TLS only, or says why the test is skipped.
pub(crate) fn coturn(cert: &LabCert) -> Option<Coturn> {
    coturn_listening(cert, false)
}

/// Starts coturn, also listening on UDP (port `tcp_port`) when `udp`, or says why the test is skipped.
pub(crate) fn coturn_listening(cert: &LabCert, udp: bool) -> Option<Coturn> {
    if cfg!(windows) {
        // Under Wine the Linux turnserver starts, but it is handed Windows paths (C:\users\...) for its
        // certificate and log, so it never listens. The TURN paths are tested by the Linux run and the
        // network lab; the Windows engine's relay by tests/windows against the lab.
        eprintln!("skipped on Windows: coturn is a Linux program and cannot read the Windows test's paths");
        return None;
    }
    let Some(bin) = turnserver() else {
        eprintln!("skipped: coturn's turnserver is not installed (apt-get install coturn)");
        return None;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("turnserver.log");
    let (tcp_port, tls_port) = (free_port(), free_port());
    let relay_from = free_port().clamp(20_000, 60_000);
    let arg = |k: &str, v: &dyn std::fmt::Display| format!("--{k}={v}");
    let child = Command::new(bin)
        .args(["-n", "--no-cli", "--no-dtls"])
        .args((!udp).then_some("--no-udp"))
        .args(["--lt-cred-mech", "--fingerprint", "--allow-loopback-peers"])
        .args([
            "--user=u:p",
            "--realm=lab",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            "--simple-log",
        ])
        .arg(arg("listening-port", &tcp_port))
        .arg(arg("tls-listening-port", &tls_port))
        .arg(arg("cert", &cert.cert.display()))
        .arg(arg("pkey", &cert.key.display()))
        .arg(arg("min-port", &relay_from))
        .arg(arg("max-port", &(relay_from + 200)))
        .arg(arg("pidfile", &dir.path().join("turnserver.pid").display()))
        .arg(arg("log-file", &log.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("turnserver starts");
    let mut server = Coturn {
        child,
        tcp_port,
        tls_port,
        log,
        _dir: dir,
    };
    let deadline = Instant::now() + WAIT;
    while std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, server.tls_port)).is_err()
        || std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, server.tcp_port)).is_err()
    {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("turnserver exited ({status}): {}", server.log_text());
        }
        assert!(
            Instant::now() < deadline,
            "turnserver did not listen within {WAIT:?}: {}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(server)
}

impl Coturn {
    pub(crate) fn log_text(&self) -> String {
        // coturn appends a date to the file name it is given; read whatever it wrote in the folder.
        let Some(dir) = self.log.parent() else {
            return String::new();
        };
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("turnserver"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect()
    }
}

/// Where the TURN client's (and webrtc's) socket is bound: an interface address inside a lab namespace,
/// else loopback.
pub(super) fn client_ip() -> IpAddr {
    benchmark_range_ipv4()
        .map(IpAddr::V4)
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

// ---- 1. a TURN allocation through the tunnel (rtc's sans-IO TURN client over UDP to the tunnel) ----

/// Allocates through the tunnel at `tunnel`, permits a peer, and exchanges data both ways until ChannelData
/// has carried it in both directions. Returns the relayed address.
async fn allocate_and_exchange(tunnel: SocketAddr) -> SocketAddr {
    let socket = UdpSocket::bind(SocketAddr::new(client_ip(), 0))
        .await
        .expect("bind");
    let local_addr = socket.local_addr().expect("addr");
    let peer = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind peer");
    let peer_addr = peer.local_addr().expect("peer addr");
    let provider = rtc::crypto::default_provider().expect("crypto provider");
    let mut client = Client::new(
        ClientConfig {
            stun_serv_addr: tunnel.to_string(),
            turn_serv_addr: tunnel.to_string(),
            local_addr,
            transport_protocol: TransportProtocol::UDP,
            username: "u".into(),
            password: "p".into(),
            ..ClientConfig::default()
        },
        provider,
    )
    .expect("TURN client");
    client.allocate(Instant::now()).expect("allocate");

    let (mut relayed, mut permitted) = (None, false);
    let (mut channel_data_in, mut at_peer) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut buf, mut peer_buf) = (vec![0u8; 2048], vec![0u8; 2048]);
    let mut last_send = Instant::now();
    while channel_data_in < 3 || at_peer < 3 {
        assert!(
            Instant::now() < deadline,
            "no exchange: relayed {relayed:?}, {channel_data_in} in, {at_peer} at the peer"
        );
        while let Some(t) = client.poll_write() {
            socket
                .send_to(&t.message, t.transport.peer_addr)
                .await
                .expect("send to the tunnel");
        }
        while let Some(event) = client.poll_event() {
            match event {
                Event::AllocateResponse(_, addr) => {
                    relayed = Some(addr);
                    client
                        .relay(addr)
                        .and_then(|mut r| r.create_permission(Instant::now(), peer_addr))
                        .expect("permission");
                }
                Event::CreatePermissionResponse(..) => permitted = true,
                Event::DataIndicationOrChannelData(channel, from, data) => {
                    assert_eq!((from, &data[..4]), (peer_addr, &b"ping"[..]));
                    channel_data_in += usize::from(channel.is_some());
                }
                Event::AllocateError(_, e) | Event::CreatePermissionError(_, e) => {
                    panic!("TURN error: {e}")
                }
                Event::TransactionTimeout(_) => {
                    panic!("a TURN transaction timed out (no answer through the tunnel)")
                }
                _ => {}
            }
        }
        if let (Some(addr), true) = (relayed, permitted) {
            if last_send.elapsed() > Duration::from_millis(50) {
                last_send = Instant::now();
                // 13 and 6 bytes: neither a multiple of 4, so both directions need stream padding.
                client
                    .relay(addr)
                    .and_then(|mut r| r.send_to(Instant::now(), b"hello, peer #", peer_addr))
                    .expect("send");
                peer.send_to(b"ping 1", addr)
                    .await
                    .expect("peer sends to the relay");
            }
        }
        tokio::select! {
            r = socket.recv_from(&mut buf) => {
                let (n, from) = r.expect("recv");
                let message = TransportMessage {
                    now: Instant::now(),
                    transport: TransportContext { local_addr, peer_addr: from, transport_protocol: TransportProtocol::UDP, ecn: None },
                    message: BytesMut::from(&buf[..n]),
                };
                client.handle_read(message).expect("a valid TURN message from the tunnel");
            }
            r = peer.recv_from(&mut peer_buf) => {
                let (n, _) = r.expect("peer recv");
                assert_eq!(&peer_buf[..n], b"hello, peer #");
                at_peer += 1;
            }
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
        client
            .handle_timeout(Instant::now())
            .expect("timeout handling");
    }
    relayed.expect("a relayed address")
}

async fn allocate_via(url: String, cert: &LabCert) {
    let (tx, mut errors) = mpsc::unbounded_channel();
    let servers = [IceServer {
        urls: vec![url.clone()],
        username: Some("u".into()),
        credential: Some("p".into()),
    }];
    let ice = tunnel_ice_servers(&servers, &options(Some(&cert.cert), WAIT), &tx).await;
    assert_eq!(ice.tunnels.len(), 1, "{:?}", errors.try_recv());
    let started = Instant::now();
    let relayed = allocate_and_exchange(ice.tunnels[0].local_addr()).await;
    eprintln!(
        "{url}: relayed address {relayed}, allocation and exchange in {:?}",
        started.elapsed()
    );
    assert_eq!(relayed.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    let reported: Vec<TunnelError> = std::iter::from_fn(|| errors.try_recv().ok()).collect();
    assert!(reported.is_empty(), "{reported:?}");
}

#[tokio::test]
async fn a_turn_allocation_succeeds_through_the_tunnel_over_tcp() {
    let cert = lab_cert();
    let Some(server) = coturn(&cert) else { return };
    allocate_via(
        format!("turn:127.0.0.1:{}?transport=tcp", server.tcp_port),
        &cert,
    )
    .await;
}

#[tokio::test]
async fn a_turn_allocation_succeeds_through_the_tunnel_over_tls() {
    let cert = lab_cert();
    let Some(server) = coturn(&cert) else { return };
    allocate_via(format!("turns:localhost:{}", server.tls_port), &cert).await;
    let log = server.log_text();
    assert!(log.contains("TLS"), "coturn saw no TLS session: {log}");
}
