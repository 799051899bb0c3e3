import { useContext, useEffect, useMemo, useState } from "preact/hooks";
import { AppContext, type AppContextValue } from "./context";
import { translator } from "../i18n/i18n";
import { screenOf, uiLocale, type UiState } from "./state";
import type { Store } from "./store";
import { AgreementScreen } from "../agreement/AgreementScreen";
import { EmergencyBanner } from "../emergency/EmergencyBanner";
import { DialBlocked } from "../emergency/DialBlocked";
import { EmergencyCallScreen } from "../emergency/EmergencyCallScreen";
import { EmergencyFailedScreen } from "../emergency/EmergencyFailedScreen";
import { EmergencyPrompt } from "../emergency/EmergencyPrompt";
import { Header } from "./Header";
import { InCallScreen } from "../calls/InCallScreen";
import { IncomingScreen } from "../calls/IncomingScreen";
import { LocationPrompt } from "../location/LocationPrompt";
import { PolicyBanner } from "../policy/PolicyBanner";
import { Prewarm } from "./Prewarm";
import { SettingsScreen } from "../settings/SettingsScreen";
import { SignInScreen } from "../account/SignInScreen";
import { Softphone } from "../calls/Softphone";
import { StoreBanner } from "./StoreBanner";
import { Toasts } from "./Toasts";

/** Waiting for the engine's first event; after a few seconds, say what to do if it never comes. */
function Connecting() {
  const { t } = useContext(AppContext) ?? { t: (k: string) => k };
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    const id = setTimeout(() => setSlow(true), 5000);
    return () => clearTimeout(id);
  }, []);
  return (
    <main class="screen screen--center" aria-busy="true">
      <p role="status">{slow ? t("app.connecting_slow") : t("app.connecting")}</p>
    </main>
  );
}

function useStoreState(store: Store): UiState {
  const [state, setState] = useState(store.state);
  useEffect(() => {
    const unsubscribe = store.subscribe(setState);
    // Events may have arrived between the first render and this effect.
    setState(store.state);
    return unsubscribe;
  }, [store]);
  return state;
}

export function App({ store }: { store: Store }) {
  const state = useStoreState(store);
  // Once, after the first screen with the engine's state has painted (effects run after paint): see Prewarm
  // (the first emergency panel must not wait for fonts).
  const [warm, setWarm] = useState<"waiting" | "now" | "done">("waiting");
  useEffect(() => {
    if (state.attached && warm === "waiting") setWarm("now");
  }, [state.attached, warm]);
  const locale = uiLocale(state, typeof navigator === "undefined" ? [] : navigator.languages ?? [navigator.language]);
  const ctx = useMemo<AppContextValue>(
    () => ({
      t: translator(locale),
      locale,
      intend: (command) => store.intend(command),
      dispatch: (action) => store.dispatch(action),
      ipcKind: store.ipcKind,
    }),
    [store, locale],
  );
  const screen = screenOf(state);
  // The window title says what needs attention, so it shows in the taskbar when the window is behind.
  const attention =
    screen.kind === "emergency_call"
      ? ctx.t("emergency.in_progress")
      : screen.kind === "emergency_failed"
        ? ctx.t("failed.title")
        : screen.kind === "callback_incoming"
          ? ctx.t("callback.title")
          : screen.kind === "incoming"
            ? ctx.t("incoming.title")
            : null;
  useEffect(() => {
    document.documentElement.lang = locale;
    document.title = attention ? `${attention} · ${ctx.t("app.name")}` : ctx.t("app.name");
  }, [locale, ctx, attention]);

  let body;
  switch (screen.kind) {
    case "connecting":
      body = <Connecting />;
      break;
    case "agreement":
      body = <AgreementScreen state={state} />;
      break;
    case "sign_in":
      body = <SignInScreen state={state} />;
      break;
    case "settings":
      body = <SettingsScreen state={state} />;
      break;
    case "softphone":
      body = <Softphone state={state} />;
      break;
    case "incoming":
    case "callback_incoming":
      body = <IncomingScreen key={screen.call.id} state={state} call={screen.call} />;
      break;
    case "in_call":
      body = <InCallScreen key={screen.call.id} state={state} call={screen.call} />;
      break;
    case "emergency_call":
      body = <EmergencyCallScreen state={state} call={screen.call} />;
      break;
    case "emergency_failed":
      body = <EmergencyFailedScreen state={state} />;
      break;
  }
  const urgent = screen.kind === "emergency_call" || screen.kind === "callback_incoming" || screen.kind === "emergency_failed";
  const showBanner = !urgent;
  // Blocked dials come from the dialler (or the agreement screen's emergency field).
  const dialler = screen.kind === "softphone" || screen.kind === "agreement";

  return (
    <AppContext.Provider value={ctx}>
      <div class={`app app--${screen.kind.replace("_", "-")}`} data-screen={screen.kind}>
        <Header state={state} screen={screen.kind} />
        {showBanner && <EmergencyBanner state={state} />}
        {/* In the flow, not floating: a toast must never cover End call or Answer. */}
        <Toasts toasts={state.toasts} />
        {!urgent && <StoreBanner state={state} />}
        {!urgent && <PolicyBanner state={state} />}
        {dialler && <DialBlocked state={state} />}
        {screen.kind === "softphone" && <LocationPrompt state={state} />}
        <div class="app__body" key={screen.kind}>
          {body}
        </div>
        <EmergencyPrompt state={state} />
      </div>
      {warm === "now" && <Prewarm state={state} onDone={() => setWarm("done")} />}
    </AppContext.Provider>
  );
}
