import { render } from "preact";
import { App } from "./app/App";
import { connectIpc } from "./engine/connect";
import { initialState } from "./app/state";
import { Store } from "./app/store";
import "./styles.css";

const LOCALE_KEY = "lifeline.locale";

function savedLocale(): string | null {
  try {
    return localStorage.getItem(LOCALE_KEY);
  } catch {
    return null;
  }
}

async function start(): Promise<void> {
  const root = document.getElementById("app");
  if (!root) return;
  const ipc = await connectIpc(window);
  const store = new Store(ipc, Date.now, initialState(savedLocale()));
  let locale = store.state.localeChoice;
  store.subscribe((state) => {
    if (state.localeChoice === locale) return;
    locale = state.localeChoice;
    try {
      if (locale === null) localStorage.removeItem(LOCALE_KEY);
      else localStorage.setItem(LOCALE_KEY, locale);
    } catch {
      // Storage can be unavailable (private mode); the choice then lasts for this session only.
    }
  });
  render(<App store={store} />, root);
  await store.attach();
}

void start();
