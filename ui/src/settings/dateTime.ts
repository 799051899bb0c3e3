/** An RFC 3339 time as the agent's locale writes a date and time (the text as it came if it is not one). */
export function dateTime(rfc3339: string, locale: string): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return rfc3339;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(ms);
}
