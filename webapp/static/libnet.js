/* libnet: completion for the search box, the ARIA 1.2 combobox pattern with a listbox.
 *
 * Progressive enhancement only: without this script the search box is a plain input and every
 * page works. No framework, no inline script (the CSP forbids it), no HTML built from data:
 * suggestions are set as textContent. An input opts in with data-complete="/api/v1/complete";
 * the texts for screen readers come translated from data-complete-* attributes.
 */
(function () {
  "use strict";

  var MIN_CHARS = 2;
  var DEBOUNCE_MS = 200;
  var MAX_SHOWN = 10;

  function suggestionsOf(data) {
    var list = Array.isArray(data) ? data : data && (data.completions || data.suggestions);
    if (!Array.isArray(list)) {
      return [];
    }
    return list.filter(function (item) {
      return typeof item === "string" && item.trim() !== "";
    }).slice(0, MAX_SHOWN);
  }

  function setup(input, number) {
    var endpoint = input.getAttribute("data-complete");
    var listId = (input.id || "search-" + number) + "-suggestions";
    var list = document.createElement("ul");
    var status = document.createElement("div");
    var timer = null;
    var request = null;
    var items = [];
    var active = -1;
    var asked = "";

    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.getAttribute("data-complete-label") || "Suggestions");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    // the list hangs below the input itself, wherever the input sits in its form
    var box = document.createElement("span");
    box.className = "combobox";
    input.parentNode.insertBefore(box, input);
    box.appendChild(input);
    box.appendChild(list);
    box.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function announce(count) {
      var text = count === 1 ? input.getAttribute("data-complete-one")
        : input.getAttribute("data-complete-many");
      status.textContent = count && text ? text.replace("{n}", String(count)) : "";
    }

    function highlight(index) {
      var options = list.children;
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      input.setAttribute("aria-activedescendant", options[index].id);
      if (options[index].scrollIntoView) {
        options[index].scrollIntoView({ block: "nearest" });
      }
    }

    function choose(index) {
      input.value = items[index];
      close();
      if (input.form) {
        if (input.form.requestSubmit) {
          input.form.requestSubmit();
        } else {
          input.form.submit();
        }
      }
    }

    function show(values) {
      items = values;
      list.textContent = "";
      values.forEach(function (value, index) {
        var option = document.createElement("li");
        option.id = listId + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = value;
        // mousedown, not click: the input keeps its focus, so blur does not close the list first
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        list.appendChild(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (values.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      announce(values.length);
    }

    function fetchSuggestions() {
      var text = input.value.trim();
      if (text.length < MIN_CHARS) {
        asked = "";
        show([]);
        return;
      }
      if (text === asked) {
        return;
      }
      asked = text;
      if (request) {
        request.abort();
      }
      request = window.AbortController ? new AbortController() : null;
      var url = endpoint + (endpoint.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(text);
      fetch(url, { headers: { Accept: "application/json" }, signal: request && request.signal })
        .then(function (response) {
          return response.ok ? response.json() : [];
        })
        .then(function (data) {
          if (input.value.trim() === text && document.activeElement === input) {
            show(suggestionsOf(data));
          }
        })
        .catch(function () {
          /* no completion: the search box still works */
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DEBOUNCE_MS);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      switch (event.key) {
        case "ArrowDown":
        case "Down":
          if (!items.length) {
            return;
          }
          event.preventDefault();
          if (!open) {
            list.hidden = false;
            input.setAttribute("aria-expanded", "true");
          }
          highlight(active + 1 >= items.length ? 0 : active + 1);
          break;
        case "ArrowUp":
        case "Up":
          if (!open || !items.length) {
            return;
          }
          event.preventDefault();
          highlight(active <= 0 ? items.length - 1 : active - 1);
          break;
        case "Enter":
          if (open && active >= 0) {
            event.preventDefault();
            choose(active);
          }
          break;
        case "Escape":
        case "Esc":
          if (open) {
            event.preventDefault();
            close();
          }
          break;
        case "Tab":
          close();
          break;
        default:
          break;
      }
    });

    input.addEventListener("blur", function () {
      close();
    });
  }

  function start() {
    var inputs = document.querySelectorAll("input[data-complete]");
    for (var i = 0; i < inputs.length; i++) {
      setup(inputs[i], i);
    }
  }

  // a button with data-print prints the page (the pull slips); the CSP forbids onclick=
  function printButtons() {
    var buttons = document.querySelectorAll("button[data-print]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () {
        window.print();
      });
    }
  }

  if (document.querySelectorAll) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", printButtons);
    } else {
      printButtons();
    }
  }

  if (window.fetch && document.querySelectorAll) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", start);
    } else {
      start();
    }
  }
})();
