// Red-flag alert page: the common actions fill in the "Action taken" text (one thumb, no typing).
document.addEventListener("click", (event) => {
  const chip = event.target.closest("[data-ack-text]");
  if (!chip) return;
  const form = chip.closest("form");
  const text = form && form.querySelector("textarea");
  if (!text) return;
  text.value = text.value.trim() ? `${text.value.trim()} ${chip.dataset.ackText}` : chip.dataset.ackText;
  text.focus();
});
