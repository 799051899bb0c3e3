//! The probe against Debian's coturn on 127.0.0.1 (user `u`, password `p`, realm `lab`), over UDP and
//! through the TCP and TLS tunnels. Skipped, with the reason printed, when `turnserver` is not installed.

use std::net::{Ipv4Addr, UdpSocket};
use std::time::Instant;

use super::{probe_ice_servers, TurnProbeError, PROBE_BUDGET};
use crate::media::ice::IceServer;
use crate::media::turn_tunnel::coturn_tests::{coturn, coturn_listening, Coturn};
use crate::media::turn_tunnel::tunnel_tests::{lab_cert, options, LabCert, WAIT};
use crate::media::turn_tunnel::TunnelError;

const KEY: &str = "media.ice_servers";

async fn probe(url: &str, password: &str, cert: &LabCert) -> Vec<TurnProbeError> {
    let servers = [IceServer {
        urls: vec![url.to_owned()],
        username: Some("u".into()),
        credential: Some(password.into()),
    }];
    let started = Instant::now();
    let problems = probe_ice_servers(&servers, &options(Some(&cert.cert), WAIT), KEY).await;
    eprintln!("{url}: probed in {:?}: {problems:?}", started.elapsed());
    problems
}

async fn assert_no_problems(url: &str, cert: &LabCert, server: &Coturn) {
    let problems = probe(url, "p", cert).await;
    assert_eq!(problems, vec![], "{}", server.log_text());
}

fn credentials_refused(url: &str) -> Vec<TurnProbeError> {
    vec![TurnProbeError::CredentialsRefused {
        url: url.to_owned(),
        username: "u".into(),
        key: KEY.into(),
    }]
}

#[tokio::test]
async fn the_right_password_gets_a_relay_over_udp_and_nothing_is_reported() {
    let cert = lab_cert();
    let Some(server) = coturn_listening(&cert, true) else {
        return;
    };
    let url = format!("turn:127.0.0.1:{}?transport=udp", server.tcp_port);
    assert_no_problems(&url, &cert, &server).await;
}

#[tokio::test]
async fn a_wrong_password_over_udp_is_named_as_refused_credentials() {
    let cert = lab_cert();
    let Some(server) = coturn_listening(&cert, true) else {
        return;
    };
    let url = format!("turn:127.0.0.1:{}?transport=udp", server.tcp_port);
    let problems = probe(&url, "not-the-password", &cert).await;
    assert_eq!(problems, credentials_refused(&url));
    let message = problems[0].to_string();
    assert_eq!(
        message,
        format!("TURN server {url} refused the credentials (user \"u\"); check media.ice_servers")
    );
    assert!(!message.contains("not-the-password"));
}

#[tokio::test]
async fn nothing_listening_on_udp_is_no_answer_within_the_budget() {
    let cert = lab_cert();
    let silent = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("a UDP port");
    let port = silent.local_addr().expect("addr").port();
    drop(silent);
    let url = format!("turn:127.0.0.1:{port}?transport=udp");
    let started = Instant::now();
    let problems = probe(&url, "p", &cert).await;
    assert!(started.elapsed() >= PROBE_BUDGET && started.elapsed() < PROBE_BUDGET * 2);
    assert!(
        matches!(&problems[..], [TurnProbeError::NoAnswer { url: u, .. }] if *u == url),
        "{problems:?}"
    );
    assert_eq!(
        problems[0].to_string(),
        format!("TURN server {url} did not answer over UDP within 3 s; check that the firewall allows outgoing UDP to 127.0.0.1:{port}, and the address in media.ice_servers")
    );
}

#[tokio::test]
async fn a_wrong_password_through_the_tcp_tunnel_names_the_configured_url() {
    let cert = lab_cert();
    let Some(server) = coturn(&cert) else { return };
    let url = format!("turn:127.0.0.1:{}?transport=tcp", server.tcp_port);
    let problems = probe(&url, "wrong", &cert).await;
    assert_eq!(
        problems,
        credentials_refused(&url),
        "the URL as configured, not the tunnel's local one"
    );
    assert!(problems[0]
        .to_string()
        .starts_with(&format!("TURN server {url} refused the credentials")));
}

#[tokio::test]
async fn the_right_password_gets_a_relay_through_the_tls_tunnel() {
    let cert = lab_cert();
    let Some(server) = coturn(&cert) else { return };
    let url = format!("turns:localhost:{}", server.tls_port);
    assert_no_problems(&url, &cert, &server).await;
}

#[tokio::test]
async fn a_tcp_server_that_refuses_the_connection_is_reported_once_by_its_tunnel() {
    let cert = lab_cert();
    let closed = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a TCP port");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let url = format!("turn:127.0.0.1:{port}?transport=tcp");
    let problems = probe(&url, "p", &cert).await;
    assert!(
        matches!(&problems[..], [TurnProbeError::Reach(TunnelError::Unreachable { url: u, .. })] if *u == url),
        "one tunnel error and no 'did not answer' on top: {problems:?}"
    );
}
