import { useEffect } from "preact/hooks";
import { useApp } from "./context";
import { toastText, type Toast } from "./state";

const INFO_MS = 8000;
const ERROR_MS = 15000;

export function Toasts({ toasts }: { toasts: Toast[] }) {
  const { t } = useApp();
  if (toasts.length === 0) return null;
  return (
    <section class="toasts" aria-label={t("toast.region")}>
      {toasts.map((toast) => (
        <ToastItem toast={toast} key={toast.id} />
      ))}
    </section>
  );
}

function ToastItem({ toast }: { toast: Toast }) {
  const { t, locale, dispatch } = useApp();
  useEffect(() => {
    const id = setTimeout(() => dispatch({ type: "dismiss_toast", id: toast.id }), toast.kind === "error" ? ERROR_MS : INFO_MS);
    return () => clearTimeout(id);
  }, [toast.id, toast.kind, dispatch]);
  const text = toastText(toast, t, locale);
  return (
    <div class={`toast toast--${toast.kind}`} role={toast.kind === "error" ? "alert" : "status"}>
      <p class="toast__text">{text}</p>
      <button type="button" class="toast__close" aria-label={t("toast.dismiss")} onClick={() => dispatch({ type: "dismiss_toast", id: toast.id })}>
        <span aria-hidden="true">×</span>
      </button>
    </div>
  );
}
