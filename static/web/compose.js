// 写短信: the live counter and the template picker. The page works without this file
// (the confirmation page shows the same figures, computed by the server); this only
// shows them while typing. Figures come from GET /compose/preview, the intake's own
// plan, so nothing is counted here.
(function () {
  "use strict";
  var form = document.getElementById("compose-form");
  var counter = document.getElementById("counter");
  var zh = counter && counter.getAttribute("data-zh") === "1";
  function t(a, b) { return zh ? a : b; }
  // A URL longer than this is refused by some proxies: the numbers are then left to the
  // confirmation page.
  var MAX_URL = 60000;
  var timer = null;
  var seq = 0;

  function text(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = value; }
  }

  function query(withNumbers) {
    var groups = [];
    var boxes = form.querySelectorAll("input[name=groups]:checked");
    for (var i = 0; i < boxes.length; i++) { groups.push(boxes[i].value); }
    var p = new URLSearchParams();
    p.set("text", form.elements.text.value);
    p.set("signature_id", form.elements.signature_id.value);
    p.set("groups", groups.join(","));
    if (withNumbers) { p.set("numbers", form.elements.numbers.value); }
    return "/compose/preview?" + p.toString();
  }

  function show(r, numbersLeftOut) {
    // The unit is the page's own, after the span: only the figure changes.
    text("count-chars", String(r.chars));
    var first = r.carriers.length ? r.carriers[0] : null;
    text("count-coding", first ? "· " + first.coding : "");
    text("count-segments", first ? "· " + t("每条 ", "") + first.segments + t(" 段", " segment(s) each") : "");
    text("count-recipients", numbersLeftOut ? "" : "· " + r.accepted + t(" 个号码", " recipients"));
    text("count-total", numbersLeftOut ? t("· 号码太多，费用见确认页", "· long list: the cost is on the confirmation page")
      : "· " + t("共 ", "total ") + r.total_segments + t(" 条计费", " billed segments"));
    var list = document.getElementById("count-carriers");
    if (list) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      r.carriers.forEach(function (c) {
        if (!c.recipients && !c.error) { return; }
        var li = document.createElement("li");
        li.textContent = c.carrier + "：" + c.coding + "，" + t("每条 ", "") + c.segments +
          t(" 段，", " segment(s) each, ") + c.recipients + t(" 人，", " recipients, ") +
          c.total_segments + t(" 条", " segments") + (c.error ? " — " + c.error : "");
        list.appendChild(li);
      });
    }
    var refused = document.getElementById("count-refused");
    if (refused) {
      var bad = r.rejected.map(function (x) { return x.input + "：" + x.reason; });
      refused.textContent = bad.join("；");
      refused.hidden = bad.length === 0;
    }
  }

  function update() {
    var url = query(true);
    var left = false;
    if (url.length > MAX_URL) { url = query(false); left = true; }
    var mine = ++seq;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
      .then(function (r) {
        if (mine !== seq) { return; }
        if (r.ok) { show(r.body, left); return; }
        var refused = document.getElementById("count-refused");
        if (refused) { refused.textContent = r.body.error || ""; refused.hidden = !r.body.error; }
      })
      .catch(function () { /* the confirmation page still shows the figures */ });
  }

  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(update, 300);
  }

  if (form && counter) {
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    update();
  }

  // The contact picker: suggestions from GET /compose/contacts; "add" appends the
  // picked contact's number to the list (shown only with this script).
  var picker0 = document.getElementById("contact-picker");
  var search = document.getElementById("contact-search");
  var options = document.getElementById("contact-options");
  var found = {};
  if (picker0 && search && options && form) {
    picker0.hidden = false;
    var stimer = null;
    search.addEventListener("input", function () {
      if (stimer) { clearTimeout(stimer); }
      stimer = setTimeout(function () {
        var q = search.value.trim();
        if (!q || found[q]) { return; }
        fetch("/compose/contacts?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { contacts: [] }; })
          .then(function (r) {
            while (options.firstChild) { options.removeChild(options.firstChild); }
            r.contacts.forEach(function (c) {
              var label = (c.name ? c.name + " " : "") + c.phone;
              found[label] = c.phone;
              var o = document.createElement("option");
              o.value = label;
              options.appendChild(o);
            });
          })
          .catch(function () {});
      }, 250);
    });
    document.getElementById("contact-add").addEventListener("click", function () {
      var phone = found[search.value.trim()] || search.value.trim();
      if (!phone) { return; }
      var box = form.elements.numbers;
      box.value = box.value.replace(/\s+$/, "") + (box.value.trim() ? "\n" : "") + phone;
      search.value = "";
      later();
    });
  }

  // The template picker fills the text box in place (without a script it reloads the
  // page with the template's text).
  var picker = document.getElementById("template-form");
  if (picker && form) {
    picker.addEventListener("submit", function (ev) {
      var sel = document.getElementById("template");
      var opt = sel && sel.options[sel.selectedIndex];
      if (!opt) { return; }
      ev.preventDefault();
      form.elements.text.value = opt.getAttribute("data-text") || "";
      form.elements.text.focus();
      later();
    });
  }

})();
