//! A file-backed audio device for headless runs and tests: a WAV file plays as the microphone in real
//! time and everything the speaker would play is written to a WAV file.
//!
//! - Input: any PCM WAV (16-bit integer or 32-bit float, any rate, any channel count); it is mixed to
//!   mono and resampled to 48 kHz (rubato) when loaded, then paced at one 20 ms frame per 20 ms. At the
//!   end of the file it either loops (the default: a call may outlast the file) or continues with silence.
//!   It runs on across calls, as a sound card's microphone does, or starts over at each call
//!   ([`InputStart::EachCall`], as a browser's fake capture device opened for each call: the lab's
//!   voice benchmark puts both agents' speech on the same 20 ms frame phase with it).
//! - Output: 48 kHz mono 16-bit. One frame is written per 20 ms whether or not the far end sent anything
//!   (silence when the speaker ring is empty), exactly as a sound card would play it. The header is
//!   rewritten every 200 ms, so the file stays readable when the process is killed at the end of a call.

use super::pacing::Pacer;
use super::{ring_pair, AudioPort, AudioSwap, DeviceEnds, RATE};
use rubato::{FftFixedIn, Resampler};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The speaker's block: 10 ms, the period sound cards most often run at (WASAPI's default, CoreAudio's
/// 512 frames, PulseAudio's fragments), so the calls' 20 ms frames meet it as on an agent's machine.
const FRAME: usize = 480;
const PERIOD: Duration = Duration::from_millis(10);
/// The microphone delivers every this many periods (20 ms, a call's frame at once, as before).
const MIC_EVERY: u64 = 2;
/// Rewrite the output header every this many blocks (200 ms).
const FLUSH_EVERY: u64 = 20;
/// Blocks caught up at most after the device's thread stalled (100 ms).
const MAX_BURST: u64 = 10;

#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("cannot read the audio input file {path}: {source}")]
    Read { path: PathBuf, source: hound::Error },
    #[error("cannot write the audio output file {path}: {source}")]
    Write { path: PathBuf, source: hound::Error },
    #[error("the audio input file {path} could not be resampled to 48 kHz: {reason}")]
    Resample { path: PathBuf, reason: String },
    #[error("cannot start the audio file thread: {0}")]
    Thread(std::io::Error),
}

/// What the microphone plays after the input file ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputEnd {
    #[default]
    Loop,
    Silence,
}

/// Where the microphone file is when a call starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputStart {
    /// Wherever it has got to: it runs for the whole session.
    #[default]
    Session,
    /// At its first sample: each new call's port starts it over, on the device's next microphone tick
    /// (a port given back to a call does not).
    EachCall,
}

#[derive(Debug, Clone, Default)]
pub struct WavConfig {
    pub input: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub input_end: InputEnd,
    pub input_start: InputStart,
}

/// Counters a test can read.
#[derive(Debug, Default)]
pub struct WavCounters {
    pub mic_frames: AtomicU64,
    pub speaker_frames: AtomicU64,
    /// With [`InputStart::EachCall`]: the output sample at whose tick the microphone file last started
    /// over (its first sample went to the call then), `u64::MAX` before any call.
    pub mic_started_at: AtomicU64,
}

/// The device's rings for a port, and whether that port is a new call's.
struct PortEnds {
    ends: DeviceEnds,
    new_call: bool,
}

/// The running device; stopping it (or dropping it) finalises the output file.
pub struct WavDevice {
    stop: Arc<AtomicBool>,
    ends_tx: std::sync::mpsc::Sender<PortEnds>,
    thread: Option<JoinHandle<Result<(), WavError>>>,
    pub counters: Arc<WavCounters>,
    swap: AudioSwap,
}

/// Write 48 kHz mono 16-bit samples as a WAV (the offline tools' output).
pub fn save_mono_48k(path: &Path, samples: &[i16]) -> Result<(), WavError> {
    let write_err = |source| WavError::Write {
        path: path.to_owned(),
        source,
    };
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(write_err)?;
    for &s in samples {
        w.write_sample(s).map_err(write_err)?;
    }
    w.finalize().map_err(write_err)
}

/// Load a WAV as 48 kHz mono 16-bit samples.
pub fn load_mono_48k(path: &Path) -> Result<Vec<i16>, WavError> {
    let read_err = |source| WavError::Read {
        path: path.to_owned(),
        source,
    };
    let mut reader = hound::WavReader::open(path).map_err(read_err)?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(read_err)?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(read_err)?
        }
    };
    let mono: Vec<f32> = interleaved
        .chunks(channels)
        .map(|c| c.iter().sum::<f32>() / channels as f32)
        .collect();
    let mono = if spec.sample_rate == RATE {
        mono
    } else {
        resample(&mono, spec.sample_rate as usize, RATE as usize).map_err(|reason| {
            WavError::Resample {
                path: path.to_owned(),
                reason,
            }
        })?
    };
    Ok(mono
        .iter()
        .map(|&s| (s * 32768.0).clamp(-32768.0, 32767.0) as i16)
        .collect())
}

fn resample(input: &[f32], from: usize, to: usize) -> Result<Vec<f32>, String> {
    let chunk = 1024;
    let mut r = FftFixedIn::<f32>::new(from, to, chunk, 2, 1).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(input.len() * to / from + chunk);
    let delay = r.output_delay();
    let expected = input.len() * to / from;
    let mut pos = 0;
    // Keep feeding (zeros after the end) until the resampler's delay has been flushed out too.
    while pos < input.len() || out.len() < delay + expected {
        let need = r.input_frames_next();
        let mut block: Vec<f32> =
            input[pos.min(input.len())..(pos + need).min(input.len())].to_vec();
        block.resize(need, 0.0);
        let res = r.process(&[block], None).map_err(|e| e.to_string())?;
        out.extend_from_slice(&res[0]);
        pos += need;
    }
    let end = (delay + expected).min(out.len());
    Ok(out[delay.min(end)..end].to_vec())
}

impl WavDevice {
    /// Load the input (if any), create the output (if any) and start pacing in real time.
    pub fn start(config: WavConfig) -> Result<(WavDevice, AudioPort), WavError> {
        let input = match &config.input {
            Some(p) => Some(load_mono_48k(p)?),
            None => None,
        };
        let writer = match &config.output {
            Some(p) => Some(
                hound::WavWriter::create(
                    p,
                    hound::WavSpec {
                        channels: 1,
                        sample_rate: RATE,
                        bits_per_sample: 16,
                        sample_format: hound::SampleFormat::Int,
                    },
                )
                .map_err(|source| WavError::Write {
                    path: p.clone(),
                    source,
                })?,
            ),
            None => None,
        };
        let (media, device) = ring_pair();
        let (port, swap) = AudioPort::new(media);
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(WavCounters {
            mic_started_at: AtomicU64::new(u64::MAX),
            ..WavCounters::default()
        });
        let (ends_tx, ends_rx) = std::sync::mpsc::channel();
        let worker = Worker {
            ends_rx,
            input,
            input_end: config.input_end,
            input_start: config.input_start,
            pos: 0,
            start_over: false,
            writer,
            output_path: config.output.clone().unwrap_or_default(),
            device,
            stop: stop.clone(),
            counters: counters.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("lifeline-wav-audio".into())
            .spawn(move || worker.run())
            .map_err(WavError::Thread)?;
        Ok((
            WavDevice {
                stop,
                ends_tx,
                thread: Some(thread),
                counters,
                swap,
            },
            port,
        ))
    }

    /// A fresh port for the next call: the device moves to it at its next 20 ms tick and the previous
    /// port goes quiet (the WAV files run on across calls, as a sound card would).
    pub fn new_port(&self) -> AudioPort {
        self.new_port_with_swap().0
    }

    /// [`WavDevice::new_port`], with the handle that gives the files back to that port later
    /// ([`WavDevice::feed`]).
    pub fn new_port_with_swap(&self) -> (AudioPort, AudioSwap) {
        let (media, ends) = ring_pair();
        let sent = self.ends_tx.send(PortEnds {
            ends,
            new_call: true,
        });
        if sent.is_err() {
            tracing::warn!("the audio file device has stopped; the new port is silent");
        }
        AudioPort::new(media)
    }

    /// The files feed an existing port again (the call that had them before another took them).
    pub fn feed(&self, port: &AudioSwap) {
        let (media, ends) = ring_pair();
        let sent = self.ends_tx.send(PortEnds {
            ends,
            new_call: false,
        });
        if sent.is_err() || !port.swap(media) {
            tracing::warn!("the audio files could not be given back to the call");
        }
    }

    /// The swap handle of the port this device feeds (for tests of device switching).
    pub fn swap_handle(&self) -> AudioSwap {
        self.swap.clone()
    }

    /// Stop pacing and finalise the output file.
    pub fn stop(mut self) -> Result<(), WavError> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> Result<(), WavError> {
        self.stop.store(true, Ordering::SeqCst);
        match self.thread.take() {
            Some(t) => t.join().unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for WavDevice {
    fn drop(&mut self) {
        if let Err(e) = self.stop_inner() {
            tracing::warn!("audio file device stopped with an error: {e}");
        }
    }
}

struct Worker {
    ends_rx: std::sync::mpsc::Receiver<PortEnds>,
    input: Option<Vec<i16>>,
    input_end: InputEnd,
    input_start: InputStart,
    pos: usize,
    /// A new call's port came: the microphone file starts over at the next microphone tick.
    start_over: bool,
    writer: Option<hound::WavWriter<std::io::BufWriter<std::fs::File>>>,
    output_path: PathBuf,
    device: DeviceEnds,
    stop: Arc<AtomicBool>,
    counters: Arc<WavCounters>,
}

impl Worker {
    fn run(mut self) -> Result<(), WavError> {
        let mut pacer = Pacer::new(Instant::now(), PERIOD, MAX_BURST);
        let mut frame = vec![0i16; FRAME];
        let mut mic = vec![0i16; FRAME * MIC_EVERY as usize];
        let mut period = 0u64;
        let mut result = Ok(());
        while !self.stop.load(Ordering::SeqCst) {
            while let Ok(port) = self.ends_rx.try_recv() {
                self.device = port.ends;
                self.start_over |= port.new_call && self.input_start == InputStart::EachCall;
            }
            let due = pacer.take_due(Instant::now());
            for _ in 0..due {
                if period % MIC_EVERY == 0 {
                    if std::mem::take(&mut self.start_over) {
                        self.start_input(period * FRAME as u64);
                    }
                    self.mic_frame(&mut mic);
                }
                period += 1;
                if let Err(e) = self.speaker_frame(&mut frame) {
                    result = Err(e);
                    self.writer = None;
                }
            }
            let now = Instant::now();
            let deadline = pacer.next_deadline();
            if deadline > now {
                std::thread::sleep(deadline - now);
            }
        }
        if let Some(w) = self.writer.take() {
            w.finalize().map_err(|source| WavError::Write {
                path: self.output_path.clone(),
                source,
            })?;
        }
        result
    }

    /// The microphone file starts over on this tick, whose speaker block begins at `output_sample`.
    fn start_input(&mut self, output_sample: u64) {
        self.pos = 0;
        self.counters
            .mic_started_at
            .store(output_sample, Ordering::Relaxed);
        tracing::info!(
            output_sample,
            "the microphone file starts over for a new call"
        );
    }

    fn mic_frame(&mut self, frame: &mut [i16]) {
        let Some(input) = &self.input else { return };
        for s in frame.iter_mut() {
            *s = if self.pos < input.len() {
                let v = input[self.pos];
                self.pos += 1;
                v
            } else if self.input_end == InputEnd::Loop && !input.is_empty() {
                self.pos = 1;
                input[0]
            } else {
                0
            };
        }
        // A full ring means the media side is not reading (no call yet): drop, as a sound card would.
        if let Ok(mut chunk) = self.device.mic.write_chunk(frame.len()) {
            let (a, b) = chunk.as_mut_slices();
            let split = a.len();
            a.copy_from_slice(&frame[..split]);
            b.copy_from_slice(&frame[split..]);
            chunk.commit_all();
        }
        self.counters.mic_frames.fetch_add(1, Ordering::Relaxed);
    }

    fn speaker_frame(&mut self, frame: &mut [i16]) -> Result<(), WavError> {
        let n = self.device.speaker.slots().min(frame.len());
        frame.fill(0);
        if let Ok(chunk) = self.device.speaker.read_chunk(n) {
            let (a, b) = chunk.as_slices();
            frame[..a.len()].copy_from_slice(a);
            frame[a.len()..a.len() + b.len()].copy_from_slice(b);
            chunk.commit_all();
        }
        let count = self.counters.speaker_frames.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(w) = &mut self.writer {
            let err = |source| WavError::Write {
                path: self.output_path.clone(),
                source,
            };
            for &s in frame.iter() {
                w.write_sample(s).map_err(err)?;
            }
            if count % FLUSH_EVERY == 0 {
                w.flush().map_err(err)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_tone(path: &Path, rate: u32, freq: f32, secs: f32) {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).expect("create wav");
        for i in 0..(rate as f32 * secs) as usize {
            let v = (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin() * 10000.0;
            w.write_sample(v as i16).expect("write");
        }
        w.finalize().expect("finalize");
    }

    #[test]
    fn the_input_file_is_paced_in_real_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in.wav");
        write_tone(&input, 48_000, 440.0, 0.2);
        let (dev, mut port) = WavDevice::start(WavConfig {
            input: Some(input),
            output: None,
            input_end: InputEnd::Loop,
            ..WavConfig::default()
        })
        .expect("start");
        let t0 = Instant::now();
        let mut got = 0usize;
        let mut buf = vec![0i16; FRAME];
        while t0.elapsed() < Duration::from_millis(1000) {
            let avail = port.mic_available().min(FRAME);
            got += port.read_mic(&mut buf[..avail]);
            std::thread::sleep(Duration::from_millis(5));
        }
        dev.stop().expect("stop");
        // 1 s of audio = 48 000 samples (+ the frame due at t=0). The exact arithmetic is proven in
        // pacing.rs; here threads really sleep, so allow 100 ms of scheduling slack on a loaded machine.
        assert!(
            (48_000 - 10 * FRAME..=48_000 + 10 * FRAME).contains(&got),
            "got {got} samples in 1 s"
        );
    }

    #[test]
    fn a_new_port_for_the_next_call_takes_over_the_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in.wav");
        let output = dir.path().join("out.wav");
        write_tone(&input, 48_000, 440.0, 0.5);
        let (dev, mut first) = WavDevice::start(WavConfig {
            input: Some(input),
            output: Some(output.clone()),
            input_end: InputEnd::Loop,
            ..WavConfig::default()
        })
        .expect("start");
        std::thread::sleep(Duration::from_millis(100));
        let mut second = dev.new_port();
        std::thread::sleep(Duration::from_millis(100)); // the device switches at its next tick
        let _ = first.read_mic(&mut vec![0i16; 48_000]);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            first.read_mic(&mut vec![0i16; 960]),
            0,
            "the old port gets nothing any more"
        );
        assert!(
            second.mic_available() >= 960 * 5,
            "the new port gets the microphone"
        );
        assert_eq!(second.write_speaker(&vec![777i16; 960]), 960);
        std::thread::sleep(Duration::from_millis(100));
        dev.stop().expect("stop");
        let samples: Vec<i16> = hound::WavReader::open(&output)
            .expect("open")
            .into_samples::<i16>()
            .collect::<Result<_, _>>()
            .expect("read");
        assert_eq!(samples.iter().filter(|&&s| s == 777).count(), 960);
    }

    /// A device whose microphone file is a ramp (sample i is i: its value says where in the file a
    /// sample came from), 20 000 samples long.
    fn ramp_device(input_start: InputStart) -> (tempfile::TempDir, WavDevice) {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("ramp.wav");
        let ramp: Vec<i16> = (0..20_000).map(|i| i as i16).collect();
        save_mono_48k(&input, &ramp).expect("write ramp");
        let (dev, _port) = WavDevice::start(WavConfig {
            input: Some(input),
            input_start,
            ..WavConfig::default()
        })
        .expect("start");
        (dir, dev)
    }

    /// The first microphone samples a port gets.
    fn first_mic_samples(port: &mut AudioPort) -> Vec<i16> {
        let t0 = Instant::now();
        while port.mic_available() < 2 * 960 && t0.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut got = vec![0i16; 2 * 960];
        let n = port.read_mic(&mut got);
        got.truncate(n);
        got
    }

    #[test]
    fn each_call_starts_the_microphone_file_over_on_a_frame_of_the_output() {
        let (_dir, dev) = ramp_device(InputStart::EachCall);
        assert_eq!(
            dev.counters.mic_started_at.load(Ordering::Relaxed),
            u64::MAX
        );
        std::thread::sleep(Duration::from_millis(130));
        let (mut second, swap) = dev.new_port_with_swap();
        let ramp: Vec<i16> = (0..2 * 960).map(|i| i as i16).collect();
        assert_eq!(
            first_mic_samples(&mut second),
            ramp,
            "the new call hears the file from its start"
        );
        let at = dev.counters.mic_started_at.load(Ordering::Relaxed);
        assert!(
            at >= 6 * 960 && at % 960 == 0,
            "started over at output sample {at}: after 130 ms, on a microphone tick"
        );
        // A call given the files back goes on where the file is.
        std::thread::sleep(Duration::from_millis(100));
        let _third = dev.new_port();
        std::thread::sleep(Duration::from_millis(100));
        let restarted = dev.counters.mic_started_at.load(Ordering::Relaxed);
        assert!(restarted > at);
        dev.feed(&swap);
        let mut back = second;
        let _ = back.read_mic(&mut vec![0i16; 48_000]); // what it had before the third call took over
        let resumed = first_mic_samples(&mut back);
        assert!(
            resumed.first().is_some_and(|&s| s > 0),
            "{:?}",
            resumed.first()
        );
        assert_eq!(
            dev.counters.mic_started_at.load(Ordering::Relaxed),
            restarted
        );
        dev.stop().expect("stop");
    }

    #[test]
    fn by_default_the_microphone_file_runs_on_across_calls() {
        let (_dir, dev) = ramp_device(InputStart::Session);
        std::thread::sleep(Duration::from_millis(130));
        let mut second = dev.new_port();
        let got = first_mic_samples(&mut second);
        assert!(
            got.first().is_some_and(|&s| s >= 6 * 960),
            "{:?}",
            got.first()
        );
        assert_eq!(
            dev.counters.mic_started_at.load(Ordering::Relaxed),
            u64::MAX
        );
        dev.stop().expect("stop");
    }

    #[test]
    fn input_at_another_rate_is_resampled_to_48k() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in8k.wav");
        write_tone(&input, 8_000, 440.0, 0.5);
        let samples = load_mono_48k(&input).expect("load");
        assert!(
            (23_900..=24_100).contains(&samples.len()),
            "{}",
            samples.len()
        );
    }

    #[test]
    fn speaker_output_is_readable_while_the_device_runs_and_complete_after_stop() {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = dir.path().join("out.wav");
        let (dev, mut port) = WavDevice::start(WavConfig {
            input: None,
            output: Some(output.clone()),
            input_end: InputEnd::Silence,
            ..WavConfig::default()
        })
        .expect("start");
        port.write_speaker(&vec![1000i16; 4800]);
        std::thread::sleep(Duration::from_millis(500));
        // Not finalised yet: the periodically rewritten header already makes it a valid WAV.
        let live = hound::WavReader::open(&output)
            .expect("readable while running")
            .len();
        assert!(live >= 9_600, "only {live} samples visible while running");
        dev.stop().expect("stop");
        let reader = hound::WavReader::open(&output).expect("readable after stop");
        let samples: Vec<i16> = reader
            .into_samples::<i16>()
            .collect::<Result<_, _>>()
            .expect("samples");
        assert!(
            samples.len() >= 20_000,
            "{} samples after 500 ms",
            samples.len()
        );
        assert_eq!(
            samples.iter().filter(|&&s| s == 1000).count(),
            4800,
            "played exactly what was queued"
        );
    }
}
