//! HTTP Digest authentication for SIP (RFC 3261 22, RFC 7616 / RFC 8760): MD5 and SHA-256, qop=auth,
//! for both 401 (WWW-Authenticate) and 407 (Proxy-Authenticate).
//!
//! Credentials answer only the registrar's realm: the realm of the REGISTER's challenge (else the account's
//! SIP domain). A call's 401/407 naming another realm is not answered, so a peer or a hostile proxy on the
//! path cannot collect a digest of the agent's password (to guess it offline, or to replay it elsewhere).
//!
//! The challenge grammar is parsed by `ezk-sip-types`; the hashing is the few lines below (with `md-5` and
//! `sha2`). We do not use `ezk-sip-auth` because it panics on some inputs (`expect`/`unreachable!`) and
//! draws its cnonce itself, which makes it untestable against the RFC vectors.

use ezk_sip_types::header::typed::{Algorithm, AlgorithmValue, AuthChallenge, QopOption};
use ezk_sip_types::Name;
use md5::Md5;
use sha2::{Digest, Sha256};

use super::message::SipMessage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algo {
    Md5,
    Sha256,
}

impl Algo {
    fn name(self) -> &'static str {
        match self {
            Algo::Md5 => "MD5",
            Algo::Sha256 => "SHA-256",
        }
    }

    fn hash(self, data: &str) -> String {
        match self {
            Algo::Md5 => hex::encode(Md5::digest(data.as_bytes())),
            Algo::Sha256 => hex::encode(Sha256::digest(data.as_bytes())),
        }
    }
}

/// One challenge we can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algo: Algo,
    pub qop_auth: bool,
    pub stale: bool,
    /// From a 407: answered with Proxy-Authorization.
    pub proxy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    #[error("the server asked for an authentication method Lifeline does not support")]
    Unsupported,
    #[error("the server rejected the user name or password")]
    Rejected,
    #[error("the far end asked for the password of realm \"{realm}\", which is not your SIP server's realm (\"{registrar}\"); Lifeline did not send it")]
    ForeignRealm { realm: String, registrar: String },
}

/// Reads the best challenge of a 401/407: SHA-256 before MD5 (RFC 8760 2.4), `qop=auth` or none.
pub fn best_challenge(resp: &SipMessage) -> Option<Challenge> {
    challenges(resp).into_iter().next()
}

/// Every challenge of a 401/407 we could answer, best first.
fn challenges(resp: &SipMessage) -> Vec<Challenge> {
    let mut found = Vec::new();
    for (name, proxy) in [
        (Name::WWW_AUTHENTICATE, false),
        (Name::PROXY_AUTHENTICATE, true),
    ] {
        let Some(Ok(list)) = resp.headers.try_get::<Vec<AuthChallenge>>(name) else {
            continue;
        };
        for ch in list {
            let AuthChallenge::Digest(d) = ch else {
                continue;
            };
            let value = match &d.algorithm {
                Algorithm::AlgorithmValue(v) => v,
                Algorithm::AkaNamespace(_) => continue,
            };
            let algo = match value {
                AlgorithmValue::MD5 => Algo::Md5,
                AlgorithmValue::SHA256 => Algo::Sha256,
                _ => continue,
            };
            let qop_auth = d.qop.contains(&QopOption::Auth);
            if !d.qop.is_empty() && !qop_auth {
                continue; // only auth-int offered: we do not do it
            }
            found.push(Challenge {
                realm: d.realm.to_string(),
                nonce: d.nonce.to_string(),
                opaque: d.opaque.as_ref().map(|o| o.to_string()),
                algo,
                qop_auth,
                stale: d.stale,
                proxy,
            });
        }
    }
    found.sort_by_key(|c| if c.algo == Algo::Sha256 { 0 } else { 1 });
    found
}

/// Holds the credentials and the current challenge, and counts nonce uses.
#[derive(Clone)]
pub struct Authorizer {
    user: String,
    password: String,
    current: Option<Challenge>,
    nc: u32,
    /// The only realm a call's challenge is answered for: the registrar's, else the account's domain.
    registrar_realm: String,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        f.debug_struct("Authorizer")
            .field("user", &self.user)
            .field("current", &self.current)
            .field("registrar_realm", &self.registrar_realm)
            .finish()
    }
}

impl Authorizer {
    /// `domain`: the account's SIP domain, the realm calls may be challenged for until the registrar
    /// names its own.
    pub fn new(user: &str, password: &str, domain: &str) -> Authorizer {
        Authorizer {
            user: user.to_owned(),
            password: password.to_owned(),
            current: None,
            nc: 0,
            registrar_realm: domain.to_owned(),
        }
    }

    /// Takes the registrar's 401/407 to a REGISTER; its realm becomes the one calls may be challenged for.
    /// `had_credentials`: that request already carried an answer; then a new challenge means the password
    /// is wrong, unless the server says the nonce was merely stale.
    pub fn on_challenge(
        &mut self,
        resp: &SipMessage,
        had_credentials: bool,
    ) -> Result<(), AuthError> {
        let ch = best_challenge(resp).ok_or(AuthError::Unsupported)?;
        self.registrar_realm = ch.realm.clone();
        self.take(ch, had_credentials)
    }

    /// Takes a 401/407 to a call's request: answered only for the registrar's realm.
    pub fn on_call_challenge(
        &mut self,
        resp: &SipMessage,
        had_credentials: bool,
    ) -> Result<(), AuthError> {
        let all = challenges(resp);
        let foreign = match all.first() {
            None => return Err(AuthError::Unsupported),
            Some(c) => c.realm.clone(),
        };
        match all.into_iter().find(|c| c.realm == self.registrar_realm) {
            Some(ch) => self.take(ch, had_credentials),
            None => Err(AuthError::ForeignRealm {
                realm: foreign,
                registrar: self.registrar_realm.clone(),
            }),
        }
    }

    fn take(&mut self, ch: Challenge, had_credentials: bool) -> Result<(), AuthError> {
        if had_credentials && !ch.stale {
            return Err(AuthError::Rejected);
        }
        self.current = Some(ch);
        self.nc = 0;
        Ok(())
    }

    /// Forgets the challenge (e.g. after a new connection, where the server may have restarted).
    pub fn reset(&mut self) {
        self.current = None;
    }

    /// The last [`authorization`](Self::authorization) was the first answer to the current challenge
    /// (not a reuse of its nonce for a later request).
    pub fn first_answer(&self) -> bool {
        self.current.is_some() && self.nc == 1
    }

    /// The `(header name, value)` answering the current challenge for this request, if any.
    pub fn authorization(&mut self, method: &str, uri: &str) -> Option<(&'static str, String)> {
        let cnonce = super::message::token(16);
        self.authorization_with(method, uri, &cnonce)
    }

    fn authorization_with(
        &mut self,
        method: &str,
        uri: &str,
        cnonce: &str,
    ) -> Option<(&'static str, String)> {
        let ch = self.current.as_ref()?;
        self.nc = self.nc.wrapping_add(1);
        let value = answer(&self.user, &self.password, ch, method, uri, cnonce, self.nc);
        Some((
            if ch.proxy {
                "Proxy-Authorization"
            } else {
                "Authorization"
            },
            value,
        ))
    }
}

fn answer(
    user: &str,
    password: &str,
    ch: &Challenge,
    method: &str,
    uri: &str,
    cnonce: &str,
    nc: u32,
) -> String {
    let a = ch.algo;
    let ha1 = a.hash(&format!("{user}:{}:{password}", ch.realm));
    let ha2 = a.hash(&format!("{method}:{uri}"));
    let nc = format!("{nc:08x}");
    let response = if ch.qop_auth {
        a.hash(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", ch.nonce))
    } else {
        a.hash(&format!("{ha1}:{}:{ha2}", ch.nonce))
    };
    let mut v = format!(
        "Digest username=\"{user}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", response=\"{response}\", algorithm={}",
        ch.realm,
        ch.nonce,
        a.name()
    );
    if ch.qop_auth {
        v.push_str(&format!(", cnonce=\"{cnonce}\", qop=auth, nc={nc}"));
    }
    if let Some(o) = &ch.opaque {
        v.push_str(&format!(", opaque=\"{o}\""));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::parse;

    fn challenge(algo: Algo, realm: &str, nonce: &str) -> Challenge {
        Challenge {
            realm: realm.into(),
            nonce: nonce.into(),
            opaque: None,
            algo,
            qop_auth: true,
            stale: false,
            proxy: false,
        }
    }

    #[test]
    fn md5_answer_matches_rfc_2617_example() {
        let ch = challenge(
            Algo::Md5,
            "testrealm@host.com",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        );
        let v = answer(
            "Mufasa",
            "Circle Of Life",
            &ch,
            "GET",
            "/dir/index.html",
            "0a4f113b",
            1,
        );
        assert!(
            v.contains("response=\"6629fae49393a05397450978507c4ef1\""),
            "{v}"
        );
        assert!(v.contains("nc=00000001"));
    }

    #[test]
    fn sha256_answer_matches_rfc_7616_example() {
        let ch = challenge(
            Algo::Sha256,
            "http-auth@example.org",
            "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        );
        let v = answer(
            "Mufasa",
            "Circle of Life",
            &ch,
            "GET",
            "/dir/index.html",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            1,
        );
        assert!(
            v.contains(
                "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""
            ),
            "{v}"
        );
        assert!(v.contains("algorithm=SHA-256"));
    }

    fn resp(auth: &str) -> SipMessage {
        let text = format!(
            "SIP/2.0 407 Proxy Authentication Required\r\nVia: SIP/2.0/WS h;branch=z9hG4bKx\r\nCSeq: 1 INVITE\r\n{auth}\r\n\r\n"
        );
        parse(text.as_bytes()).expect("parse")
    }

    #[test]
    fn sha256_is_preferred_when_both_are_offered() {
        let r = resp(
            "Proxy-Authenticate: Digest realm=\"l\", nonce=\"n1\", qop=\"auth\", algorithm=MD5\r\n\
Proxy-Authenticate: Digest realm=\"l\", nonce=\"n2\", qop=\"auth\", algorithm=SHA-256",
        );
        let ch = best_challenge(&r).expect("challenge");
        assert_eq!(
            (ch.algo, ch.proxy, ch.nonce.as_str()),
            (Algo::Sha256, true, "n2")
        );
    }

    #[test]
    fn a_second_challenge_after_credentials_means_wrong_password_unless_stale() {
        let mut a = Authorizer::new("agent", "bad", "l");
        let first = resp("Proxy-Authenticate: Digest realm=\"l\", nonce=\"n1\", qop=\"auth\"");
        assert_eq!(a.on_challenge(&first, false), Ok(()));
        assert_eq!(a.on_challenge(&first, true), Err(AuthError::Rejected));
        let stale =
            resp("Proxy-Authenticate: Digest realm=\"l\", nonce=\"n3\", qop=\"auth\", stale=true");
        assert_eq!(a.on_challenge(&stale, true), Ok(()));
    }

    #[test]
    fn nonce_count_increases_with_each_use() {
        let mut a = Authorizer::new("agent", "pw", "l");
        a.on_challenge(
            &resp("Proxy-Authenticate: Digest realm=\"l\", nonce=\"n\", qop=\"auth\""),
            false,
        )
        .expect("challenge");
        let (name, first) = a.authorization("REGISTER", "sip:l").expect("auth");
        let (_, second) = a.authorization("REGISTER", "sip:l").expect("auth");
        assert_eq!(name, "Proxy-Authorization");
        assert!(first.contains("nc=00000001") && second.contains("nc=00000002"));
    }

    #[test]
    fn a_call_is_answered_only_for_the_registrars_realm() {
        let mut a = Authorizer::new("agent", "pw", "lifeline.lab");
        let registrar = resp("Proxy-Authenticate: Digest realm=\"reg\", nonce=\"n\", qop=\"auth\"");
        a.on_challenge(&registrar, false).expect("registrar");
        let foreign = resp("Proxy-Authenticate: Digest realm=\"evil\", nonce=\"e\", qop=\"auth\"");
        let err = a.on_call_challenge(&foreign, false).expect_err("refused");
        assert_eq!(
            err,
            AuthError::ForeignRealm {
                realm: "evil".into(),
                registrar: "reg".into()
            }
        );
        assert!(err.to_string().contains("did not send it"), "{err}");
        // Nothing changed: the registrar's challenge is still the one answered.
        let (_, v) = a.authorization("REGISTER", "sip:l").expect("auth");
        assert!(
            v.contains("realm=\"reg\"") && v.contains("nonce=\"n\""),
            "{v}"
        );
        // Of several challenges, the registrar's realm is picked.
        let both = resp(
            "Proxy-Authenticate: Digest realm=\"evil\", nonce=\"e\", qop=\"auth\", algorithm=SHA-256\r\n\
Proxy-Authenticate: Digest realm=\"reg\", nonce=\"n2\", qop=\"auth\"",
        );
        a.on_call_challenge(&both, false)
            .expect("registrar's realm");
        let (_, v) = a.authorization("INVITE", "sip:x@l").expect("auth");
        assert!(
            v.contains("realm=\"reg\"") && v.contains("nonce=\"n2\""),
            "{v}"
        );
    }

    #[test]
    fn before_any_register_challenge_calls_answer_only_the_accounts_domain() {
        let mut a = Authorizer::new("agent", "pw", "lifeline.lab");
        let own = resp("Proxy-Authenticate: Digest realm=\"lifeline.lab\", nonce=\"n\"");
        assert_eq!(a.on_call_challenge(&own, false), Ok(()));
        let other = resp("Proxy-Authenticate: Digest realm=\"x.example\", nonce=\"n\"");
        assert!(matches!(
            a.on_call_challenge(&other, false),
            Err(AuthError::ForeignRealm { .. })
        ));
    }

    #[test]
    fn only_unsupported_schemes_is_an_error() {
        let mut a = Authorizer::new("agent", "pw", "l");
        let r = resp("Proxy-Authenticate: Basic realm=\"l\"");
        assert_eq!(a.on_challenge(&r, false), Err(AuthError::Unsupported));
    }
}
