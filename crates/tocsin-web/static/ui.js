// tocsin's signed-in UI script, written by hand and served as it is (no build step, nothing
// fetched from elsewhere). It only adds to server-rendered pages, which work without it:
//  - [data-refresh="URL"]: every 5 seconds, fetch the server-rendered fragment at URL and put it
//    in place (polling, not a stream: see crates/tocsin-web/src/ui/mod.rs for why); with
//    data-refresh-parts, the fragment's [data-swap] elements replace those with the same id;
//  - .countdown[data-deadline][data-now]: count the respond-by time down every second, from the
//    server's clock at render time, so a wrong clock on this device does not matter;
//  - select[data-autosubmit]: submit its form when the choice changes.
(function () {
  "use strict";
  var PERIOD = 5000;

  function say(text, failed) {
    var status = document.getElementById("refresh-status");
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("problem", !!failed);
  }

  function clock() {
    return new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function refresh(target) {
    // A hidden tab does not poll; it catches up as soon as it is shown again.
    if (document.hidden) return;
    fetch(target.getAttribute("data-refresh"), { credentials: "same-origin", cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (response) {
        // Redirected means the session ended: reload, which leads to the sign-in page.
        if (response.redirected || response.status === 401) { window.location.reload(); return null; }
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        // The fragment is tocsin's own auto-escaped template output.
        if (target.hasAttribute("data-refresh-parts")) {
          // Several parts of the page, each replacing the element with its id; what sits
          // between them (the action forms, perhaps half filled in) is left alone.
          var holder = document.createElement("template");
          holder.innerHTML = html;
          var parts = holder.content.querySelectorAll("[data-swap][id]");
          Array.prototype.forEach.call(parts, function (part) {
            var old = document.getElementById(part.id);
            if (old) old.replaceWith(part);
          });
        } else {
          target.innerHTML = html;
        }
        tick();
        say("Updated " + clock() + ". Refreshes itself every 5 seconds.", false);
      })
      .catch(function () {
        say("Cannot reach tocsin (tried at " + clock() + "); retrying every 5 seconds. What you see may be out of date.", true);
      });
  }

  function words(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    if (s < 60) return s + " s";
    var m = Math.floor(s / 60);
    if (m < 60) return m + " min " + (s % 60 < 10 ? "0" : "") + (s % 60) + " s";
    var h = Math.floor(m / 60);
    return h + " h " + (m % 60) + " min";
  }

  function tick() {
    var now = Date.now();
    var counters = document.querySelectorAll(".countdown[data-deadline][data-now]");
    for (var i = 0; i < counters.length; i++) {
      var el = counters[i];
      if (!el.tocsinBase) {
        el.tocsinBase = { server: Date.parse(el.getAttribute("data-now")), local: now };
      }
      var deadline = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(deadline) || isNaN(el.tocsinBase.server)) continue;
      var left = deadline - (el.tocsinBase.server + (now - el.tocsinBase.local));
      el.textContent = left > 0 ? "respond within " + words(left) : "response overdue by " + words(left);
      el.classList.toggle("overdue", left <= 0);
    }
  }

  function start() {
    var targets = document.querySelectorAll("[data-refresh]");
    Array.prototype.forEach.call(targets, function (target) {
      window.setInterval(function () { refresh(target); }, PERIOD);
      document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(target); });
    });
    var selects = document.querySelectorAll("select[data-autosubmit]");
    Array.prototype.forEach.call(selects, function (select) {
      select.addEventListener("change", function () { if (select.form) select.form.submit(); });
    });
    tick();
    window.setInterval(tick, 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
