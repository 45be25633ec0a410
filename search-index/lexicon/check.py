#!/usr/bin/env python3
"""Checks the concept lexicon: ids unique and well formed, surface forms present, references resolve."""
import pathlib, re, sys, tomllib, collections

here = pathlib.Path(__file__).parent
concepts, problems = {}, []
forms = collections.defaultdict(list)
for path in sorted(here.glob("*.toml")):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for c in data.get("concept", []):
        cid = c.get("id", "")
        where = f"{path.name}:{cid}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", cid):
            problems.append(f"{where}: id must be snake_case ASCII")
        if cid in concepts:
            problems.append(f"{where}: duplicate id (also in {concepts[cid][0]})")
        concepts[cid] = (path.name, c)
        if c.get("kind") not in ("clinical", "engineering", "outside_healthcare"):
            problems.append(f"{where}: kind must be clinical, engineering or outside_healthcare")
        if c.get("kind") == "outside_healthcare" and (c.get("addressed_by") or c.get("related") or c.get("addresses")):
            problems.append(f"{where}: fields outside healthcare take no links")
        if not c.get("zh") or not c.get("en"):
            problems.append(f"{where}: needs at least one zh and one en surface form")
        unknown = set(c) - {"id", "kind", "zh", "en", "addressed_by", "related", "addresses"}
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        for f in c.get("zh", []) + c.get("en", []):
            forms[f.lower()].append(cid)
for cid, (name, c) in concepts.items():
    for key in ("addressed_by", "related", "addresses"):
        for ref in c.get(key, []):
            if ref not in concepts:
                problems.append(f"{name}:{cid}: {key} names unknown concept {ref!r}")
shared = {f: ids for f, ids in forms.items() if len(set(ids)) > 1}
for f, ids in sorted(shared.items()):
    print(f"note: surface form {f!r} shared by {sorted(set(ids))}")
kinds = collections.Counter(c["kind"] for _, c in concepts.values() if "kind" in c)
print(f"{len(concepts)} concepts ({dict(kinds)}), {sum(len(c.get('addressed_by', [])) for _, c in concepts.values())} addressed_by links")
for p in problems:
    print("problem:", p)
sys.exit(1 if problems else 0)
