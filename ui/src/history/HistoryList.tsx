import { useApp, useNow } from "../app/context";
import { dialTarget, historyTime, historyTimeFull, isMissed, outcomeKey, type HistoryItem } from "./history";
import { displayRemote } from "../calls/remote";
import { formatDuration, type UiState } from "../app/state";
import "./HistoryList.css";

/**
 * "Recent calls" under the dialler. Choosing a call only fills the number field (and moves focus to Call):
 * nothing is ever dialled from the list, the same rule as for tel:/sip: links.
 */
export function HistoryList({ state, onPick }: { state: UiState; onPick: (number: string) => void }) {
  const { t } = useApp();
  // One clock for the whole list ("today" turns into a date at midnight).
  const now = useNow(60_000);
  const history = state.history;
  if (!history.received) return null;
  const domain = state.app?.domain;
  return (
    <section class="history" aria-labelledby="history-title">
      <h2 id="history-title" class="section__title">
        {t("history.title")}
      </h2>
      {history.items.length === 0 ? (
        <p class="hint">{t("history.empty")}</p>
      ) : (
        <>
          <p class="hint" id="history-hint">
            {t("history.hint")}
          </p>
          <ul class="history__list">
            {history.items.map((item, i) => (
              // Entries carry no id; the engine resends the whole list, newest first.
              <li key={`${i}:${item.at ?? "r"}:${item.remote}`}>
                <HistoryRow item={item} domain={domain} now={now} onPick={onPick} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

interface RowProps {
  item: HistoryItem;
  domain: string | undefined;
  now: number;
  onPick: (number: string) => void;
}

function HistoryRow({ item, domain, now, onPick }: RowProps) {
  const { t, locale } = useApp();
  const key = outcomeKey(item.outcome);
  const outcome = key ? t(key) : item.outcomeWord;
  const missed = isMissed(item);
  const direction = item.direction === "out" ? t("history.outgoing") : t("history.incoming");
  const classes = ["history__entry", missed ? "history__entry--missed" : "", item.redialOnly ? "history__entry--redial" : ""];
  return (
    <button
      type="button"
      class={classes.filter(Boolean).join(" ")}
      aria-describedby="history-hint"
      onClick={() => onPick(dialTarget(item, domain))}
    >
      <span class="history__icon" aria-hidden="true">
        {item.redialOnly ? "!" : item.direction === "out" ? "↗" : "↙"}
      </span>
      <span class="history__main">
        <span class="history__who">{displayRemote(item.remote, domain)}</span>
        <span class="history__meta">
          {item.redialOnly ? (
            <>
              <span class="history__outcome">{outcome}</span>
              {" — "}
              {t("history.redial_note")}
            </>
          ) : (
            <>
              <span class="visually-hidden">{direction}, </span>
              <span class="history__outcome">{outcome}</span>
              {item.durationS !== null && item.durationS > 0 && (
                <>
                  {" · "}
                  <span class="visually-hidden">{t("history.duration")} </span>
                  {formatDuration(item.durationS * 1000)}
                </>
              )}
            </>
          )}
        </span>
      </span>
      {item.at !== null && (
        <time class="history__time" dateTime={new Date(item.at).toISOString()} title={historyTimeFull(item.at, locale)}>
          {historyTime(item.at, now, locale)}
        </time>
      )}
    </button>
  );
}
