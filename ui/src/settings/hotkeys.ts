import type { HotkeyAction } from "../engine/api";

/** The order Settings lists the hotkeys in (the shell's order). */
export const HOTKEY_ACTIONS = ["answer", "hangup", "mute", "focus_dial"] as const satisfies readonly HotkeyAction[];

/** The key of a `keydown` as the shell's shortcut syntax names it ("KeyA" -> "A", "Digit1" -> "1", "F8"). */
function keyName(code: string): string | null {
  if (/^Key[A-Z]$/.test(code)) return code.slice(3);
  if (/^Digit[0-9]$/.test(code)) return code.slice(5);
  if (/^(Control|Shift|Alt|Meta|OS)(Left|Right)?$/.test(code) || code === "" || code === "Unidentified") return null;
  return code;
}

/**
 * The combination a key press in the "press the new keys" field stands for ("Ctrl+Shift+F8"), or null while
 * only modifiers are down. Keys without Ctrl, Alt or Super would take typing away from every other program:
 * `bare` says so, except F-keys, which type nothing.
 */
export function combination(e: {
  code: string;
  ctrlKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  metaKey: boolean;
}): { keys: string; bare: boolean } | null {
  const key = keyName(e.code);
  if (key === null) return null;
  const mods = [e.ctrlKey && "Ctrl", e.altKey && "Alt", e.shiftKey && "Shift", e.metaKey && "Super"].filter(
    (m): m is string => typeof m === "string",
  );
  const bare = !(e.ctrlKey || e.altKey || e.metaKey) && !/^F([1-9]|1[0-9]|2[0-4])$/.test(key);
  return { keys: [...mods, key].join("+"), bare };
}
