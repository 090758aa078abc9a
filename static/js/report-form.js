// The report form forgives: what is typed is kept in this browser until the server has it
// (closed tab, expired session, failed request), drafts are saved every minute, and Enter
// moves to the next field instead of sending the form.
// A copy made against another version of the report is offered too, never dropped silently:
// restoring it puts back the version it was typed against, so saving it shows what changed
// and overwrites nothing unless the person chooses to. Copies live under keys starting with
// "danvan-report-" (see logout.js, which removes them when the person signs out).
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var key = form.getAttribute("data-storage-key");
  var versionInput = form.querySelector("input[name=version]");
  var status = document.getElementById("autosave-status");
  var editable = !!form.querySelector("button[value=save]");
  var dirty = false;

  function fields() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "version" || el.name === "action" || el.name === "overwrite" || el.type === "submit") { return; }
      data[el.name] = el.value;
    });
    return data;
  }

  function remember() {
    try {
      localStorage.setItem(key, JSON.stringify({ version: versionInput.value, at: Date.now(), fields: fields() }));
    } catch (e) { /* storage full or disabled: the server copy still counts */ }
  }

  function stored() {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function differs(saved) {
    var now = fields();
    return Object.keys(saved.fields).some(function (name) { return name in now && now[name] !== saved.fields[name]; });
  }

  var saved = stored();
  var banner = document.getElementById("restore-banner");
  if (saved && saved.fields && editable && differs(saved)) {
    var otherVersion = saved.version !== versionInput.value;
    banner.hidden = false;
    document.getElementById("restore-stale").hidden = !otherVersion;
    document.getElementById("restore-button").addEventListener("click", function () {
      Object.keys(saved.fields).forEach(function (name) {
        var el = form.elements.namedItem(name);
        if (el && el.value !== undefined) { el.value = saved.fields[name]; }
      });
      // Typed against another version: send that version, so the server refuses to
      // overwrite silently and shows what changed since.
      if (otherVersion) { versionInput.value = saved.version; }
      banner.hidden = true;
      dirty = true;
      remember();
    });
    document.getElementById("discard-button").addEventListener("click", function () {
      localStorage.removeItem(key);
      banner.hidden = true;
    });
  } else if (saved && saved.fields && form.getAttribute("data-stored") === "true" && !differs(saved)) {
    // The server already holds everything the copy has: nothing is lost by dropping it. (A page
    // sent back after a refusal shows typing the server does not have: the copy stays.)
    localStorage.removeItem(key);
  }

  form.addEventListener("input", function () { dirty = true; remember(); });

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || target.tagName !== "INPUT") { return; }
    event.preventDefault();
    var inputs = Array.prototype.filter.call(form.elements, function (el) {
      return (el.tagName === "INPUT" || el.tagName === "SELECT" || el.tagName === "TEXTAREA") && el.type !== "hidden" && !el.disabled && !el.readOnly;
    });
    var next = inputs[inputs.indexOf(target) + 1];
    if (next) { next.focus(); }
  });

  function autosave() {
    if (!dirty || !editable) { return; }
    var body = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "submit" || el.disabled) { return; }
      // An unticked box sends nothing, as the browser's own submit does ("overwrite" above all).
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      body.append(el.name, el.value);
    });
    body.append("action", "save");
    dirty = false;
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin", redirect: "follow" })
      .then(function (response) {
        return response.text().then(function (html) { return { response: response, html: html }; });
      })
      .then(function (result) {
        var page = new DOMParser().parseFromString(result.html, "text/html");
        var fresh = page.getElementById("report-form");
        if (result.response.status === 409 || !fresh) {
          // The local copy stays as it is, with the version it was typed against.
          dirty = true;
          status.textContent = "Chưa tự lưu được: báo cáo vừa được người khác sửa hoặc phiên đăng nhập đã hết. Dữ liệu vẫn giữ trên máy này.";
          return;
        }
        versionInput.value = fresh.getAttribute("data-version");
        remember();
        status.textContent = "Đã tự lưu nháp lúc " + new Date().toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" });
      })
      .catch(function () {
        dirty = true;
        status.textContent = "Mất kết nối: chưa tự lưu được. Dữ liệu vẫn giữ trên máy này.";
      });
  }

  setInterval(autosave, 60000);
})();
