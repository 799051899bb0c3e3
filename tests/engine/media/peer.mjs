// Headless Chromium as the far end of a WebRTC audio call, driven by JSON lines (test-only).
//
// usage: node peer.mjs --fake-audio tone.wav
// stdin:  {"cmd":"offer","codec":"pcmu"?}  {"cmd":"answer","sdp":..}  {"cmd":"accept","sdp":..,"codec":..?}
//         {"cmd":"measure","seconds":2}    {"cmd":"stats"}  {"cmd":"dtmf","digits":".."}  {"cmd":"close"}
// stdout: {"event":"ready"} {"event":"offer","sdp"} {"event":"answer","sdp"} {"event":"ok"}
//         {"event":"measure","freq":..,"peak_db":..} {"event":"stats",...} {"event":"error","message"}
import { chromium } from 'playwright-core';
import readline from 'node:readline';

const args = process.argv.slice(2);
const fakeAudio = args[args.indexOf('--fake-audio') + 1];
const userDataDir = args.includes('--user-data-dir') ? args[args.indexOf('--user-data-dir') + 1] : null;
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const flags = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  `--use-file-for-fake-audio-capture=${fakeAudio}`,
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium', headless: true, args: flags,
});
const page = context.pages()[0] ?? await context.newPage();
page.on('console', (m) => process.stderr.write(`[chromium] ${m.text()}\n`));
// getUserMedia needs a secure context: serve an empty page as http://localhost without any server.
await page.route('http://localhost/**', (r) => r.fulfill({ contentType: 'text/html', body: '<html><body></body></html>' }));
await page.goto('http://localhost/peer');

await page.evaluate(() => {
  const w = window;
  w.pc = null;
  // Offer role: add a sendrecv transceiver now. Answer role (after setRemoteDescription): reuse the
  // transceiver the offer created, so the answer is sendrecv rather than recvonly.
  w.setup = async (codec, answering) => {
    const pc = w.pc ?? new RTCPeerConnection({ iceServers: [] });
    w.pc = pc;
    w.remote = w.remote ?? new Promise((resolve) => {
      pc.ontrack = (e) => resolve(e.streams[0] ?? new MediaStream([e.track]));
    });
    if (answering === 'before-remote') return pc;
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    const track = stream.getAudioTracks()[0];
    let tx;
    if (answering) {
      tx = pc.getTransceivers()[0];
      tx.direction = 'sendrecv';
      await tx.sender.replaceTrack(track);
      tx.sender.setStreams(stream);
    } else {
      tx = pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
    }
    w.tx = tx;
    w.preferCodec = (c) => {
      if (!c) return;
      const caps = RTCRtpReceiver.getCapabilities('audio').codecs;
      const want = caps.filter((x) => x.mimeType.toLowerCase() === `audio/${c}`);
      const events = caps.filter((x) => x.mimeType.toLowerCase() === 'audio/telephone-event');
      tx.setCodecPreferences([...want, ...events]);
    };
    w.preferCodec(codec);
    return pc;
  };
  w.gathered = (pc) => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
  w.measure = async (seconds) => {
    const stream = await w.remote;
    // Chromium only feeds a remote WebRTC stream into WebAudio when an element also plays it.
    if (!w.audioEl) {
      w.audioEl = new Audio();
      w.audioEl.srcObject = stream;
      w.audioEl.volume = 0.01;
      await w.audioEl.play().catch(() => {});
      w.ctx = new AudioContext();
      await w.ctx.resume();
      w.analyser = w.ctx.createAnalyser();
      w.analyser.fftSize = 32768;
      w.analyser.smoothingTimeConstant = 0;
      w.ctx.createMediaStreamSource(stream).connect(w.analyser);
    }
    const a = w.analyser;
    const bins = new Float32Array(a.frequencyBinCount);
    const sum = new Float64Array(a.frequencyBinCount);
    const end = performance.now() + seconds * 1000;
    let n = 0;
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      a.getFloatFrequencyData(bins);
      for (let i = 0; i < bins.length; i++) sum[i] += Math.pow(10, bins[i] / 10);
      n++;
    }
    let best = 1;
    for (let i = 2; i < sum.length - 1; i++) if (sum[i] > sum[best]) best = i;
    // Parabolic interpolation around the peak (in dB) for sub-bin accuracy.
    const db = (i) => 10 * Math.log10(sum[i] / n + 1e-30);
    const [l, c, r] = [db(best - 1), db(best), db(best + 1)];
    const p = (l - r) / (2 * (l - 2 * c + r) || 1);
    const binHz = w.ctx.sampleRate / a.fftSize;
    return { freq: (best + p) * binHz, peak_db: c, bin_hz: binHz };
  };
  w.stats = async () => {
    const r = await w.pc.getStats();
    const o = { inbound: null, outbound: null, codecs: {} };
    r.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') o.inbound = s;
      if (s.type === 'outbound-rtp' && s.kind === 'audio') o.outbound = s;
      if (s.type === 'codec') o.codecs[s.id] = s.mimeType;
    });
    return {
      state: w.pc.connectionState,
      inbound_codec: o.inbound ? o.codecs[o.inbound.codecId] : null,
      outbound_codec: o.outbound ? o.codecs[o.outbound.codecId] : null,
      packets_received: o.inbound?.packetsReceived ?? 0,
      packets_lost: o.inbound?.packetsLost ?? 0,
      packets_sent: o.outbound?.packetsSent ?? 0,
      jitter: o.inbound?.jitter ?? null,
    };
  };
});

out({ event: 'ready' });

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  let cmd;
  try { cmd = JSON.parse(line); } catch (e) { out({ event: 'error', message: String(e) }); continue; }
  try {
    if (cmd.cmd === 'offer') {
      const sdp = await page.evaluate(async (codec) => {
        const pc = await window.setup(codec);
        await pc.setLocalDescription(await pc.createOffer());
        await window.gathered(pc);
        return pc.localDescription.sdp;
      }, cmd.codec ?? null);
      out({ event: 'offer', sdp });
    } else if (cmd.cmd === 'answer') {
      await page.evaluate((sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp }), cmd.sdp);
      out({ event: 'ok' });
    } else if (cmd.cmd === 'accept') {
      const sdp = await page.evaluate(async ([offer, codec]) => {
        const pc = await window.setup(null, 'before-remote');
        await pc.setRemoteDescription({ type: 'offer', sdp: offer });
        await window.setup(codec, true);
        await pc.setLocalDescription(await pc.createAnswer());
        await window.gathered(pc);
        return pc.localDescription.sdp;
      }, [cmd.sdp, cmd.codec ?? null]);
      out({ event: 'answer', sdp });
    } else if (cmd.cmd === 'measure') {
      out({ event: 'measure', ...(await page.evaluate((s) => window.measure(s), cmd.seconds ?? 2)) });
    } else if (cmd.cmd === 'stats') {
      out({ event: 'stats', ...(await page.evaluate(() => window.stats())) });
    } else if (cmd.cmd === 'dtmf') {
      await page.evaluate((d) => window.tx.sender.dtmf.insertDTMF(d, 100, 70), cmd.digits);
      out({ event: 'ok' });
    } else if (cmd.cmd === 'close') {
      break;
    } else {
      out({ event: 'error', message: `unknown command ${cmd.cmd}` });
    }
  } catch (e) {
    out({ event: 'error', message: String(e?.message ?? e) });
  }
}
await context.close();
out({ event: 'closed' });
process.exit(0);
