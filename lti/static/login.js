// Login initiation inside an LMS iframe: store state and nonce in the platform's storage
// (LTI Platform Storage, postMessage) when offered, else check that our cookie survives.
(function () {
  "use strict";
  var box = document.getElementById("launch-login");
  if (!box) { return; }
  var authUrl = box.dataset.authUrl;
  var target = box.dataset.storageTarget;
  var origin = box.dataset.platformOrigin;
  var status = document.getElementById("login-status");

  var gone = false;
  function go() {
    if (gone) { return; }  // once: a late answer must not start a second login
    gone = true;
    window.location.assign(authUrl);
  }

  function blocked() {
    status.textContent = "Your browser blocked this tool's cookies.";
    document.getElementById("cookie-blocked").hidden = false;
  }

  function storageFrame() {
    if (!target || target === "_parent") { return window.parent; }
    try { return window.parent.frames[target] || window.parent; } catch (e) { return window.parent; }
  }

  function put(key, value) {
    return new Promise(function (resolve, reject) {
      var id = Math.random().toString(36).slice(2);
      function onMessage(event) {
        if (event.origin !== origin || !event.data || event.data.message_id !== id) { return; }
        window.removeEventListener("message", onMessage);
        if (event.data.error) { reject(event.data.error); } else { resolve(); }
      }
      window.addEventListener("message", onMessage);
      storageFrame().postMessage({ subject: "lti.put_data", message_id: id, key: key, value: value }, origin);
      setTimeout(function () { window.removeEventListener("message", onMessage); reject("timeout"); }, 4000);
    });
  }

  if (target) {
    Promise.all([put("state_" + box.dataset.state, box.dataset.state),
                 put("nonce_" + box.dataset.nonce, box.dataset.nonce)])
      .then(go, function () {
        if (document.cookie.indexOf("pb_cookie_check=1") >= 0) { go(); } else { blocked(); }
      });
    return;
  }
  if (document.cookie.indexOf("pb_cookie_check=1") >= 0) { go(); } else { blocked(); }
})();
