//! Helpers shared by the notify integration tests: a notice, a secret map, the lab's mail and webhook
//! directories, and a private aiosmtpd instance (the lab's own sink script on a free loopback port).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lifeline_engine::location::{CivicAddress, CivicField, Location, LocationSource};
use lifeline_engine::notify::{AgentInfo, DeviceInfo, EmergencyNotice, NoticeKind, SecretError, SecretSource};

pub fn lab_dir() -> PathBuf {
    std::env::var_os("LIFELINE_LAB_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/tmp/lifeline-lab"))
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A unique id for this test run (so waits never match another run's mail).
pub fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
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
            address: CivicAddress { country: "US".into(), lang: None, fields },
            source: LocationSource::Held { method: "Wiremap".into() },
        }),
        device: DeviceInfo { host_name: "lab-host".into(), ip_addresses: vec![IpAddr::from([192, 0, 2, 10])] },
        at: time::macros::datetime!(2026-11-21 21:00:05 UTC),
        agent_utc_offset: time::macros::offset!(-6),
        agent_time_zone: Some("America/Chicago".into()),
        reason: None,
    }
}

pub struct SecretMap(pub HashMap<String, String>);

impl SecretSource for SecretMap {
    fn secret(&self, reference: &str) -> Result<String, SecretError> {
        self.0.get(reference).cloned().ok_or_else(|| SecretError::NotFound(reference.to_owned()))
    }
}

/// Files in `dir` whose content contains `needle` (complete files only: the sinks write atomically).
pub fn files_containing(dir: &Path, needle: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')) {
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

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// A private SMTP sink (the lab's script) on `port`, saving into `maildir`; killed on drop.
pub struct PrivateSmtp {
    child: Child,
}

impl PrivateSmtp {
    pub fn start(port: u16, maildir: &Path) -> PrivateSmtp {
        let script = repo_root().join("tests/lab/smtp_sink.py");
        let child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--maildir"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3 tests/lab/smtp_sink.py (needs python3-aiosmtpd)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "private SMTP sink did not start on {port}");
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
