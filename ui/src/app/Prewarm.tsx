import { useLayoutEffect, useRef } from "preact/hooks";
import { onDevicesEvent } from "../devices/devices";
import type { CallView, UiState } from "./state";
import { EmergencyCallScreen } from "../emergency/EmergencyCallScreen";
import { Header } from "./Header";

/**
 * The reduced emergency panel laid out once, out of sight, when the engine first answers, and removed again in
 * the same task: no agent, screen reader or script ever sees it (hidden, inert, gone before anything else runs).
 *
 * Why: the first time WebKitGTK lays out text in a font size or weight it has not used before, it asks
 * fontconfig about every family of the font stack, dozens of matches each. Measured in the release app: about
 * 3,600 fontconfig matches and 150-400 ms of the web process's main thread when the panel first appeared
 * after the Call click, none the second time. An emergency call is nearly always the first of its kind in a
 * session, so that cost fell on the screen that must show fastest (issue 16: Call click to the panel painted
 * within 100 ms). Laid out here, the fonts (and the panel's code) are ready before the agent needs them.
 */
export function Prewarm({ state, onDone }: { state: UiState; onDone: () => void }) {
  const root = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    // Reading the geometry lays the document out now, fonts and all; then the parent removes this.
    root.current?.getBoundingClientRect();
    onDone();
  }, []);
  const warm = warmState(state);
  return (
    <div ref={root} class="prewarm" aria-hidden="true" inert>
      {WARM_CALLS.map((call) => (
        <div key={call.id} class="app app--emergency-call">
          <Header state={warm} screen="emergency_call" />
          <div class="app__body">
            <EmergencyCallScreen state={warm} call={call} />
          </div>
        </div>
      ))}
    </div>
  );
}

/** The panel as it first shows (dialling) and once connected (timer, audio status). */
const WARM_CALLS: CallView[] = [
  { id: "prewarm-dialing", state: "dialing", direction: "out", remote: "911", emergency: true, emergencyCallback: false, reason: null, muted: false, connectedAt: null, autoAnswered: false },
  { id: "prewarm-connected", state: "connected", direction: "out", remote: "911", emergency: true, emergencyCallback: false, reason: null, muted: false, connectedAt: 0, autoAnswered: false },
];

/** The agent's state with what the panel shows during a call: a location, audio arriving, devices to choose. */
function warmState(state: UiState): UiState {
  const location = state.live.location ?? { label: "100 Main St, Floor 3", source: "policy", prompt: null, address: null };
  const media = {
    ...state.live.media,
    "prewarm-connected": { state: "receiving" as const, codec: "opus", setupMs: 300, reason: null, cause: null, path: { candidate: "host", protocol: "udp" }, silentSince: null },
  };
  const devices = state.devices ?? onDevicesEvent(null, {
    event: "devices",
    input: null,
    output: null,
    ringer: null,
    available: [
      { id: "mic", name: "Microphone", input: true, output: false, default_input: true, default_output: false },
      { id: "speaker", name: "Speaker", input: false, output: true, default_input: false, default_output: true },
    ],
  });
  return { ...state, devices, live: { ...state.live, location, media } };
}
