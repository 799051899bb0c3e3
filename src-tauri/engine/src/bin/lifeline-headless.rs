//! `lifeline-headless`: the engine without a window. One JSON command per line on stdin, one JSON event
//! per line on stdout, logs on stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lifeline_engine::api::{Command, ErrorCode, Event};
use lifeline_engine::audio::line::AudioSetup;
use lifeline_engine::audio::wav::{InputStart, WavConfig};
use lifeline_engine::config::{default_data_dir, EngineConfig};
use lifeline_engine::core::EngineOptions;
use lifeline_engine::redact;
use lifeline_engine::store_recovery::open_or_recover;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[derive(Parser, Debug)]
#[command(
    name = "lifeline-headless",
    version,
    about = "Lifeline softphone engine driven by JSON lines"
)]
struct Args {
    /// Start-up configuration (JSON): server, domain, user, lab.
    #[arg(long)]
    config: Option<PathBuf>,
    /// A managed-policy file to apply on top of the machine's policy.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Where the local database lives (default: the per-user data directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Use this WAV file as the microphone.
    #[arg(long)]
    audio_in: Option<PathBuf>,
    /// Write what the speaker would play to this WAV file.
    #[arg(long)]
    audio_out: Option<PathBuf>,
    /// Start the microphone file over at each call (as a browser's fake capture device does) instead
    /// of running it on across calls like a sound card's microphone.
    #[arg(long)]
    audio_in_each_call: bool,
    #[command(subcommand)]
    sub: Option<Sub>,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// Print the emergency numbers of a country as JSON.
    EmergencyNumbers {
        #[arg(long)]
        country: String,
    },
    /// Managed policy tools: check a file, print the schema or the effective settings.
    Policy {
        #[command(subcommand)]
        action: lifeline_engine::policy::cli::PolicyCommand,
    },
}

fn main() -> ExitCode {
    init_logging();
    let args = Args::parse();
    if let Some(sub) = &args.sub {
        return match sub {
            Sub::EmergencyNumbers { country } => {
                match lifeline_engine::emergency::numbers::print_listing(
                    country,
                    &mut std::io::stdout(),
                ) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("lifeline-headless emergency-numbers: {e}");
                        ExitCode::from(2)
                    }
                }
            }
            Sub::Policy { action } => ExitCode::from(lifeline_engine::policy::cli::run(
                action,
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            )),
        };
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lifeline-headless: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("lifeline-headless: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Logs on stderr through the same redactor as the desktop app's log files, other crates capped at info.
fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::Layer as _;
    let filter = tracing_subscriber::EnvFilter::try_from_env("LIFELINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let cap = tracing_subscriber::filter::filter_fn(|m| {
        redact::third_party_allowed(m.target(), *m.level() > tracing::Level::INFO)
    });
    // Colours only for a person at a terminal: a log file (the usual place of stderr: a service, the lab)
    // gets plain text that grep and a reader see as written.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let layer = match redact::Redactor::with_builtin_numbers() {
        Ok(r) => tracing_subscriber::fmt::layer()
            .with_ansi(ansi)
            .with_writer(redact::RedactingStderr(std::sync::Arc::new(r)))
            .boxed(),
        Err(e) => {
            eprintln!("lifeline-headless: log redaction unavailable ({e}); logging warnings only");
            tracing_subscriber::fmt::layer()
                .with_ansi(ansi)
                .with_writer(std::io::stderr)
                .with_filter(tracing_subscriber::filter::LevelFilter::WARN)
                .boxed()
        }
    };
    tracing_subscriber::registry()
        .with(layer.with_filter(filter).with_filter(cap))
        .init();
}

async fn serve(args: Args) -> Result<(), String> {
    let mut cfg = match &args.config {
        Some(p) => EngineConfig::load(p).map_err(|e| e.to_string())?,
        None => EngineConfig::default(),
    };
    cfg.data_dir = match args.data_dir {
        Some(d) => d,
        None => default_data_dir().map_err(|e| e.to_string())?,
    };
    // A damaged, read-only or full data folder never stops the engine: it says what is lost instead.
    let opened = open_or_recover(&cfg.data_dir, time::OffsetDateTime::now_utc())
        .map_err(|e| e.to_string())?;
    let audio = if args.audio_in.is_some() || args.audio_out.is_some() {
        AudioSetup::Files(WavConfig {
            input: args.audio_in.clone(),
            output: args.audio_out.clone(),
            input_start: if args.audio_in_each_call {
                InputStart::EachCall
            } else {
                InputStart::Session
            },
            ..WavConfig::default()
        })
    } else {
        AudioSetup::Devices
    };
    let handle = lifeline_engine::core::spawn_with(
        cfg,
        opened.store,
        EngineOptions {
            audio,
            policy_file: args.policy.clone(),
            store_loss: opened.loss,
        },
    );
    let commands = handle.commands;
    let mut events = handle.events;

    // One writer owns stdout: engine events and the binary's own answers (bad input) never interleave.
    let (local_tx, mut local) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let printer = tokio::spawn(async move {
        let mut out = tokio::io::stdout();
        loop {
            let ev = tokio::select! {
                ev = events.recv() => match ev { Some(ev) => ev, None => break },
                Some(ev) = local.recv() => ev,
            };
            let Ok(mut line) = serde_json::to_string(&ev) else {
                continue;
            };
            line.push('\n');
            if out.write_all(line.as_bytes()).await.is_err() || out.flush().await.is_err() {
                break;
            }
        }
    });

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(l)) => l,
            Ok(None) | Err(_) => break, // stdin closed: quit as if asked.
        };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Command>(&line) {
            Ok(cmd) => {
                let quit = cmd == Command::Quit;
                if commands.send(cmd).await.is_err() || quit {
                    break;
                }
            }
            Err(e) => {
                let _ = local_tx.send(Event::error(
                    ErrorCode::BadCommand,
                    format!("not a command: {e}"),
                    &[("detail", e.to_string())],
                ));
            }
        }
    }
    let _ = commands.send(Command::Quit).await;
    drop(commands);
    let _ = printer.await;
    Ok(())
}
