"""schemathesis hooks for scripts/schemathesis.sh (docs/security.md, "Testing the API document").

schemathesis draws Idempotency-Key values from the header's schema, and small strings like
"00000000" come up again and again: the same key then goes with different requests, and the API
rightly answers 422 IDEMPOTENCY_KEY_REUSED, which the positive-data check reads as a valid request
refused. A real client makes a fresh key per request, so every key that is valid as generated gets a
unique suffix (still valid: letters, digits and _-:. up to 100). Invalid keys are left as they are,
so the negative cases still test the server's refusal.
"""
import re
import uuid

import schemathesis

_VALID_KEY = re.compile(r"^[A-Za-z0-9_\-:.]{8,100}$")


def _unique(headers):
    for name in list(headers or {}):
        value = headers[name]
        if name.lower() == "idempotency-key" and isinstance(value, str) and _VALID_KEY.match(value):
            headers[name] = value[:67] + "-" + uuid.uuid4().hex


# Just before each request goes out, whatever phase made it (coverage cases do not pass map_* hooks).
@schemathesis.hook
def before_call(context, case, kwargs):
    _unique(case.headers)
