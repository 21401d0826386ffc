"""The few HTML pages a platform shows: auto-submitting forms, refusals, the launch frame."""

from __future__ import annotations

from flask import Response, request
from markupsafe import escape


def wants_json() -> bool:
    """True when the client prefers JSON to HTML (tests driving a launch without a browser)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes["application/json"] > (request.accept_mimetypes["text/html"])
    )


def auto_submit_form(
    action: str, fields: dict[str, str], *, method: str = "POST", target: str | None = None
) -> str:
    """A page whose form submits itself: how platforms move the browser with a POST."""
    inputs = "\n".join(
        f'    <input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )
    target_attr = f' target="{escape(target)}"' if target else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Launching…</title></head>
<body>
  <form id="launch" action="{escape(action)}" method="{escape(method.lower())}"{target_attr}>
{inputs}
    <noscript><button type="submit">Continue</button></noscript>
  </form>
  <script>document.getElementById("launch").submit();</script>
</body></html>
"""


def refusal_page(status: int, message: str) -> Response:
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox LMS refused the request</title></head>
<body><h1>The sandbox LMS refused this request</h1><p id="reason">{escape(message)}</p></body>
</html>
"""
    return Response(html, status=status, content_type="text/html; charset=utf-8")


STORAGE_FRAME_SCRIPT = """
const store = new Map();
window.addEventListener("message", (event) => {
  const message = event.data || {};
  if (typeof message !== "object" || !message.subject) return;
  const reply = (body) => event.source.postMessage(
    Object.assign({message_id: message.message_id}, body), event.origin);
  const bucket = store.get(event.origin) || new Map();
  store.set(event.origin, bucket);
  if (!message.key) {
    reply({subject: message.subject + ".response",
           error: {code: "bad_request", message: "key is required"}});
  } else if (message.subject === "lti.put_data") {
    bucket.set(message.key, message.value);
    reply({subject: "lti.put_data.response", key: message.key, value: message.value});
  } else if (message.subject === "lti.get_data") {
    reply({subject: "lti.get_data.response", key: message.key, value: bucket.get(message.key)});
  } else {
    reply({subject: message.subject + ".response",
           error: {code: "unsupported_subject", message: "unsupported " + message.subject}});
  }
});
"""

CAPABILITIES_SCRIPT = """
window.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.subject !== "lti.capabilities") return;
  event.source.postMessage({
    subject: "lti.capabilities.response",
    message_id: message.message_id,
    supported_messages: [
      {subject: "lti.capabilities"},
      {subject: "lti.put_data", frame: "post_message_forwarding"},
      {subject: "lti.get_data", frame: "post_message_forwarding"}
    ]
  }, event.origin);
});
"""


def storage_frame_page() -> str:
    """The hidden frame that keeps LTI Platform Storage data (per tool origin)."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>platform storage</title></head><body><script>{STORAGE_FRAME_SCRIPT}</script>"
        "</body></html>"
    )


def launch_frame_page(*, title: str, action: str, fields: dict[str, str], storage_url: str) -> str:
    """A course page embedding the tool in an iframe, with Platform Storage beside it."""
    inputs = "\n".join(
        f'    <input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>body{{margin:0;font-family:sans-serif}} header{{padding:.5rem 1rem;background:#eee}}
iframe.tool{{border:0;width:100%;height:calc(100vh - 3rem)}}</style></head>
<body>
  <header>{escape(title)}</header>
  <iframe class="tool" name="tool_frame" title="Tool"
          allow="clipboard-write; fullscreen"></iframe>
  <iframe name="post_message_forwarding" src="{escape(storage_url)}" title="storage"
          style="display:none"></iframe>
  <form id="launch" action="{escape(action)}" method="post" target="tool_frame">
{inputs}
  </form>
  <script>{CAPABILITIES_SCRIPT}
  document.getElementById("launch").submit();</script>
</body></html>
"""
