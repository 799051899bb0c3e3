//! [`TurnTunnel`]: the tokio part. One task owns the local UDP socket and the map of clients; each client
//! address gets a connection task that owns its TCP/TLS stream and its [`Deframer`]. The tunnel task owns
//! the connection tasks (a `JoinSet`). Dropping the [`TurnTunnel`] drops its stop signal: the tunnel task
//! aborts its connections and ends.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use super::framing::{frame_datagram, is_allocation_release, requested_channel, Deframer};
use super::{TunnelError, TunnelOptions, TunnelReports, TurnServerUrl, TurnTransport};

/// Datagrams queued per client while its stream connects or is slow; more are dropped, as UDP would.
const QUEUE: usize = 128;
/// Client addresses served at once (a call has one per host socket); more are ignored.
const MAX_CLIENTS: usize = 32;

/// A running tunnel to one TURN server. Dropping it (or [`TurnTunnel::close`]) stops it and closes its
/// connections.
#[derive(Debug)]
pub struct TurnTunnel {
    server: TurnServerUrl,
    local_addr: SocketAddr,
    /// Sending or dropping it stops the tunnel task.
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// The real server and how to reach it, shared by the connection tasks.
struct Upstream {
    url: TurnServerUrl,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
    reports: TunnelReports,
}

impl TurnTunnel {
    /// Opens the local UDP port (127.0.0.1, ephemeral) and starts serving. Connections to the server are
    /// made when a client first sends, so nothing here waits on the network.
    pub async fn start(
        server: &TurnServerUrl,
        options: &TunnelOptions,
        reports: TunnelReports,
    ) -> Result<TurnTunnel, TunnelError> {
        let url = server.to_string();
        let tls = match server.transport {
            TurnTransport::Udp => return Err(TunnelError::NotTunnelled { url }),
            TurnTransport::Tcp => None,
            TurnTransport::Tls => match &options.tls {
                Ok(config) => Some(config.clone()),
                Err(reason) => {
                    return Err(TunnelError::TlsSetup {
                        url,
                        reason: reason.clone(),
                    })
                }
            },
        };
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(|e| TunnelError::LocalPort {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        let local_addr = socket.local_addr().map_err(|e| TunnelError::LocalPort {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        let upstream = Arc::new(Upstream {
            url: server.clone(),
            tls,
            timeout: options.connect_timeout,
            reports,
        });
        tracing::info!("TURN tunnel for {url} listening on {local_addr}");
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(Arc::new(socket), upstream, stopped));
        Ok(TurnTunnel {
            server: server.clone(),
            local_addr,
            stop,
            task,
        })
    }

    /// Where webrtc's TURN client must send (127.0.0.1:port).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL to give webrtc instead of the server's: `turn:127.0.0.1:<port>?transport=udp`, exactly as
    /// webrtc writes it back in a relay candidate's `url`.
    pub fn udp_url(&self) -> String {
        format!(
            "turn:{}:{}?transport=udp",
            self.local_addr.ip(),
            self.local_addr.port()
        )
    }

    /// The real TURN server, as configured.
    pub fn server(&self) -> &TurnServerUrl {
        &self.server
    }

    /// Stops the tunnel and waits until its connections are closed and its port is released.
    pub async fn close(self) {
        let TurnTunnel { stop, task, .. } = self;
        drop(stop);
        let _ = task.await;
    }
}

/// The tunnel task: receive from clients, hand each datagram to its client's connection task.
async fn serve(
    socket: Arc<UdpSocket>,
    upstream: Arc<Upstream>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut clients: HashMap<SocketAddr, mpsc::Sender<Vec<u8>>> = HashMap::new();
    let mut connections = JoinSet::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, from)) => {
                    let datagram = buf.get(..n).unwrap_or_default().to_vec();
                    dispatch(datagram, from, &mut clients, &mut connections, &socket, &upstream);
                }
                Err(e) => {
                    // An ICMP error for an earlier send (a client socket that went away), typically.
                    tracing::debug!("TURN tunnel for {}: receive error {e}", upstream.url);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = &mut stopped => {
                connections.shutdown().await;
                tracing::debug!("TURN tunnel for {} on {} stopped", upstream.url, socket.local_addr().map(|a| a.to_string()).unwrap_or_default());
                return;
            }
        }
    }
}

fn dispatch(
    datagram: Vec<u8>,
    from: SocketAddr,
    clients: &mut HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>,
    connections: &mut JoinSet<()>,
    socket: &Arc<UdpSocket>,
    upstream: &Arc<Upstream>,
) {
    if let Some(tx) = clients.get(&from).filter(|tx| !tx.is_closed()) {
        if tx.try_send(datagram).is_err() {
            tracing::debug!(
                "TURN tunnel for {}: queue for {from} full, datagram dropped",
                upstream.url
            );
        }
        return;
    }
    // A (re)connection starts only with a STUN message: webrtc's TURN client begins with Allocate, and
    // stray ChannelData for a lost allocation would only be refused by the server.
    if datagram.first().is_none_or(|b| b >> 6 != 0) {
        return;
    }
    clients.retain(|_, tx| !tx.is_closed());
    if clients.len() >= MAX_CLIENTS {
        tracing::warn!(
            "TURN tunnel for {}: {MAX_CLIENTS} clients already, {from} ignored",
            upstream.url
        );
        return;
    }
    let (tx, rx) = mpsc::channel(QUEUE);
    let _ = tx.try_send(datagram);
    clients.insert(from, tx);
    connections.spawn(connection(from, rx, socket.clone(), upstream.clone()));
}

/// One client's stream: connect, relay until something fails, report the failure.
async fn connection(
    client: SocketAddr,
    rx: mpsc::Receiver<Vec<u8>>,
    socket: Arc<UdpSocket>,
    up: Arc<Upstream>,
) {
    let result = match connect(&up).await {
        Ok(Stream::Tcp(tcp)) => relay(tcp, client, rx, &socket, &up).await,
        Ok(Stream::Tls(tls)) => relay(*tls, client, rx, &socket, &up).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => tracing::debug!("TURN tunnel: {client} -> {} closed", up.url),
        Err(e) => {
            tracing::warn!("TURN tunnel for client {client}: {e}");
            let _ = up.reports.send(e);
        }
    }
}

enum Stream {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

async fn connect(up: &Upstream) -> Result<Stream, TunnelError> {
    let deadline = Instant::now() + up.timeout;
    let tcp = connect_tcp(up, deadline).await?;
    let Some(config) = &up.tls else {
        return Ok(Stream::Tcp(tcp));
    };
    let url = up.url.to_string();
    let name = ServerName::try_from(up.url.host.clone()).map_err(|e| TunnelError::TlsSetup {
        url: url.clone(),
        reason: format!("{}: {e}", up.url.host),
    })?;
    let handshake = tokio_rustls::TlsConnector::from(config.clone()).connect(name, tcp);
    match tokio::time::timeout_at(deadline, handshake).await {
        Ok(Ok(tls)) => Ok(Stream::Tls(Box::new(tls))),
        Ok(Err(e)) => Err(tls_error(url, e)),
        Err(_) => Err(timeout_error(up)),
    }
}

/// Resolves the name and tries each address in turn, sharing what is left of the time between them.
async fn connect_tcp(up: &Upstream, deadline: Instant) -> Result<TcpStream, TunnelError> {
    let url = up.url.to_string();
    let transport = up.url.transport.label();
    let host_port = up.url.host_port();
    let addrs: Vec<SocketAddr> =
        match tokio::time::timeout_at(deadline, tokio::net::lookup_host(&host_port)).await {
            Ok(Ok(addrs)) => addrs.collect(),
            Ok(Err(e)) => {
                return Err(TunnelError::Resolve {
                    url,
                    host: up.url.host.clone(),
                    reason: e.to_string(),
                });
            }
            Err(_) => return Err(timeout_error(up)),
        };
    let mut reasons = Vec::new();
    // Counted, not read back from `reasons`: whether every address stayed silent decides the error.
    let mut unanswered = 0usize;
    for (i, addr) in addrs.iter().enumerate() {
        let left = u32::try_from(addrs.len() - i).unwrap_or(1);
        let share = deadline.saturating_duration_since(Instant::now()) / left;
        match tokio::time::timeout(share, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                // Audio packets must not wait for Nagle.
                let _ = stream.set_nodelay(true);
                tracing::info!("TURN tunnel connected to {url} ({addr}) over {transport}");
                return Ok(stream);
            }
            Ok(Err(e)) => reasons.push(format!("{addr}: {e}")),
            Err(_) => {
                unanswered += 1;
                reasons.push(format!("{addr}: no answer"));
            }
        }
    }
    if reasons.is_empty() {
        return Err(TunnelError::Resolve {
            url,
            host: up.url.host.clone(),
            reason: "no address".into(),
        });
    }
    if unanswered == reasons.len() {
        return Err(timeout_error(up));
    }
    Err(TunnelError::Unreachable {
        url,
        transport,
        host_port,
        reason: reasons.join("; "),
    })
}

fn timeout_error(up: &Upstream) -> TunnelError {
    TunnelError::Timeout {
        url: up.url.to_string(),
        transport: up.url.transport.label(),
        host_port: up.url.host_port(),
        seconds: up.timeout.as_secs_f64().ceil() as u64,
    }
}

/// A failed handshake: an untrusted certificate is named as such, anything else as it came.
fn tls_error(url: String, e: std::io::Error) -> TunnelError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(c)) => TunnelError::CertificateNotTrusted {
            url,
            reason: c.to_string(),
        },
        Some(other) => TunnelError::TlsHandshake {
            url,
            reason: other.to_string(),
        },
        None => TunnelError::TlsHandshake {
            url,
            reason: e.to_string(),
        },
    }
}

/// Relays until the stream fails or the tunnel stops (the client queue closes: `Ok`).
async fn relay<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    client: SocketAddr,
    mut rx: mpsc::Receiver<Vec<u8>>,
    socket: &UdpSocket,
    up: &Upstream,
) -> Result<(), TunnelError> {
    let transport = up.url.transport.label();
    let lost = |reason: String| TunnelError::ConnectionLost {
        url: up.url.to_string(),
        transport,
        reason,
    };
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut deframer = Deframer::new();
    let mut read_buf = vec![0u8; 16 * 1024];
    let mut out = Vec::with_capacity(4096);
    let mut released = false;
    loop {
        tokio::select! {
            first = rx.recv() => {
                let Some(first) = first else { return Ok(()) };
                out.clear();
                let mut next = Some(first);
                // Everything already queued goes out in one write.
                while let Some(datagram) = next {
                    released |= is_allocation_release(&datagram);
                    if let Some(channel) = requested_channel(&datagram) {
                        deframer.allow_channel(channel);
                    }
                    if let Err(e) = frame_datagram(&datagram, &mut out) {
                        tracing::debug!("TURN tunnel: dropped a datagram from {client} that is not TURN: {e}");
                    }
                    next = rx.try_recv().ok();
                }
                writer.write_all(&out).await.map_err(|e| lost(e.to_string()))?;
                writer.flush().await.map_err(|e| lost(e.to_string()))?;
            }
            read = reader.read(&mut read_buf) => {
                let n = read.map_err(|e| lost(e.to_string()))?;
                if n == 0 {
                    if released {
                        return Ok(()); // the client released its allocation; the server closing is expected
                    }
                    return Err(lost("the server closed the connection".into()));
                }
                deframer.push(read_buf.get(..n).unwrap_or_default());
                loop {
                    match deframer.next_message() {
                        Ok(Some(message)) => {
                            if let Err(e) = socket.send_to(&message, client).await {
                                tracing::debug!("TURN tunnel: cannot deliver to {client}: {e}");
                            }
                        }
                        Ok(None) => break,
                        Err(error) => return Err(TunnelError::NotTurn { url: up.url.to_string(), error }),
                    }
                }
            }
        }
    }
}
