// The admin's few scripts: fetch live parts of a page again while it is
// open (the staffing board), and send the CSRF token with every request.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]');
  token = token ? token.getAttribute("content") : "";

  function refresh(el) {
    var url = el.getAttribute("data-live");
    fetch(url, { headers: { "X-CSRF-Token": token }, credentials: "same-origin" })
      .then(function (r) {
        if (r.redirected || r.status === 401 || r.status === 303) {
          window.location.reload();
          return null;
        }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html !== null && html !== undefined && html !== el.getAttribute("data-html")) {
          el.innerHTML = html;
          el.setAttribute("data-html", html);
          el.setAttribute("data-updated", String(Date.now()));
        }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // A workflow's review: the migration preview follows the tick-box.
  var migrate = document.getElementById("migrate");
  var migration = document.getElementById("migration-preview");
  if (migrate && migration) {
    // The preview says what publishing will do: with the box ticked the
    // running instances move, without it they stay.
    var follow = function () { migration.classList.toggle("migrating", migrate.checked); };
    migrate.addEventListener("change", follow);
    follow();
  }

  // The workflow editor: check the text as it is typed and show each
  // problem at its line, and the diagram once it compiles.
  function editor(source) {
    var gutter = document.getElementById("gutter");
    var list = document.getElementById("diagnostics");
    var diagram = document.getElementById("diagram");
    var lineWord = list.getAttribute("data-line-word") || "Line";
    var okWord = list.getAttribute("data-ok") || "";
    var timer = null;
    var asked = 0;

    function paint(diagnostics) {
      var lines = source.value.split("\n").length;
      var bad = {};
      diagnostics.forEach(function (d) {
        if (bad[d.line] !== "error") { bad[d.line] = d.severity; }
      });
      var html = "";
      for (var n = 1; n <= lines; n++) {
        html += '<span data-line="' + n + '"' + (bad[n] ? ' class="' + bad[n] + '"' : "") + ">" + n + "</span>\n";
      }
      gutter.innerHTML = html;
      if (diagnostics.length === 0) {
        list.innerHTML = '<li class="ok" id="no-problems">' + esc(okWord) + "</li>";
        return;
      }
      list.innerHTML = diagnostics.map(function (d) {
        return '<li class="diag ' + d.severity + '" data-line="' + d.line + '" data-code="' + esc(d.code) + '"><b>' +
          esc(lineWord) + " " + d.line + ":" + d.column + "</b> " +
          esc(list.getAttribute(d.severity === "error" ? "data-error-word" : "data-warning-word") || d.severity) +
          " <code>" + esc(d.code) + "</code>: " + esc(d.message) +
          (d.help ? '<br><span class="help">' + esc(d.help) + "</span>" : "") + "</li>";
      }).join("");
    }

    function check() {
      var mine = ++asked;
      fetch(source.getAttribute("data-check"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": token, "Content-Type": "application/x-www-form-urlencoded" },
        body: "source=" + encodeURIComponent(source.value)
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) {
          if (!answer || mine !== asked) { return; }
          paint(answer.diagnostics);
          // A definition with errors draws nothing new: the last diagram
          // stays, marked as not matching the text.
          if (answer.diagram) { diagram.innerHTML = answer.diagram; }
          diagram.classList.toggle("stale", !answer.diagram);
          var stale = document.getElementById("diagram-stale");
          if (stale) { stale.hidden = !!answer.diagram; }
          list.setAttribute("data-checked", String(mine));
        })
        .catch(function () { /* try again on the next key */ });
    }

    source.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 300);
    });
    source.addEventListener("scroll", function () { gutter.scrollTop = source.scrollTop; });
    source.addEventListener("keydown", function (e) {
      // Tab indents with two spaces: YAML takes no tabs.
      if (e.key === "Tab" && !e.shiftKey) {
        e.preventDefault();
        var at = source.selectionStart;
        source.setRangeText("  ", at, source.selectionEnd, "end");
        source.dispatchEvent(new Event("input"));
      }
    });
  }

  // The template editor: the message as it will read, and for an SMS its
  // parts, while it is typed; on sample data or a real seat.
  function templatePreview(body) {
    var seat = document.getElementById("preview-seat");
    var out = document.getElementById("template-preview");
    var problem = document.getElementById("template-preview-error");
    var timer = null;
    var asked = 0;
    function show() {
      var mine = ++asked;
      var form = "body=" + encodeURIComponent(body.value) +
        "&channel=" + encodeURIComponent(body.getAttribute("data-channel")) +
        "&language=" + encodeURIComponent(body.getAttribute("data-language")) +
        "&seat=" + encodeURIComponent(seat ? seat.value : "");
      fetch(body.getAttribute("data-preview"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": token, "Content-Type": "application/x-www-form-urlencoded" },
        body: form
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (!p || mine !== asked) { return; }
          out.textContent = p.ok ? p.text : "";
          problem.textContent = p.error || "";
          problem.hidden = p.ok;
          var parts = document.getElementById("template-parts");
          if (parts && p.segments) {
            parts.innerHTML = '<b id="parts">' + p.segments.parts + "</b> " + esc(parts.getAttribute("data-parts-word") || "") +
              ' · <span id="units">' + p.segments.units + "</span> " + esc(parts.getAttribute("data-chars-word") || "") +
              ' · <span id="encoding">' + esc(p.segments.encoding.toUpperCase()) + "</span>";
            if (p.segments.forced_by) {
              var why = esc(parts.getAttribute("data-forced-word") || "") + ' <b id="forced-by">' + esc(p.segments.forced_by) + "</b>";
              if (p.segments.replacement) {
                why += " " + esc(parts.getAttribute("data-instead-word") || "") + ' <b id="replacement">' + esc(p.segments.replacement) + "</b>";
              }
              parts.innerHTML += '<br><span id="ucs2-why">' + why + "</span>";
            }
          }
          out.setAttribute("data-previewed", String(mine));
        })
        .catch(function () { /* the next keystroke tries again */ });
    }
    function later() { clearTimeout(timer); timer = setTimeout(show, 250); }
    body.addEventListener("input", later);
    if (seat) { seat.addEventListener("input", later); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("source");
    if (source && source.hasAttribute("data-check")) { editor(source); }
    var body = document.getElementById("template-body");
    if (body && body.hasAttribute("data-preview")) { templatePreview(body); }
    document.querySelectorAll("[data-live]").forEach(function (el) {
      var every = parseInt(el.getAttribute("data-every") || "2000", 10);
      setInterval(function () {
        if (!document.hidden) { refresh(el); }
      }, every);
    });
    document.querySelectorAll('input[name="back"]').forEach(function (el) {
      el.value = window.location.pathname + window.location.search;
    });
  });
})();
