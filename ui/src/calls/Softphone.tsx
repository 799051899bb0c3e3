import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { displayRemote } from "./remote";
import { useApp, useFocusOnMount } from "../app/context";
import type { UiState } from "../app/state";
import { DialPad, useTypedDigits } from "./DialPad";
import { HistoryList } from "../history/HistoryList";
import { PresenceSelect } from "../presence/PresenceSelect";
import { endKey, said } from "../i18n/causes";

export function Softphone({ state }: { state: UiState }) {
  const { t, intend, dispatch } = useApp();
  const [number, setNumber] = useState("");
  const field = useFocusOnMount<HTMLInputElement>();
  // A tel:/sip: link fills the field; the agent still presses Call (never dialled from a link).
  const request = state.dialRequest;
  useEffect(() => {
    if (!request) return;
    setNumber(request.number);
    field.current?.focus();
    dispatch({ type: "dial_request_taken", seq: request.seq });
  }, [request?.seq]);
  const append = useCallback((key: string) => setNumber((n) => n + key), []);
  useTypedDigits(append);
  const form = useRef<HTMLFormElement>(null);
  // A recent call fills the field and puts focus on Call: the agent still presses it (never dialled from the list).
  const callButton = useRef<HTMLButtonElement>(null);
  const pick = useCallback((n: string) => {
    setNumber(n);
    callButton.current?.focus();
  }, []);
  const last = state.lastEnded;
  // The engine's code in the agent's language; its English only for a code this UI does not know.
  const lastReason = last ? said(t, endKey(last.code, last.status), last.reason) : null;

  return (
    <main class="screen screen--softphone">
      <h1 class="visually-hidden">{t("softphone.title")}</h1>
      <PresenceSelect state={state} />
      <form
        ref={form}
        class="dialer"
        onSubmit={(e) => {
          e.preventDefault();
          intend({ cmd: "dial", number });
        }}
      >
        <label for="number">{t("softphone.number")}</label>
        <div class="field-row">
          <input
            id="number"
            ref={field}
            class="dialer__number"
            type="tel"
            inputMode="tel"
            autoComplete="off"
            spellcheck={false}
            value={number}
            onInput={(e) => setNumber(e.currentTarget.value)}
          />
          <button
            type="button"
            class="button button--quiet"
            aria-label={t("softphone.backspace")}
            title={t("softphone.backspace")}
            disabled={number === ""}
            onClick={() => setNumber((n) => n.slice(0, -1))}
          >
            <span aria-hidden="true">⌫</span>
          </button>
        </div>
        <DialPad onKey={append} label={t("softphone.pad")} />
        <button type="submit" ref={callButton} class="button button--call button--wide">
          {t("softphone.call")}
        </button>
      </form>
      {last && (
        <p class="hint last-call" role="status">
          {lastReason
            ? t("softphone.last_call_reason", { remote: displayRemote(last.remote, state.app?.domain), reason: lastReason })
            : t("softphone.last_call", { remote: displayRemote(last.remote, state.app?.domain) })}
        </p>
      )}
      <HistoryList state={state} onPick={pick} />
    </main>
  );
}
