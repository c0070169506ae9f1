/* After an htmx swap: focus where the change is, and say what happened (WCAG 2.4.3, 4.1.3).

   Static, loaded with defer: no inline script, so the strict Content-Security-Policy holds.

   Focus. A swap that removes the focused control (a save, add, move or delete redraws its
   panel) would drop focus to <body>, and a keyboard or screen-reader user would start again
   from the top. When that happens, focus goes, in this order, to
   1. the first field the server marked invalid in the new content (a 422 or 409 answer);
      after an "Edit" that opened a form in place, its first field (after "Cancel", the
      row's first control);
   2. the row that was acted on (the nearest element with an id around the control), when
      it is still there after the swap (saved, moved);
   3. a row that is new in the swapped content (added);
   4. the heading of the swapped panel (deleted, or nothing else to point at);
   5. the swapped element itself.
   Focus that is still somewhere (a person typing while the lint panel refreshes) is never
   moved.

   Announcements. Status text inside swapped content is not announced reliably: the live
   region must exist before the change. The page has one, #announce in base.html; after each
   swap its text becomes the swapped content's notice, error or count (the elements marked
   .notice, [role=alert], .errors, .count or [data-announce]). */
(function () {
  "use strict";

  // Keyed by request: the answer to one request may settle while another's (the lint
  // summary refreshing on "postmortem-changed") is being swapped, and one shared slot let
  // that refresh take the place of the action that moved focus.
  var pending = new WeakMap();
  var ANNOUNCED = ".notice, .errors, [role=alert], .count, [data-announce]";
  var INVALID = "[aria-invalid=true], .has-error input, .has-error select, .has-error textarea";

  function ids(root) {
    var out = {};
    if (!root || !root.querySelectorAll) return out;
    root.querySelectorAll("[id]").forEach(function (el) { out[el.id] = true; });
    return out;
  }

  function rowOf(elt, target) {
    // The element with an id nearest the control, below the swap target: the row acted on.
    for (var el = elt; el && el !== document.body; el = el.parentElement) {
      if (el === target) return null;
      if (el.id && el.tagName !== "FORM" && el.tagName !== "BUTTON" && el.tagName !== "INPUT") return el.id;
    }
    return null;
  }

  function focusOn(el) {
    if (!el) return false;
    var focusable = el.matches("a[href], button, input, select, textarea, summary, [tabindex]");
    if (!focusable) el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: false });
    return document.activeElement === el;
  }

  function headingOf(panel) {
    if (!panel) return null;
    var labelled = panel.getAttribute("aria-labelledby");
    var heading = labelled && document.getElementById(labelled.split(" ")[0]);
    return heading || panel.querySelector("h1, h2, h3, h4");
  }

  function announce(root) {
    var region = document.getElementById("announce");
    if (!region || !root || !root.querySelectorAll) return;
    var texts = [];
    if (root.matches && root.matches(ANNOUNCED)) texts.push(root.textContent);
    root.querySelectorAll(ANNOUNCED).forEach(function (el) { texts.push(el.textContent); });
    var text = texts.map(function (t) { return t.replace(/\s+/g, " ").trim(); })
      .filter(Boolean).join(" ");
    if (!text) return;
    // Emptied first, so the same words twice in a row are announced twice.
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    var elt = evt.detail.requestConfig ? evt.detail.requestConfig.elt : evt.detail.elt;
    var submitter = document.activeElement;
    var active = document.activeElement;
    if (!evt.detail.xhr) return;
    pending.set(evt.detail.xhr, {
      // Only a swap that takes the focused control away moves focus (not a refresh on load).
      hadFocus: !!(target && active && active !== document.body && target.contains(active)),
      get: (evt.detail.requestConfig && evt.detail.requestConfig.verb) === "get",
      targetId: target && target.id,
      row: rowOf(submitter && submitter !== document.body ? submitter : elt, target),
      before: ids(target),
    });
  });

  document.addEventListener("htmx:afterSettle", function (evt) {
    var swapped = evt.detail.elt;
    var was = evt.detail.xhr && pending.get(evt.detail.xhr);
    announce(swapped);
    if (!was) return;
    pending.delete(evt.detail.xhr);
    if (!was.hadFocus) return;
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    var panel = (was.targetId && document.getElementById(was.targetId)) || swapped;
    if (!panel || !document.contains(panel)) return;
    if (focusOn(panel.querySelector(INVALID))) return;
    if (was.get) {
      // "Edit" opened a form in place: its first field; "Cancel" closed it: the row's first control.
      var first = panel.querySelector("form input:not([type=hidden]), form select, form textarea")
        || panel.querySelector("a[href], button");
      if (focusOn(first)) return;
    }
    if (was.row && panel.querySelector("#" + CSS.escape(was.row)) && focusOn(document.getElementById(was.row))) return;
    var fresh = Array.prototype.find.call(panel.querySelectorAll("li[id], tr[id], article[id]"), function (el) {
      return !was.before[el.id];
    });
    if (fresh && focusOn(fresh)) return;
    if (focusOn(headingOf(panel))) return;
    focusOn(panel);
  });
})();
