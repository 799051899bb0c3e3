//! Helpers shared by the notify integration tests: a notice, a secret map, the lab's mail and webhook
//! directories, and a private aiosmtpd instance (the lab's own sink script on a free loopback port).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lifeline_engine::location::{CivicAddress, CivicField, Location, LocationSource};
use lifeline_engine::notify::{
    AgentInfo, DeviceInfo, EmergencyNotice, NoticeKind, NotifyPolicy, SecretError, SecretSource,
    SmtpPolicy, SmtpTls,
};

pub fn lab_dir() -> PathBuf {
    std::env::var_os("LIFELINE_LAB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/lifeline-lab"))
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A unique id for this test run (so waits never match another run's mail).
pub fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{tag}-{}-{nanos}", std::process::id())
}

pub fn notice(call_id: &str, kind: NoticeKind) -> EmergencyNotice {
    let fields: BTreeMap<CivicField, String> = [
        (CivicField::A1, "IL"),
        (CivicField::A3, "Springfield"),
        (CivicField::Hno, "742"),
        (CivicField::Rd, "Evergreen"),
        (CivicField::Sts, "Terrace"),
        (CivicField::Pc, "62704"),
        (CivicField::Bld, "Lab Building"),
        (CivicField::Flr, "4"),
        (CivicField::Room, "4.12"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    EmergencyNotice {
        kind,
        call_id: call_id.to_owned(),
        agent: AgentInfo {
            user: "agent".into(),
            display_name: Some("Ada Agent".into()),
            line: Some("sip:agent@lifeline.lab".into()),
        },
        caller_id: Some("+15555550100".into()),
        callback_number: Some("+15555550199".into()),
        location: Some(Location {
            address: CivicAddress {
                country: "US".into(),
                lang: None,
                fields,
            },
            source: LocationSource::Held {
                method: "Wiremap".into(),
            },
            determined_at: time::OffsetDateTime::UNIX_EPOCH,
            unconfirmed: false,
        }),
        device: DeviceInfo {
            host_name: "lab-host".into(),
            ip_addresses: vec![IpAddr::from([192, 0, 2, 10])],
        },
        at: time::macros::datetime!(2026-11-21 21:00:05 UTC),
        agent_utc_offset: time::macros::offset!(-6),
        agent_time_zone: Some("America/Chicago".into()),
        reason: None,
    }
}

pub struct SecretMap(pub HashMap<String, String>);

impl SecretSource for SecretMap {
    fn secret(&self, reference: &str) -> Result<String, SecretError> {
        self.0
            .get(reference)
            .cloned()
            .ok_or_else(|| SecretError::NotFound(reference.to_owned()))
    }
}

/// Files in `dir` whose content contains `needle` (complete files only: the sinks write atomically).
pub fn files_containing(dir: &Path, needle: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
            {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&p) {
                if text.contains(needle) {
                    out.push((p, text));
                }
            }
        }
    }
    out.sort();
    out
}

/// Waits until at least one file in `dir` contains `needle`; returns them all.
pub fn wait_for_files(dir: &Path, needle: &str, timeout: Duration) -> Vec<(PathBuf, String)> {
    let deadline = Instant::now() + timeout;
    loop {
        let found = files_containing(dir, needle);
        if !found.is_empty() || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Undoes quoted-printable soft breaks and =XX escapes (for checking mail bodies).
pub fn unquote(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let b = joined.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The lab venv's python (it has aiosmtpd), else the system one.
pub fn python() -> PathBuf {
    let venv = PathBuf::from("/var/cache/lifeline/venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("/usr/bin/python3")
    }
}

const IMPLICIT_TLS_SINK: &str = r#"
import asyncio, signal, ssl, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from smtp_sink import SaveToMaildir, authenticate
from aiosmtpd.smtp import SMTP
port, maildir, cert, key = int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], sys.argv[5]
async def main():
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    handler = SaveToMaildir(maildir)
    factory = lambda: SMTP(handler, hostname="lifeline.lab", authenticator=authenticate,
                           auth_required=False, auth_require_tls=False)
    server = await asyncio.get_running_loop().create_server(factory, host="127.0.0.1", port=port, ssl=ctx)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
asyncio.run(main())
"#;

/// A test CA and a server certificate it signed for 127.0.0.1 (as a company's private CA would):
/// returns (ca.crt, server.crt, server.key).
pub fn make_test_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let ok = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(ok.is_ok_and(|s| s.success()), "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Lifeline Test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .expect("ext.cnf");
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "server.crt",
    ]);
    (
        dir.join("ca.crt"),
        dir.join("server.crt"),
        dir.join("server.key"),
    )
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// A private SMTP sink (the lab's script) on `port`, saving into `maildir`; killed on drop.
pub struct PrivateSmtp {
    child: Child,
}

impl PrivateSmtp {
    pub fn start(port: u16, maildir: &Path) -> PrivateSmtp {
        let script = repo_root().join("tests/lab/smtp_sink.py");
        let mut cmd = Command::new(python());
        cmd.arg(script)
            .args(["--port", &port.to_string(), "--maildir"])
            .arg(maildir);
        PrivateSmtp::spawn(cmd, port)
    }

    /// With STARTTLS offered, using `cert`/`key`.
    pub fn start_starttls(port: u16, maildir: &Path, cert: &Path, key: &Path) -> PrivateSmtp {
        let script = repo_root().join("tests/lab/smtp_sink.py");
        let mut cmd = Command::new(python());
        cmd.arg(script)
            .args(["--port", &port.to_string(), "--maildir"])
            .arg(maildir);
        cmd.arg("--cert").arg(cert).arg("--key").arg(key);
        PrivateSmtp::spawn(cmd, port)
    }

    /// Implicit TLS (SMTPS) from the first byte, same handler and AUTH as the lab's sink.
    pub fn start_implicit_tls(port: u16, maildir: &Path, cert: &Path, key: &Path) -> PrivateSmtp {
        let mut cmd = Command::new(python());
        cmd.arg("-c")
            .arg(IMPLICIT_TLS_SINK)
            .arg(repo_root().join("tests/lab"))
            .arg(port.to_string());
        cmd.arg(maildir).arg(cert).arg(key);
        PrivateSmtp::spawn(cmd, port)
    }

    fn spawn(mut cmd: Command, port: u16) -> PrivateSmtp {
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a private SMTP sink (needs aiosmtpd)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "private SMTP sink did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        PrivateSmtp { child }
    }
}

impl Drop for PrivateSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Email to `to` through an SMTP server on 127.0.0.1:`port` without TLS or AUTH.
pub fn plain_smtp_policy(port: u16, to: &str) -> NotifyPolicy {
    NotifyPolicy {
        smtp: Some(SmtpPolicy {
            host: "127.0.0.1".into(),
            port: Some(port),
            tls: SmtpTls::None,
            from: "lifeline@lifeline.lab".into(),
            user: None,
            password_ref: None,
            ca_file: None,
        }),
        email_to: vec![to.to_owned()],
        ..Default::default()
    }
}
