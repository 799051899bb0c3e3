import type { UiState } from "./state";
import { useApp } from "./context";

/** The local database could not be used as it was: what is lost, for the whole session. */
export function StoreBanner({ state }: { state: UiState }) {
  const { t } = useApp();
  const loss = state.live.storeLoss;
  if (loss === null) return null;
  return (
    <section class="policy-banner store-banner" role="alert" aria-labelledby="store-title">
      <h2 id="store-title" class="policy-banner__title">
        {t("store.title")}
      </h2>
      <p>{loss.words ? t(loss.words.key, loss.words.params) : loss.message}</p>
    </section>
  );
}
