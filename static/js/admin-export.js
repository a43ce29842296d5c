// The admin's export page: "Select all" ticks or clears every field of the export.
// Bound here because the Content-Security-Policy refuses inline event handlers.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector("#select-all-toggle");
  if (!toggle) return;
  toggle.addEventListener("change", () => {
    document
      .querySelectorAll('.selectable-field-export-row input[type="checkbox"]:not(.select-toggle)')
      .forEach((box) => { box.checked = toggle.checked; });
  });
});
