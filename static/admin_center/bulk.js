// A customer import's page (admin_center/bulk/views.py): asks the job's progress every second
// and moves the bar and the counts, until the job ends; then reloads once, so the page shows
// the finished job (its error report, no cancel button). No inline script: the CSP allows none.
(function () {
  "use strict";

  const card = document.getElementById("import-progress");
  if (!card || card.dataset.finished === "true") {
    return;
  }
  const url = card.dataset.progressUrl;
  const bar = document.getElementById("import-bar");
  const text = (id, value) => {
    const element = document.getElementById(id);
    if (element && value !== null && value !== undefined) {
      element.textContent = String(value);
    }
  };
  const statuses = { queued: "Queued", running: "Running", done: "Done", failed: "Failed", cancelled: "Cancelled" };

  function show(progress) {
    bar.value = progress.percent;
    bar.textContent = progress.percent + " %";
    text("import-percent", progress.percent + " %");
    text("import-status", statuses[progress.status] || progress.status);
    text("import-processed", progress.processedRows);
    text("import-total", progress.totalRows === null ? "…" : progress.totalRows);
    text("import-succeeded", progress.succeeded);
    text("import-failed", progress.failed);
    if (progress.failed > 0) {
      document.getElementById("import-errors").hidden = false;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((progress) => {
        show(progress);
        if (progress.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(() => window.setTimeout(poll, 3000));
  }

  window.setTimeout(poll, 1000);
})();
