//! The jitter buffer's behaviour: order, loss, lateness, wrap, pauses, and the adaptive depth.

use super::*;
use proptest::prelude::*;

/// Push without timing (the fixed-order tests).
trait Put {
    fn put(&mut self, seq: u16, item: u16) -> PushOutcome;
}

impl Put for JitterBuffer<u16> {
    fn put(&mut self, seq: u16, item: u16) -> PushOutcome {
        self.push(seq, None, item, Instant::now())
    }
}

fn frames(jb: &mut JitterBuffer<u16>, n: usize) -> Vec<Playout<u16>> {
    (0..n).map(|_| jb.pop()).collect()
}

#[test]
fn nothing_plays_until_the_target_depth_is_buffered() {
    let mut jb = JitterBuffer::new(3, 10);
    jb.put(100, 100);
    jb.put(101, 101);
    assert_eq!(jb.pop(), Playout::Idle);
    jb.put(102, 102);
    assert_eq!(
        frames(&mut jb, 3),
        vec![
            Playout::Frame(100),
            Playout::Frame(101),
            Playout::Frame(102)
        ]
    );
}

#[test]
fn reordered_packets_play_in_sequence_order() {
    let mut jb = JitterBuffer::new(3, 10);
    for seq in [11u16, 10, 13, 12] {
        jb.put(seq, seq);
    }
    assert_eq!(
        frames(&mut jb, 4),
        vec![
            Playout::Frame(10),
            Playout::Frame(11),
            Playout::Frame(12),
            Playout::Frame(13)
        ]
    );
}

#[test]
fn a_lost_packet_is_concealed_and_playout_continues() {
    let mut jb = JitterBuffer::new(2, 10);
    for seq in [1u16, 2, 4, 5] {
        jb.put(seq, seq);
    }
    assert_eq!(
        frames(&mut jb, 5),
        vec![
            Playout::Frame(1),
            Playout::Frame(2),
            Playout::Conceal,
            Playout::Frame(4),
            Playout::Frame(5)
        ]
    );
    assert_eq!(jb.stats().concealed, 1);
}

#[test]
fn a_packet_arriving_after_its_slot_is_dropped_as_late() {
    let mut jb = JitterBuffer::new(2, 10);
    for seq in [1u16, 2, 4] {
        jb.put(seq, seq);
    }
    assert_eq!(
        frames(&mut jb, 3),
        vec![Playout::Frame(1), Playout::Frame(2), Playout::Conceal]
    );
    assert_eq!(jb.put(3, 3), PushOutcome::Late);
    assert_eq!(jb.pop(), Playout::Frame(4));
    assert_eq!(jb.stats().late, 1);
}

#[test]
fn packets_held_up_are_concealed_but_not_counted_lost_and_missing_ones_are() {
    let mut jb = JitterBuffer::new(2, 10);
    for seq in [1u16, 2, 4] {
        jb.put(seq, seq);
    }
    frames(&mut jb, 3); // 1, 2, and 3 concealed
    jb.put(3, 3); // late: it came, after its slot
    jb.pop(); // 4
    frames(&mut jb, 2); // the buffer runs empty: concealed while it waits for 5
    jb.put(5, 5); // held up, not lost: it plays
    jb.put(7, 7); // 6 never comes
    frames(&mut jb, 3);
    let s = jb.stats();
    assert!(s.concealed >= 3, "concealed {}", s.concealed);
    assert_eq!(s.late, 1);
    assert_eq!(
        (s.arrivals.expected(), s.arrivals.arrived()),
        (7, 6),
        "only 6 was lost"
    );
}

#[test]
fn sequence_numbers_wrap_around() {
    let mut jb = JitterBuffer::new(2, 10);
    for seq in [65534u16, 65535, 0, 1] {
        jb.put(seq, seq);
    }
    assert_eq!(
        frames(&mut jb, 4),
        vec![
            Playout::Frame(65534),
            Playout::Frame(65535),
            Playout::Frame(0),
            Playout::Frame(1)
        ]
    );
}

#[test]
fn duplicates_are_ignored() {
    let mut jb = JitterBuffer::new(1, 10);
    assert_eq!(jb.put(7, 7), PushOutcome::Queued);
    assert_eq!(jb.put(7, 7), PushOutcome::Duplicate);
    assert_eq!(frames(&mut jb, 1), vec![Playout::Frame(7)]);
}

/// NetEq's expand: when packets stop, concealment goes on (fading out, see `conceal`) for as long as it
/// is audible rather than stopping after a few frames, then silence. Only the first few frames count as
/// lost (a pause of the sender's is not loss for the encoder's loss figure).
#[test]
fn a_paused_stream_conceals_while_the_fade_is_audible_then_goes_idle_and_prefetches_again() {
    let mut jb = JitterBuffer::new(2, 10);
    jb.put(1, 1);
    jb.put(2, 2);
    let expand = UNDERRUN_EXPAND_LIMIT as usize;
    assert!(expand > UNDERRUN_CONCEAL_LIMIT as usize);
    let out = frames(&mut jb, 2 + expand + 2);
    let mut expected = vec![Playout::Frame(1), Playout::Frame(2)];
    expected.extend(std::iter::repeat_n(Playout::Conceal, expand));
    expected.extend([Playout::Idle, Playout::Idle]);
    assert_eq!(out, expected);
    assert_eq!(jb.stats().concealed, u64::from(UNDERRUN_CONCEAL_LIMIT));
    // The sender resumes later with a jump in sequence numbers (e.g. after hold).
    jb.put(50, 50);
    assert_eq!(jb.pop(), Playout::Idle);
    jb.put(51, 51);
    assert_eq!(
        frames(&mut jb, 2),
        vec![Playout::Frame(50), Playout::Frame(51)]
    );
}

#[test]
fn an_overfull_buffer_drops_the_oldest_frames_to_bound_delay() {
    let mut jb = JitterBuffer::new(2, 4);
    for seq in 0u16..8 {
        jb.put(seq, seq);
    }
    assert_eq!(jb.len(), 4);
    assert_eq!(jb.pop(), Playout::Frame(4));
    assert_eq!(jb.stats().overflow_dropped, 4);
}

proptest! {
    /// Whatever the arrival order, every frame is played at most once, in increasing order.
    #[test]
    fn frames_play_at_most_once_and_in_order(order in Just((0u16..40).collect::<Vec<_>>()).prop_shuffle(),
                                              drop_mask in proptest::collection::vec(any::<bool>(), 40)) {
        let mut jb = JitterBuffer::new(3, 64);
        let mut played = Vec::new();
        for (i, seq) in order.iter().enumerate() {
            if !drop_mask[i] {
                jb.put(65520u16.wrapping_add(*seq), *seq);
            }
            if i % 2 == 1 {
                if let Playout::Frame(f) = jb.pop() { played.push(f); }
            }
        }
        for _ in 0..80 {
            if let Playout::Frame(f) = jb.pop() { played.push(f); }
        }
        for w in played.windows(2) {
            prop_assert!(w[0] < w[1]);
        }
    }
}

#[test]
fn after_a_loss_the_following_packet_is_offered_for_fec() {
    let mut jb = JitterBuffer::new(2, 10);
    for seq in [1u16, 2, 4] {
        jb.put(seq, seq);
    }
    assert_eq!(
        frames(&mut jb, 2),
        vec![Playout::Frame(1), Playout::Frame(2)]
    );
    assert_eq!(jb.pop(), Playout::Conceal);
    assert_eq!(jb.following(), Some(&4));
    assert_eq!(
        jb.pop(),
        Playout::Frame(4),
        "and it still plays in its own slot"
    );
}

#[test]
fn a_late_packet_raises_the_target_at_once() {
    let mut jb = JitterBuffer::new(2, 10);
    for seq in [1u16, 2, 4] {
        jb.put(seq, seq);
    }
    frames(&mut jb, 3);
    let before = jb.target();
    assert_eq!(jb.put(3, 3), PushOutcome::Late);
    assert_eq!(jb.target(), before + 1);
}

/// Plays like the pipeline: every 20 ms it needs a frame of audio; it takes frames while its decoded
/// backlog is short, shortening one by a quarter when told Faster and lengthening it when Slower.
struct Listener {
    decoded: usize,
    played: Vec<u16>,
    concealed: usize,
    /// Frames played shortened and lengthened.
    faster: usize,
    slower: usize,
    /// The time of the period being played (ms), set by the driver (frames owed after a stall are all
    /// played then: their heard times are not meaningful).
    now_ms: u64,
    /// The same time as the buffer's clock.
    clock: Instant,
    /// Each frame played and when its first sample is heard (ms): after the audio decoded before it.
    heard: Vec<(u16, f64)>,
    /// Concealed slots whose successor was buffered (its in-band FEC could rebuild them).
    fec_usable: usize,
}

impl Listener {
    fn new() -> Self {
        Self {
            decoded: 0,
            played: Vec::new(),
            concealed: 0,
            faster: 0,
            slower: 0,
            now_ms: 0,
            clock: Instant::now(),
            heard: Vec::new(),
            fec_usable: 0,
        }
    }

    /// `behind`: periods due after this one, played at once (catching up after a stall).
    fn period(&mut self, jb: &mut JitterBuffer<u16>, behind: usize) {
        let mut pops = 0;
        while self.decoded < 960 && pops < 4 {
            pops += 1;
            let tempo = jb.tempo(self.decoded as f32 / 960.0, behind, self.clock);
            let frame = match tempo {
                // The upper bound: as if every frame were a pause.
                Tempo::Faster | Tempo::FasterInPause => 720,
                Tempo::Slower | Tempo::SlowerInPause => 1200,
                Tempo::Normal => 960,
            };
            match jb.pop() {
                Playout::Idle => {
                    self.decoded = 960;
                    break;
                }
                Playout::Frame(f) => {
                    self.played.push(f);
                    self.heard
                        .push((f, self.now_ms as f64 + self.decoded as f64 / 48.0));
                }
                Playout::Conceal => {
                    self.concealed += 1;
                    if jb.following().is_some() {
                        self.fec_usable += 1;
                    }
                }
            }
            self.decoded += frame;
            match tempo {
                Tempo::Faster | Tempo::FasterInPause => self.faster += 1,
                Tempo::Slower | Tempo::SlowerInPause => self.slower += 1,
                Tempo::Normal => {}
            }
        }
        self.decoded = self.decoded.saturating_sub(960);
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Packet `n` is sent at `n * 20 ms` and arrives `extra[n]` ms later than the quickest; returns the
/// target and the depth steered by ([`JitterBuffer::depth_at`]) after every period.
fn run(
    jb: &mut JitterBuffer<u16>,
    listener: &mut Listener,
    extra: &[u64],
    first_seq: u16,
) -> Vec<(usize, f64)> {
    run_stalling(jb, listener, extra, first_seq, None)
}

/// As [`run`], with the media thread stalling for `stall.1` periods every `stall.0` periods: nothing is
/// pushed or played meanwhile, then the packets that arrived are pushed (with their arrival times) and
/// the frames owed are played at once, as the pipeline's pacer does.
fn run_stalling(
    jb: &mut JitterBuffer<u16>,
    listener: &mut Listener,
    extra: &[u64],
    first_seq: u16,
    stall: Option<(u64, u64)>,
) -> Vec<(usize, f64)> {
    let t0 = Instant::now();
    let mut arrivals: Vec<(u64, usize)> = extra
        .iter()
        .enumerate()
        .map(|(n, e)| (n as u64 * 20 + 30 + e, n))
        .collect();
    arrivals.sort();
    let mut next = 0;
    let mut trace = Vec::new();
    let mut owed = 0;
    for period in 0..(extra.len() as u64 + 50) {
        owed += 1;
        if stall.is_some_and(|(every, length)| period % every >= every - length) {
            trace.push((jb.target(), f64::from(jb.depth_at(t0 + ms(period * 20)))));
            continue;
        }
        let now = period * 20;
        while next < arrivals.len() && arrivals[next].0 <= now {
            let (at, n) = arrivals[next];
            let media = MediaTime {
                timestamp: 1_000_000u32.wrapping_add(n as u32 * 960),
                clock_rate: 48_000,
            };
            jb.push(
                first_seq.wrapping_add(n as u16),
                Some(media),
                n as u16,
                t0 + ms(at),
            );
            assert!(jb.len() <= 15);
            next += 1;
        }
        for behind in (0..owed).rev() {
            listener.now_ms = now;
            listener.clock = t0 + ms(now);
            listener.period(jb, behind);
        }
        owed = 0;
        trace.push((jb.target(), f64::from(jb.depth_at(t0 + ms(now)))));
    }
    trace
}

/// A pseudo-random delay in 0..`max` ms for packet `n`.
fn jitter(n: usize, max: u64) -> u64 {
    let x = (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 33) % max
}

#[test]
fn the_depth_follows_jitter_up_and_comes_back_down_when_the_path_calms() {
    let mut jb = JitterBuffer::new(2, 15);
    let mut listener = Listener::new();
    // 10 s of 0-100 ms jitter, then 20 s of a calm path.
    let extra: Vec<u64> = (0..1500)
        .map(|n| if n < 500 { jitter(n, 100) } else { 0 })
        .collect();
    let trace = run(&mut jb, &mut listener, &extra, 40_000);
    let at = |s: usize| trace[s * 50];
    let mean_depth = |from: usize, to: usize| {
        trace[from * 50..to * 50].iter().map(|t| t.1).sum::<f64>() / ((to - from) * 50) as f64
    };
    println!(
        "target/depth at 2 s {:?}, 9 s {:?}, 16 s {:?}, 29 s {:?}; mean depth 5-10 s {:.1}, 25-30 s {:.1}",
        at(2),
        at(9),
        at(16),
        at(29),
        mean_depth(5, 10),
        mean_depth(25, 30)
    );
    assert!(
        at(9).0 >= 5,
        "jitter of 100 ms needs 5+ frames: {:?}",
        at(9)
    );
    assert!(
        mean_depth(5, 10) >= at(9).0 as f64 - 1.5,
        "the depth follows the target"
    );
    assert!(at(29).0 <= 2, "calm again: {:?}", at(29));
    assert!(mean_depth(25, 30) <= 3.0, "the delay came back down");
    let concealed_while_jittery = listener.concealed;
    assert!(
        concealed_while_jittery < 40,
        "few frames concealed: {concealed_while_jittery}"
    );
    for w in listener.played.windows(2) {
        assert!(w[0] < w[1], "in order");
    }
    assert!(listener.played.len() >= 1450, "{}", listener.played.len());
}

proptest! {
    /// Whatever the delays, losses and duplicates, and across the sequence wrap: frames play at most
    /// once, in order; the buffer never holds more than its maximum.
    #[test]
    fn adaptive_playout_keeps_order_and_bounds(
        delays in proptest::collection::vec(0u64..300, 200),
        lost in proptest::collection::vec(proptest::bool::weighted(0.1), 200),
        first_seq in 65_400u16..=65_535,
    ) {
        let mut jb = JitterBuffer::new(2, 15);
        let mut listener = Listener::new();
        let extra: Vec<u64> = delays.clone();
        let t0 = Instant::now();
        let mut arrivals: Vec<(u64, usize)> = extra.iter().enumerate()
            .filter(|(n, _)| !lost[*n])
            .flat_map(|(n, e)| {
                let at = n as u64 * 20 + e;
                // every fifth packet is duplicated, 7 ms later
                let dup = (n % 5 == 0).then_some((at + 7, n));
                std::iter::once((at, n)).chain(dup)
            })
            .collect();
        arrivals.sort();
        let mut next = 0;
        for period in 0..300u64 {
            while next < arrivals.len() && arrivals[next].0 <= period * 20 {
                let (at, n) = arrivals[next];
                let media = MediaTime { timestamp: (n as u32).wrapping_mul(960).wrapping_sub(5_000), clock_rate: 48_000 };
                jb.push(first_seq.wrapping_add(n as u16), Some(media), n as u16, t0 + ms(at));
                prop_assert!(jb.len() <= 15);
                prop_assert!(jb.target() <= 14 && jb.target() >= 1);
                next += 1;
            }
            listener.clock = t0 + ms(period * 20);
            listener.period(&mut jb, 0);
        }
        for w in listener.played.windows(2) {
            prop_assert!(w[0] < w[1], "{:?}", listener.played);
        }
    }
}

/// The benchmark's "30 ms jitter" (every packet delayed 40 +/- 30 ms, uniform: reordered often): the
/// depth needed is the spread, 60 ms (three frames and the one playing), and the target must settle
/// near it rather than climb towards the maximum (the lab measured 318 ms mouth-to-ear here).
#[test]
fn uniform_jitter_of_60_ms_settles_near_four_frames() {
    let mut jb = JitterBuffer::new(3, 15);
    let mut listener = Listener::new();
    let extra: Vec<u64> = (0..1500).map(|n| jitter(n, 61)).collect();
    let trace = run(&mut jb, &mut listener, &extra, 10);
    let targets: Vec<usize> = (1..30).map(|s| trace[s * 50].0).collect();
    let mean_depth = trace[500..1500].iter().map(|t| t.1).sum::<f64>() / 1000.0;
    println!(
        "target every second {targets:?}; mean depth 10-30 s {mean_depth:.1}; concealed {}",
        listener.concealed
    );
    assert!(
        targets[9..].iter().all(|&t| t <= 6),
        "target stays near the spread: {targets:?}"
    );
    assert!(mean_depth <= 6.0, "mean depth {mean_depth:.1}");
}

/// A loaded machine: the media thread stalls for 80 ms every 1.5 s, then pushes the packets that came
/// meanwhile and plays the four frames it owes at once. Those packets are the frames owed, not a deeper
/// buffer: the catch-up must not be time-compressed (and the depth it would leave short stretched back),
/// on a calm path or a jittery one (offline PESQ under 30 ms jitter went from 4.0 to 3.4 with stalls).
#[test]
fn catching_up_after_a_stall_is_not_time_scaled() {
    for spread in [1, 61] {
        let extra: Vec<u64> = (0..1500).map(|n| jitter(n, spread)).collect();
        let mut steady = Listener::new();
        run(&mut JitterBuffer::new(3, 15), &mut steady, &extra, 7);
        let mut stalling = Listener::new();
        let trace = run_stalling(
            &mut JitterBuffer::new(3, 15),
            &mut stalling,
            &extra,
            7,
            Some((75, 4)),
        );
        println!(
            "0-{spread} ms: steady {} faster {} slower; stalling {} faster {} slower; targets {:?}",
            steady.faster,
            steady.slower,
            stalling.faster,
            stalling.slower,
            (1..30).map(|s| trace[s * 50].0).collect::<Vec<_>>()
        );
        assert!(
            stalling.faster + stalling.slower <= steady.faster + steady.slower + 4,
            "20 stalls, each time-scaled: {} faster, {} slower (steady: {}, {})",
            stalling.faster,
            stalling.slower,
            steady.faster,
            steady.slower
        );
        assert_eq!(stalling.played.len(), steady.played.len());
    }
}

/// A depth a little above its target waits for a pause to come down; far above, it comes down at once.
#[test]
fn a_little_too_deep_waits_for_a_pause_and_far_too_deep_does_not() {
    let mut jb = JitterBuffer::new(2, 15);
    for seq in 0u16..5 {
        jb.put(seq, seq);
    }
    assert_eq!(jb.pop(), Playout::Frame(0));
    // Depth 4 against a target of 2, filtered over a few frames.
    let mut tempo = Tempo::Normal;
    for _ in 0..20 {
        tempo = jb.tempo(0.0, 0, Instant::now());
    }
    assert_eq!(tempo, Tempo::FasterInPause);
    for seq in 5u16..9 {
        jb.put(seq, seq);
    }
    for _ in 0..20 {
        tempo = jb.tempo(0.0, 0, Instant::now());
    }
    assert_eq!(tempo, Tempo::Faster, "depth 8 against 2");
    // Four of those frames are owed (a stall): the depth on the playout's clock is 4 again.
    assert_eq!(jb.tempo(0.0, 4, Instant::now()), Tempo::FasterInPause);
}

/// What a jitter trace costs: how late the audio is heard beyond the quickest packet's transit, and
/// how many packets came after their slot.
#[derive(Debug)]
struct TraceFigures {
    /// Mean and 95th percentile of (heard - sent - quickest transit), ms, over the last two thirds.
    mean_delay_ms: f64,
    p95_delay_ms: f64,
    /// Packets dropped as late, in % of those sent.
    late_percent: f64,
    concealed: usize,
    /// Target depth (frames) once a second.
    targets: Vec<usize>,
}

/// Plays `extra` (packet `n` sent at `n * 20` ms, arriving `30 + extra[n]` ms later) through a buffer.
fn trace_figures(extra: &[u64]) -> TraceFigures {
    let mut jb = JitterBuffer::new(3, 15);
    let mut listener = Listener::new();
    let trace = run(&mut jb, &mut listener, extra, 100);
    let quickest = extra.iter().copied().min().unwrap_or(0) as f64;
    let skip = extra.len() / 3;
    let mut delays: Vec<f64> = listener
        .heard
        .iter()
        .filter(|(n, _)| usize::from(*n) >= skip)
        .map(|&(n, at)| at - f64::from(n) * 20.0 - 30.0 - quickest)
        .collect();
    delays.sort_by(f64::total_cmp);
    let mean_delay_ms = delays.iter().sum::<f64>() / delays.len().max(1) as f64;
    let p95_delay_ms = delays.get(delays.len() * 95 / 100).copied().unwrap_or(0.0);
    TraceFigures {
        mean_delay_ms,
        p95_delay_ms,
        late_percent: jb.stats().late as f64 * 100.0 / extra.len() as f64,
        concealed: listener.concealed,
        targets: (1..extra.len() / 50).map(|s| trace[s * 50].0).collect(),
    }
}

/// Uniform delays in 0..`spread` ms (the benchmark's 40 +/- 30 ms is a spread of 60 ms; the relay
/// measured 10-76 ms on the loaded machine).
fn uniform_trace(spread: u64, seconds: usize) -> Vec<u64> {
    (0..seconds * 50).map(|n| jitter(n, spread + 1)).collect()
}

/// A calm path (0-10 ms) where every `every` packets a queue builds up: a spike of `height` ms that
/// the following packets drain at one frame per packet.
fn spiky_trace(every: usize, height: u64, seconds: usize) -> Vec<u64> {
    (0..seconds * 50)
        .map(|n| {
            let into = n % every;
            let spike = height.saturating_sub(into as u64 * 20);
            jitter(n, 11).max(if n >= every { spike } else { 0 })
        })
        .collect()
}

#[test]
fn jitter_trace_figures() {
    for (name, extra) in [
        ("uniform 0-60 ms", uniform_trace(60, 60)),
        ("uniform 0-66 ms", uniform_trace(66, 60)),
        ("calm 0-10 ms", uniform_trace(10, 60)),
        ("spikes of 200 ms every 10 s", spiky_trace(500, 200, 60)),
        ("spikes of 120 ms every 2 s", spiky_trace(100, 120, 60)),
    ] {
        let f = trace_figures(&extra);
        println!(
            "{name}: heard {:.0} ms (p95 {:.0}) after the quickest transit; late {:.2} %, concealed {}; targets {:?}",
            f.mean_delay_ms, f.p95_delay_ms, f.late_percent, f.concealed, f.targets
        );
    }
}

/// The benchmark's 30 ms jitter (40 +/- 30 ms; the relay measured a spread of up to 66 ms): audio is
/// heard little more than the spread after the quickest packet, and hardly any packet comes late.
/// With the depth counted in packets to the newest one (itself late by up to the spread), a target
/// rounded up to whole frames and a depth allowed a frame above it, 0-60 ms was heard 100 ms and
/// 0-66 ms 120 ms after the quickest transit (the lab's mouth-to-ear: 158-172 ms against Chromium's
/// 114-122).
#[test]
fn uniform_jitter_is_heard_little_after_its_spread_with_few_late_packets() {
    for spread in [60, 66] {
        let f = trace_figures(&uniform_trace(spread, 60));
        println!("0-{spread} ms: {f:?}");
        assert!(
            f.mean_delay_ms <= spread as f64 + 20.0,
            "0-{spread} ms heard {:.0} ms after the quickest transit",
            f.mean_delay_ms
        );
        assert!(f.late_percent <= 0.3, "late {:.2} %", f.late_percent);
    }
}

/// A calm path (0-10 ms): a frame and its spread, not two more frames (it was heard 50 ms after the
/// quickest transit).
#[test]
fn a_calm_path_is_heard_within_a_frame_and_its_spread() {
    let f = trace_figures(&uniform_trace(10, 30));
    assert!(f.mean_delay_ms <= 30.0, "{f:?}");
    assert_eq!(f.late_percent, 0.0, "{f:?}");
}

/// Push packet `n` of a stream whose RTP timestamps advance a frame per packet, `jump` frames later.
fn put_timed(jb: &mut JitterBuffer<u16>, n: u16, jump: u32) -> PushOutcome {
    let media = MediaTime {
        timestamp: (u32::from(n) + jump) * 960,
        clock_rate: 48_000,
    };
    jb.push(n, Some(media), n, Instant::now())
}

/// Packets 0-3 played, then `empty` frames with nothing to play.
fn played_then_dry(empty: usize) -> (JitterBuffer<u16>, Vec<Playout<u16>>) {
    let mut jb = JitterBuffer::new(2, 10);
    for n in 0..4 {
        put_timed(&mut jb, n, 0);
    }
    let out = frames(&mut jb, 4 + empty);
    (jb, out)
}

/// Bursty loss (Gilbert-Elliott, mean burst 3) on a shallow buffer: a burst longer than the buffer
/// empties it. The packet after the burst continues the stream (sequence number and timestamp): that
/// was loss, not a pause. Playout goes on in time, the last lost frame rebuilt from that packet's FEC,
/// rather than going silent and prefetching again (which lost the FEC frame and a frame more waiting
/// for the second packet).
#[test]
fn after_a_burst_of_loss_playout_goes_on_in_time_without_prefetching_again() {
    let (mut jb, out) = played_then_dry(4);
    assert_eq!(
        out[4..],
        [
            Playout::Conceal,
            Playout::Conceal,
            Playout::Conceal,
            Playout::Conceal
        ]
    );
    // Packets 4-8 were lost; 9 arrives in time for its slot, alone.
    put_timed(&mut jb, 9, 0);
    assert_eq!(jb.pop(), Playout::Conceal, "slot 8");
    assert_eq!(jb.following(), Some(&9), "rebuilt from 9's FEC");
    assert_eq!(jb.pop(), Playout::Frame(9));
    put_timed(&mut jb, 10, 0);
    assert_eq!(jb.pop(), Playout::Frame(10));
    assert_eq!(jb.stats().late, 0);
}

/// The packets stopped because they were held up (a queue on the path), not lost: once they come,
/// they play, later than planned, instead of being dropped as late after the slots were concealed.
#[test]
fn packets_held_up_after_the_buffer_ran_dry_still_play() {
    let (mut jb, out) = played_then_dry(2);
    assert_eq!(out[4..], [Playout::Conceal, Playout::Conceal]);
    for n in 4..7 {
        assert_eq!(put_timed(&mut jb, n, 0), PushOutcome::Queued);
    }
    assert_eq!(
        frames(&mut jb, 3),
        vec![Playout::Frame(4), Playout::Frame(5), Playout::Frame(6)]
    );
    assert_eq!(jb.stats().late, 0);
}

/// A real pause on the sender's side (its timestamp jumps past the sequence number: silence
/// suppression, DTX, a new talkspurt) still goes idle and prefetches the talkspurt like the first.
#[test]
fn a_talkspurt_after_a_pause_is_prefetched_again() {
    let (mut jb, _) = played_then_dry(6);
    put_timed(&mut jb, 4, 50);
    assert_eq!(jb.pop(), Playout::Idle, "one packet: prefetching");
    put_timed(&mut jb, 5, 50);
    assert_eq!(
        frames(&mut jb, 2),
        vec![Playout::Frame(4), Playout::Frame(5)]
    );
}

/// A packet that never arrives, for [`run`].
const LOST: u64 = 1 << 40;

/// A path with 5-20 ms of jitter losing one packet in 25, played with and without FEC expected:
/// (packets lost, concealed slots rebuildable from the successor's FEC, highest target). The slots
/// concealed after the stream's end are not losses.
fn single_losses(fec: bool, seconds: usize) -> (usize, usize, usize) {
    let extra: Vec<u64> = (0..seconds * 50)
        .map(|n| {
            if n % 25 == 12 {
                LOST
            } else {
                5 + jitter(n, 15)
            }
        })
        .collect();
    let mut jb = JitterBuffer::new(2, 10);
    jb.expect_fec(fec);
    let mut listener = Listener::new();
    let trace = run(&mut jb, &mut listener, &extra, 500);
    let highest = trace.iter().map(|t| t.0).max().unwrap_or(0);
    let lost = extra.iter().filter(|&&e| e == LOST).count();
    (lost, listener.fec_usable, highest)
}

/// With a shallow target (a frame and the path's spread) a lost frame's successor often arrives after its
/// slot: concealed, not rebuilt. When the far end writes FEC, a loss adds a frame of depth and the losses
/// are rebuilt from the successor; without FEC the depth stays shallow.
#[test]
fn when_the_far_end_writes_fec_a_loss_keeps_one_more_frame_so_the_next_is_rebuilt() {
    let (lost, usable, highest) = single_losses(false, 20);
    println!("without FEC: {lost} lost, {usable} rebuildable, target up to {highest} frames");
    assert!(
        usable <= lost / 2,
        "{usable} of {lost} rebuildable without the extra frame"
    );
    assert!(highest <= 2);
    let (lost, usable, highest) = single_losses(true, 20);
    println!("FEC expected: {lost} lost, {usable} rebuildable, target up to {highest} frames");
    assert!(
        usable + 1 >= lost,
        "{usable} of {lost} rebuildable with the extra frame"
    );
    assert!(
        highest <= 3,
        "one frame more, not a growing delay: {highest}"
    );
}

/// The extra frame lasts while losses keep coming: once the path is clean for [`FEC_HOLD`] the target
/// comes back down.
#[test]
fn the_frame_kept_for_fec_goes_once_the_losses_stop() {
    let mut extra: Vec<u64> = (0..50 * 10)
        .map(|n| if n % 25 == 12 { LOST } else { jitter(n, 5) })
        .collect();
    extra.extend((500..50 * 30).map(|n| jitter(n, 5)));
    let mut jb = JitterBuffer::new(2, 10);
    jb.expect_fec(true);
    let mut listener = Listener::new();
    let trace = run(&mut jb, &mut listener, &extra, 7);
    let lossy = trace[400].0;
    let calm = trace[extra.len() - 10].0;
    assert!(
        lossy > calm,
        "target while losing {lossy}, after 20 s clean {calm}"
    );
}

/// On a calm path (0-4 ms of jitter) a packet now and then comes a few ms later than the usual spread (a
/// short stall at the sender, in the network or in the receive task: 6-8 ms in the lab, once or twice a
/// call). The target covers it: with a frame and the quantile's 4 ms, its slot was gone, and the frame
/// was concealed in the middle of a word and the rest of the sentence heard 20 ms later.
#[test]
fn a_calm_path_keeps_room_for_a_packet_a_few_ms_later_than_its_spread() {
    let mut jb = JitterBuffer::new(2, 15);
    let mut listener = Listener::new();
    let trace = run(&mut jb, &mut listener, &uniform_trace(4, 20), 100);
    let target_ms = jb.target_frames() * 20.0;
    assert!(target_ms >= 20.0 + 8.0, "target {target_ms:.1} ms");
    assert!(
        trace.iter().skip(100).all(|&(t, _)| t <= 2),
        "a frame and a half, not more"
    );
}
