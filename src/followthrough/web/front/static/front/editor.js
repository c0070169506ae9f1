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
