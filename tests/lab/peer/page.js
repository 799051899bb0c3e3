// The browser side of the lab's WebRTC peer: a JsSIP user agent.
// Bundled by peer.mjs with esbuild and loaded in headless Chromium.
// peer.mjs calls window.lab.<command>(args); the page reports events with
// window.labEmit({event: ...}) (a function peer.mjs exposes).
import JsSIP from 'jssip';

JsSIP.debug.disable('JsSIP:*');

// SIP headers worth reporting on an incoming call (emergency callbacks etc.)
const HEADERS_OF_INTEREST = [
  'Priority', 'Call-Info', 'Alert-Info', 'Geolocation', 'Geolocation-Routing',
  'P-Asserted-Identity', 'Subject', 'User-Agent', 'Content-Type', 'Replaces',
];

let ua = null;
let session = null;
let audioCtx = null;
let analyser = null;
let remoteAudio = null;

function emit(ev) {
  window.labEmit(ev);
}

function headersOf(request) {
  const out = {};
  for (const name of HEADERS_OF_INTEREST) {
    if (request && request.hasHeader(name)) out[name.toLowerCase()] = request.getHeader(name);
  }
  return out;
}

// Feed the remote audio into a WebAudio analyser so stats() can measure it.
function attachRemote(pc) {
  const tracks = pc.getReceivers().map((r) => r.track).filter((t) => t && t.kind === 'audio');
  if (!tracks.length) return;
  const stream = new MediaStream(tracks);
  // Chromium only feeds a remote WebRTC stream into WebAudio while a media
  // element plays it; the element is silent (volume 0) but not muted.
  if (!remoteAudio) {
    remoteAudio = new Audio();
    remoteAudio.autoplay = true;
    remoteAudio.volume = 0;
  }
  remoteAudio.srcObject = stream;
  remoteAudio.play().catch(() => {});
  if (!audioCtx) audioCtx = new AudioContext({ sampleRate: 48000 });
  audioCtx.resume().catch(() => {});
  analyser = audioCtx.createAnalyser();
  analyser.fftSize = 32768;
  analyser.smoothingTimeConstant = 0;
  audioCtx.createMediaStreamSource(stream).connect(analyser);
}

function wireSession(s, direction) {
  session = s;
  s.on('progress', (e) => emit({ event: 'progress', status: e.response ? e.response.status_code : null }));
  s.on('accepted', () => emit({ event: 'accepted' }));
  s.on('confirmed', () => {
    if (s.connection) attachRemote(s.connection);
    emit({ event: 'confirmed', direction });
  });
  s.on('ended', (e) => { emit({ event: 'ended', cause: e.cause, originator: e.originator }); if (session === s) session = null; });
  s.on('failed', (e) => {
    emit({
      event: 'ended', cause: e.cause, originator: e.originator, failed: true,
      status: e.message && e.message.status_code ? e.message.status_code : null,
    });
    if (session === s) session = null;
  });
  s.on('newDTMF', (e) => { if (e.originator === 'remote') emit({ event: 'dtmf', digits: e.dtmf.tone }); });
  // Attended transfer to this page: an INVITE with Replaces naming this call. Take it (the new call comes
  // as an 'incoming' to answer; JsSIP ends this one once that is confirmed).
  s.on('replaces', (e) => {
    emit({ event: 'replaces' });
    e.accept();
  });
  s.on('hold', (e) => emit({ event: 'hold', originator: e.originator }));
  s.on('unhold', (e) => emit({ event: 'unhold', originator: e.originator }));
  s.on('peerconnection', (e) => {
    e.peerconnection.addEventListener('track', () => attachRemote(e.peerconnection));
  });
  // Being transferred (REFER in this call): JsSIP has answered 202; follow it (call the Refer-To target,
  // the new call becomes this page's call) unless told to refuse (a 603 NOTIFY).
  s.on('refer', (e) => {
    const target = e.request.refer_to ? e.request.refer_to.uri.toString() : null;
    const referredBy = e.request.hasHeader('Referred-By') ? e.request.getHeader('Referred-By') : null;
    emit({ event: 'refer', target, referred_by: referredBy, followed: followRefer });
    if (followRefer) e.accept((next) => wireSession(next, 'outgoing'), mediaOptions);
    else e.reject();
  });
}

let followRefer = true;

function requireSession() {
  if (!session) throw new Error('no call in progress');
  return session;
}

function reoffer(what) {
  const s = requireSession();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer to the re-INVITE within 20 s`)), 20000);
    const done = () => { clearTimeout(timer); resolve({}); };
    const ok = what === 'hold' ? s.hold({}, done) : s.unhold({}, done);
    if (!ok) {
      clearTimeout(timer);
      reject(new Error(`cannot ${what} now (wrong hold state or a re-INVITE is in progress)`));
    }
  });
}

// Recording of the call's audio for the voice benchmark (tests/bench/voice_quality.py): an
// AudioWorklet taps the local (microphone, as sent) and the remote track in one render time line;
// every 1024 frames it posts them with the frame index, and the page notes the wall-clock time
// (performance.timeOrigin + performance.now(), the machine's clock) each batch arrived, so a frame
// index maps to epoch time (the earliest arrival minus its frame offset: the render time).
const TAP_WORKLET = `
class LabTap extends AudioWorkletProcessor {
  constructor() { super(); this.buf = null; this.n = 0; this.start = 0; this.on = true;
    this.port.onmessage = (e) => { if (e.data === 'stop') this.on = false; }; }
  process(inputs) {
    if (!this.on) return false;
    const l = inputs[0] && inputs[0][0]; const r = inputs[1] && inputs[1][0];
    const q = 128;
    if (!this.buf) { this.buf = [new Float32Array(1024), new Float32Array(1024)]; this.start = currentFrame; this.n = 0; }
    if (l) this.buf[0].set(l, this.n);
    if (r) this.buf[1].set(r, this.n);
    this.n += q;
    if (this.n >= 1024) { this.port.postMessage({ f: this.start, l: this.buf[0], r: this.buf[1] }); this.buf = null; }
    return true;
  }
}
registerProcessor('lab-tap', LabTap);
`;
let tap = null;
let tapLoaded = false;

function toBase64(f32chunks, total) {
  const pcm = new Int16Array(total);
  let o = 0;
  for (const c of f32chunks) {
    for (let i = 0; i < c.length; i++) pcm[o + i] = Math.max(-32768, Math.min(32767, Math.round(c[i] * 32767)));
    o += c.length;
  }
  const bytes = new Uint8Array(pcm.buffer);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const mediaOptions = {
  mediaConstraints: { audio: true, video: false },
  pcConfig: { iceServers: [] },
  rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
};

window.lab = {
  // ICE servers (RTCIceServer shape) and transport policy ("all" | "relay") for the calls that
  // follow: a peer behind the network lab's NAT reaches rtpengine through its TURN server.
  set_ice({ ice_servers: iceServers, policy }) {
    mediaOptions.pcConfig = { iceServers: iceServers || [], iceTransportPolicy: policy || 'all' };
    return {};
  },
  register({ ws, uri, password, display_name: displayName, expires }) {
    if (ua) ua.stop();
    const socket = new JsSIP.WebSocketInterface(ws);
    ua = new JsSIP.UA({
      sockets: [socket],
      uri,
      password,
      display_name: displayName,
      register: true,
      register_expires: expires || 300,
      session_timers: false,
      user_agent: 'lifeline-lab-peer (JsSIP)',
      connection_recovery_min_interval: 1,
      connection_recovery_max_interval: 5,
    });
    ua.on('registered', () => emit({ event: 'registered', uri }));
    ua.on('unregistered', () => emit({ event: 'unregistered' }));
    ua.on('registrationFailed', (e) => emit({
      event: 'registration_failed', cause: e.cause,
      status: e.response ? e.response.status_code : null,
    }));
    ua.on('disconnected', () => emit({ event: 'disconnected' }));
    ua.on('newRTCSession', (e) => {
      if (e.originator !== 'remote') return;
      const req = e.request;
      wireSession(e.session, 'incoming');
      emit({
        event: 'incoming',
        remote: e.session.remote_identity.uri.toString(),
        display_name: e.session.remote_identity.display_name || null,
        request_uri: req.ruri ? req.ruri.toString() : null,
        call_id: req.call_id,
        to: req.hasHeader('To') ? req.getHeader('To') : null,
        headers: headersOf(req),
      });
    });
    ua.on('newMessage', (e) => {
      if (e.originator === 'remote') emit({ event: 'message', body: e.request.body, remote: e.request.from.uri.toString() });
    });
    ua.start();
    return {};
  },
  unregister() {
    if (ua) ua.unregister();
    return {};
  },
  // audio: getUserMedia's audio constraints for this call (default true: the browser's voice processing on)
  call({ target, headers, audio }) {
    if (!ua) throw new Error('register first');
    const media = audio === undefined ? {} : { mediaConstraints: { audio, video: false } };
    const s = ua.call(target, { ...mediaOptions, ...media, extraHeaders: headers || [] });
    wireSession(s, 'outgoing');
    // the SIP Call-ID (JsSIP's session id is Call-ID + local tag)
    return { call_id: s._request ? s._request.call_id : null, session_id: s.id };
  },
  answer() {
    requireSession().answer(mediaOptions);
    return {};
  },
  // Blind transfer of the current call (REFER): progress comes as `refer_progress` events (status, final).
  refer({ target }) {
    const sub = requireSession().refer(target);
    if (!sub) throw new Error('the call cannot be transferred now');
    const say = (stage, final) => (e) => emit({
      event: 'refer_progress', stage, final,
      status: e && e.response ? e.response.status_code : (e && e.status_line ? e.status_line.status_code : null),
    });
    sub.on('requestSucceeded', say('accepted_202', false));
    sub.on('requestFailed', say('request_failed', true));
    sub.on('trying', say('trying', false));
    sub.on('progress', say('progress', false));
    sub.on('accepted', say('accepted', true));
    sub.on('failed', say('failed', true));
    return {};
  },
  // Whether a REFER from the far end is followed (default) or refused.
  set_refer({ follow }) {
    followRefer = !!follow;
    return {};
  },
  hangup({ status } = {}) {
    const s = requireSession();
    s.terminate(status ? { status_code: status } : undefined);
    return {};
  },
  send_dtmf({ digits, transport }) {
    requireSession().sendDTMF(digits, { transportType: transport === 'rfc2833' ? 'RFC2833' : 'INFO' });
    return {};
  },
  // JsSIP refuses (returns false) while another offer/answer is in progress.
  // The answer comes once the re-INVITE succeeded.
  hold() { return reoffer('hold'); },
  unhold() { return reoffer('unhold'); },
  // Mute / unmute the microphone (the track keeps running: silence is sent).
  mute({ on }) {
    const s = requireSession();
    if (on) s.mute({ audio: true }); else s.unmute({ audio: true });
    return {};
  },
  async rec_start() {
    const s = requireSession();
    const pc = s.connection;
    if (!audioCtx) audioCtx = new AudioContext({ sampleRate: 48000 });
    await audioCtx.resume();
    if (!tapLoaded) {
      const url = URL.createObjectURL(new Blob([TAP_WORKLET], { type: 'application/javascript' }));
      await audioCtx.audioWorklet.addModule(url);
      tapLoaded = true;
    }
    const node = new AudioWorkletNode(audioCtx, 'lab-tap', { numberOfInputs: 2, numberOfOutputs: 1, outputChannelCount: [1] });
    const local = pc.getSenders().map((x) => x.track).find((t) => t && t.kind === 'audio');
    const remote = pc.getReceivers().map((x) => x.track).find((t) => t && t.kind === 'audio');
    const srcs = [];
    if (local) { const a = audioCtx.createMediaStreamSource(new MediaStream([local])); a.connect(node, 0, 0); srcs.push(a); }
    if (remote) { const b = audioCtx.createMediaStreamSource(new MediaStream([remote])); b.connect(node, 0, 1); srcs.push(b); }
    const sink = audioCtx.createGain();
    sink.gain.value = 0;
    node.connect(sink).connect(audioCtx.destination);
    tap = { node, srcs, sink, l: [], r: [], first: null, frames: 0, offsets: [] };
    const rec = tap;
    node.port.onmessage = (e) => {
      const now = performance.timeOrigin + performance.now();
      const { f, l, r } = e.data;
      if (rec.first === null) rec.first = f;
      rec.l.push(l); rec.r.push(r); rec.frames += l.length;
      // arrival - (end of the batch in context time): its minimum is the render clock's epoch offset
      rec.offsets.push(now - ((f + l.length) * 1000) / audioCtx.sampleRate);
    };
    return { local: !!local, remote: !!remote, sample_rate: audioCtx.sampleRate };
  },
  rec_stop() {
    if (!tap || !tap.node) throw new Error('not recording');
    const rec = tap;
    rec.node.port.postMessage('stop');
    rec.srcs.forEach((x) => x.disconnect());
    rec.node.disconnect();
    rec.sink.disconnect();
    tap = null;
    rec.offsets_raw = rec.offsets.slice();
    rec.offsets.sort((a, b) => a - b);
    return {
      sample_rate: audioCtx.sampleRate,
      first_frame: rec.first,
      frames: rec.frames,
      // epoch ms of context frame 0 (render time): min over batches; the median tells the spread
      epoch_ms_frame0: rec.offsets.length ? rec.offsets[0] : null,
      epoch_ms_frame0_median: rec.offsets.length ? rec.offsets[Math.floor(rec.offsets.length / 2)] : null,
      offsets_ms: rec.offsets_raw,
      local_b64: toBase64(rec.l, rec.frames),
      remote_b64: toBase64(rec.r, rec.frames),
    };
  },
  async stats() {
    const out = { in_call: !!session };
    if (analyser) {
      const n = analyser.frequencyBinCount;
      const spectrum = new Float32Array(n);
      analyser.getFloatFrequencyData(spectrum);
      let best = 1;
      for (let i = 2; i < n; i++) if (spectrum[i] > spectrum[best]) best = i;
      // parabolic interpolation around the peak for sub-bin precision
      const a = spectrum[best - 1]; const b = spectrum[best]; const c = spectrum[best + 1] ?? b;
      const denom = a - 2 * b + c;
      const shift = denom !== 0 && Number.isFinite(denom) ? 0.5 * (a - c) / denom : 0;
      out.freq_hz = ((best + shift) * audioCtx.sampleRate) / analyser.fftSize;
      out.peak_db = b;
      const wave = new Float32Array(analyser.fftSize);
      analyser.getFloatTimeDomainData(wave);
      let sum = 0;
      for (const v of wave) sum += v * v;
      out.rms = Math.sqrt(sum / wave.length);
      out.level_dbfs = out.rms > 0 ? 20 * Math.log10(out.rms) : -Infinity;
    }
    const pc = session && session.connection;
    if (pc) {
      const report = await pc.getStats();
      report.forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'audio') {
          out.packets_received = r.packetsReceived;
          out.bytes_received = r.bytesReceived;
          out.packets_lost = r.packetsLost;
          out.jitter = r.jitter;
          out.inbound_codec_id = r.codecId;
        }
        if (r.type === 'outbound-rtp' && r.kind === 'audio') {
          out.packets_sent = r.packetsSent;
          out.bytes_sent = r.bytesSent;
        }
      });
      if (out.inbound_codec_id) {
        const codec = report.get(out.inbound_codec_id);
        if (codec) out.codec = `${codec.mimeType}/${codec.clockRate}`;
      }
      // the candidate pair in use: its local side's type (host, srflx, relay) and protocols
      report.forEach((r) => {
        if (r.type === 'transport' && r.selectedCandidatePairId) {
          const pair = report.get(r.selectedCandidatePairId);
          const local = pair && report.get(pair.localCandidateId);
          const remote = pair && report.get(pair.remoteCandidateId);
          if (local) {
            out.local_candidate = {
              type: local.candidateType, protocol: local.protocol, address: local.address || local.ip,
              port: local.port, relay_protocol: local.relayProtocol || null, url: local.url || null,
            };
          }
          if (remote) out.remote_candidate = { type: remote.candidateType, protocol: remote.protocol, address: remote.address || remote.ip, port: remote.port };
        }
      });
      out.ice_state = pc.iceConnectionState;
      out.connection_state = pc.connectionState;
    }
    if (out.level_dbfs === -Infinity) out.level_dbfs = null;
    return out;
  },
};

emit({ event: 'page_ready' });
