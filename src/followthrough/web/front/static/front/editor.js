// The postmortem editor shows one section at a time. Before a tab switch (or leaving the
// page) would drop text typed into the open section and not saved, ask first.
(function () {
  "use strict";

  function pane() {
    return document.getElementById("editor-pane");
  }

  function unsaved() {
    var here = pane();
    return here !== null && here.querySelector("form[data-unsaved]") !== null;
  }

  // Typing marks the form; a save swaps the form out, and the fresh one is unmarked.
  document.addEventListener("input", function (event) {
    var form = event.target.closest ? event.target.closest("#editor-pane form") : null;
    if (form !== null) {
      form.setAttribute("data-unsaved", "");
    }
  });

  // A refused save (409, 422) answers with the form and the typed text: still unsaved.
  document.addEventListener("htmx:afterSwap", function (event) {
    var xhr = event.detail.xhr;
    var target = event.detail.target;
    if (xhr && xhr.status >= 400 && target && target.closest && target.closest("#editor-pane")) {
      target.querySelectorAll("form").forEach(function (form) {
        form.setAttribute("data-unsaved", "");
      });
    }
  });

  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    if (!elt.closest || elt.closest(".editor-tabs") === null || !unsaved()) {
      return;
    }
    event.preventDefault();
    if (window.confirm(pane().getAttribute("data-unsaved-warning"))) {
      event.detail.issueRequest(true);
    }
  });

  // The linter's refresh carries the open tab's findings out of band. A tab opened while it
  // was on its way took that list away (the new tab brought its own): drop the stale list
  // from the answer, which still updates the summary, instead of htmx reporting a missing
  // target as an error.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail.target || detail.target.id !== "lint-summary" || typeof detail.serverResponse !== "string") {
      return;
    }
    var answer = document.createElement("template");
    answer.innerHTML = detail.serverResponse;
    var stale = Array.prototype.filter.call(
      answer.content.querySelectorAll("[hx-swap-oob][id^='findings-']"),
      function (list) { return document.getElementById(list.id) === null; }
    );
    if (stale.length) {
      stale.forEach(function (list) { list.remove(); });
      detail.serverResponse = answer.innerHTML;
    }
  });

  // A form posted without htmx leaves the page on purpose.
  document.addEventListener("submit", function (event) {
    event.target.removeAttribute("data-unsaved");
  });

  window.addEventListener("beforeunload", function (event) {
    if (unsaved()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
