// The online application, progressive enhancement only: every step works without it.
"use strict";

// Fields that only apply to an organisation follow the person/organisation choice.
function syncOrganisationFields() {
  document.querySelectorAll("[data-org-only]").forEach((block) => {
    const checked = document.querySelector(`input[name="${block.dataset.orgOnly}"]:checked`);
    block.hidden = !checked || checked.value !== "organisation";
  });
}

// Only the chosen body's mediators can be proposed.
function syncMediators() {
  const select = document.getElementById("f-mediator_id");
  if (!select) return;
  const body = document.querySelector('input[name="body_id"]:checked');
  select.querySelectorAll("optgroup[data-body]").forEach((group) => {
    const match = body !== null && group.dataset.body === body.value;
    group.hidden = !match;
    group.disabled = !match;
  });
  const chosen = select.selectedOptions[0];
  if (chosen && chosen.parentElement instanceof HTMLOptGroupElement && chosen.parentElement.disabled) {
    select.value = "";
  }
}

document.addEventListener("change", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLInputElement) || target.type !== "radio") return;
  if (target.name === "body_id") syncMediators();
  else syncOrganisationFields();
});

document.querySelectorAll("[data-print]").forEach((button) => {
  button.classList.remove("d-none");
  button.addEventListener("click", () => window.print());
});

syncOrganisationFields();
syncMediators();
