/* The error/notice banner above the figures and the "updated N s ago" line. */
import { byId } from "./dom.js";

export function showBanner(kind, text, retry) {
  const banner = byId("banner");
  banner.className = `banner banner-${kind}`;
  banner.dataset.kind = kind;
  banner.textContent = "";
  const message = document.createElement("span");
  message.textContent = text;
  banner.append(message);
  if (retry) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = "Retry now";
    button.addEventListener("click", retry);
    banner.append(" ", button);
  }
  banner.hidden = false;
}

export function clearBanner() {
  const banner = byId("banner");
  banner.hidden = true;
  banner.textContent = "";
  delete banner.dataset.kind;
}

export function tick(generatedAt) {
  const element = byId("updated");
  if (!generatedAt) return;
  const seconds = Math.max(0, Math.round((Date.now() - generatedAt.getTime()) / 1000));
  element.textContent = seconds < 90 ? `updated ${seconds} s ago` : `updated ${Math.round(seconds / 60)} min ago`;
  element.title = generatedAt.toISOString();
}
