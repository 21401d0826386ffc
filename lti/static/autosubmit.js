(function () {
  "use strict";
  var form = document.querySelector("form.autosubmit");
  if (form) { form.submit(); }
})();
