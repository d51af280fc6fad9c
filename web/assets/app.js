// Tongdu console: what scripts add to pages that work without them. Charts are drawn
// from the JSON in a [data-chart] element (the same figures are in a table beside it);
// htmx swaps pages and forms in place. Loaded with defer, after the page is parsed.
(function () {
  "use strict";

  // The charts library is large (1 MB): it is fetched only when a page has a chart, and
  // once. A page swapped in by htmx runs no head scripts, so this is how it arrives.
  var loading = null;
  function withCharts(then) {
    if (window.echarts) { then(); return; }
    if (!loading) {
      loading = new Promise(function (resolve) {
        var s = document.createElement("script");
        s.src = "/assets/vendor/echarts.min.js";
        s.onload = resolve;
        document.head.appendChild(s);
      });
    }
    loading.then(then);
  }

  function drawCharts(root) {
    if (!root.querySelector("[data-chart]")) { return; }
    withCharts(function () { draw(root); });
  }

  function draw(root) {
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var option;
      try { option = JSON.parse(el.dataset.chart); } catch (e) { return; }
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option);
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (e) { drawCharts(e.target); });
  window.tongdu = { drawCharts: drawCharts };
})();

// surveys: door-to-door offline queue. A grid worker's answer sheets are kept on the
// phone (localStorage, one key per survey: the household's id, the answers, the time
// collected; never names or phones, rule 13) while it is offline or a POST fails on the
// network, and sent in ONE batch when the network is back (the online event, a page
// load, or the "send now" button). Each sheet keeps its own collected-at time, so the
// service keeps the later collected answer of a household (rule 2). Words come from the
// page's data-* attributes (the catalog), never from here.
(function () {
  "use strict";
  var prefix = "tongdu.surveys.queue.";
  var sending = {};

  function load(id) {
    try { return JSON.parse(localStorage.getItem(prefix + id) || "[]"); } catch (e) { return []; }
  }
  function store(id, q) {
    if (q.length) { localStorage.setItem(prefix + id, JSON.stringify(q)); } else { localStorage.removeItem(prefix + id); }
  }
  function box(id) { return document.querySelector('[data-surveys-queue="' + id + '"]'); }

  // show tells how many sheets wait, after an optional message of what just happened.
  function show(id, message) {
    var b = box(id);
    if (!b) { return; }
    var n = load(id).length;
    var text = n ? b.dataset.waiting.replace("%d", n) : "";
    if (message) { text = message + (text ? " " + text : ""); }
    b.querySelector("[data-surveys-queue-status]").textContent = text;
    b.querySelector("[data-surveys-send]").hidden = !n;
    b.hidden = !text;
  }

  // The district's clock (UTC+8), as the form's datetime-local field reads it.
  function nowLocal() { return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 16); }
  function newID() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // keep puts the form's sheet in the queue and readies the form for the next household.
  function keep(form) {
    var id = form.dataset.surveysDoors;
    var pairs = [];
    new FormData(form).forEach(function (v, k) {
      if (k !== "csrf" && typeof v === "string") { pairs.push([k, v]); }
    });
    var q = load(id);
    q.push(pairs);
    store(id, q);
    form.reset();
    form.querySelector('[name="requestId"]').value = newID();
    var at = form.querySelector('[name="response.collectedAt"]');
    if (at) { at.value = nowLocal(); }
    var b = box(id);
    show(id, b && b.dataset.saved);
    window.scrollTo(0, 0);
  }

  function csrf() {
    var el = document.querySelector('input[name="csrf"]');
    return el ? el.value : "";
  }

  // send posts a survey's queue in one batch; sheets added meanwhile stay for the next.
  function send(id) {
    var q = load(id);
    var token = csrf();
    if (!q.length || sending[id] || !token || navigator.onLine === false) { return; }
    sending[id] = true;
    var b = box(id);
    show(id, b && b.dataset.sending);
    var body = new URLSearchParams();
    body.set("csrf", token);
    body.set("responses", JSON.stringify(q));
    fetch("/surveys/" + encodeURIComponent(id) + "/doors/batch", {
      method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, j: j }; });
    }).then(function (res) {
      sending[id] = false;
      if (res.ok) {
        store(id, load(id).slice(q.length));
        show(id, res.j.message);
        document.dispatchEvent(new CustomEvent("tongdu:surveys-sent", { detail: { survey: id, result: res.j } }));
      } else if (typeof res.j.index === "number" && res.j.index < q.length) {
        // One sheet refused (the batch is all or nothing): it is set aside on the phone
        // (not lost, not sent again) and the others go again.
        var rest = load(id);
        var refused = JSON.parse(localStorage.getItem(prefix.replace("queue", "refused") + id) || "[]");
        refused.push(rest.splice(res.j.index, 1)[0]);
        localStorage.setItem(prefix.replace("queue", "refused") + id, JSON.stringify(refused));
        store(id, rest);
        show(id, res.j.error);
        if (rest.length) { setTimeout(function () { send(id); }, 1000); }
      } else {
        show(id, res.j.error || (b && b.dataset.failed));
      }
    }, function () {
      sending[id] = false;
      show(id, b && b.dataset.failed);
    });
  }

  function sendAll() {
    for (var i = 0; i < localStorage.length; i++) {
      var k = localStorage.key(i);
      if (k && k.indexOf(prefix) === 0) { send(k.slice(prefix.length)); }
    }
  }

  function activate(root) {
    root.querySelectorAll("[data-surveys-queue]").forEach(function (b) { show(b.dataset.surveysQueue); });
    sendAll();
  }

  // Offline: the sheet is kept instead of posted (before htmx sees the submit).
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-surveys-doors]") || navigator.onLine !== false) { return; }
    e.preventDefault();
    e.stopImmediatePropagation();
    var household = form.querySelector('[name="response.householdId"]');
    if (household && !household.value) { household.focus(); return; }
    keep(form);
  }, true);
  // Online but the POST never arrived: the same.
  document.addEventListener("htmx:sendError", function (e) {
    var form = e.detail && e.detail.elt;
    if (form && form.matches && form.matches("form[data-surveys-doors]")) { keep(form); }
  });
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-surveys-send]");
    if (button) { send(button.closest("[data-surveys-queue]").dataset.surveysQueue); }
  });
  window.addEventListener("online", sendAll);
  document.addEventListener("DOMContentLoaded", function () { activate(document); });
  document.addEventListener("htmx:afterSettle", function (e) { activate(e.target); });
})();
