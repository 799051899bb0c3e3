//! Test-only driver of one [`MediaSession`] over JSON lines, with the WAV audio device.
//!
//! stdin commands: `{"cmd":"offer"}`, `{"cmd":"answer","sdp":..}` (apply the far end's answer),
//! `{"cmd":"accept","sdp":..}` (answer the far end's offer), `{"cmd":"dtmf","digits":".."}`,
//! `{"cmd":"mute","on":true}`, `{"cmd":"hold","on":true}`, `{"cmd":"close"}`.
//! stdout events: `{"event":"offer","sdp":..}`, `{"event":"answer","sdp":..}`, `{"event":"ok"}`,
//! `{"event":"error","message":..}`, and every media event as `{"event":"media",...}`.
//!
//! `cargo run -p lifeline-engine --example media-probe -- --audio-in tone.wav --audio-out out.wav`

use clap::Parser;
use lifeline_engine::audio::processing::VoiceProcessing;
use lifeline_engine::audio::wav::{InputEnd, WavConfig, WavDevice};
use lifeline_engine::media::{Codec, MediaConfig, MediaSession};
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    audio_in: Option<PathBuf>,
    #[arg(long)]
    audio_out: Option<PathBuf>,
    /// Play silence after the input file ends instead of looping it.
    #[arg(long)]
    no_loop: bool,
    /// Comma-separated codec preference: opus,pcmu,pcma.
    #[arg(long, default_value = "opus,pcmu,pcma")]
    codecs: String,
    #[arg(long)]
    emergency: bool,
    /// Run echo cancellation, noise suppression and gain control on the microphone (off by default
    /// here: the tests play synthetic tones, which noise suppression treats as noise).
    #[arg(long)]
    voice_processing: bool,
}

#[derive(Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
enum Cmd {
    Offer,
    Answer { sdp: String },
    Accept { sdp: String },
    Dtmf { digits: String },
    Mute { on: bool },
    Hold { on: bool },
    Close,
}

fn emit(v: serde_json::Value) {
    println!("{v}");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let args = Args::parse();
    let codecs: Vec<Codec> = args
        .codecs
        .split(',')
        .filter_map(|c| Codec::from_encoding_name(c.trim()))
        .collect();
    let (device, port) = WavDevice::start(WavConfig {
        input: args.audio_in.clone(),
        output: args.audio_out.clone(),
        input_end: if args.no_loop {
            InputEnd::Silence
        } else {
            InputEnd::Loop
        },
        ..WavConfig::default()
    })?;
    let voice_processing = if args.voice_processing {
        VoiceProcessing::default()
    } else {
        VoiceProcessing::off()
    };
    let config = MediaConfig {
        codecs,
        emergency: args.emergency,
        voice_processing,
        ..MediaConfig::default()
    };
    let (mut session, mut events) = MediaSession::new(config, port).await?;
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            let mut v = serde_json::to_value(&ev).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("event".into(), json!("media"));
            }
            emit(v);
        }
    });
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let cmd: Cmd = match serde_json::from_str(&line) {
            Ok(c) => c,
            Err(e) => {
                emit(json!({"event": "error", "message": format!("bad command: {e}")}));
                continue;
            }
        };
        let result = match cmd {
            Cmd::Offer => session
                .create_offer()
                .await
                .map(|sdp| json!({"event": "offer", "sdp": sdp})),
            Cmd::Answer { sdp } => session
                .set_remote_answer(&sdp)
                .await
                .map(|_| json!({"event": "ok"})),
            Cmd::Accept { sdp } => session
                .accept_offer(&sdp)
                .await
                .map(|sdp| json!({"event": "answer", "sdp": sdp})),
            Cmd::Dtmf { digits } => session.send_dtmf(&digits).map(|_| json!({"event": "ok"})),
            Cmd::Mute { on } => session.mute(on).map(|_| json!({"event": "ok"})),
            Cmd::Hold { on } => session.hold(on).map(|_| json!({"event": "ok"})),
            Cmd::Close => break,
        };
        match result {
            Ok(v) => emit(v),
            Err(e) => emit(json!({"event": "error", "message": e.to_string()})),
        }
    }
    session.close().await;
    device.stop()?;
    emit(json!({"event": "closed"}));
    Ok(())
}
