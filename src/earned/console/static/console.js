// earned console: progressive enhancement only; every page works without it.
"use strict";

// A JSON text area (data-json) says at once whether what was typed is a JSON object.
function checkJson(area) {
  const note = document.getElementById(area.dataset.json);
  if (!note) return;
  if (!area.value.trim()) { note.textContent = ""; return; }
  try {
    const value = JSON.parse(area.value);
    const ok = value !== null && typeof value === "object" && !Array.isArray(value);
    note.textContent = ok ? "valid JSON object" : "must be a JSON object { ... }";
    note.className = ok ? "muted" : "error";
  } catch (err) {
    note.textContent = "not valid JSON: " + err.message;
    note.className = "error";
  }
}

// A button with data-confirm asks before its form is sent.
function confirmSubmit(event) {
  const button = event.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
}

// A span-bar (data-left, data-width in percent) is drawn without inline styles (CSP).
function drawBars() {
  for (const bar of document.querySelectorAll(".bar > span[data-width]")) {
    bar.style.left = Math.max(0, Math.min(100, Number(bar.dataset.left || 0))) + "%";
    bar.style.width = Math.max(0.5, Math.min(100, Number(bar.dataset.width))) + "%";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const area of document.querySelectorAll("textarea[data-json]")) {
    area.addEventListener("input", () => checkJson(area));
    checkJson(area);
  }
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("submit", confirmSubmit);
  }
  drawBars();
});
