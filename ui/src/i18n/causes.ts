// The engine's stable codes, as words in the agent's language. The engine sends a code beside its English
// text (`call.code` with `status`, `error.code` with `params`, `call_rejected.cause`); the UI says the code
// and falls back to the English text only when there is no code, or one this UI version has no words for
// (a newer engine). Pure: the choice of key is made here, the words at render time by `t`.

import type {
  DeviceCode,
  DialBlockedCode,
  EmergencyFailedCode,
  EndCode,
  ErrorCode,
  MediaCode,
  RegistrationCode,
  RejectReason,
} from "../engine/api";
import { LOCALES, placeholders, type Params, type Translate } from "./i18n";

/** A translation key with the values it names. */
export interface Keyed {
  key: string;
  params: Params;
}

const ENGLISH: Record<string, string> = LOCALES.en;

/** The key, when this UI has words for it and every value they name is given. */
function usable(key: string, params: Params): Keyed | null {
  const text = ENGLISH[key];
  if (text === undefined) return null;
  return placeholders(text).every((name) => name in params) ? { key, params } : null;
}

/** The first usable key of `keys`, tried in order (most specific first). */
function first(keys: string[], params: Params): Keyed | null {
  for (const key of keys) {
    const found = usable(key, params);
    if (found) return found;
  }
  return null;
}

/**
 * Why a call ended: `end.<code>_<status>` (a SIP status with words of its own, e.g. busy), then
 * `end.<code>_status`, then `end.<code>`; null without a code this UI knows.
 */
export function endKey(code: EndCode | null | undefined, status: number | null | undefined): Keyed | null {
  if (typeof code !== "string") return null;
  if (typeof status === "number") {
    const found = first([`end.${code}_${status}`, `end.${code}_status`], { status });
    if (found) return found;
  }
  return usable(`end.${code}`, {});
}

/**
 * The parameter that picks a more specific sentence for some codes: which command found no call, whether
 * hold or resume was refused. Its value is one of a few words the engine sends, never free text.
 */
const VARIANT: Partial<Record<ErrorCode, string>> = {
  no_call: "command",
  hold_refused: "action",
  store_in_memory: "carried",
  audio_settings: "problem",
};

/** An `error` event's words: `error.<code>_<variant>`, then `error.<code>`; null without a known code. */
export function errorKey(code: ErrorCode | null | undefined, params: Record<string, string> | null | undefined): Keyed | null {
  if (typeof code !== "string") return null;
  const values: Params = { ...(params ?? {}) };
  const variantName = VARIANT[code];
  const variant = variantName === undefined ? undefined : values[variantName];
  const keys = variant === undefined ? [`error.${code}`] : [`error.${code}_${variant}`, `error.${code}`];
  return first(keys, values);
}

/** A call turned away while the line was protected (or busy, or on do-not-disturb). */
export function rejectedKey(cause: RejectReason | null | undefined, remote: string, code: number): Keyed | null {
  if (typeof cause !== "string") return null;
  return usable(`toast.call_rejected_${cause}`, { remote, code });
}

/**
 * `<prefix>.<code>` (or `<prefix>_<code>` for a prefix with a dot) with the values the engine named; null
 * without a code this UI knows.
 */
function coded(prefix: string, code: string | null | undefined, params: Record<string, string> | null | undefined): Keyed | null {
  const key = prefix.includes(".") ? `${prefix}_${code}` : `${prefix}.${code}`;
  return typeof code === "string" ? usable(key, { ...(params ?? {}) }) : null;
}

/** Why the line is not registered, as what the agent should do (`reg.<code>` with its values). */
export function registrationKey(code: RegistrationCode | null | undefined, params: Record<string, string> | null | undefined): Keyed | null {
  return coded("reg", code, params);
}

/** Why a number was not dialled (`blocked.<code>`), with the numbers and country it names. */
export function blockedKey(code: DialBlockedCode | null | undefined, params: Record<string, string> | null | undefined): Keyed | null {
  return coded("blocked", code, params);
}

/** Why the emergency call failed (`failed.<code>`, or `failed.<code>_status` with the SIP status). */
export function emergencyFailedKey(code: EmergencyFailedCode | null | undefined, status: number | null | undefined): Keyed | null {
  if (typeof code !== "string") return null;
  return (typeof status === "number" ? usable(`failed.${code}_status`, { status }) : null) ?? usable(`failed.${code}`, {});
}

/** Why the call's audio is missing or rebuilt (`media.cause_<code>`). */
export function mediaKey(code: MediaCode | null | undefined, params: Record<string, string> | null | undefined): Keyed | null {
  return coded("media.cause", code, params);
}

/** Why a sound device could not be used (`device.cause_<code>`). */
export function deviceKey(code: DeviceCode | null | undefined, params: Record<string, string> | null | undefined): Keyed | null {
  return coded("device.cause", code, params);
}

/** The words for `keyed` in the agent's language, else the engine's own text (which may be null). */
export function said(t: Translate, keyed: Keyed | null, fallback: string | null): string | null {
  return keyed ? t(keyed.key, keyed.params) : fallback;
}
