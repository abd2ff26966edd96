// Review page behaviour: keyboard shortcuts and decisions on the pair page, confirmations elsewhere.
(function () {
  "use strict";
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.classList.contains("confirm") && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  const pair = document.getElementById("pair");
  const decide = document.getElementById("decide");
  if (!pair || !decide) return;
  const status = document.getElementById("status");
  let busy = false;

  async function send(judgement) {
    if (busy) return;
    busy = true;
    const body = {
      source_l: pair.dataset.sourceL, record_id_l: pair.dataset.recordL,
      source_r: pair.dataset.sourceR, record_id_r: pair.dataset.recordR,
      judgement: judgement, note: document.getElementById("note").value || null,
      expected_decision_id: pair.dataset.decision ? Number(pair.dataset.decision) : null,
    };
    try {
      const response = await fetch("/api/v1/decisions", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify(body),
      });
      if (response.status === 409) {  // the pair left the queue: its records' persons show the decision
        status.textContent = status.dataset.conflict;
        document.getElementById("decided-now").hidden = false;
        busy = false;
        return;
      }
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        status.textContent = (problem.error && problem.error.message) || response.statusText;
        busy = false;
        return;
      }
      status.textContent = status.dataset.saved;
      window.location.assign(pair.dataset.next);
    } catch (err) {
      status.textContent = String(err);
      busy = false;
    }
  }

  decide.querySelectorAll("button[data-judgement]").forEach((button) => {
    button.addEventListener("click", () => send(button.dataset.judgement));
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.matches("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === "y") send("same");
    else if (key === "n") send("not_same");
    else if (key === "u") send("unsure");
    else if (key === "s") window.location.assign(document.getElementById("skip").href);
    else return;
    event.preventDefault();
  });
})();
