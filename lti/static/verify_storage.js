// The launch arrived without our cookie: fetch the state we left in the platform's storage
// and post the launch again with it, so the server can check this browser started it.
(function () {
  "use strict";
  var form = document.getElementById("storage-verify");
  if (!form) { return; }
  var target = form.dataset.storageTarget;
  var origin = form.dataset.platformOrigin;
  var frame = window.parent;
  if (target && target !== "_parent") {
    try { frame = window.parent.frames[target] || window.parent; } catch (e) { frame = window.parent; }
  }
  var id = Math.random().toString(36).slice(2);
  var sent = false;
  // once only: on a slow machine the platform's answer and the time-out can both arrive, and a
  // second post would replace the first launch's navigation with a refused one
  function finish(value) {
    if (sent) { return; }
    sent = true;
    form.elements.storage_state.value = value || "";
    form.submit();
  }
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || event.data.message_id !== id) { return; }
    finish(event.data.value);
  });
  frame.postMessage({ subject: "lti.get_data", message_id: id, key: "state_" + form.dataset.state }, origin);
  setTimeout(function () { finish(""); }, 5000);
})();
