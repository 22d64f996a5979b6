"""An independent verifier of an audit bundle, written from docs/audit-bundle.md alone:
it imports nothing of opsledger. Usage: ``python independent_verifier.py FILE KEY``;
prints ``OK`` and exits 0, or prints ``BAD: <reason>`` and exits 1."""

import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def signed(key: Ed25519PublicKey, message: str, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature), message.encode())
        return True
    except (InvalidSignature, ValueError):
        return False


def check(path: str, key_text: str) -> str | None:
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key_text.split(":", 1)[1]))
    with open(path, "rb") as file:
        lines = file.read().split(b"\n")
    if lines[-1] != b"":
        return "no newline at the end"
    body, manifest = lines[:-2], json.loads(lines[-2])
    if manifest["record"] != "manifest":
        return "the last line is not the manifest"
    digest = hashlib.sha256(b"".join(line + b"\n" for line in body)).hexdigest()
    if digest != manifest["sha256"] or len(body) != manifest["lines"]:
        return "digest"
    if not signed(key, "opsledger-bundle-v1|" + digest, manifest["signature"]):
        return "manifest signature"
    records = [json.loads(line) for line in body]
    if records[0]["record"] != "header" or records[0]["public_key"] != key_text:
        return "header"
    pins: dict[tuple[str, int], str] = {}
    heads: dict[str, tuple[int, str]] = {}
    counts: dict[str, int] = {}
    for r in records[1:]:
        if r["record"] == "checkpoint":
            text = f"opsledger-checkpoint-v1|{r['log']}|{r['position']}|{r['chain_hash']}|"
            if not signed(key, text + r["signed_at"], r["signature"]):
                return "checkpoint signature"
            pins[r["log"], r["position"]] = r["chain_hash"]
            continue
        log, position = r["log"], r["position"]
        counts[log] = counts.get(log, 0) + 1
        if log in heads and (position <= heads[log][0] or r["previous_hash"] != heads[log][1]):
            return f"chain broken at {log}:{position}"
        head = f"|{log}|{position}|{r['aggregate_id']}|{r['version']}|{r['topic']}|"
        state = hashlib.sha256(base64.b64decode(r["state"])).digest()
        computed = hashlib.sha256(r["previous_hash"].encode() + head.encode() + state).hexdigest()
        if computed != r["chain_hash"] or pins.pop((log, position), computed) != computed:
            return f"hash at {log}:{position}"
        heads[log] = (position, computed)
    if pins:
        return "a checkpoint matches no event"
    if counts != manifest["events"]:
        return "counts"
    return None


if __name__ == "__main__":
    problem = check(sys.argv[1], sys.argv[2])
    print("OK" if problem is None else f"BAD: {problem}")
    sys.exit(0 if problem is None else 1)
