import { describe, expect, it } from "vitest";
import { combination } from "./hotkeys";

const key = (code: string, mods: Partial<Record<"ctrlKey" | "altKey" | "shiftKey" | "metaKey", boolean>> = {}) =>
  combination({ code, ctrlKey: false, altKey: false, shiftKey: false, metaKey: false, ...mods });

describe("the combination a key press in Settings stands for", () => {
  it("is written as the shell reads it: modifiers in a fixed order, then the key", () => {
    expect(key("F8", { ctrlKey: true, shiftKey: true })).toEqual({ keys: "Ctrl+Shift+F8", bare: false });
    expect(key("KeyA", { metaKey: true, altKey: true })).toEqual({ keys: "Alt+Super+A", bare: false });
    expect(key("Digit1", { ctrlKey: true })).toEqual({ keys: "Ctrl+1", bare: false });
    expect(key("ArrowUp", { ctrlKey: true })).toEqual({ keys: "Ctrl+ArrowUp", bare: false });
  });

  it("waits while only modifiers are down", () => {
    expect(key("ControlLeft", { ctrlKey: true })).toBeNull();
    expect(key("ShiftRight", { ctrlKey: true, shiftKey: true })).toBeNull();
    expect(key("MetaLeft", { metaKey: true })).toBeNull();
  });

  it("calls a letter with Shift alone or nothing bare (it would take typing from other programs); F-keys are not", () => {
    expect(key("KeyA")?.bare).toBe(true);
    expect(key("KeyA", { shiftKey: true })?.bare).toBe(true);
    expect(key("F9")?.bare).toBe(false);
    expect(key("F24", { shiftKey: true })?.bare).toBe(false);
  });
});
