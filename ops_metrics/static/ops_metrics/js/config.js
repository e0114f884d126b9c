/* The page's constants, from the server (Django's json_script: a data block, no inline script under the CSP). */
export const config = JSON.parse(document.getElementById("ops-config").textContent);
