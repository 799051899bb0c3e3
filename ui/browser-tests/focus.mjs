// Focus moves in an effect after the screen is painted, so a check right after "the heading is visible"
// can run before it. These wait (bounded) for the focus to land instead of reading it once.
import assert from "node:assert/strict";

/** The text of the focused element. */
export const focusedText = (page) => page.evaluate(() => document.activeElement?.textContent ?? "");

/** Waits until the focused element's text is `text`; fails naming what has focus instead. */
export async function expectFocus(page, text, timeout = 5000) {
  try {
    await page.waitForFunction((want) => (document.activeElement?.textContent ?? "") === want, text, { timeout });
  } catch {
    assert.equal(await focusedText(page), text, `focus never reached ${text}`);
  }
}

/** Presses `key` until the focused element's text is `text` (after waiting for any pending focus move). */
export async function pressUntilFocus(page, key, text, limit = 25) {
  for (let i = 0; i < limit && (await focusedText(page)) !== text; i++) {
    await page.keyboard.press(key);
    await page.waitForTimeout(20);
  }
  assert.equal(await focusedText(page), text, `${key} never reached ${text}`);
}
