//! The HELD exchange (RFC 5985) over HTTP: one POST of [`held::location_request`], with the limits a
//! location server on the network must live with: https:// only (outside the lab and this machine), an
//! answer of at most [`held::MAX_RESPONSE`] bytes, and only a 2xx answer is read as a location.

use std::time::Duration;

use super::held::{self, HeldError, HeldLocation};

/// Asks the location server at `url` where this machine is.
pub async fn fetch(url: &str, lab: bool, timeout: Duration) -> Result<HeldLocation, HeldError> {
    held::check_url(url, lab)?;
    let client = crate::notify::http_client().map_err(|e| HeldError::Unreachable(e.to_string()))?;
    let mut resp = client
        .post(url)
        .timeout(timeout)
        .header("Content-Type", "application/held+xml;charset=utf-8")
        .header("Accept", "application/held+xml")
        .body(held::location_request())
        .send()
        .await
        .map_err(|e| HeldError::Unreachable(e.without_url().to_string()))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(HeldError::HttpStatus(status.as_u16()));
    }
    if resp
        .content_length()
        .is_some_and(|n| n > held::MAX_RESPONSE as u64)
    {
        return Err(HeldError::TooLarge);
    }
    // Read chunk by chunk: a server that sends no length (or lies about it) is cut off at the limit.
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| HeldError::Unreachable(e.without_url().to_string()))?
    {
        if body.len() + chunk.len() > held::MAX_RESPONSE {
            return Err(HeldError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(body)
        .map_err(|_| HeldError::Malformed("the answer is not UTF-8".into()))?;
    held::parse_response(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    const OK_BODY: &str = r#"<?xml version="1.0"?><locationResponse xmlns="urn:ietf:params:xml:ns:geopriv:held"><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b"><tuple id="t"><status><gp:geopriv xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:ca="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"><gp:location-info><ca:civicAddress><ca:country>US</ca:country><ca:A1>TX</ca:A1><ca:A3>Austin</ca:A3><ca:RD>Main</ca:RD><ca:HNO>1</ca:HNO></ca:civicAddress></gp:location-info><gp:method>DHCP</gp:method></gp:geopriv></status></tuple></presence></locationResponse>"#;

    /// A one-shot HTTP server on loopback answering `head` + `body` to the first request.
    async fn server(head: &'static str, body: String) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = vec![0u8; 4096];
                let _ = s.read(&mut buf).await;
                let reply = format!("{head}\r\nConnection: close\r\n\r\n{body}");
                let _ = s.write_all(reply.as_bytes()).await;
                let _ = s.shutdown().await;
            }
        });
        format!("http://127.0.0.1:{}/held", addr.port())
    }

    const T: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn a_2xx_answer_on_this_machine_is_read() {
        let url = server(
            "HTTP/1.1 200 OK\r\nContent-Type: application/held+xml",
            OK_BODY.into(),
        )
        .await;
        let loc = fetch(&url, false, T).await.expect("location");
        assert_eq!(loc.method, "DHCP");
    }

    #[tokio::test]
    async fn a_500_is_an_error_even_with_a_location_in_its_body() {
        let url = server(
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/held+xml",
            OK_BODY.into(),
        )
        .await;
        let err = fetch(&url, false, T).await.expect_err("refused");
        assert_eq!(err, HeldError::HttpStatus(500));
        assert_eq!(err.to_string(), "the location server answered HTTP 500");
    }

    #[tokio::test]
    async fn an_answer_over_64_kib_is_not_read_with_or_without_a_length() {
        let big = format!("{OK_BODY}<!--{}-->", "x".repeat(held::MAX_RESPONSE));
        let url = server(
            "HTTP/1.1 200 OK\r\nContent-Type: application/held+xml",
            big.clone(),
        )
        .await;
        assert_eq!(fetch(&url, false, T).await, Err(HeldError::TooLarge));
        let head = Box::leak(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/held+xml\r\nContent-Length: {}",
                big.len()
            )
            .into_boxed_str(),
        );
        let url = server(head, big).await;
        let err = fetch(&url, false, T).await.expect_err("too large");
        assert_eq!(err, HeldError::TooLarge);
        assert!(err.to_string().contains("64 KiB"), "{err}");
    }

    #[tokio::test]
    async fn plain_http_to_another_machine_is_refused_before_any_connection() {
        let url = "http://192.0.2.1:8091/held";
        let err = fetch(url, false, T).await.expect_err("refused");
        assert_eq!(err, HeldError::InsecureUrl(url.into()));
        assert!(err.to_string().contains("https"), "{err}");
        assert_eq!(held::check_url(url, true), Ok(()), "lab mode");
        assert_eq!(
            held::check_url("https://lis.example.com/held", false),
            Ok(())
        );
    }
}
