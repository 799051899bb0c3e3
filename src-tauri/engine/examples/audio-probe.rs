//! Test-only driver of the real audio devices (cpal).
//!
//! `audio-probe list` prints the devices as one JSON line.
//! `audio-probe play --tone 1000 --seconds 4 [--speaker NAME] [--switch-to NAME --switch-after 2]`
//! plays a tone through the call path (AudioPort -> ring -> cpal callback) the way the media thread does,
//! optionally moving the call to another speaker mid-stream; audio events are printed as JSON lines.

use clap::{Parser, Subcommand};
use lifeline_engine::audio::devices::{list_devices, CpalAudio, Ringer};
use lifeline_engine::audio::AudioEvent;
use serde_json::json;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    List,
    /// Ring on the ringer device: a 440/480 Hz ring tone, looped.
    Ring {
        #[arg(long)]
        device: Option<String>,
        #[arg(long, default_value_t = 2.0)]
        seconds: f32,
    },
    Play {
        #[arg(long, default_value_t = 1000.0)]
        tone: f32,
        #[arg(long, default_value_t = 4.0)]
        seconds: f32,
        #[arg(long)]
        mic: Option<String>,
        #[arg(long)]
        speaker: Option<String>,
        #[arg(long)]
        switch_to: Option<String>,
        #[arg(long, default_value_t = 2.0)]
        switch_after: f32,
    },
}

fn emit_events(t0: Instant, events: Vec<AudioEvent>) {
    for e in events {
        let mut v = serde_json::to_value(&e).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("event".into(), json!("audio"));
            o.insert("t".into(), json!(t0.elapsed().as_secs_f64()));
        }
        println!("{v}");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    match Args::parse().cmd {
        Cmd::List => println!(
            "{}",
            json!({"event": "devices", "devices": list_devices()?})
        ),
        Cmd::Ring { device, seconds } => {
            // North American ring: 440 + 480 Hz, 2 s on, 4 s off (here: the on part, looped).
            let tone: Vec<i16> = (0..96_000)
                .map(|i| {
                    let t = i as f32 / 48_000.0;
                    (((2.0 * std::f32::consts::PI * 440.0 * t).sin()
                        + (2.0 * std::f32::consts::PI * 480.0 * t).sin())
                        * 6_000.0) as i16
                })
                .collect();
            let ringer = Ringer::start(device.as_deref(), tone.into())?;
            println!(
                "{}",
                json!({"event": "ringing", "device": ringer.device_name()})
            );
            std::thread::sleep(Duration::from_secs_f32(seconds));
            drop(ringer);
            println!("{}", json!({"event": "done"}));
        }
        Cmd::Play {
            tone,
            seconds,
            mic,
            speaker,
            switch_to,
            switch_after,
        } => {
            let t0 = Instant::now();
            let (mut audio, mut port, events) =
                CpalAudio::start(mic.as_deref(), speaker.as_deref())?;
            emit_events(t0, events);
            // Play time counts from when the devices are open (opening a PulseAudio record stream can
            // take a second or more on a suspended null sink).
            let t0 = Instant::now();
            // The "media thread": 20 ms of tone per period into the port, as the call pipeline does.
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let stop_producer = stop.clone();
            let producer = std::thread::spawn(move || {
                let mut frame = vec![0i16; 960];
                let mut mic_buf = vec![0i16; 960];
                let mut n = 0usize;
                let mut next = Instant::now();
                while !stop_producer.load(std::sync::atomic::Ordering::Relaxed) {
                    for s in frame.iter_mut() {
                        *s = ((2.0 * std::f32::consts::PI * tone * n as f32 / 48_000.0).sin()
                            * 12_000.0) as i16;
                        n += 1;
                    }
                    port.read_mic(&mut mic_buf);
                    if port.speaker_backlog() < 960 * 8 {
                        port.write_speaker(&frame);
                    }
                    next += Duration::from_millis(20);
                    if let Some(wait) = next.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                }
            });
            // The control side: device switches and health checks, never on the media thread.
            let mut switched = switch_to.is_none();
            while t0.elapsed().as_secs_f32() < seconds {
                if !switched && t0.elapsed().as_secs_f32() >= switch_after {
                    switched = true;
                    println!(
                        "{}",
                        json!({"event": "switching", "t": t0.elapsed().as_secs_f64()})
                    );
                    emit_events(t0, audio.switch(None, switch_to.as_deref())?);
                }
                emit_events(t0, audio.poll(Instant::now()));
                std::thread::sleep(Duration::from_millis(100));
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = producer.join();
            let c = &audio.speaker_counters;
            println!(
                "{}",
                json!({"event": "done", "t": t0.elapsed().as_secs_f64(),
                       "callbacks": c.callbacks.load(std::sync::atomic::Ordering::Relaxed),
                       "played": c.played.load(std::sync::atomic::Ordering::Relaxed),
                       "underrun": c.underrun.load(std::sync::atomic::Ordering::Relaxed)})
            );
        }
    }
    Ok(())
}
