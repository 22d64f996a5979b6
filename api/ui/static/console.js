// The console's only script: times in the viewer's zone, and live dashboards.
"use strict";
(function () {
  var lang = document.body.dataset.lang || "en";

  function localTimes(root) {
    var format = new Intl.DateTimeFormat(lang, {
      year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short",
    });
    root.querySelectorAll("time[datetime]").forEach(function (node) {
      var text = node.getAttribute("datetime");
      if (!/T\d\d:/.test(text)) return; // a day stays a day
      var moment = new Date(text);
      if (!isNaN(moment)) {
        node.textContent = format.format(moment);
        node.title = text;
      }
    });
  }

  // A dashboard asks every few seconds how far the logs have got, and fetches its
  // figures again (not the whole page) when they moved.
  function live() {
    var panel = document.getElementById("live");
    if (!panel) return;
    var status = document.getElementById("live-status");
    // The log heads the figures on the page were read after.
    var seen = panel.dataset.logs || null;
    function poll() {
      fetch("/ui/live", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body) return;
          var logs = JSON.stringify(body.logs);
          if (seen === null) { seen = logs; return; }
          if (logs === seen) return;
          return fetch(panel.dataset.live, { credentials: "same-origin" })
            .then(function (r) { return r.ok ? r.text() : null; })
            .then(function (html) {
              if (html === null) return;
              panel.innerHTML = html;
              localTimes(panel);
              if (status) status.textContent = new Date().toLocaleTimeString(lang);
              // Until the read models have caught up, ask again at the next poll.
              if (body.caught_up) seen = logs;
            });
        })
        .catch(function () {});
    }
    poll();
    window.setInterval(poll, Number(panel.dataset.interval || 5000));
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    live();
  });
})();
