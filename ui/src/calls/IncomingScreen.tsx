import { displayRemote } from "./remote";
import { useApp, useFocusOnMount } from "../app/context";
import { activeCall, type CallView, type UiState } from "../app/state";
import { LockCountdown } from "../emergency/EmergencyBanner";
import { EmergencyDialBox } from "../emergency/EmergencyDialBox";

export function IncomingScreen({ state, call }: { state: UiState; call: CallView }) {
  const { t, intend } = useApp();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const answer = useFocusOnMount<HTMLButtonElement>();
  const current = activeCall(state);
  if (call.emergencyCallback) {
    // The dispatcher is calling back: one obvious action, focused, no Reject.
    return (
      <main class="screen screen--callback">
        <div class="callback" role="alert">
          <h1 class="callback__title">{t("callback.title")}</h1>
          <p class="callback__remote">{displayRemote(call.remote, state.app?.domain)}</p>
          <p>{t("callback.explanation")}</p>
        </div>
        <button type="button" class="button button--call button--wide button--big" ref={answer} onClick={() => intend({ cmd: "answer", call: call.id })}>
          {t("call.answer")}
        </button>
        {state.emergency.lockUntil !== null && <LockCountdown until={state.emergency.lockUntil} />}
      </main>
    );
  }
  return (
    <main class="screen screen--incoming">
      <h1 class="screen__title" tabIndex={-1} ref={heading}>
        {t("incoming.title")}
      </h1>
      <p class="incoming__remote">{displayRemote(call.remote, state.app?.domain)}</p>
      {current && <p class="notice notice--warn">{t("incoming.while_in_call", { remote: current.remote })}</p>}
      <div class="button-row">
        <button type="button" class="button button--call button--big" onClick={() => intend({ cmd: "answer", call: call.id })}>
          {/* The engine puts the call in progress on hold when this one is answered. */}
          {current ? t("call.answer_hold") : t("call.answer")}
        </button>
        <button type="button" class="button button--end button--big" onClick={() => intend({ cmd: "reject", call: call.id })}>
          {t("call.reject")}
        </button>
      </div>
      <EmergencyDialBox hint="incoming.emergency_hint" />
    </main>
  );
}
