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
