import { useState } from "preact/hooks";
import type { CivicAddress, CivicKey } from "../engine/api";
import { useApp } from "../app/context";

/** The fields an agent fills in, in reading order, with their RFC 5139 keys. */
const FIELDS: readonly { key: "country" | CivicKey; label: string; autoComplete: string }[] = [
  { key: "HNO", label: "location.field_hno", autoComplete: "off" },
  { key: "RD", label: "location.field_rd", autoComplete: "off" },
  { key: "BLD", label: "location.field_bld", autoComplete: "off" },
  { key: "FLR", label: "location.field_flr", autoComplete: "off" },
  { key: "ROOM", label: "location.field_room", autoComplete: "off" },
  { key: "A3", label: "location.field_a3", autoComplete: "off" },
  { key: "A1", label: "location.field_a1", autoComplete: "off" },
  { key: "PC", label: "location.field_pc", autoComplete: "off" },
  { key: "country", label: "location.field_country", autoComplete: "off" },
];

/** Only the filled-in fields (the engine refuses blank values), trimmed; the country upper-cased. */
export function addressFrom(values: Record<string, string>): CivicAddress {
  const address: CivicAddress = { country: (values.country ?? "").trim().toUpperCase() };
  for (const { key } of FIELDS) {
    if (key === "country") continue;
    const v = (values[key] ?? "").trim();
    if (v !== "") address[key] = key === "A1" ? v.toUpperCase() : v;
  }
  return address;
}

/**
 * The agent's own entry of where they are, sent as `set_location`. The engine checks it (state, city,
 * street and number, postcode format) and answers with a `location` event, or an error saying what is wrong.
 */
export function LocationForm({ idPrefix, onCancel }: { idPrefix: string; onCancel: () => void }) {
  const { t, intend } = useApp();
  const [values, setValues] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState(false);
  const address = addressFrom(values);
  const countryOk = /^[A-Z]{2}$/.test(address.country);
  return (
    <form
      class="form location-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setTouched(true);
        if (!countryOk) return;
        intend({ cmd: "set_location", address });
      }}
    >
      {FIELDS.map(({ key, label, autoComplete }) => {
        const id = `${idPrefix}-${key.toLowerCase()}`;
        const invalid = key === "country" && touched && !countryOk;
        return (
          <div class="location-form__field" key={key}>
            <label for={id}>{t(label)}</label>
            <input
              id={id}
              type="text"
              autoComplete={autoComplete}
              spellcheck={false}
              value={values[key] ?? ""}
              aria-invalid={invalid}
              aria-describedby={key === "country" ? `${id}-hint` : undefined}
              onInput={(e) => setValues({ ...values, [key]: e.currentTarget.value })}
            />
            {key === "country" && (
              <p id={`${id}-hint`} class={invalid ? "hint hint--error" : "hint"}>
                {t("location.field_country_hint")}
              </p>
            )}
          </div>
        );
      })}
      <div class="button-row">
        <button type="submit" class="button button--primary">
          {t("location.save")}
        </button>
        <button type="button" class="button" onClick={onCancel}>
          {t("location.cancel")}
        </button>
      </div>
    </form>
  );
}
