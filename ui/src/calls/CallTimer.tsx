import { useApp, useNow } from "../app/context";
import { formatDuration, type CallView } from "../app/state";

/** "Calling…", "Ringing…" until connected, then the running time; "On hold" while held. */
export function CallTimer({ call }: { call: CallView }) {
  const { t } = useApp();
  const now = useNow(1000);
  let label: string;
  if (call.state === "dialing") label = t("call.state_dialing");
  else if (call.state === "ringing") label = t("call.state_ringing");
  else if (call.connectedAt === null) label = t(`call.state_${call.state}`);
  else {
    const time = formatDuration(now - call.connectedAt);
    label = call.state === "held" ? t("call.state_held_time", { time }) : time;
  }
  return (
    <p class="timer">
      <span class="visually-hidden">{t("call.timer_label")}: </span>
      {label}
    </p>
  );
}
