import { useApp } from "../context";
import type { CallView, UiState } from "../state";

/** One line about the call's audio: connected (with the codec), or why there is none (the call stays up). */
export function MediaStatus({ state, call }: { state: UiState; call: CallView }) {
  const { t } = useApp();
  const media = state.live.media[call.id];
  if (!media) return null;
  if (media.state === "failed") {
    return (
      <p class="notice notice--warn" role="alert">
        {media.reason ? t("media.failed_reason", { reason: media.reason }) : t("media.failed")}
      </p>
    );
  }
  const codec = media.codec ? codecName(media.codec) : null;
  return (
    <p class="hint media">
      {media.state === "receiving"
        ? codec
          ? t("media.receiving_codec", { codec })
          : t("media.receiving")
        : t("media.connected")}
    </p>
  );
}

/** "opus/48000/2" -> "Opus", "PCMU/8000" -> "PCMU (G.711)". */
function codecName(codec: string): string {
  const name = codec.split("/")[0] ?? codec;
  const lower = name.toLowerCase();
  if (lower === "opus") return "Opus";
  if (lower === "pcmu" || lower === "pcma") return `${name.toUpperCase()} (G.711)`;
  return name;
}
