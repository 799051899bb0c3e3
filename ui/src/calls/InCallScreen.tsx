import { useCallback, useState } from "preact/hooks";
import { displayRemote } from "./remote";
import { useApp, useFocusOnMount } from "../app/context";
import type { CallView, UiState } from "../app/state";
import { CallTimer } from "./CallTimer";
import { DialPad, useTypedDigits } from "./DialPad";
import { MediaStatus } from "./MediaStatus";
import { EmergencyDialBox } from "../emergency/EmergencyDialBox";
import { OtherCalls } from "./OtherCalls";

export function InCallScreen({ state, call }: { state: UiState; call: CallView }) {
  const { t, intend } = useApp();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [keypad, setKeypad] = useState(false);
  const [sent, setSent] = useState("");
  const [transferOpen, setTransferOpen] = useState(false);
  const [target, setTarget] = useState("");
  const [addOpen, setAddOpen] = useState(false);
  const [added, setAdded] = useState("");
  const transfer = state.live.transfer[call.id];
  const transferring = transfer?.role === "transferor" && (transfer.state === "trying" || transfer.state === "ringing");
  const tone = useCallback(
    (digits: string) => {
      intend({ cmd: "dtmf", digits });
      setSent((s) => (s + digits).slice(-24));
    },
    [intend],
  );
  useTypedDigits(tone, call.state === "connected");
  const held = call.state === "held";
  const others = state.calls.filter((c) => c.id !== call.id && (c.state === "held" || c.state === "connected"));
  const conference = state.live.conference.includes(call.id);
  const up = call.state === "connected" || held;

  return (
    <main class="screen screen--in-call">
      <h1 class="screen__title" tabIndex={-1} ref={heading}>
        <span class="call__eyebrow">{call.direction === "in" ? t("call.title_in") : t("call.title_out")}</span>
        <span class="call__remote">{displayRemote(call.remote, state.app?.domain)}</span>
      </h1>
      {call.autoAnswered && <p class="hint call__auto-answered">{t("call.auto_answered")}</p>}
      <CallTimer call={call} />
      <MediaStatus state={state} call={call} />
      {state.live.dtmfIn[call.id] && (
        <p class="hint dtmf__received" aria-live="polite">
          {t("call.keypad_received", { digits: state.live.dtmfIn[call.id] ?? "" })}
        </p>
      )}
      <div class="controls">
        <button
          type="button"
          class="button button--toggle"
          aria-pressed={call.muted}
          disabled={!up}
          onClick={() => intend({ cmd: "mute", on: !call.muted })}
        >
          {t("call.mute")}
        </button>
        <button
          type="button"
          class="button button--toggle"
          aria-pressed={held}
          disabled={!up}
          onClick={() => intend({ cmd: held ? "resume" : "hold", call: call.id })}
        >
          {t("call.hold")}
        </button>
        <button
          type="button"
          class="button button--toggle"
          aria-expanded={keypad}
          aria-controls={keypad && call.state === "connected" ? "dtmf-pad" : undefined}
          disabled={call.state !== "connected"}
          onClick={() => setKeypad(!keypad)}
        >
          {t("call.keypad")}
        </button>
        <button
          type="button"
          class="button button--toggle"
          aria-expanded={transferOpen}
          aria-controls={transferOpen && up ? "transfer-form" : undefined}
          disabled={!up}
          onClick={() => setTransferOpen(!transferOpen)}
        >
          {t("call.transfer")}
        </button>
        <button
          type="button"
          class="button button--toggle"
          aria-expanded={addOpen}
          aria-controls={addOpen && up ? "add-call-form" : undefined}
          disabled={!up}
          onClick={() => setAddOpen(!addOpen)}
        >
          {t("call.add")}
        </button>
        {conference ? (
          <button type="button" class="button" onClick={() => intend({ cmd: "split" })}>
            {t("call.split")}
          </button>
        ) : (
          others.length === 1 && (
            <button type="button" class="button" onClick={() => intend({ cmd: "merge" })}>
              {t("call.merge")}
            </button>
          )
        )}
      </div>
      {conference && (
        <p class="hint conference__status" aria-live="polite">
          {t("call.conference_with", { remote: others.map((o) => displayRemote(o.remote, state.app?.domain)).join(", ") })}
        </p>
      )}
      {addOpen && up && (
        <form
          id="add-call-form"
          class="transfer"
          onSubmit={(e) => {
            e.preventDefault();
            const number = added.trim();
            if (number === "") return;
            // The engine puts this call on hold and places the new one (the second line).
            intend({ cmd: "dial", number });
            setAddOpen(false);
            setAdded("");
          }}
        >
          <label for="add-call-number">{t("call.add_number")}</label>
          <input
            id="add-call-number"
            type="tel"
            inputMode="tel"
            autoComplete="off"
            value={added}
            onInput={(e) => setAdded((e.target as HTMLInputElement).value)}
          />
          <button type="submit" class="button button--call" disabled={added.trim() === ""}>
            {t("call.add_send")}
          </button>
        </form>
      )}
      {transferOpen && up && (
        <form
          id="transfer-form"
          class="transfer"
          onSubmit={(e) => {
            e.preventDefault();
            const number = target.trim();
            if (number === "") return;
            intend({ cmd: "transfer", target: number, call: call.id });
          }}
        >
          <label for="transfer-target">{t("call.transfer_target")}</label>
          <input
              id="transfer-target"
              type="text"
              inputMode="tel"
              autoComplete="off"
              value={target}
              onInput={(e) => setTarget((e.target as HTMLInputElement).value)}
            />
          <button type="submit" class="button" disabled={transferring || target.trim() === ""}>
            {t("call.transfer_send")}
          </button>
          {others.map((o) => (
            // Attended transfer: the other call's party is put through to this call's (RFC 3891 Replaces).
            <button
              key={o.id}
              type="button"
              class="button"
              disabled={transferring}
              onClick={() => intend({ cmd: "transfer", target: "", call: o.id, to_call: call.id })}
            >
              {t("call.transfer_join", {
                other: displayRemote(o.remote, state.app?.domain),
                remote: displayRemote(call.remote, state.app?.domain),
              })}
            </button>
          ))}
        </form>
      )}
      {transfer && (
        <p class="hint transfer__status" aria-live="polite">
          {transfer.role === "transferor" && transfer.state === "failed" && transfer.status == null
            ? t("call.transfer_transferor_failed_unconfirmed")
            : t(`call.transfer_${transfer.role}_${transfer.state}`, { status: transfer.status ?? "" })}
        </p>
      )}
      {keypad && call.state === "connected" && (
        <div id="dtmf-pad" class="dtmf">
          <p class="dtmf__sent" aria-live="polite">
            {sent === "" ? t("call.keypad_hint") : t("call.keypad_sent", { digits: sent })}
          </p>
          <DialPad onKey={tone} label={t("call.keypad")} />
        </div>
      )}
      <button type="button" class="button button--end button--wide button--big" onClick={() => intend({ cmd: "hangup", call: call.id })}>
        {t("call.end")}
      </button>
      <OtherCalls state={state} current={call} />
      <EmergencyDialBox hint="call.emergency_hint" />
    </main>
  );
}
