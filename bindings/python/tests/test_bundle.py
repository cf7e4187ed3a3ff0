"""keyward.explain_bundle and keyward.explain_service_call: the WASM module's JSON API, from the
same library (keyward-bundle). The playground gallery's cases (crates/keyward-bundle/tests/data/
gallery.json, which the library's Rust test reads too) must give the same findings here."""

import json

import keyward
from conftest import ROOT

GALLERY = ROOT / "crates" / "keyward-bundle" / "tests" / "data" / "gallery.json"
EXAMPLES = ROOT / "policies" / "examples"


def _example(name):
    return (EXAMPLES / name).read_text(encoding="utf-8")


def _gallery():
    data = json.loads(GALLERY.read_text(encoding="utf-8"))
    for c in data["cases"]:
        kp = _example(c["key_policy"])
        if c.get("without_root"):
            doc = json.loads(kp)
            doc["Statement"] = [s for s in doc["Statement"] if s.get("Sid") != "Enable IAM User Permissions"]
            kp = json.dumps(doc, indent=2)
        b = {"key_policy": kp, "request": dict(c["request"], key_arn=data["key"])}
        if c.get("identity_policies"):
            b["identity_policies"] = [{"name": n, "text": _example(n)} for n in c["identity_policies"]]
        if c.get("grants"):
            b["grants"] = _example(c["grants"])
        yield c["id"], b, c.get("why")


def _apply(bundle, fix):
    b = json.loads(json.dumps(bundle))
    field = fix["field"]
    if field == "request":
        b["request"] = fix["fixed_request"]
        return b
    assert isinstance(fix["fixed_text"], str), fix
    if field.startswith("identity_policies["):
        i = int(field[len("identity_policies["):-1])
        lst = b.setdefault("identity_policies", [])
        if i == len(lst):
            lst.append({"name": fix["new_policy_name"], "text": fix["fixed_text"]})
        else:
            lst[i]["text"] = fix["fixed_text"]
    else:
        b[field] = fix["fixed_text"]
    return b


def test_gallery_bundles_give_the_playground_answers():
    cases = list(_gallery())
    assert len(cases) == 5
    for id_, bundle, why in cases:
        r = keyward.explain_bundle(bundle)
        assert r["ok"] is True, (id_, r)
        assert r["decision"] == "ImplicitDeny", (id_, r["summary"])
        if why:
            assert r["summary"].startswith(why), (id_, r["summary"])
        first = r["fixes"][0]
        assert first["lint"] == [] and first["adds"]["broad"] is False, (id_, first)
        assert first["edit"]["kind"] != "add_principal", (id_, first)
        for f in r["fixes"]:
            assert keyward.explain_bundle(_apply(bundle, f))["decision"] == "Allow", (id_, f["message"])
        # explain() is a view of the same JSON.
        req = bundle["request"]
        e = keyward.explain(req["principal"], req["action"], key=req["key_arn"],
                            key_policy=bundle["key_policy"], grants=bundle.get("grants"),
                            identity_policies=[d["text"] for d in bundle.get("identity_policies", [])],
                            encryption_context=req.get("encryption_context"), time=req.get("time"))
        assert e.summary == r["summary"], id_
        assert [f["edit"] for f in e.fixes] == [f["edit"] for f in r["fixes"]], id_


def test_bad_bundle_is_an_error_object_naming_the_field():
    r = keyward.explain_bundle({"request": {"action": "kms:Decrypt"}})
    assert r["ok"] is False and r["error"]["field"] == "request.principal"
    r = keyward.explain_bundle("[1]")
    assert r["ok"] is False and r["error"]["field"] == "bundle"


def test_service_call_through_s3():
    key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    uploader = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
                                                        "Action": ["s3:PutObject", "kms:GenerateDataKey"]}]}
    bundle = {
        "identity_policies": [{"name": "uploader", "text": json.dumps(uploader)}],
        "request": {"principal": "arn:aws:sts::111122223333:assumed-role/Up/s", "service_call": {
            "service": "s3", "operation": "PutObject", "resource": "arn:aws:s3:::b/k", "key": key}},
    }
    r = keyward.explain_service_call(bundle)
    assert r["ok"] is True and r["decision"] == "Allow", r
    assert r["kms_actions"] == ["kms:GenerateDataKey"]
    assert r["steps"][1]["rule"] == "key_policy_delegates_to_iam"
    bundle["request"]["service_call"]["operation"] = "PutObjekt"
    r = keyward.explain_service_call(bundle)
    assert r["ok"] is False and r["error"]["field"] == "request.service_call.operation"
