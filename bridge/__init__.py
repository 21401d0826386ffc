"""Moving data between systems: AGS and NRPS, the LMSs' own APIs, OneRoster, CSV, sync runs.

`bridge/` never imports `lti/`. Every client takes a `PlatformHttp` (or an `httpx.Client`
it wraps), so tests hand it the sandbox in-process or a `MockTransport`.
"""
