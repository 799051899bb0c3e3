import { useState } from "preact/hooks";
import { useApp, useFocusOnMount } from "../app/context";
import type { UiState } from "../app/state";
import { EmergencyDialBox } from "../emergency/EmergencyDialBox";

interface Form {
  server: string;
  domain: string;
  user: string;
  password: string;
  remember: boolean;
}

export function validServer(server: string): boolean {
  return /^wss?:\/\/[^\s/]+/i.test(server.trim());
}

export function SignInScreen({ state }: { state: UiState }) {
  const { t, intend } = useApp();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [form, setForm] = useState<Form>(() => ({
    server: state.app?.server ?? "",
    domain: state.app?.domain ?? "",
    user: state.app?.user ?? "",
    password: "",
    remember: false,
  }));
  const [touched, setTouched] = useState(false);
  // app_info may arrive after this screen mounted: fill the fields the agent has not typed into yet.
  const app = state.app;
  const [prefilledFrom, setPrefilledFrom] = useState(app);
  if (app !== prefilledFrom) {
    setPrefilledFrom(app);
    setForm((f) => ({
      ...f,
      server: f.server || app?.server || "",
      domain: f.domain || app?.domain || "",
      user: f.user || app?.user || "",
    }));
  }
  const serverOk = validServer(form.server);
  const complete = serverOk && form.domain.trim() !== "" && form.user.trim() !== "" && form.password !== "";
  const set = (field: keyof Form) => (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    setForm({ ...form, [field]: field === "remember" ? input.checked : input.value });
  };

  return (
    <main class="screen">
      <h1 class="screen__title" tabIndex={-1} ref={heading}>
        {t("signin.title")}
      </h1>
      <form
        class="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setTouched(true);
          if (!complete) return;
          intend({
            cmd: "sign_in",
            server: form.server.trim(),
            domain: form.domain.trim(),
            user: form.user.trim(),
            password: form.password,
            remember: form.remember,
          });
        }}
      >
        <label for="server">{t("signin.server")}</label>
        <input
          id="server"
          type="url"
          autoComplete="off"
          spellcheck={false}
          value={form.server}
          onInput={set("server")}
          aria-invalid={touched && !serverOk}
          aria-describedby="server-hint"
        />
        <p class={touched && !serverOk ? "hint hint--error" : "hint"} id="server-hint">
          {touched && !serverOk ? t("signin.server_invalid") : t("signin.server_hint")}
        </p>
        <label for="domain">{t("signin.domain")}</label>
        <input id="domain" type="text" autoComplete="off" spellcheck={false} value={form.domain} onInput={set("domain")} aria-invalid={touched && form.domain.trim() === ""} />
        <label for="user">{t("signin.user")}</label>
        <input id="user" type="text" autoComplete="username" spellcheck={false} value={form.user} onInput={set("user")} aria-invalid={touched && form.user.trim() === ""} />
        <label for="password">{t("signin.password")}</label>
        <input id="password" type="password" autoComplete="current-password" value={form.password} onInput={set("password")} aria-invalid={touched && form.password === ""} />
        <label class="check">
          <input type="checkbox" checked={form.remember} onChange={set("remember")} />
          <span>{t("signin.remember")}</span>
        </label>
        {touched && !complete && (
          <p class="hint hint--error" role="alert">
            {t("signin.incomplete")}
          </p>
        )}
        <button type="submit" class="button button--primary button--wide" disabled={state.signingIn}>
          {state.signingIn ? t("signin.signing_in") : t("signin.submit")}
        </button>
      </form>
      <EmergencyDialBox hint="signin.emergency_hint" />
    </main>
  );
}
