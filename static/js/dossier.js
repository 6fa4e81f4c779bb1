// The dossier's progress bar: asks the server how far the build is and reloads the page when
// it has finished. Without JavaScript the "reload" link next to the bar does the same.
"use strict";
(() => {
  const bar = document.querySelector("progress[data-dossier-progress]");
  if (!bar || bar.dataset.polling) return;
  bar.dataset.polling = "1";
  const url = bar.dataset.dossierProgress;
  const every = Math.max(500, Number(bar.dataset.pollMs) || 1500);
  const percent = document.querySelector("[data-dossier-percent]");
  const reload = document.querySelector("[data-dossier-reload]");
  if (reload) reload.hidden = true;
  let failures = 0;

  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" },
                                          credentials: "same-origin", cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const state = await response.json();
      const value = Math.round((Number(state.progress) || 0) * 100);
      bar.value = value;
      bar.textContent = `${value}%`;
      if (percent) percent.textContent = String(value);
      if (state.finished) {
        window.location.reload();
        return;
      }
      failures = 0;
    } catch {
      failures += 1;
      if (failures >= 5) {  // give the person the link back rather than spin forever
        if (reload) reload.hidden = false;
        return;
      }
    }
    window.setTimeout(poll, every);
  };
  window.setTimeout(poll, every);
})();
