import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../engine/api";
import { initialState, toastText, update, type UiState } from "../app/state";
import { endKey, errorKey, rejectedKey, said } from "./causes";
import { failedText } from "../app/Header";
import { translator } from "./i18n";
import { callEvent } from "../app/testing";

const T0 = Date.parse("2026-11-21T21:00:00Z");

function events(list: EngineEvent[], state: UiState = initialState()): UiState {
  return list.reduce((s, event) => update(s, { type: "event", event, now: T0 }).state, state);
}

const ended = (extra: Record<string, unknown>): EngineEvent => callEvent("c1", "ended", extra);

/** What the call-ended line says, as Softphone.tsx builds it. */
function lastReason(state: UiState, locale: "en" | "fr" | "de"): string | null {
  const last = state.lastEnded;
  return last ? said(translator(locale), endKey(last.code, last.status), last.reason) : null;
}

describe("the engine's codes in the agent's language", () => {
  it("the end of the callback lock is said in the agent's own time and locale, not as the engine's UTC text", () => {
    const until = "2026-11-21T21:30:00Z";
    const s = events([
      { event: "error", message: "Lifeline stays open ...", code: "quit_during_callback_lock", params: { until } },
      { event: "error", message: "the line is kept free ...", code: "callback_lock", params: { until } },
    ]);
    for (const locale of ["en", "fr", "de"] as const) {
      const local = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(Date.parse(until));
      for (const text of s.toasts.map((t) => toastText(t, translator(locale), locale))) {
        expect(text).toContain(local);
        expect(text).not.toContain(until);
        expect(text).not.toContain("UTC");
      }
    }
  });

  it("a French UI shows a French reason for an error code, with its parameters", () => {
    const s = events([
      { event: "error", message: "The call could not be placed: no route", code: "call_not_placed", params: { detail: "no route" } },
    ]);
    expect(s.toasts.map((t) => toastText(t, translator("fr")))).toEqual(["L'appel n'a pas pu être passé : no route"]);
    expect(s.toasts.map((t) => toastText(t, translator("de")))).toEqual(["Der Anruf konnte nicht aufgebaut werden: no route"]);
  });

  it("a French UI says why a call ended, with the SIP status", () => {
    const s = events([ended({ reason: "busy here (486)", code: "refused", status: 486 })]);
    expect(lastReason(s, "fr")).toBe("occupé (486)");
    expect(lastReason(s, "en")).toBe("busy (486)");
    // A status without words of its own: the code's general sentence with the status.
    const other = events([ended({ reason: "not acceptable here (488)", code: "refused", status: 488 })]);
    expect(lastReason(other, "fr")).toBe("refusé (488)");
    expect(lastReason(events([ended({ reason: "remote hung up", code: "remote_hung_up" })]), "de")).toBe("die Gegenseite hat aufgelegt");
  });

  it("picks the sentence for the command or action the engine names", () => {
    const t = translator("fr");
    const say = (k: ReturnType<typeof errorKey>) => said(t, k, null);
    expect(say(errorKey("no_call", { command: "hangup" }))).toBe("Il n'y a pas d'appel à terminer.");
    expect(say(errorKey("no_call", { command: "launch" }))).toBe("Il n'y a pas d'appel pour cela.");
    expect(say(errorKey("hold_refused", { action: "resume", status: "488" }))).toBe("Le correspondant a refusé la reprise de l'appel (488).");
    expect(say(errorKey("hold_refused", { action: "hold", status: "488" }))).toBe("Le correspondant a refusé la mise en attente de l'appel (488).");
  });

  it("a call turned away is said by its cause", () => {
    const s = events([
      { event: "call_rejected", remote: "sip:peer3@lifeline.lab", code: 486, reason: "Busy Here (emergency callback line kept free)", cause: "emergency_line_protected" },
    ]);
    expect(s.toasts.map((t) => toastText(t, translator("fr")))).toEqual([
      "Appel de sip:peer3@lifeline.lab refusé : la ligne reste libre pour le rappel des services d'urgence (486).",
    ]);
    expect(rejectedKey("do_not_disturb", "x", 480)?.key).toBe("toast.call_rejected_do_not_disturb");
  });

  it("an unknown code, a missing one, or a missing parameter falls back to the engine's text", () => {
    const unknown = { event: "error", message: "Something new went wrong", code: "quantum_flux", params: {} } as unknown as EngineEvent;
    const bare: EngineEvent = { event: "error", message: "an engine without codes" };
    const short: EngineEvent = { event: "error", message: "The call could not be placed: ?", code: "call_not_placed" };
    const s = events([unknown, bare, short]);
    expect(s.toasts.map((t) => toastText(t, translator("fr")))).toEqual([
      "Something new went wrong",
      "an engine without codes",
      "The call could not be placed: ?",
    ]);
    const newer = events([ended({ reason: "parked elsewhere", code: "parked" })]);
    expect(lastReason(newer, "fr")).toBe("parked elsewhere");
    expect(lastReason(events([ended({ reason: "hung up" })]), "fr")).toBe("hung up");
    expect(lastReason(events([ended({})]), "fr")).toBeNull();
    const oldRejected = events([{ event: "call_rejected", remote: "sip:a@b", code: 486, reason: "Busy Here" }]);
    expect(oldRejected.toasts.map((t) => toastText(t, translator("en")))).toEqual(["Call with sip:a@b turned away: Busy Here (486)"]);
  });
});

describe("registration failures, dial_blocked, emergency_call_failed, media and device causes", () => {
  const reg = (extra: Record<string, unknown>): EngineEvent => ({ event: "registration", state: "failed", reason: "english", ...extra }) as EngineEvent;
  const header = (s: UiState, locale: "en" | "fr" | "de") => failedText(translator(locale), s.registration);

  it("a registration failure says what the agent should do, in their language", () => {
    const wrong = events([reg({ reason: "wrong password: ...", code: "wrong_password" })]);
    expect(header(wrong, "fr")).toBe(
      "Échec de l'enregistrement : le serveur a refusé le nom d'utilisateur ou le mot de passe. Vérifiez-les et reconnectez-vous.",
    );
    const ws = events([reg({ code: "insecure_transport", params: { server: "ws://sip.example.com" } })]);
    expect(header(ws, "de")).toContain("Die Adresse ws://sip.example.com ist nicht verschlüsselt (ws://)");
    const tls = events([reg({ code: "tls_not_trusted", params: { detail: "UnknownIssuer" }, retrying: true })]);
    expect(header(tls, "en")).toBe(
      "Registration failed: the server's security certificate is not trusted (UnknownIssuer). Ask IT to install the server's certificate authority. Lifeline keeps trying.",
    );
    const server = events([reg({ code: "server_error", params: { status: "503", detail: "Service Unavailable" }, retrying: true })]);
    expect(header(server, "fr")).toBe(
      "Échec de l'enregistrement : le serveur SIP a répondu 503 Service Unavailable. Si cela continue, contactez le service informatique. Lifeline réessaie.",
    );
    expect(header(events([reg({ code: "connect_timeout", retrying: true })]), "en")).toContain("did not answer within 10 s");
  });

  it("a registration failure without a code, with an unknown one, or missing a value says the engine's English", () => {
    expect(header(events([reg({ reason: "server unreachable: x; retrying", retrying: true })]), "fr")).toBe(
      "Échec de l'enregistrement : server unreachable: x; retrying",
    );
    expect(header(events([reg({ reason: "new", code: "quantum_flux" })]), "de")).toBe("Anmeldung fehlgeschlagen: new");
    expect(header(events([reg({ reason: "the SIP server answered 500 X", code: "server_error" })]), "en")).toBe(
      "Registration failed: the SIP server answered 500 X",
    );
  });

  it("dial_blocked names the number dialled and the one to use", () => {
    const s = events([
      {
        event: "dial_blocked",
        reason: "999 is not an emergency number in US: the emergency number here is 911",
        offer: "911",
        code: "not_local",
        params: { dialled: "999", country: "US", local: "911" },
      },
    ]);
    const blocked = s.live.dialBlocked;
    expect(said(translator("fr"), blocked?.cause ?? null, blocked?.reason ?? null)).toBe(
      "Le 999 n'est pas un numéro d'urgence là où vous êtes (US). Ici, le numéro d'urgence est le 911.",
    );
    const old = events([{ event: "dial_blocked", reason: "old words", offer: "911" }]).live.dialBlocked;
    expect(said(translator("fr"), old?.cause ?? null, old?.reason ?? null)).toBe("old words");
  });

  it("emergency_call_failed says whether the call was sent, with the SIP status", () => {
    const failed = (extra: Record<string, unknown>) =>
      events([{ event: "emergency_call_failed", message: "english", address: null, ...extra } as EngineEvent]).live.emergencyFailed;
    const say = (f: ReturnType<typeof failed>, locale: "en" | "fr" | "de") => said(translator(locale), f?.cause ?? null, f?.message ?? null);
    expect(say(failed({ code: "not_connected", status: 503 }), "fr")).toBe(
      "L'appel d'urgence n'a pas abouti (503). Utilisez un autre téléphone maintenant et donnez cette adresse.",
    );
    expect(say(failed({ code: "not_sent" }), "de")).toBe(
      "Der Notruf konnte nicht gesendet werden. Benutzen Sie jetzt ein anderes Telefon und nennen Sie diese Adresse.",
    );
    expect(say(failed({}), "fr")).toBe("english");
  });

  it("media and device causes are said in the agent's language", () => {
    const s = events([
      { event: "media", id: "c1", state: "no_audio", codec: null, setup_ms: null, reason: "no audio has arrived for 5 s", code: "no_audio", params: { seconds: "5" } },
    ]);
    const media = s.live.media.c1;
    expect(said(translator("fr"), media?.cause ?? null, media?.reason ?? null)).toBe("aucun son n'est arrivé depuis 5 s");
    const d = events([
      {
        event: "audio_device",
        audio_event: "device_unavailable",
        role: "microphone",
        reason: "no Microphone device named 'USB' was found; choose another in the audio settings",
        code: "not_found",
        params: { name: "USB" },
      },
    ]);
    expect(d.toasts.map((t) => toastText(t, translator("fr")))).toEqual([
      "Aucun micro n'a pu être ouvert (« USB » n'est pas branché). Vérifiez qu'un micro est branché.",
    ]);
    const old = events([{ event: "audio_device", audio_event: "device_unavailable", role: "speaker", reason: "engine words" }]);
    expect(old.toasts.map((t) => toastText(t, translator("de")))).toEqual([
      "Kein Lautsprecher konnte geöffnet werden (engine words). Prüfen Sie die Toneinstellungen.",
    ]);
  });

  it("a TURN server's problem is said in the agent's language; a problem the UI does not know keeps the engine's detail", () => {
    const detail = 'TURN server turns:turn.example.com:443 refused the credentials (user "lifeline"); check media.ice_servers';
    const s = events([
      {
        event: "error",
        message: `Call audio settings: ${detail}; calls use the other paths.`,
        code: "audio_settings",
        params: { detail, problem: "turn_credentials_refused", url: "turns:turn.example.com:443", key: "media.ice_servers" },
      },
      {
        event: "error",
        message: "Call audio settings: TURN server x did not answer; calls use the other paths.",
        code: "audio_settings",
        params: { detail: "TURN server x did not answer", problem: "turn_no_answer", url: "x", transport: "udp", seconds: "3" },
      },
      {
        event: "error",
        message: "Call audio settings: TURN server x is new trouble; calls use the other paths.",
        code: "audio_settings",
        params: { detail: "TURN server x is new trouble", problem: "turn_something_new", url: "x" },
      },
    ]);
    expect(s.toasts.map((t) => toastText(t, translator("th")))).toEqual([
      "เซิร์ฟเวอร์ TURN turns:turn.example.com:443 ปฏิเสธชื่อผู้ใช้หรือรหัสผ่าน: ตรวจสอบ media.ice_servers การโทรจะใช้เส้นทางอื่น",
      "เซิร์ฟเวอร์ TURN x ไม่ตอบผ่าน udp ภายใน 3 วินาที: ตรวจสอบว่าไฟร์วอลล์อนุญาตให้ผ่าน การโทรจะใช้เส้นทางอื่น",
      "การตั้งค่าเสียงของการโทร: TURN server x is new trouble การโทรจะใช้เส้นทางอื่น",
    ]);
    expect(s.toasts.map((t) => toastText(t, translator("pt-BR")))[0]).toBe(
      "O servidor TURN turns:turn.example.com:443 recusou o nome de usuário ou a senha: verifique media.ice_servers. As chamadas usam os outros caminhos.",
    );
    expect(s.toasts.map((t) => toastText(t, translator("de")))[1]).toBe(
      "Der TURN-Server x hat über udp nicht innerhalb von 3 s geantwortet: Prüfen Sie, ob die Firewall ihn durchlässt. Anrufe nutzen die anderen Wege.",
    );
  });

  it("the guard's refusals have their own codes", () => {
    const s = events([
      { event: "error", message: "the line is kept free ...", code: "callback_lock", params: { until: "2026-11-21T21:30:00Z" } },
    ]);
    const local = new Intl.DateTimeFormat("de", { dateStyle: "medium", timeStyle: "short" }).format(Date.parse("2026-11-21T21:30:00Z"));
    expect(s.toasts.map((t) => toastText(t, translator("de"), "de"))).toEqual([
      `Die Leitung bleibt bis ${local} für den Rückruf der Notdienste frei; das kann bis dahin warten.`,
    ]);
  });
});
