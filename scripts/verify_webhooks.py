"""Verifies "job finished" webhooks with the Standard Webhooks reference library (PyPI
`standardwebhooks`), an implementation independent of mpshook's own signer.

Usage: verify_webhooks.py FILE, FILE being JSON {"secrets": ["whsec_…", …], "requests":
[{"headers": {name: value}, "body": "…"}, …]}. Every request must verify with every secret
(mpshook signs with each active key), and must not verify once its body is altered.
Prints "webhooks: N verified" and exits 0, else names the failure and exits 1.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        given = json.load(handle)
    verified = 0
    for index, request in enumerate(given["requests"]):
        headers = {name.lower(): value for name, value in request["headers"].items()}
        for secret in given["secrets"]:
            try:
                Webhook(secret).verify(request["body"], headers)
            except WebhookVerificationError as error:
                print(f"request {index}: does not verify: {error}")
                return 1
            try:
                Webhook(secret).verify(request["body"] + " ", headers)
            except WebhookVerificationError:
                pass
            else:
                print(f"request {index}: an altered body verifies")
                return 1
        verified += 1
    print(f"webhooks: {verified} verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
