// Copy buttons: <button class="copy" data-copy="ID"> copies the text of the element with that ID.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = source.textContent.trim();
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    document.execCommand("copy");
  }
  const label = button.firstChild;
  const original = label.textContent;
  label.textContent = "Copied";
  button.classList.add("copied");
  setTimeout(() => { label.textContent = original; button.classList.remove("copied"); }, 1500);
});

// Live preview: a form with data-preview-action posts itself (multipart, its CSRF token) to
// that address, into the <iframe> named by data-preview-target, a moment after the admin stops
// typing or changes a field; its own action and target are restored for saving.
for (const form of document.querySelectorAll("form[data-preview-action]")) {
  let timer;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const action = form.getAttribute("action");
      const target = form.getAttribute("target");
      form.setAttribute("action", form.dataset.previewAction);
      form.setAttribute("target", form.dataset.previewTarget);
      form.submit();
      if (action === null) form.removeAttribute("action"); else form.setAttribute("action", action);
      if (target === null) form.removeAttribute("target"); else form.setAttribute("target", target);
    }, 350);
  };
  // Its controls include those outside it that name it (form="…"): the preview's pickers.
  const ofForm = (event) => { if (event.target.form === form) refresh(); };
  document.addEventListener("input", ofForm);
  document.addEventListener("change", ofForm);
}

// A part of a form shown only for some values of a select: <div data-shown-by="SELECT ID"
// data-shown-for="VALUE VALUE">. The server renders it hidden or not; this follows changes.
for (const part of document.querySelectorAll("[data-shown-by]")) {
  const select = document.getElementById(part.dataset.shownBy);
  if (!select) continue;
  const values = part.dataset.shownFor.split(" ");
  const follow = () => { part.hidden = !values.includes(select.value); };
  select.addEventListener("change", follow);
  follow();
}

// The tenant switcher (issue 16): the page lists only the tenants opened last; typing asks the
// search endpoint (at most 20 matches) and lists its answer in their place. Arrow keys move
// between the box and the tenants, Escape closes. Without this script the box's form opens the
// tenant list page, searched.
for (const switcher of document.querySelectorAll("details[data-tenant-switcher]")) {
  const form = switcher.querySelector("form[data-search-url]");
  const input = form.querySelector("input[name=q]");
  const list = switcher.querySelector("ul");
  const status = switcher.querySelector("[role=status]");
  const shown = Array.from(list.children);
  let timer;
  let asked = 0;

  const restore = () => { list.replaceChildren(...shown); status.textContent = ""; };
  const render = (tenants) => {
    list.replaceChildren(...tenants.map((tenant) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = tenant.url;
      const domain = document.createElement("span");
      domain.className = "muted";
      domain.textContent = tenant.domain_name;
      link.append(`${tenant.display_name} `, domain);
      item.append(link);
      return item;
    }));
    status.textContent = tenants.length
      ? `${tenants.length} ${tenants.length === 1 ? "tenant" : "tenants"} found`
      : "No tenants match.";
  };
  const search = async () => {
    const term = input.value.trim();
    const ticket = ++asked;
    if (!term) { restore(); return; }
    const url = `${form.dataset.searchUrl}?${new URLSearchParams({ q: term })}`;
    try {
      const answer = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!answer.ok) throw new Error(`${answer.status}`);
      const { tenants } = await answer.json();
      if (ticket === asked) render(tenants);  // a slower, older answer never overwrites a newer one
    } catch {
      if (ticket === asked) status.textContent = "Search failed; press Enter to search the tenant list.";
    }
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 200); });

  const links = () => Array.from(list.querySelectorAll("a"));
  switcher.addEventListener("toggle", () => { if (switcher.open) input.focus(); });
  switcher.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && switcher.open) {
      switcher.open = false;
      switcher.querySelector("summary").focus();
      event.preventDefault();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const all = links();
    const at = all.indexOf(document.activeElement);
    if (event.target === input) {
      if (event.key === "ArrowDown" && all.length) all[0].focus();
    } else if (at >= 0) {
      const next = at + (event.key === "ArrowDown" ? 1 : -1);
      if (next < 0) input.focus(); else if (next < all.length) all[next].focus();
    } else {
      return;
    }
    event.preventDefault();
  });
}
