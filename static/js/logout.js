// Signing out removes this browser's copies of report forms (keys "danvan-report-…", written
// by report-form.js), so the next person on a shared computer is not offered them.
(function () {
  "use strict";
  var form = document.getElementById("logout-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    try {
      var keys = [];
      for (var i = 0; i < localStorage.length; i += 1) {
        var name = localStorage.key(i);
        if (name && name.indexOf("danvan-report-") === 0) { keys.push(name); }
      }
      keys.forEach(function (name) { localStorage.removeItem(name); });
    } catch (e) { /* storage disabled: nothing was kept */ }
  });
})();
