//! The tunnel's I/O against in-process stream servers on 127.0.0.1: relaying both ways with the stream
//! padding, one connection per client, errors that name the server, reconnection, TLS trust, close.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

use super::{TunnelError, TunnelOptions, TurnServerUrl, TurnTunnel};

pub(crate) const WAIT: Duration = Duration::from_secs(5);

/// A self-signed certificate for `localhost` and 127.0.0.1, as files (for coturn and as the extra trusted
/// certificate) and as a rustls server config (for the in-process servers).
pub(crate) struct LabCert {
    _dir: tempfile::TempDir,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub server: Arc<rustls::ServerConfig>,
}

pub(crate) fn lab_cert() -> LabCert {
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("a self-signed certificate");
    let dir = tempfile::tempdir().expect("a temp dir");
    let cert = dir.path().join("lab.crt");
    let key = dir.path().join("lab.key");
    std::fs::write(&cert, made.cert.pem()).expect("write the certificate");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("write the key");
    let der: CertificateDer<'static> = made.cert.der().clone();
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(vec![der], key_der)
    .expect("a server config");
    LabCert {
        _dir: dir,
        cert,
        key,
        server: Arc::new(server),
    }
}

/// Options that trust `ca` (the SIP side's extra certificate mechanism), with a given connect timeout.
pub(crate) fn options(ca: Option<&Path>, timeout: Duration) -> TunnelOptions {
    let mut options = TunnelOptions::new(ca);
    options.connect_timeout = timeout;
    options
}

/// A STUN Binding request: a valid first datagram for a new connection.
pub(super) fn binding_request(id: u8) -> Vec<u8> {
    let mut m = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42];
    m.extend_from_slice(&[id; 12]);
    m
}

/// A ChannelBind request for `channel` (only the attribute the tunnel looks at).
fn channel_bind_request(channel: u16) -> Vec<u8> {
    let mut m = vec![0x00, 0x09, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42];
    m.extend_from_slice(&[7; 12]);
    m.extend_from_slice(&[0x00, 0x0C, 0x00, 0x04]);
    m.extend_from_slice(&channel.to_be_bytes());
    m.extend_from_slice(&[0, 0]);
    m
}

/// An interface address from the benchmark range, present only inside a lab network namespace.
pub(super) fn benchmark_range_ipv4() -> Option<Ipv4Addr> {
    let net: ipnet::Ipv4Net = "198.18.0.0/15".parse().ok()?;
    if_addrs::get_if_addrs()
        .ok()?
        .into_iter()
        .find_map(|i| match i.ip() {
            IpAddr::V4(v4) if net.contains(&v4) => Some(v4),
            _ => None,
        })
}

#[derive(Debug, PartialEq)]
enum Saw {
    Connected,
    Bytes(Vec<u8>),
    Closed,
}

#[derive(Clone, Copy)]
enum Mode {
    Echo,
    CloseAfterFirstRead,
    Reply(&'static [u8]),
    /// Accept the TCP connection and never say anything (a TLS handshake that never completes).
    Silent,
}

/// A stream server on 127.0.0.1 that tells the test what it sees.
async fn stream_server(
    mode: Mode,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> (u16, mpsc::UnboundedReceiver<Saw>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let tx = tx.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let _ = tx.send(Saw::Connected);
                match (tls, mode) {
                    (_, Mode::Silent) => tokio::time::sleep(Duration::from_secs(60)).await,
                    (Some(config), _) => {
                        if let Ok(s) = tokio_rustls::TlsAcceptor::from(config).accept(tcp).await {
                            serve(s, mode, tx).await;
                        }
                    }
                    (None, _) => serve(tcp, mode, tx).await,
                }
            });
        }
    });
    (port, rx)
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    mode: Mode,
    saw: mpsc::UnboundedSender<Saw>,
) {
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let _ = saw.send(Saw::Bytes(buf[..n].to_vec()));
        let written = match mode {
            Mode::Echo => s.write_all(&buf[..n]).await,
            Mode::Reply(bytes) => s.write_all(bytes).await,
            Mode::CloseAfterFirstRead | Mode::Silent => break,
        };
        if written.and(s.flush().await).is_err() {
            break;
        }
    }
    let _ = saw.send(Saw::Closed);
}

async fn next<T>(rx: &mut mpsc::UnboundedReceiver<T>, what: &str) -> T {
    match tokio::time::timeout(WAIT, rx.recv()).await {
        Ok(Some(v)) => v,
        _ => panic!("no {what} within {WAIT:?}"),
    }
}

/// The server's bytes until `len` have arrived (a stream may cut them anywhere).
async fn server_bytes(saw: &mut mpsc::UnboundedReceiver<Saw>, len: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < len {
        match next(saw, "bytes at the server").await {
            Saw::Bytes(b) => got.extend(b),
            Saw::Connected => {}
            Saw::Closed => panic!("the server's connection closed after {got:?}"),
        }
    }
    got
}

pub(super) async fn recv(socket: &UdpSocket) -> Vec<u8> {
    let mut buf = vec![0u8; 2048];
    match tokio::time::timeout(WAIT, socket.recv_from(&mut buf)).await {
        Ok(Ok((n, _))) => buf[..n].to_vec(),
        other => panic!("no datagram back from the tunnel: {other:?}"),
    }
}

async fn tunnel(
    url: &str,
    options: &TunnelOptions,
) -> (TurnTunnel, mpsc::UnboundedReceiver<TunnelError>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let url = TurnServerUrl::parse(url).expect("url");
    (
        TurnTunnel::start(&url, options, tx)
            .await
            .expect("tunnel starts"),
        rx,
    )
}

async fn client(ip: IpAddr) -> UdpSocket {
    UdpSocket::bind(SocketAddr::new(ip, 0))
        .await
        .expect("bind a client socket")
}

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

#[tokio::test]
async fn datagrams_reach_the_server_padded_and_come_back_unpadded() {
    let (port, mut saw) = stream_server(Mode::Echo, None).await;
    let (tunnel, _errors) = tunnel(
        &format!("turn:127.0.0.1:{port}?transport=tcp"),
        &options(None, WAIT),
    )
    .await;
    let c = client(LOOPBACK).await;
    let bind = channel_bind_request(0x4001);
    c.send_to(&bind, tunnel.local_addr()).await.expect("send");
    assert_eq!(server_bytes(&mut saw, bind.len()).await, bind);
    assert_eq!(recv(&c).await, bind);

    let data = [0x40, 0x01, 0x00, 0x05, b'h', b'e', b'l', b'l', b'o'];
    c.send_to(&data, tunnel.local_addr()).await.expect("send");
    assert_eq!(
        server_bytes(&mut saw, 12).await,
        [&data[..], &[0, 0, 0]].concat(),
        "padded to 4 on the stream"
    );
    assert_eq!(recv(&c).await, data, "unpadded again as a datagram");
}

#[tokio::test]
async fn each_client_address_gets_its_own_connection() {
    let (port, mut saw) = stream_server(Mode::Echo, None).await;
    let (tunnel, _errors) = tunnel(
        &format!("turn:127.0.0.1:{port}?transport=tcp"),
        &options(None, WAIT),
    )
    .await;
    let (a, b) = (client(LOOPBACK).await, client(LOOPBACK).await);
    a.send_to(&binding_request(1), tunnel.local_addr())
        .await
        .expect("send");
    b.send_to(&binding_request(2), tunnel.local_addr())
        .await
        .expect("send");
    assert_eq!(recv(&a).await, binding_request(1));
    assert_eq!(recv(&b).await, binding_request(2));
    let mut connections = 0;
    while let Ok(s) = saw.try_recv() {
        connections += usize::from(s == Saw::Connected);
    }
    assert_eq!(connections, 2);
}

#[tokio::test]
async fn a_refused_connection_is_reported_with_the_server_url() {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("turn:127.0.0.1:{port}?transport=tcp");
    let (tunnel, mut errors) = tunnel(&url, &options(None, WAIT)).await;
    client(LOOPBACK)
        .await
        .send_to(&binding_request(1), tunnel.local_addr())
        .await
        .expect("send");
    let error = next(&mut errors, "error report").await;
    assert!(
        matches!(error, TunnelError::Unreachable { .. }),
        "{error:?}"
    );
    assert_eq!(error.url(), url);
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "TURN server {url} could not be reached over TCP: "
        )),
        "{text}"
    );
    assert!(text.contains("firewall"), "{text}");
}

#[tokio::test]
async fn a_lost_connection_is_reported_and_the_next_datagram_reconnects() {
    let (port, mut saw) = stream_server(Mode::CloseAfterFirstRead, None).await;
    let (tunnel, mut errors) = tunnel(
        &format!("turn:127.0.0.1:{port}?transport=tcp"),
        &options(None, WAIT),
    )
    .await;
    let c = client(LOOPBACK).await;
    c.send_to(&binding_request(1), tunnel.local_addr())
        .await
        .expect("send");
    let error = next(&mut errors, "error report").await;
    assert!(
        matches!(error, TunnelError::ConnectionLost { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("the server closed the connection"),
        "{error}"
    );
    c.send_to(&binding_request(2), tunnel.local_addr())
        .await
        .expect("send");
    let mut connects = 0;
    while connects < 2 {
        connects += usize::from(next(&mut saw, "a second connection").await == Saw::Connected);
    }
}

#[tokio::test]
async fn a_server_that_is_not_turn_is_named_and_dropped() {
    let (port, _saw) = stream_server(Mode::Reply(b"HTTP/1.1 400 Bad Request\r\n\r\n"), None).await;
    let (tunnel, mut errors) = tunnel(
        &format!("turn:127.0.0.1:{port}?transport=tcp"),
        &options(None, WAIT),
    )
    .await;
    client(LOOPBACK)
        .await
        .send_to(&binding_request(1), tunnel.local_addr())
        .await
        .expect("send");
    let error = next(&mut errors, "error report").await;
    assert!(matches!(error, TunnelError::NotTurn { .. }), "{error:?}");
    assert!(
        error.to_string().contains("is it really a TURN server"),
        "{error}"
    );
}

#[tokio::test]
async fn tls_with_the_lab_certificate_relays_by_name() {
    let cert = lab_cert();
    let (port, _saw) = stream_server(Mode::Echo, Some(cert.server.clone())).await;
    let (tunnel, mut errors) = tunnel(
        &format!("turns:localhost:{port}"),
        &options(Some(&cert.cert), WAIT),
    )
    .await;
    let c = client(LOOPBACK).await;
    c.send_to(&binding_request(3), tunnel.local_addr())
        .await
        .expect("send");
    assert_eq!(recv(&c).await, binding_request(3));
    assert!(errors.try_recv().is_err());
}

#[tokio::test]
async fn an_untrusted_certificate_is_reported_as_such() {
    let (cert, other) = (lab_cert(), lab_cert());
    let (port, _saw) = stream_server(Mode::Echo, Some(cert.server.clone())).await;
    let url = format!("turns:localhost:{port}");
    let (tunnel, mut errors) = tunnel(&url, &options(Some(&other.cert), WAIT)).await;
    client(LOOPBACK)
        .await
        .send_to(&binding_request(1), tunnel.local_addr())
        .await
        .expect("send");
    let error = next(&mut errors, "error report").await;
    assert!(
        matches!(error, TunnelError::CertificateNotTrusted { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "TLS handshake with TURN server {url} failed: certificate"
        )),
        "{text}"
    );
}

#[tokio::test]
async fn a_handshake_that_never_completes_times_out() {
    let cert = lab_cert();
    let (port, _saw) = stream_server(Mode::Silent, Some(cert.server.clone())).await;
    let timeout = Duration::from_millis(300);
    let (tunnel, mut errors) = tunnel(
        &format!("turns:127.0.0.1:{port}"),
        &options(Some(&cert.cert), timeout),
    )
    .await;
    let started = std::time::Instant::now();
    client(LOOPBACK)
        .await
        .send_to(&binding_request(1), tunnel.local_addr())
        .await
        .expect("send");
    let error = next(&mut errors, "error report").await;
    assert!(
        matches!(
            error,
            TunnelError::Timeout {
                transport: "TLS",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn close_stops_the_tunnel_and_its_connections() {
    let (port, mut saw) = stream_server(Mode::Echo, None).await;
    let (tunnel, _errors) = tunnel(
        &format!("turn:127.0.0.1:{port}?transport=tcp"),
        &options(None, WAIT),
    )
    .await;
    let c = client(LOOPBACK).await;
    let local = tunnel.local_addr();
    c.send_to(&binding_request(1), local).await.expect("send");
    assert_eq!(recv(&c).await, binding_request(1));
    tunnel.close().await;
    loop {
        if next(&mut saw, "the server seeing the close").await == Saw::Closed {
            break;
        }
    }
    // The port is free again: nothing listens there any more.
    assert!(UdpSocket::bind(local).await.is_ok());
}

/// webrtc's host sockets are bound to interface addresses, the tunnel to 127.0.0.1. Skipped unless run in a
/// network namespace with a 198.18.0.0/15 address on a non-loopback interface; there the coturn tests bind
/// their TURN client and webrtc's sockets to that address too. This kernel has no dummy interfaces; a veth
/// pair works (the multicast route is for webrtc's mDNS socket, which fails with ENODEV without one):
/// `ip netns add t; ip -n t link set lo up; ip -n t link add v0 type veth peer name v1;
/// ip -n t addr add 198.18.77.1/24 dev v0; ip -n t addr add 198.18.77.2/24 dev v1; ip -n t link set v0 up;
/// ip -n t link set v1 up; ip -n t route add 224.0.0.0/4 dev v0; ip netns exec t <test binary> media::turn_tunnel`.
#[tokio::test]
async fn a_socket_on_an_interface_address_reaches_the_tunnel_on_loopback() {
    let Some(ip) = benchmark_range_ipv4() else {
        eprintln!(
            "skipped: no 198.18.0.0/15 interface address here (run it in a lab network namespace)"
        );
        return;
    };
    let (port, _saw) = stream_server(Mode::Echo, None).await;
    let (tunnel, _errors) = tunnel(
        &format!("turn:127.0.0.1:{port}?transport=tcp"),
        &options(None, WAIT),
    )
    .await;
    let c = client(IpAddr::V4(ip)).await;
    c.send_to(&binding_request(9), tunnel.local_addr())
        .await
        .expect("a socket on {ip} sends to 127.0.0.1");
    assert_eq!(
        recv(&c).await,
        binding_request(9),
        "the tunnel's reply from 127.0.0.1 reaches {ip}"
    );
}
