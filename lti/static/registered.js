// Tell the LMS that registration is over, as LTI Dynamic Registration asks.
(function () {
  "use strict";
  function close() {
    var target = window.opener || window.parent;
    if (target && target !== window) { target.postMessage({ subject: "org.imsglobal.lti.close" }, "*"); }
  }
  var button = document.getElementById("close-registration");
  if (button) { button.addEventListener("click", close); }
})();
