/* Building elements without innerHTML: every text from the API goes in as text. */
export function el(tag, attributes, ...children) {
  const element = document.createElement(tag);
  Object.entries(attributes || {}).forEach(([name, value]) => {
    if (value === undefined || value === null || value === false) return;
    if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "className") element.className = value;
    else if (name === "onclick") element.addEventListener("click", value);
    else element.setAttribute(name, value === true ? "" : value);
  });
  element.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

export function byId(id) { return document.getElementById(id); }

export function announce(text) { byId("status").textContent = text; }

/* A count that opens its records: main.js listens for clicks on [data-figure] (records.js builds the panel).
 * `label` names the figure for assistive technology; `staff` (ids and/or "none", comma-separated) replaces the page's
 * staff filter for a row of one staff member (`who`: their name, for the panel's title). Its accessible name starts with the visible count. */
export function figureButton({ figure, text, label, staff, who, id }) {
  return el("button", {
    type: "button", className: "figure-link", id, "aria-haspopup": "dialog",
    "aria-label": `${text}, ${label}: show the records`,
    dataset: { figure, ...(staff === undefined ? {} : { staff, who }) },
  }, text);
}
