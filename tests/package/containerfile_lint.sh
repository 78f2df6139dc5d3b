#!/usr/bin/env bash
# packaging/Containerfile: hadolint when installed (Debian 12 does not package it), else a
# syntax check of our own: every instruction is a Dockerfile instruction, continuations end,
# the first is FROM, JSON-form arguments parse, and the recipe runs as non-root with a
# HEALTHCHECK on /readyz.
# usage: containerfile_lint.sh FILE
set -euo pipefail
file=$1
if command -v hadolint >/dev/null; then exec hadolint "$file"; fi
python3 - "$file" <<'PY'
import json, re, sys
path = sys.argv[1]
known = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
         "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
problems, instructions = [], []
lines = open(path).read().split("\n")
i = 0
while i < len(lines):
    line = lines[i]
    start = i + 1
    if not line.strip() or line.lstrip().startswith("#"):
        i += 1
        continue
    text = line
    while text.rstrip().endswith("\\"):
        i += 1
        if i >= len(lines):
            problems.append(f"{start}: continuation runs past the end of the file")
            break
        nxt = lines[i]
        if nxt.lstrip().startswith("#"):
            continue
        text = text.rstrip()[:-1] + " " + nxt
    i += 1
    word, _, rest = text.strip().partition(" ")
    if word.upper() not in known:
        problems.append(f"{start}: unknown instruction {word}")
        continue
    if word != word.upper():
        problems.append(f"{start}: write instructions in upper case ({word})")
    rest = rest.strip()
    if word.upper() in {"CMD", "ENTRYPOINT", "VOLUME", "SHELL"} and rest.startswith("["):
        try:
            value = json.loads(rest)
            assert isinstance(value, list) and all(isinstance(v, str) for v in value)
        except Exception:
            problems.append(f"{start}: {word} JSON form does not parse: {rest}")
    if not rest:
        problems.append(f"{start}: {word} without arguments")
    instructions.append((start, word.upper(), rest))
if not instructions or instructions[0][1] not in {"FROM", "ARG"}:
    problems.append("the first instruction must be FROM")
final = [k for k, (_, w, _) in enumerate(instructions) if w == "FROM"][-1:]
stage = instructions[final[0]:] if final else []
users = [r for _, w, r in stage if w == "USER"]
if not users or users[-1] in {"root", "0"}:
    problems.append("the final stage must switch to a non-root USER")
health = [r for _, w, r in stage if w == "HEALTHCHECK"]
if not health or "/readyz" not in health[-1]:
    problems.append("the final stage needs a HEALTHCHECK on /readyz")
for p in problems:
    print(f"{path}:{p}")
sys.exit(1 if problems else 0)
PY
