// Berth dashboard: live regions over one EventSource per page, and the
// app page's time slider. No framework; the server renders all HTML.
(function () {
  "use strict";
  var body = document.body;
  var dot = document.getElementById("live-dot");
  var lastSeq = 0;
  var pending = null;

  function partialURL() {
    var u = new URL(window.location.href);
    u.searchParams.set("partial", "1");
    u.searchParams.delete("done");
    if (lastSeq) u.searchParams.set("seen", String(lastSeq));
    return u.toString();
  }

  // refresh fetches the page's live regions and swaps each in place.
  function refresh() {
    pending = null;
    fetch(partialURL(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.status === 401) { window.location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search)); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        var doc = new DOMParser().parseFromString("<main>" + html + "</main>", "text/html");
        doc.querySelectorAll("[data-live][id]").forEach(function (fresh) {
          var old = document.getElementById(fresh.id);
          if (!old) return;
          var focused = document.activeElement && old.contains(document.activeElement);
          if (focused) return; // don't yank a form from under the keyboard
          old.replaceWith(document.importNode(fresh, true));
        });
        var sl = document.getElementById("slider");
        if (sl && !new URL(window.location.href).searchParams.get("at")) { sl.max = String(Date.now()); sl.value = sl.max; }
        body.dataset.refreshed = String(lastSeq);
      })
      .catch(function () {});
  }

  function schedule() {
    if (pending) return;
    pending = setTimeout(refresh, 150);
  }

  function text(tag, cls, s) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    el.textContent = s;
    return el;
  }

  // feed prepends an event to the page's own feeds (not those inside live
  // regions, which the refresh redraws).
  function feed(ev) {
    document.querySelectorAll("[data-feed]").forEach(function (list) {
      if (list.closest("[data-live]")) return;
      var empty = list.querySelector(".empty");
      if (empty) empty.remove();
      var li = document.createElement("li");
      li.className = "new";
      li.append(text("span", "seq", "#" + ev.seq), " ", text("time", "", ev.time), " ",
        text("b", "", ev.subject), " ", text("span", "kind", ev.kind), " ", text("span", "muted", ev.summary));
      list.prepend(li);
      while (list.children.length > 200) list.lastElementChild.remove();
    });
  }

  if (body.dataset.stream && window.EventSource) {
    var es = new EventSource(body.dataset.stream);
    es.onopen = function () { if (dot) { dot.classList.add("on"); dot.title = "live"; } };
    es.onerror = function () { if (dot) { dot.classList.remove("on"); dot.title = "reconnecting"; } };
    es.onmessage = function (m) {
      var ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      lastSeq = Math.max(lastSeq, ev.seq);
      body.dataset.lastSeq = String(lastSeq);
      feed(ev);
      schedule();
    };
    // Metrics are not events: redraw charts and figures now and then.
    if (document.getElementById("charts") || document.getElementById("apps")) {
      setInterval(schedule, 10000);
    }
  }

  // The time slider: drag to a moment, release to see the app as it was.
  var slider = document.getElementById("slider");
  if (slider) {
    var label = document.getElementById("slider-label");
    var show = function () { label.textContent = new Date(Number(slider.value)).toISOString().replace(".000Z", "Z"); };
    slider.addEventListener("input", show);
    slider.addEventListener("change", function () {
      var u = new URL(window.location.href);
      u.searchParams.delete("done");
      if (Number(slider.value) >= Number(slider.max)) {
        u.searchParams.delete("at");
        label.textContent = "live";
      } else {
        u.searchParams.set("at", new Date(Number(slider.value)).toISOString());
        show();
      }
      history.replaceState(null, "", u.toString());
      refresh();
    });
    document.getElementById("to-live").addEventListener("click", function (e) {
      e.preventDefault();
      var u = new URL(window.location.href);
      u.searchParams.delete("at");
      u.searchParams.delete("done");
      history.replaceState(null, "", u.toString());
      slider.max = String(Date.now());
      slider.value = slider.max;
      label.textContent = "live";
      refresh();
    });
  }

  // Logs: search through the API's log search, follow its live tail.
  var logForm = document.getElementById("log-form");
  if (logForm) {
    var lines = document.getElementById("log-lines");
    var status = document.getElementById("log-status");
    var follow = document.getElementById("log-follow");
    var tail = null;
    var base = "/ui/logs/" + encodeURIComponent(logForm.dataset.app);
    var line = function (rec) {
      var li = document.createElement("li");
      var t = (rec.time || "").replace("T", " ").replace(/\.\d+Z$/, "Z");
      li.append(text("span", "inst", t + " " + (rec.instance || "") + " "), document.createTextNode(rec.message || rec.raw || ""));
      lines.append(li);
      while (lines.children.length > 500) lines.firstElementChild.remove();
      lines.scrollTop = lines.scrollHeight;
    };
    var params = function () {
      var p = new URLSearchParams();
      var q = document.getElementById("log-q").value;
      if (q) p.set("q", q);
      return p;
    };
    logForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var p = params();
      var secs = Number(document.getElementById("log-since").value);
      p.set("since", new Date(Date.now() - secs * 1000).toISOString());
      p.set("limit", "200");
      status.textContent = "searching…";
      fetch(base + "?" + p.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, b: b }; }); })
        .then(function (res) {
          lines.replaceChildren();
          if (!res.ok) { status.textContent = res.b.error || "search failed"; return; }
          (res.b.records || []).forEach(line);
          status.textContent = (res.b.records || []).length + " lines";
        })
        .catch(function () { status.textContent = "search failed"; });
    });
    follow.addEventListener("change", function () {
      if (tail) { tail.close(); tail = null; }
      if (!follow.checked) { status.textContent = "stopped following"; return; }
      tail = new EventSource(base + "/follow?" + params().toString());
      tail.onopen = function () { status.textContent = "following"; };
      tail.onmessage = function (m) { try { line(JSON.parse(m.data)); } catch (e) {} };
    });
  }
})();
