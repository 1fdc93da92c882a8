#!/usr/bin/env python3
"""Checks mpshook's MPS wire format with the official Tencent Cloud Python SDK's own code.

Usage: sdk_conformance.py DIR
DIR holds what the Swift tests captured:
  signatures.json  a list of {secretId, secretKey, timestamp, host, contentType, body, authorization}:
                   requests mpshook signed; the SDK's _get_tc3_signature must give the same header.
  models/*.json    {"model": "<SDK model class>", "json": <object>} cases; each must deserialise
                   into the SDK model with no "useless field" warning and no field dropped
                   (every key we sent is present when the SDK serialises the model back).
Prints one line per check and a closing "N passed, N failed" line; exits 1 on any failure.

Usage: sdk_conformance.py --describe-get ENDPOINT SECRET_ID SECRET_KEY TASK_ID SESSION_CONTEXT
Calls DescribeBatchTaskDetail at ENDPOINT (http://host:port, e.g. the emulator) through the SDK
with HttpProfile reqMethod GET (parameters in the query string, TC3 signed over it) and checks
the answer names TASK_ID and SESSION_CONTEXT. Prints "describe-get: ok" or the failure; exits 1 on failure.
"""
import glob
import json
import os
import sys
import traceback
import warnings
from datetime import datetime, timezone

from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.mps.v20190612 import models
from tencentcloud.mps.v20190612.mps_client import MpsClient


def check_signature(case):
    client = MpsClient(credential.Credential(case["secretId"], case["secretKey"]), "ap-guangzhou")
    request = RequestInternal(
        case["host"], "POST", "/",
        header={
            "Content-Type": case["contentType"],
            "Host": case["host"],
            "X-TC-Timestamp": str(case["timestamp"]),
        },
        data=case["body"],
    )
    date = datetime.fromtimestamp(case["timestamp"], tz=timezone.utc).strftime("%Y-%m-%d")
    signature = client._get_tc3_signature(None, request, date, "mps", case["secretKey"])
    expected = "TC3-HMAC-SHA256 Credential=%s/%s/mps/tc3_request, SignedHeaders=content-type;host, Signature=%s" % (
        case["secretId"], date, signature)
    if expected != case["authorization"]:
        return "SDK computes %s, mpshook sent %s" % (expected, case["authorization"])
    return None


def dropped(sent, kept, path):
    """Paths of keys present in `sent` but missing from the SDK's re-serialisation `kept`."""
    missing = []
    if isinstance(sent, dict):
        if not isinstance(kept, dict):
            return [path or "(root)"] if sent else []
        for key, value in sent.items():
            if key not in kept:
                missing.append(path + "." + key if path else key)
            else:
                missing += dropped(value, kept[key], path + "." + key if path else key)
    elif isinstance(sent, list) and isinstance(kept, list):
        for index, (left, right) in enumerate(zip(sent, kept)):
            missing += dropped(left, right, "%s[%d]" % (path, index))
    return missing


def check_model(case):
    model = getattr(models, case["model"])()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model._deserialize(case["json"])
    useless = [str(w.message) for w in caught if "useless" in str(w.message)]
    if useless:
        return "SDK warned: " + "; ".join(useless)
    missing = dropped(case["json"], model._serialize(allow_none=True), "")
    if missing:
        return "fields dropped by the SDK: " + ", ".join(missing)
    return None


def describe_get(endpoint, secret_id, secret_key, task_id, session_context):
    protocol, _, host = endpoint.partition("://")
    profile = ClientProfile(httpProfile=HttpProfile(protocol=protocol, endpoint=host, reqMethod="GET"))
    client = MpsClient(credential.Credential(secret_id, secret_key), "", profile)
    request = models.DescribeBatchTaskDetailRequest()
    request.TaskId = task_id
    try:
        response = client.DescribeBatchTaskDetail(request)
    except Exception as error:
        print("describe-get: FAIL %s: %s" % (type(error).__name__, error))
        return 1
    if response.TaskId != task_id or response.SessionContext != session_context:
        print("describe-get: FAIL answered TaskId %r, SessionContext %r" % (response.TaskId, response.SessionContext))
        return 1
    print("describe-get: ok")
    return 0


def main():
    if sys.argv[1] == "--describe-get":
        return describe_get(*sys.argv[2:7])
    folder = sys.argv[1]
    passed = failed = 0
    checks = []
    signatures = os.path.join(folder, "signatures.json")
    if os.path.exists(signatures):
        with open(signatures, encoding="utf-8") as handle:
            for index, case in enumerate(json.load(handle)):
                checks.append(("signature %d (%s)" % (index, case["host"]), check_signature, case))
    for path in sorted(glob.glob(os.path.join(folder, "models", "*.json"))):
        with open(path, encoding="utf-8") as handle:
            case = json.load(handle)
        checks.append(("%s as %s" % (os.path.basename(path), case["model"]), check_model, case))
    for name, check, case in checks:
        try:
            problem = check(case)
        except Exception as error:  # a crash in the SDK on our JSON is a failure too
            where = traceback.extract_tb(error.__traceback__)[-1]
            problem = "%s: %s (at %s:%d)" % (type(error).__name__, error, os.path.basename(where.filename), where.lineno)
        if problem:
            failed += 1
            print("FAIL %s: %s" % (name, problem))
        else:
            passed += 1
            print("ok   %s" % name)
    print("sdk-conformance: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not checks else 0


if __name__ == "__main__":
    sys.exit(main())
