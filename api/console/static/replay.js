// The trust timeline's replay: the scrubber (a range input) and the play button redraw
// the chart, the status and the ledger through the console's replay.json route. Without
// this script the scrubber still works: its form reloads the page at that step.
(function () {
  "use strict";
  var form = document.querySelector("form.replay");
  if (!form) { return; }
  var url = form.getAttribute("data-replay");
  var range = document.getElementById("step");
  var out = document.getElementById("step-out");
  var play = document.getElementById("play");
  var show = document.getElementById("show");
  var error = document.getElementById("replay-error");
  var regions = {
    chart: document.getElementById("replay-chart"),
    status: document.getElementById("replay-status"),
    ledger: document.getElementById("replay-ledger")
  };
  var asked = 0;
  var timer = null;

  function draw(step) {
    var ticket = ++asked;
    return fetch(url + "?step=" + encodeURIComponent(step), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body.detail || "the replay failed"); }
        return body;
      });
    }).then(function (body) {
      if (ticket !== asked) { return; } // a later step was asked meanwhile
      Object.keys(regions).forEach(function (name) {
        // HTML rendered (and escaped) by the page's own templates on the server.
        if (regions[name] && body.html[name] !== undefined) { regions[name].innerHTML = body.html[name]; }
      });
      out.textContent = String(body.step);
      range.setAttribute("aria-valuetext", "step " + body.step + " of " + body.steps);
      form.setAttribute("data-step", String(body.step));
      error.hidden = true;
    }).catch(function (failure) {
      error.textContent = "Could not replay that moment: " + failure.message;
      error.hidden = false;
      stop();
    });
  }

  function stop() {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    play.textContent = "Play";
    play.setAttribute("aria-pressed", "false");
  }

  function next() {
    var step = Number(range.value);
    if (step >= Number(range.max)) { stop(); return; }
    range.value = String(step + 1);
    draw(range.value).then(function () {
      if (timer !== null) { timer = setTimeout(next, 250); }
    });
  }

  range.addEventListener("input", function () {
    out.textContent = range.value;
    draw(range.value);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    draw(range.value);
  });
  play.hidden = false;
  show.hidden = true;
  play.setAttribute("aria-pressed", "false");
  play.addEventListener("click", function () {
    if (timer !== null) { stop(); return; }
    if (Number(range.value) >= Number(range.max)) { range.value = range.min; }
    play.textContent = "Pause";
    play.setAttribute("aria-pressed", "true");
    timer = setTimeout(next, 0);
  });
}());
