//! How long media setup takes between two engines on loopback: offer made -> media connected (ICE and
//! DTLS up), as `MediaEvent::Connected { setup_ms }` reports it. Prints the figures; asserts only a
//! generous bound (a broken handshake, never a timing race).
//!
//! ```text
//! LIFELINE_SETUP_RUNS=11 cargo test -p lifeline-engine --lib media::pair_tests::setup_time -- --nocapture
//! LIFELINE_LOG=rtc_ice=trace,rtc_dtls=trace,rtc=debug,webrtc=debug ... (the same, with the timeline)
//! ```

use super::{wait_for, MediaConfig, MediaEvent, MediaSession, VoiceProcessing};
use crate::audio::AudioPort;
use std::time::Duration;

/// The offerer's and the answerer's setup time of one call, in ms.
async fn one_setup() -> (u64, u64) {
    let config = MediaConfig {
        voice_processing: VoiceProcessing::off(),
        ..MediaConfig::default()
    };
    let (mut a, mut a_events) = MediaSession::new(config.clone(), AudioPort::detached())
        .await
        .expect("session a");
    let (mut b, mut b_events) = MediaSession::new(config, AudioPort::detached())
        .await
        .expect("session b");
    let offer = a.create_offer().await.expect("offer");
    let answer = b.accept_offer(&offer).await.expect("answer");
    a.set_remote_answer(&answer).await.expect("apply answer");
    let mut setup = Vec::new();
    for events in [&mut a_events, &mut b_events] {
        if let MediaEvent::Connected { setup_ms } = wait_for(events, "connected", |e| {
            matches!(e, MediaEvent::Connected { .. })
        })
        .await
        {
            setup.push(setup_ms);
        }
    }
    a.close().await;
    b.close().await;
    (setup[0], setup[1])
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_setup_time_between_two_engines_is_printed() {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("LIFELINE_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
    let runs: usize = std::env::var("LIFELINE_SETUP_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let (mut offerer, mut answerer) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (a, b) = one_setup().await;
        offerer.push(a);
        answerer.push(b);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "setup_ms over {runs} in-process setups: offerer (DTLS client) median {} {offerer:?}; \
         answerer (DTLS server) median {} {answerer:?}",
        median(offerer.clone()),
        median(answerer.clone())
    );
    assert!(
        offerer.iter().chain(&answerer).all(|ms| *ms < 5_000),
        "a setup took seconds: {offerer:?} {answerer:?}"
    );
}
