import type { ComponentChildren } from "preact";
import type { MediaPath } from "../engine/api";
import { useApp } from "../app/context";
import type { Translate } from "../i18n/i18n";
import { audioSilent, type CallMedia } from "../app/live";
import { said } from "../i18n/causes";
import type { CallView, UiState } from "../app/state";

/**
 * The call's audio under the timer. A quiet line (a polite live region, so "sound arriving" is heard when
 * audio comes back): connected with the codec, or "reconnecting" after a network change. When no audio
 * reaches the agent, one alert instead (`silent`, which the emergency panel replaces by its own, with the
 * address to read out). The call stays up in every case. Then a small line for IT, how the audio travels
 * (`path={false}`: the emergency panel shows it below its devices, out of the way).
 */
export function MediaStatus({ state, call, silent, path = true }: { state: UiState; call: CallView; silent?: ComponentChildren; path?: boolean }) {
  const { t } = useApp();
  const media = state.live.media[call.id];
  if (!media) return null;
  const quiet = audioSilent(media.state);
  return (
    <>
      {/* Always mounted while there is media, so that a change of its words is announced. */}
      <p class={quiet ? "visually-hidden" : "hint media"} role="status">
        {quiet ? "" : statusLine(t, media, call.emergency || call.emergencyCallback)}
      </p>
      {quiet && (silent ?? <NoAudio media={media} />)}
      {path && <AudioPath state={state} call={call} />}
    </>
  );
}

/** How the call's audio travels, for IT: one small line, once the engine said. */
export function AudioPath({ state, call }: { state: UiState; call: CallView }) {
  const { t } = useApp();
  const path = state.live.media[call.id]?.path;
  return path ? <p class="hint media__path">{pathLine(t, path)}</p> : null;
}

/** Said once: the element stays while the silence lasts, however often the engine repeats `no_audio`. */
function NoAudio({ media }: { media: CallMedia }) {
  const { t } = useApp();
  const text =
    media.state === "failed"
      ? media.reason || media.cause
        ? t("media.failed_reason", { reason: said(t, media.cause, media.reason) ?? "" })
        : t("media.failed")
      : t("media.no_audio");
  return (
    <p class="notice notice--warn" role="alert">
      {text}
    </p>
  );
}

function statusLine(t: Translate, media: CallMedia, emergency: boolean): string {
  if (media.state === "reconnecting") return emergency ? t("media.reconnecting_emergency") : t("media.reconnecting");
  if (media.state !== "receiving") return t("media.connected");
  return media.codec ? t("media.receiving_codec", { codec: codecName(media.codec) }) : t("media.receiving");
}

/** "Audio: relay · TURN over TCP · turn.example.com:443", "Audio: direct (host)", "Audio: via NAT (srflx)". */
export function pathLine(t: Translate, path: MediaPath): string {
  const protocol = path.protocol.toUpperCase();
  // Packets go over UDP unless said otherwise: name the transport only when it is not.
  const kind = path.protocol === "udp" ? path.candidate : `${path.candidate}, ${protocol}`;
  switch (path.candidate) {
    case "relay": {
      const server = path.server ? turnHost(path.server) : "";
      return server ? t("media.path_relay_server", { protocol, server }) : t("media.path_relay", { protocol });
    }
    case "host":
      return t("media.path_direct", { kind });
    case "srflx":
    case "prflx":
      return t("media.path_nat", { kind });
    default:
      return t("media.path_other", { kind });
  }
}

/** "turn:turn.example.com:443?transport=tcp" -> "turn.example.com:443". */
function turnHost(server: string): string {
  return server.replace(/^turns?:/i, "").replace(/\?.*$/, "");
}

/** "opus/48000/2" -> "Opus", "PCMU/8000" -> "PCMU (G.711)". */
function codecName(codec: string): string {
  const name = codec.split("/")[0] ?? codec;
  const lower = name.toLowerCase();
  if (lower === "opus") return "Opus";
  if (lower === "pcmu" || lower === "pcma") return `${name.toUpperCase()} (G.711)`;
  return name;
}
